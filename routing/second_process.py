"""`multilevel` in a second process with another seed, when a second processor is free.

forkserver: fast after the server's first start, and safe in a process with threads. The
server preloads only this module (and what it imports), never "__main__", which would run
a script's unguarded top level again. The child still imports the parent's main script as
`__mp_main__`, as every forkserver or spawn child does, so a script that plans routes must
keep its top level under `if __name__ == "__main__":` (manage.py, Celery, gunicorn, pytest and
bench/ do). The helper stops HELPER_SLACK_S before the parent's
deadline and the parent waits for its plan at most HELPER_WAIT_S after its own.
"""

import logging
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path

from pyvrp import ProblemData, Solution

from routing.multilevel import Routes, multilevel, rank, routes_of, solution_of

logger = logging.getLogger(__name__)

HELPER_MIN_S = 2.0  # below this, a second process would spend too much of it starting
FORKSERVER_START_S = 0.7  # the server's first start (measured 0.4-0.65 s), once per process
# A PyVRP solve checks its deadline only after its setup and first local search (up to about
# 0.1 s at 500 clients) and the plan must then cross the pipe: measured overshoots of the
# helper's deadline, 500 stops, were at most HELPER_SLACK_S + HELPER_WAIT_S together.
HELPER_SLACK_S = 0.1  # the helper stops this much before the parent
HELPER_WAIT_S = 0.15  # the parent waits this long for the helper's plan after its own
JOIN_S = 0.5  # a helper still running this long after SIGTERM is killed
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")

_server_started = False  # the forkserver runs once started, for this process's lifetime


def best_of_processes(
    data: ProblemData, choices: list[list[int]], seed: int, end: float
) -> tuple[Solution, int]:
    """Run `multilevel` here and, when a second processor and the time allow it, in a second
    process with another seed; return the better plan and the number of processes whose plans
    were compared (1 when the helper could not start or sent no usable plan)."""
    helper = Helper.start(data, choices, 2 * seed + 1, end)
    try:
        best = multilevel(data, choices, 2 * seed, end)
    except BaseException:
        if helper is not None:
            helper.stop()
        raise
    if helper is None:
        return best, 1
    return better(data, best, helper.result())


def better(data: ProblemData, mine: Solution, theirs: Routes | None) -> tuple[Solution, int]:
    """Return the better of this process's plan and the helper's routes, and the number of
    plans compared: the helper's count only when they make a solution of `data`."""
    if theirs is None:
        return mine, 1
    try:
        # PyVRP rejects a client twice or out of range, but crashes on a vehicle out of range.
        if any(not 0 <= vehicle < data.num_vehicle_types for vehicle, _ in theirs):
            raise ValueError("no such vehicle")
        other = solution_of(data, theirs)
    except (ValueError, IndexError, TypeError, RuntimeError):
        logger.warning("the second routing process sent routes that are not a plan")
        return mine, 1
    return (other if rank(other) < rank(mine) else mine), 2


class Helper:
    """The second process and the pipe its routes come back through."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    @classmethod
    def start(
        cls, data: ProblemData, choices: list[list[int]], seed: int, end: float
    ) -> "Helper | None":
        """Start the helper, or return None when it is not worth it or not possible: one
        processor, too little time (counting the server's first start), or a daemonic process
        (a Celery prefork worker), which may not have children."""
        global _server_started
        left = end - time.perf_counter()
        needed = HELPER_MIN_S + (0 if _server_started else FORKSERVER_START_S)
        if left < needed or processors() < 2 or multiprocessing.current_process().daemon:
            return None
        try:
            context = multiprocessing.get_context("forkserver")
        except ValueError:  # not on this platform
            return None
        context.set_forkserver_preload([__name__])
        receive, send = context.Pipe(duplex=False)
        wall_end = time.time() + left - HELPER_SLACK_S
        process = context.Process(
            target=_helper, args=(send, data, choices, seed, wall_end), daemon=True
        )
        try:
            process.start()
        except (OSError, EOFError, RuntimeError):
            logger.warning("could not start a second routing process", exc_info=True)
            receive.close()
            return None
        finally:
            send.close()
        _server_started = True
        return cls(process, receive)

    def result(self) -> Routes | None:
        """Return the helper's routes, or None if they are not there HELPER_WAIT_S after the
        parent's deadline."""
        routes = None
        try:
            if self.conn.poll(HELPER_WAIT_S):
                routes = self.conn.recv()
        except (EOFError, OSError):
            logger.warning("the second routing process ended without a plan")
        finally:
            self.stop()
        return routes

    def stop(self) -> None:
        """End the helper: SIGTERM, then SIGKILL if it has not ended within JOIN_S."""
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(JOIN_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _helper(
    conn: Connection, data: ProblemData, choices: list[list[int]], seed: int, wall_end: float
) -> None:
    end = time.perf_counter() + (wall_end - time.time())
    routes = routes_of(multilevel(data, choices, seed, end))
    try:
        conn.send(routes)
        conn.close()
    except OSError:  # BrokenPipeError: the parent has stopped waiting
        pass


def processors() -> int:
    """Return the processors this process may use: its affinity, capped by a cgroup v2 quota
    (a container limited to one CPU still sees every host CPU in its affinity)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    quota = cgroup_cpus(CPU_MAX)
    return count if quota is None else min(count, quota)


def cgroup_cpus(path: Path) -> int | None:
    """Return the whole CPUs a cgroup v2 cpu.max ("quota period", or "max period") allows,
    at least 1; None without a quota or a readable file."""
    try:
        quota, period = path.read_text().split()[:2]
        if quota == "max":
            return None
        return max(1, int(quota) // int(period))
    except (OSError, ValueError):
        return None
