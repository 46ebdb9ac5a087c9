"""The "distance" objective as a PyVRP model: the search behind routing.solve for pure routes.

PyVRP finds shorter routes than OR-Tools in the same time (README.md, "Benchmark"), but has
no way to say "this stop comes first", so emergencies are placed first: OR-Tools orders the
emergencies alone, earliest arrivals first (routing.ortools_model.emergency_runs), and PyVRP
routes the rest from where each crew is after its emergencies.

Costs: metres driven; an optional stop left out loses its prize (weight x 100 km, so the
stops kept are the most valuable ones that fit); overtime costs more per second than any
prize and than 10 km of driving, so only mandatory stops ever cause it, and as little as they
must.

How the search runs: routing.multilevel, on coarser copies of the problem, one start per
choice of working crews (`crew_choices`); with two processors, routing.second_process runs
it again with another seed and the better plan is kept (bench/routing.py, README.md "Crew
routes"). When the day is full, one plain PyVRP search from the hand dispatch instead.
"""

import logging
import time
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, Solution, VehicleType

from routing.baseline import urgent_first
from routing.multilevel import Routes, routes_of, solution_of, solve_until
from routing.ortools_model import (
    MIN_SEARCH_S,
    OVERTIME_COST,
    SCALE,
    emergency_runs,
    left_out_penalty,
)
from routing.second_process import best_of_processes
from routing.solve import Leg, Problem, Search

# PyVRP adds a handler of its own on import: its records go through settings.LOGGING's
# handlers instead, which mask personal data (privacy/logging.py).
logging.getLogger("pyvrp").handlers.clear()
logger = logging.getLogger(__name__)

SOLVER_NAME = f"pyvrp {version('pyvrp')}"
EMERGENCY_SHARE = 0.1  # of the time limit, for ordering the emergencies
ASSEMBLY_S = 0.05  # kept from the time limit to time the plan


def search_routes(
    problem: Problem, search: Search, duration: np.ndarray, distance: np.ndarray
) -> tuple[list[list[int]], str]:
    """Return, per crew, the free stops in visiting order, and the solvers used."""
    solver = SOLVER_NAME
    runs: list[list[int]] = [[] for _ in search.legs]
    legs = list(search.legs)
    free = list(search.free)
    limit = problem.time_limit_s
    if any(problem.stops[i].emergency for i in free):
        runs, legs = emergency_runs(problem, search, duration, limit * EMERGENCY_SHARE)
        placed = {i for run in runs for i in run}
        free = [i for i in free if i not in placed]
        limit *= 1 - EMERGENCY_SHARE
        solver += " (emergencies: ortools)"
    rest: list[list[int]] = [[] for _ in legs]
    if free:
        rest, processes = _search(problem, free, legs, duration, distance, limit)
        if processes > 1:
            solver += f", {processes} processes"
    return [run + order for run, order in zip(runs, rest, strict=True)], solver


def co_located(
    problem: Problem, free: Sequence[int], duration: np.ndarray, distance: np.ndarray
) -> list[list[int]]:
    """Group the free stops into PyVRP clients: required stops at the same place share one.

    Stops snapped to the same junction are common (500 stops in the demo city fall on 314
    junctions), and a shortest route serves them one after the other, so merging them shrinks
    the search by a third for nothing. "The same place" is the same matrix row and column in
    both matrices, so an explicit matrix with distinct points is never merged. Optional stops
    stay alone: each is kept or left out by its own weight.
    """
    groups: list[list[int]] = []
    place: dict[bytes, int] = {}
    for i in free:
        if not problem.stops[i].required:
            groups.append([i])
            continue
        node = problem.stop_nodes[i]
        key = b"".join(
            m.tobytes()
            for m in (duration[node], duration[:, node], distance[node], distance[:, node])
        )
        if key in place:
            groups[place[key]].append(i)
        else:
            place[key] = len(groups)
            groups.append([i])
    return groups


def _search(
    problem: Problem,
    free: Sequence[int],
    legs: Sequence[Leg],
    duration: np.ndarray,
    distance: np.ndarray,
    limit_s: float,
) -> tuple[list[list[int]], int]:
    """Return per crew the free stops in order, and the number of processes that searched."""
    started = time.perf_counter()
    crews = len(legs)
    horizon = max(leg.end_s for leg in legs)
    groups = co_located(problem, free, duration, distance)
    # Locations: each crew's start, each crew's end, then the clients (groups of stops).
    nodes = np.array(
        [leg.start_node for leg in legs]
        + [leg.end_node for leg in legs]
        + [problem.stop_nodes[group[0]] for group in groups],
        dtype=np.int64,
    )
    prizes = [
        0
        if problem.stops[group[0]].required
        else left_out_penalty(problem.stops[group[0]], problem, horizon)
        for group in groups
    ]
    prizes = [-(-prize // SCALE) for prize in prizes]  # metres, rounded up
    clients = [
        Client(
            location=2 * crews + k,
            service_duration=sum(problem.stops[i].service_s for i in group),
            prize=prize,
            required=problem.stops[group[0]].required,
        )
        for k, (group, prize) in enumerate(zip(groups, prizes, strict=True))
    ]
    # Above every prize, and above any detour when every stop is mandatory (then the prizes
    # are all 0 and a cost of 1 would trade a second of overtime for a metre saved).
    overtime_cost = max(OVERTIME_COST, max(prizes, default=0) + 1)
    vehicle_types = [
        VehicleType(
            num_available=1,
            start_depot=k,
            end_depot=crews + k,
            tw_early=leg.start_s,
            start_late=leg.start_s,
            shift_duration=max(0, leg.end_s - leg.start_s),
            max_overtime=int(duration.max()) * (len(free) + 1)
            + sum(c.service_duration for c in clients),
            unit_overtime_cost=overtime_cost,
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for k, leg in enumerate(legs)
    ]
    data = ProblemData(
        locations=[Location(0, 0) for _ in nodes],
        clients=clients,
        depots=[Depot(location=k) for k in range(2 * crews)],
        vehicle_types=vehicle_types,
        distance_matrices=[distance[np.ix_(nodes, nodes)]],  # type: ignore[list-item]
        duration_matrices=[duration[np.ix_(nodes, nodes)]],  # type: ignore[list-item]
    )
    initial = _initial(problem, free, legs, duration, data, groups)
    # The whole search, model included, ends by the time limit (less a little for timing the
    # plan); MaxRuntime would start counting only after PyVRP's first local search.
    end = started + max(MIN_SEARCH_S, limit_s - ASSEMBLY_S)
    processes = 1
    if initial is not None:
        best = solve_until(data, initial, problem.seed, end)
    else:
        best, processes = best_of_processes(data, crew_choices(legs), problem.seed, end)
    routes: list[list[int]] = [[] for _ in legs]
    for vehicle, visits in routes_of(best):
        routes[vehicle] = [i for k in visits for i in groups[k]]
    return routes, processes


def crew_choices(legs: Sequence[Leg]) -> list[list[int]]:
    """Return the sets of working crews (vehicle indexes) to start a search from: all of them,
    then, for each kind of crew (same start, end and hours), all but one of that kind."""
    everyone = list(range(len(legs)))
    kinds: dict[Leg, list[int]] = {}
    for k, leg in enumerate(legs):
        kinds.setdefault(leg, []).append(k)
    choices = [everyone]
    for members in kinds.values():
        fewer = [k for k in everyone if k != members[-1]]
        if fewer:
            choices.append(fewer)
    return choices


def _initial(
    problem: Problem,
    free: Sequence[int],
    legs: Sequence[Leg],
    duration: np.ndarray,
    data: ProblemData,
    groups: list[list[int]],
) -> Solution | None:
    """When the day is full, start from dispatching by hand: it already keeps the most valuable
    stops, which the search alone takes long to find among hundreds (bench/routing.py, 500
    stops: 713 of weight kept instead of 662). When everything fits, PyVRP starts better alone.
    """
    start = urgent_first(problem, Search(list(free), list(legs)), duration)
    taken = {i for order in start for i in order}
    if len(taken) == len(free) or any(i not in taken for i in free if problem.stops[i].required):
        return None
    client = {i: k for k, group in enumerate(groups) for i in group}
    routes: Routes = []
    placed: set[int] = set()
    for vehicle, order in enumerate(start):
        visits = []  # a group goes where its first stop was dispatched
        for i in order:
            if client[i] not in placed:
                placed.add(client[i])
                visits.append(client[i])
        if visits:
            routes.append((vehicle, visits))
    return solution_of(data, routes)
