"""routing.solve on small instances whose best answer is known (by hand or by brute force)."""

import itertools
import math
import random
from dataclasses import replace

import pytest

from geo.osm import Segment, line_length_m
from routing.graph import build_graph
from routing.solve import (
    LEFT_OUT_REASON,
    Crew,
    Plan,
    Problem,
    ProblemError,
    Stop,
    insert_emergency,
    solve,
)

FAST = 0.3  # seconds of search: plenty for a handful of stops
BOTH = pytest.mark.parametrize("objective", ["distance", "urgency"])


def order(plan: Plan, crew: int = 0) -> list[str]:
    return [visit.stop_id for visit in plan.routes[crew].visits]


def total_distance(plan: Plan) -> int:
    return sum(route.distance_m for route in plan.routes)


def line_problem(positions: dict[str, int], objective: str = "distance", **stop_args) -> Problem:
    """Depot at 0, stops at the given positions (metres on a street, 1 m per second)."""
    points = [0, *positions.values()]
    matrix = [[abs(a - b) for b in points] for a in points]
    return Problem(
        stops=[Stop(name, **stop_args) for name in positions],
        stop_nodes=list(range(1, len(points))),
        crews=[Crew("c", 0, 0, 10_000)],
        duration_s=matrix,
        distance_m=matrix,
        objective=objective,  # type: ignore[arg-type]
        time_limit_s=FAST,
    )


@BOTH
def test_stops_on_a_line_cost_one_drive_out_and_back(objective: str) -> None:
    plan = solve(line_problem({"c": 300, "a": 100, "d": 400, "b": 200}, objective))

    assert total_distance(plan) == 800
    assert sorted(order(plan)) == ["a", "b", "c", "d"]
    assert plan.left_out == []


def test_square_round_goes_along_the_perimeter() -> None:
    corners = [(0, 0), (0, 100), (100, 100), (100, 0), (50, 0)]  # depot at (50, 0)
    matrix = [[round(math.dist(p, q)) for q in corners] for p in corners]
    plan = solve(
        Problem(
            stops=[Stop(name) for name in "abcd"],
            stop_nodes=[0, 1, 2, 3],
            crews=[Crew("c", 4, 0, 10_000)],
            duration_s=matrix,
            distance_m=matrix,
            objective="distance",
            time_limit_s=FAST,
        )
    )

    assert total_distance(plan) == 400
    assert order(plan) in (["a", "b", "c", "d"], ["d", "c", "b", "a"])


def random_problem(seed: int, objective: str) -> Problem:
    rng = random.Random(seed)
    size = 6  # depot + 5 stops
    matrix = [[0 if i == j else rng.randint(60, 600) for j in range(size)] for i in range(size)]
    stops = [
        Stop(
            f"s{i}",
            service_s=rng.randint(0, 300),
            weight=rng.choice([1, 3, 8]),
            deadline_s=rng.randint(200, 1500),
            mandatory=True,
        )
        for i in range(1, size)
    ]
    return Problem(
        stops, list(range(1, size)), [Crew("c", 0, 0, 100_000)], matrix, matrix, objective, FAST
    )  # type: ignore[arg-type]


def brute_force(problem: Problem) -> int:
    """Return the best objective over every order of the stops (one crew, all served)."""
    d = problem.duration_s
    best = math.inf
    for perm in itertools.permutations(range(len(problem.stops))):
        node, clock, travel, lateness = 0, 0, 0, 0.0
        for i in perm:
            stop, to = problem.stops[i], problem.stop_nodes[i]
            clock += d[node][to]
            travel += d[node][to]
            lateness += stop.weight * max(0, clock - (stop.deadline_s or clock))
            clock += stop.service_s
            node = to
        travel += d[node][0]
        value = travel if problem.objective == "distance" else travel + lateness / 60
        best = min(best, value)
    return round(best)


@BOTH
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_five_stops_match_the_brute_force_optimum(objective: str, seed: int) -> None:
    problem = random_problem(seed, objective)

    plan = solve(problem)

    assert plan.objective_value == brute_force(problem)


def test_urgency_reaches_the_urgent_stop_in_time_where_the_shortest_round_does_not() -> None:
    # Nodes: depot 0, A 1, U 2. The short round D→A→U→D (30 m) reaches U 3,520 s late
    # after A's hour of work: at weight 10 that costs 10 x 3520 / 60 = 587 s of driving, more
    # than the 120 s that D→U→A→D (150 m) adds to reach U on time.
    matrix = [[0, 10, 50], [50, 0, 10], [10, 50, 0]]
    problem = Problem(
        stops=[Stop("A", service_s=3600), Stop("U", weight=10, deadline_s=100)],
        stop_nodes=[1, 2],
        crews=[Crew("c", 0, 0, 10_000)],
        duration_s=matrix,
        distance_m=matrix,
        time_limit_s=FAST,
    )

    shortest = solve(replace(problem, objective="distance"))
    urgent = solve(replace(problem, objective="urgency"))

    assert order(shortest) == ["A", "U"]
    assert shortest.weighted_lateness == 10 * 3520
    assert order(urgent) == ["U", "A"]
    assert urgent.weighted_lateness == 0
    assert urgent.objective_value == 150


def ring_graph_problem(one_way_from: str, one_way_to: str) -> Problem:
    """Four blocks around a square, depot at D, stops at A, B, C; one street is one-way."""
    corners = {"D": (24.940, 60.170), "A": (24.940, 60.171), "B": (24.942, 60.171)}
    corners["C"] = (24.942, 60.170)
    ids = {name: i + 1 for i, name in enumerate(corners)}
    segments = []
    for u, v in [("D", "A"), ("A", "B"), ("B", "C"), ("C", "D")]:
        oneway = {u, v} == {one_way_from, one_way_to}
        if oneway and u != one_way_from:
            u, v = v, u
        coords = (corners[u], corners[v])
        segments.append(
            Segment(
                0,
                f"{u}{v}",
                "residential",
                oneway,
                True,
                30,
                ids[u],
                ids[v],
                coords,
                line_length_m(coords),
            )
        )
    graph = build_graph(segments)
    nodes, _ = graph.snap([(lat, lon) for lon, lat in corners.values()])
    duration, distance = graph.matrices(nodes)
    return Problem(
        stops=[Stop("A"), Stop("B"), Stop("C")],
        stop_nodes=[1, 2, 3],
        crews=[Crew("c", 0, 0, 10_000)],
        duration_s=duration,
        distance_m=distance,
        objective="distance",
        time_limit_s=FAST,
    )


@pytest.mark.parametrize(
    ("one_way", "expected"),
    [(("A", "B"), ["A", "B", "C"]), (("B", "A"), ["C", "B", "A"])],
)
def test_a_one_way_street_sets_the_direction_of_the_round(
    one_way: tuple[str, str], expected: list[str]
) -> None:
    problem = ring_graph_problem(*one_way)

    plan = solve(problem)

    assert order(plan) == expected
    ids = {"A": 1, "B": 2, "C": 3}

    def round_s(names: list[str]) -> int:
        path = [0, *(ids[name] for name in names), 0]
        return sum(problem.duration_s[a][b] for a, b in itertools.pairwise(path))

    # Against the one-way, the same round needs a detour round the block.
    assert round_s(expected[::-1]) > round_s(expected) == plan.routes[0].duration_s


@BOTH
def test_an_emergency_comes_first_even_at_the_far_end(objective: str) -> None:
    problem = line_problem({"a": 100, "b": 200, "e": 1000, "c": 300}, objective)
    problem.stops[2] = Stop("e", emergency=True)

    plan = solve(problem)

    assert order(plan)[0] == "e"
    assert sorted(order(plan)) == ["a", "b", "c", "e"]


@BOTH
def test_each_crew_serves_its_emergencies_before_anything_else(objective: str) -> None:
    positions = {"w1": -300, "w2": -200, "we": -900, "e1": 200, "ee": 800, "e2": 300}
    problem = line_problem(positions, objective)
    problem.stops = [replace(s, emergency=s.id in {"we", "ee"}) for s in problem.stops]
    problem.crews = [Crew("west", 0, 0, 10_000), Crew("east", 0, 0, 10_000)]

    plan = solve(problem)

    for route in plan.routes:
        kinds = [visit.stop_id in {"we", "ee"} for visit in route.visits]
        assert kinds == sorted(kinds, reverse=True)  # emergencies, then the others
    assert {v.stop_id for r in plan.routes for v in r.visits} == set(positions)


@BOTH
def test_the_least_valuable_stop_is_left_for_tomorrow_when_the_shift_is_short(
    objective: str,
) -> None:
    problem = line_problem({"a": 100, "b": 200, "c": 300}, objective, service_s=1000)
    problem.stops = [replace(s, weight=w) for s, w in zip(problem.stops, [5, 1, 3], strict=True)]
    problem.crews = [Crew("c", 0, 0, 2_700)]  # two jobs and the drive, not three

    plan = solve(problem)

    assert [(item.stop_id, item.reason) for item in plan.left_out] == [("b", LEFT_OUT_REASON)]
    assert plan.routes[0].end_s <= 2_700
    assert plan.notes == []


@BOTH
def test_mandatory_stops_that_overflow_the_shift_are_kept_and_reported(objective: str) -> None:
    problem = line_problem({"a": 100, "b": 200, "c": 300}, objective, service_s=1000)
    problem.stops = [replace(s, mandatory=s.id != "c") for s in problem.stops]
    problem.stops[2] = replace(problem.stops[2], emergency=True)
    problem.crews = [Crew("c", 0, 0, 1_500)]  # not even two jobs fit

    plan = solve(problem)

    assert sorted(order(plan)) == ["a", "b", "c"]
    assert order(plan)[0] == "c"
    assert plan.left_out == []
    assert plan.routes[0].end_s > 1_500
    assert "do not fit in the shift" in plan.notes[0]


@BOTH
def test_an_emergency_inserted_during_the_day_keeps_the_visited_stops_first(
    objective: str,
) -> None:
    problem = line_problem({"a": 100, "b": 200, "c": 300, "d": 400}, objective, service_s=100)
    problem.duration_s = problem.distance_m = [
        [abs(a - b) for b in [0, 100, 200, 300, 400, 250]] for a in [0, 100, 200, 300, 400, 250]
    ]
    plan = solve(problem)
    now = plan.routes[0].visits[1].arrival_s  # the crew is at its second stop

    new = insert_emergency(plan, problem, Stop("tree", service_s=50), node=5, now_s=now)

    before, after = plan.routes[0].visits, new.routes[0].visits
    assert after[:2] == before[:2]
    assert after[2].stop_id == "tree"
    assert after[2].arrival_s >= now
    assert sorted(order(new)) == ["a", "b", "c", "d", "tree"]


def test_a_fixed_prefix_stays_first_in_its_order() -> None:
    problem = line_problem({"a": 100, "b": 200, "c": 300, "d": 400})
    problem.fixed_prefix = {"c": ["d", "a"]}

    plan = solve(problem)

    assert order(plan)[:2] == ["d", "a"]
    assert sorted(order(plan)) == ["a", "b", "c", "d"]


def test_no_stop_gives_empty_routes() -> None:
    plan = solve(line_problem({}))

    assert plan.routes[0].visits == []
    assert plan.routes[0].distance_m == 0
    assert plan.left_out == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stop_nodes": [0, 9]}, "outside the matrix"),
        ({"duration_s": [[0, 1], [1, 0]]}, "same size"),
        ({"crews": []}, "at least one crew"),
        ({"fixed_prefix": {"c": ["zz"]}}, "unknown stop zz"),
        ({"fixed_prefix": {"nobody": []}}, "unknown crew"),
        ({"objective": "fastest"}, "objective"),
    ],
)
def test_an_inconsistent_problem_is_refused(change: dict, message: str) -> None:
    problem = replace(line_problem({"a": 100, "b": 200}), **change)

    with pytest.raises(ProblemError, match=message):
        solve(problem)
