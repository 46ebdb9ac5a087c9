"""The "distance" objective as a PyVRP model: the search behind routing.solve for pure routes.

PyVRP finds shorter routes than OR-Tools in the same time (README.md, "Choosing the solver
library": a 500-stop round in 5 s, 29.0 km against 34.1 km), but has no way to say "this stop
comes first", so emergencies are placed first: OR-Tools orders the emergencies alone, earliest
arrivals first (routing.ortools_model.emergency_runs), and PyVRP routes the rest from where
each crew is after its emergencies.

Costs: metres driven; an optional stop left out loses its prize (weight x 100 km, so the
stops kept are the most valuable ones that fit); overtime costs more per second than any
prize, so only mandatory stops ever cause it.
"""

import logging
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
import pyvrp
from pyvrp import Client, Depot, Location, ProblemData, Route, Solution, VehicleType
from pyvrp.stop import MaxRuntime

from routing.baseline import urgent_first
from routing.ortools_model import SCALE, emergency_runs, left_out_penalty
from routing.solve import Leg, Problem, Search

# PyVRP adds a handler of its own on import: its records go through settings.LOGGING's
# handlers instead, which mask personal data (privacy/logging.py).
logging.getLogger("pyvrp").handlers.clear()

SOLVER_NAME = f"pyvrp {version('pyvrp')}"
EMERGENCY_SHARE = 0.1  # of the time limit, for ordering the emergencies


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
    rest = _search(problem, free, legs, duration, distance, limit) if free else [[] for _ in legs]
    return [run + order for run, order in zip(runs, rest, strict=True)], solver


def _search(
    problem: Problem,
    free: Sequence[int],
    legs: Sequence[Leg],
    duration: np.ndarray,
    distance: np.ndarray,
    limit_s: float,
) -> list[list[int]]:
    crews = len(legs)
    horizon = max(leg.end_s for leg in legs)
    # Locations: each crew's start, each crew's end, then the stops.
    nodes = np.array(
        [leg.start_node for leg in legs]
        + [leg.end_node for leg in legs]
        + [problem.stop_nodes[i] for i in free],
        dtype=np.int64,
    )
    prizes = [
        0 if problem.stops[i].required else left_out_penalty(problem.stops[i], problem, horizon)
        for i in free
    ]
    prizes = [-(-prize // SCALE) for prize in prizes]  # metres, rounded up
    clients = [
        Client(
            location=2 * crews + k,
            service_duration=problem.stops[i].service_s,
            prize=prize,
            required=problem.stops[i].required,
        )
        for k, (i, prize) in enumerate(zip(free, prizes, strict=True))
    ]
    overtime_cost = max(prizes, default=0) + 1
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
    # When the day is full, start from dispatching by hand: it already keeps the most valuable
    # stops, which the search alone takes long to find among hundreds (bench/routing.py, 500
    # stops: 713 of weight kept instead of 662). When everything fits, PyVRP starts better alone.
    start = urgent_first(problem, Search(list(free), list(legs)), duration)
    taken = {i for order in start for i in order}
    initial = None
    if len(taken) < len(free) and all(i in taken for i in free if problem.stops[i].required):
        client = {i: k for k, i in enumerate(free)}
        routes = [
            Route(data, [client[i] for i in order], k) for k, order in enumerate(start) if order
        ]
        initial = Solution(data, routes)
    result = pyvrp.solve(
        data,
        stop=MaxRuntime(limit_s),
        seed=problem.seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
    )
    orders: list[list[int]] = [[] for _ in legs]
    for route in result.best.routes():
        orders[route.vehicle_type()] = [free[a.idx] for a in route if a.is_client()]
    return orders
