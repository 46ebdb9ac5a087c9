"""The "distance" search's deadline (routing.multilevel) and its second process
(routing.second_process): no search starts after the deadline, the helper's plan is judged
by what it serves, and a helper that misbehaves never hangs or fools the parent."""

import multiprocessing
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pyvrp
from pyvrp import Client, Depot, Location, ProblemData, VehicleType

from routing import multilevel, second_process
from routing.multilevel import routes_of, solution_of
from routing.second_process import Helper, best_of_processes, better, cgroup_cpus
from tests.test_routing_multilevel import ring_matrix

STOPS = 200  # on a one-way ring: one coarse level, a whole ring as one chain


def two_crew_ring() -> ProblemData:
    matrix = ring_matrix(STOPS + 1)
    return ProblemData(
        locations=[Location(0, 0) for _ in range(STOPS + 1)],
        clients=[Client(location=k, required=True) for k in range(1, STOPS + 1)],
        depots=[Depot(location=0)],
        vehicle_types=[VehicleType(num_available=1), VehicleType(num_available=1)],
        distance_matrices=[matrix],
        duration_matrices=[matrix],
    )


CHOICES = [[0, 1], [0], [1]]


class Clock:
    """multilevel's perf_counter, which a test moves past the deadline at will."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.perf_counter() + self.offset


def spy_solves(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, pass_deadline_after: int
) -> list[float]:
    """Count pyvrp.solve calls (their start, on the clock) and jump the clock an hour
    ahead once `pass_deadline_after` of them have returned."""
    starts: list[float] = []
    real: Callable[..., Any] = pyvrp.solve

    def counting(*args: Any, **kwargs: Any) -> Any:
        starts.append(clock())
        result = real(*args, **kwargs)
        if len(starts) == pass_deadline_after:
            clock.offset += 3600
        return result

    monkeypatch.setattr(multilevel, "perf_counter", clock)
    monkeypatch.setattr(multilevel.pyvrp, "solve", counting)
    return starts


@pytest.mark.parametrize("passed_after", [1, 2, 3])
def test_no_search_starts_after_the_deadline_and_the_plan_serves_every_stop(
    monkeypatch: pytest.MonkeyPatch, passed_after: int
) -> None:
    """1: within the first V-cycle (its coarse answer spread out is the plan); 2: between
    crew choices; 3: within the second crew choice."""
    clock = Clock()
    starts = spy_solves(monkeypatch, clock, passed_after)
    end = clock() + 60  # time for V-cycles, until the clock jumps

    best = multilevel.multilevel(two_crew_ring(), CHOICES, 0, end)

    assert len(starts) == passed_after
    assert all(start < end for start in starts)
    assert best.is_complete()


def test_too_little_time_for_the_levels_and_the_crew_choices_is_one_plain_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    starts = spy_solves(monkeypatch, clock, pass_deadline_after=0)
    data = two_crew_ring()
    budget = STOPS * multilevel.V_CYCLE_S_PER_CLIENT * len(CHOICES) / multilevel.CREWS_SHARE

    best = multilevel.multilevel(data, CHOICES, 0, clock() + budget / 2)

    assert len(starts) == 1
    assert best.is_complete()


def test_a_helper_plan_that_leaves_a_required_stop_out_loses_though_shorter() -> None:
    data = two_crew_ring()
    mine = solution_of(data, [(0, list(range(STOPS - 1, -1, -1)))])  # the wrong way round
    shorter = [(0, list(range(STOPS - 1)))]  # the right way, the last stop left out

    assert solution_of(data, shorter).distance() < mine.distance()
    assert better(data, mine, shorter) == (mine, 2)


def test_a_complete_shorter_helper_plan_wins() -> None:
    data = two_crew_ring()
    mine = solution_of(data, [(0, list(range(STOPS - 1, -1, -1)))])  # the wrong way round
    theirs = [(0, list(range(STOPS)))]

    plan, processes = better(data, mine, theirs)

    assert routes_of(plan) == theirs
    assert processes == 2


@pytest.mark.parametrize(
    "routes",
    [
        [(0, [0, 1, 1])],  # a client twice
        [(0, [0, STOPS + 5])],  # no such client
        [(7, [0])],  # no such vehicle
        [(-1, [0])],
        [(0, [0]), (0, [1])],  # one vehicle twice
        None,  # no plan arrived
    ],
)
def test_routes_that_are_not_a_plan_leave_the_parents_plan_with_one_process(
    routes: list[tuple[int, list[int]]] | None,
) -> None:
    data = two_crew_ring()
    mine = solution_of(data, [(0, list(range(STOPS)))])

    assert better(data, mine, routes) == (mine, 1)


class FakeHelper:
    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_the_helper_is_stopped_when_the_parents_search_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object) -> None:
        raise MemoryError

    helper = FakeHelper()
    monkeypatch.setattr(Helper, "start", lambda *args: helper)
    monkeypatch.setattr(second_process, "multilevel", fail)

    with pytest.raises(MemoryError):
        best_of_processes(two_crew_ring(), CHOICES, 0, time.perf_counter() + 10)
    assert helper.stopped


def ignore_sigterm_and_sleep(ready: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(600)


def test_a_helper_that_ignores_sigterm_is_killed() -> None:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    ready = context.Event()
    process = context.Process(target=ignore_sigterm_and_sleep, args=(ready,), daemon=True)
    process.start()
    send.close()
    # Its handler must be in place first: a spawned child on a busy machine can take seconds
    # to start, and SIGTERM would then end it before it could ignore it.
    assert ready.wait(timeout=120)

    routes = Helper(process, receive).result()

    assert routes is None
    assert not process.is_alive()
    assert process.exitcode == -signal.SIGKILL


def test_the_helper_survives_a_parent_that_stopped_listening() -> None:
    with pytest.raises(BrokenPipeError):  # what a plain send meets when the parent has gone
        _closed_pipe().send([])

    # The helper's send meets the same broken pipe and ends quietly, without a traceback.
    assert (
        second_process._helper(_closed_pipe(), two_crew_ring(), CHOICES, 0, time.time() + 0.3)
        is None
    )


def _closed_pipe() -> Any:
    """The sending end of a pipe whose receiving end is closed."""
    receive, send = multiprocessing.Pipe(duplex=False)
    receive.close()
    return send


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("max 100000\n", None),
        ("100000 100000\n", 1),
        ("150000 100000\n", 1),
        ("400000 100000\n", 4),
        ("50000 100000\n", 1),
        ("", None),
    ],
)
def test_a_cgroup_cpu_quota_caps_the_processors(
    tmp_path: Path, text: str, cpus: int | None
) -> None:
    path = tmp_path / "cpu.max"
    path.write_text(text)

    assert cgroup_cpus(path) == cpus
    assert cgroup_cpus(tmp_path / "missing") is None


def test_one_cpu_of_quota_means_no_second_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "cpu.max"
    path.write_text("100000 100000\n")
    monkeypatch.setattr(second_process, "CPU_MAX", path)

    assert second_process.processors() == 1
    assert Helper.start(two_crew_ring(), CHOICES, 1, time.perf_counter() + 60) is None
