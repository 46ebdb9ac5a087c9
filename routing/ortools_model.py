"""The routing problem as an OR-Tools model: the search behind routing.solve.

Routing nodes are the free stops (0..S-1), then one start and one end per crew. Costs:
- arcs: metres ("distance") or seconds ("urgency") driven;
- lateness ("urgency"): a soft upper bound at each deadline on the time dimension, weight x s;
- leaving an optional stop out: a disjunction penalty (see `left_out_penalty`).
Emergencies first: a dimension counts the non-emergency stops visited so far, and must be 0
at every emergency.

Shift ends are hard: OR-Tools' insertion heuristics only see arc costs, so with a soft shift
end the first solution takes every stop and 5 s of search do not undo the overtime (measured:
all 500 stops kept, 4 crews working ~30 h each). Mandatory stops get a disjunction too, with a
penalty above everything else, so the model always has a solution; in the rare case one is
still left out (the mandatory work alone overflows the shifts), a second search with soft
shift ends and only the mandatory and already chosen stops places them in overtime.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import version

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.baseline import urgent_first
from routing.solve import LATENESS_PER_WEIGHT, Leg, Problem, Search, Stop

SOLVER_NAME = f"ortools {version('ortools')}"
SCALE = 6000  # objective units per metre or second: weight / 60 stays an integer to 0.01
LEFT_OUT_S = 86_400  # urgency: leaving a stop out costs a day of lateness on top of tomorrow's
LEFT_OUT_M = 100_000  # distance: 100 km per unit of weight, more than any detour in town
OVERNIGHT_S = 16 * 3600  # from today's shift end to tomorrow's first visit, roughly
MANDATORY_PENALTY = 2**52  # above any sum of other costs; below OR-Tools' int64 overflow
OVERTIME_COST = 10_000  # per second past the shift end (second search only), x SCALE
MIN_SEARCH_S = 0.05
COMPACT_MIN_STOPS = 30  # fewer free stops: the search from the hand start finds the best alone
COMPACT_SHARE = 0.4  # of the time limit, to build the compact start
IDLE_SHARE = 0.25  # of the mean stops per crew: a compact route this short is split again
GLS = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION


def left_out_penalty(stop: Stop, problem: Problem, horizon_s: int) -> int:
    """Return the objective cost of leaving an optional stop for tomorrow.

    Urgency: a day of lateness plus the lateness it will have tomorrow morning, priced like
    any lateness, so an overdue stop is not left out just because visiting it today shows
    how late it is. Distance: weight x 100 km.
    """
    if problem.objective == "distance":
        return round(SCALE * stop.weight * LEFT_OUT_M) + 1
    tomorrow = horizon_s + OVERNIGHT_S
    late = max(0, tomorrow - stop.deadline_s) if stop.deadline_s is not None else 0
    return round(SCALE * stop.weight * LATENESS_PER_WEIGHT * (LEFT_OUT_S + late)) + 1


def search_routes(
    problem: Problem, search: Search, duration: np.ndarray, distance: np.ndarray
) -> list[list[int]]:
    """Return, per crew, the free stops (indexes into problem.stops) in visiting order.

    The search starts from the cheaper, on the full objective, of two plans: dispatching by
    hand, and (for "urgency" with many stops) compact routes each reordered for urgency
    (`compact_start`). Guided local search barely leaves the basin it starts in within a few
    seconds at hundreds of stops (bench/routing.py, 500 stops: from the hand start it keeps
    the hand's 117 km even when lateness is priced ten times lower), so the start decides
    which kind of plan comes out.
    """
    started = time.perf_counter()
    starts = [urgent_first(problem, search, duration)]
    if problem.objective == "urgency" and len(search.free) >= COMPACT_MIN_STOPS:
        budget = problem.time_limit_s * COMPACT_SHARE
        starts.append(compact_start(problem, search, duration, distance, budget))
    start = min(starts, key=lambda orders: start_cost(problem, search, orders, duration))
    limit = max(MIN_SEARCH_S, problem.time_limit_s - (time.perf_counter() - started))
    orders = _search(
        problem,
        search.free,
        search.legs,
        duration,
        distance,
        overtime=False,
        limit_s=limit,
        initial=start,
    )
    served = {i for order in orders for i in order}
    if all(i in served for i in search.free if problem.stops[i].required):
        return orders
    keep = [i for i in search.free if i in served or problem.stops[i].required]
    limit = max(MIN_SEARCH_S, problem.time_limit_s / 4)
    return _search(problem, keep, search.legs, duration, distance, overtime=True, limit_s=limit)


def compact_start(
    problem: Problem, search: Search, duration: np.ndarray, distance: np.ndarray, limit_s: float
) -> list[list[int]]:
    """Return the shortest routes (PyVRP, half of `limit_s`) with every crew working
    (`every_crew_working`), each crew's stops then reordered for the objective alone
    (OR-Tools, the other half shared by the crews)."""
    from routing import pyvrp_model  # it imports this module

    share = limit_s / 2
    shortest, _ = pyvrp_model.search_routes(
        replace(problem, objective="distance", time_limit_s=share), search, duration, distance
    )
    orders = []
    shortest = every_crew_working(shortest, search.legs)
    for order, leg in zip(shortest, search.legs, strict=True):
        if len(order) < 2:
            orders.append(order)
            continue
        limit = max(MIN_SEARCH_S, share * len(order) / len(search.free))
        again = _search(
            problem,
            order,
            [leg],
            duration,
            distance,
            overtime=False,
            limit_s=limit,
            initial=[order],
        )[0]
        orders.append(again if sorted(again) == sorted(order) else order)
    return orders


def every_crew_working(orders: Sequence[Sequence[int]], legs: Sequence[Leg]) -> list[list[int]]:
    """Give each idle or nearly idle crew (fewer than IDLE_SHARE of the mean stops per crew)
    the second half of the longest route of its kind (same depots and hours; of any kind when
    none works), so that no crew waits most of the day.

    The shortest routes often leave a crew idle or nearly (500 stops, 4 crews from 2 depots:
    3 work, or one does 5 stops), which is no start for urgency: the stops wait for fewer
    crews. Half of a route is still one compact stretch of streets, and OR-Tools reorders each
    crew's stops next (bench/routing.py, 500 stops: the compact start went from 5-9% above
    the hand dispatch's objective to 7-15% below).
    """
    routes = [list(order) for order in orders]
    working = [k for k, leg in enumerate(legs) if leg.end_s > leg.start_s]
    if not working:
        return routes
    few = IDLE_SHARE * sum(len(routes[k]) for k in working) / len(working)
    for k in working:
        if len(routes[k]) >= few:
            continue
        kind = [j for j in working if legs[j] == legs[k] and j != k]
        donor = max(kind or working, key=lambda j: len(routes[j]))
        if len(routes[donor]) <= len(routes[k]) + 1:
            continue
        half = len(routes[donor]) // 2
        routes[k], routes[donor] = routes[k] + routes[donor][half:], routes[donor][:half]
    return routes


def start_cost(
    problem: Problem, search: Search, orders: Sequence[Sequence[int]], duration: np.ndarray
) -> float:
    """Return the search's objective (seconds) for per-crew orders of free stops: driving,
    weighted lateness and the stops left out; infinite when a route ends after its shift or
    a mandatory stop is missing, which the first search does not allow."""
    cost = 0.0
    for order, leg in zip(orders, search.legs, strict=True):
        node, clock = leg.start_node, leg.start_s
        for i in order:
            stop, there = problem.stops[i], problem.stop_nodes[i]
            arrival = clock + int(duration[node, there])
            cost += int(duration[node, there])
            if problem.objective == "urgency" and stop.deadline_s is not None:
                cost += stop.weight * LATENESS_PER_WEIGHT * max(0, arrival - stop.deadline_s)
            clock, node = arrival + stop.service_s, there
        if order and clock + int(duration[node, leg.end_node]) > max(leg.end_s, leg.start_s):
            return math.inf
        cost += int(duration[node, leg.end_node]) if order else 0
    served = {i for order in orders for i in order}
    horizon = max(leg.end_s for leg in search.legs)
    for i in search.free:
        if i not in served:
            if problem.stops[i].required:
                return math.inf
            cost += left_out_penalty(problem.stops[i], problem, horizon) / SCALE
    return cost


def emergency_runs(
    problem: Problem, search: Search, duration: np.ndarray, limit_s: float
) -> tuple[list[list[int]], list[Leg]]:
    """Order the free emergencies alone, earliest arrivals first; return them per crew and
    the crews' legs from their last emergency on.

    Used before a search that cannot put emergencies first by itself: minimising the sum of
    arrival times (lateness past the shift start, weight 1) reaches each emergency soonest.
    """
    emergencies = [i for i in search.free if problem.stops[i].emergency]
    start = min(leg.start_s for leg in search.legs)
    stops = list(problem.stops)
    for i in emergencies:
        stops[i] = replace(stops[i], weight=1.0, deadline_s=start, mandatory=True, emergency=False)
    alone = replace(problem, stops=stops, objective="urgency", time_limit_s=limit_s)
    runs = search_routes(alone, Search(emergencies, list(search.legs)), duration, duration)
    legs = []
    for run, leg in zip(runs, search.legs, strict=True):
        node, clock = leg.start_node, leg.start_s
        for i in run:
            clock += int(duration[node, problem.stop_nodes[i]]) + problem.stops[i].service_s
            node = problem.stop_nodes[i]
        legs.append(replace(leg, start_node=node, start_s=clock))
    return runs, legs


def _search(
    problem: Problem,
    free: Sequence[int],
    legs: Sequence[Leg],
    duration: np.ndarray,
    distance: np.ndarray,
    *,
    overtime: bool,
    limit_s: float | None = None,
    initial: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    stops = [problem.stops[i] for i in free]
    nodes = np.array(
        [problem.stop_nodes[i] for i in free]
        + [leg.start_node for leg in legs]
        + [leg.end_node for leg in legs],
        dtype=np.int64,
    )
    size, crews = len(stops), len(legs)
    starts = list(range(size, size + crews))
    ends = list(range(size + crews, size + 2 * crews))
    manager = pywrapcp.RoutingIndexManager(len(nodes), crews, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    travel_s = duration[np.ix_(nodes, nodes)]
    arc = distance[np.ix_(nodes, nodes)] if problem.objective == "distance" else travel_s
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix((arc * SCALE).tolist()))

    service = np.array([stop.service_s for stop in stops] + [0] * (2 * crews), dtype=np.int64)
    horizon = max(leg.end_s for leg in legs)
    latest_start = max(leg.start_s for leg in legs)
    capacity = int(max(horizon, latest_start) + service.sum() + travel_s.max() * (size + 1))
    time_cb = routing.RegisterTransitMatrix((travel_s + service[:, None]).tolist())
    routing.AddDimension(time_cb, 0, capacity, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for vehicle, leg in enumerate(legs):
        clock.CumulVar(routing.Start(vehicle)).SetRange(leg.start_s, leg.start_s)
        if overtime:
            clock.SetCumulVarSoftUpperBound(routing.End(vehicle), leg.end_s, OVERTIME_COST * SCALE)
        else:
            clock.CumulVar(routing.End(vehicle)).SetMax(max(leg.end_s, leg.start_s))

    for node, stop in enumerate(stops):
        index = manager.NodeToIndex(node)
        if not stop.required:
            routing.AddDisjunction([index], left_out_penalty(stop, problem, horizon))
        elif not overtime:
            routing.AddDisjunction([index], MANDATORY_PENALTY)
        if problem.objective == "urgency" and stop.deadline_s is not None and stop.weight > 0:
            coefficient = max(1, round(stop.weight * LATENESS_PER_WEIGHT * SCALE))
            clock.SetCumulVarSoftUpperBound(index, stop.deadline_s, coefficient)

    if any(stop.emergency for stop in stops):
        ordinary = [0 if stop.emergency else 1 for stop in stops] + [0] * (2 * crews)
        count_cb = routing.RegisterUnaryTransitVector(ordinary)
        routing.AddDimension(count_cb, 0, size, True, "ordinary_before")
        before = routing.GetDimensionOrDie("ordinary_before")
        for node, stop in enumerate(stops):
            if stop.emergency:
                before.CumulVar(manager.NodeToIndex(node)).SetRange(0, 0)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FIRST_SOLUTION
    params.local_search_metaheuristic = GLS
    limit = max(MIN_SEARCH_S, limit_s or problem.time_limit_s)
    params.time_limit.FromMilliseconds(round(limit * 1000))
    routing.CloseModelWithParameters(params)
    start = None
    if initial is not None:
        position = {i: manager.NodeToIndex(k) for k, i in enumerate(free)}
        routes = [[position[i] for i in order] for order in initial]
        start = routing.ReadAssignmentFromRoutes(routes, True)  # None if it breaks a rule
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        raise RuntimeError(f"OR-Tools found no solution (status {routing.status()})")
    orders = []
    for vehicle in range(crews):
        order = []
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            order.append(free[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        orders.append(order)
    return orders
