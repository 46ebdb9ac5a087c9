"""The "distance" objective as a PyVRP model: the search behind routing.solve for pure routes.

PyVRP finds shorter routes than OR-Tools in the same time (README.md, "Benchmark"), but has
no way to say "this stop comes first", so emergencies are placed first: OR-Tools orders the
emergencies alone, earliest arrivals first (routing.ortools_model.emergency_runs), and PyVRP
routes the rest from where each crew is after its emergencies.

Costs: metres driven; an optional stop left out loses its prize (weight x 100 km, so the
stops kept are the most valuable ones that fit); overtime costs more per second than any
prize and than 10 km of driving, so only mandatory stops ever cause it, and as little as they
must.

How the search runs (`multilevel`). On the demo city's one-way streets a stop's nearest
next stop is 44 m away on average but the way back 138 m, and PyVRP's moves (a stop or two
at a time) leave a search in the basin it first falls into: which crews work, which area
each covers, in which direction. Ten 60 s searches of one 500-stop round ended between
25.0 and 27.3 km. So the search also works on coarser copies of the problem, where a
"client" is a chain of stops served one after the other, and a move shifts whole chains:
- coarsening: a stop is chained to the next one when each is the other's nearest (leaving
  the first, reaching the second); again on the chains, down to about MIN_CLIENTS;
- a V-cycle: the coarsest copy is solved from scratch, and each finer one starts from the
  coarser answer spread out into its own chains;
- one V-cycle per choice of working crews (all; or one fewer of each kind), because which
  crews work is a basin the search does not leave; the best of them goes on to
- further V-cycles, coarsened this time only along the best routes so far (chains are
  pieces of those routes), so each coarse search starts from them and moves whole pieces.
With two processors, a second process runs the same search with another seed and the
better plan is kept (bench/routing.py, README.md "Crew routes").
"""

import itertools
import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from importlib.metadata import version
from multiprocessing.connection import Connection

import numpy as np
import pyvrp
from pyvrp import Client, CostEvaluator, Depot, Location, ProblemData, Route, Solution, VehicleType

from routing.baseline import urgent_first
from routing.ortools_model import (
    MIN_SEARCH_S,
    OVERTIME_COST,
    SCALE,
    emergency_runs,
    left_out_penalty,
)
from routing.solve import Leg, Problem, Search

# PyVRP adds a handler of its own on import: its records go through settings.LOGGING's
# handlers instead, which mask personal data (privacy/logging.py).
logging.getLogger("pyvrp").handlers.clear()
logger = logging.getLogger(__name__)

SOLVER_NAME = f"pyvrp {version('pyvrp')}"
EMERGENCY_SHARE = 0.1  # of the time limit, for ordering the emergencies
ASSEMBLY_S = 0.05  # kept from the time limit to time the plan
MIN_CLIENTS = 60  # coarsening stops at about this many chains
MIN_SHRINK = 0.9  # ... or when a step keeps more than this share of them
CREWS_SHARE = 0.4  # of the time, for the first V-cycles (one per choice of working crews)
FINE_SHARE = 0.6  # of a V-cycle's time, for the problem itself (the rest: coarser copies)
CYCLES = 4  # V-cycles along the best routes, after the first ones
HELPER_MIN_S = 2.0  # below this, a second process would spend too much of it starting
HELPER_SLACK_S = 0.05  # the second process stops this much earlier, to hand its plan over

Routes = list[tuple[int, list[int]]]  # per working vehicle: its index, its clients in order


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
        best = pyvrp.solve(
            data,
            stop=Deadline(end),
            seed=problem.seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
        ).best
    else:
        best, processes = best_of_processes(data, crew_choices(legs), problem.seed, end)
    routes = _visits(best, crews)
    return [[i for k in route for i in groups[k]] for route in routes], processes


class Deadline:
    """PyVRP stopping criterion: stop at a perf_counter() time."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self, best_cost: float) -> bool:
        return time.perf_counter() >= self.at


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


def best_of_processes(
    data: ProblemData, choices: list[list[int]], seed: int, end: float
) -> tuple[Solution, int]:
    """Run `multilevel` here and, when a second processor and the time allow it, in a second
    process with another seed; return the shorter plan and the number of processes used."""
    helper = Helper.start(data, choices, 2 * seed + 1, end)
    best = multilevel(data, choices, 2 * seed, end)
    if helper is None:
        return best, 1
    routes = helper.result()
    if routes is not None:
        other = Solution(data, [Route(data, visits, vehicle) for vehicle, visits in routes])
        if _cost(other) < _cost(best):
            best = other
    return best, 2


def multilevel(data: ProblemData, choices: list[list[int]], seed: int, end: float) -> Solution:
    """Search `data` until perf_counter() reaches `end` (see the module docstring)."""
    seeds = iter(range(seed * 1000, seed * 1000 + 1000))
    started = time.perf_counter()
    coarse = levels(data, None)
    share = (end - started) * CREWS_SHARE / len(choices)
    firsts = [
        v_cycle(data, coarse, None, choice, next(seeds), time.perf_counter() + share)
        for choice in choices
    ]
    best = min(firsts, key=_cost)
    for k in range(CYCLES):
        now = time.perf_counter()
        stop = now + (end - now) / (CYCLES - k)
        routes = _routes(best)
        again = v_cycle(data, levels(data, routes), routes, None, next(seeds), stop)
        if _cost(again) <= _cost(best):
            best = again
    return best


def levels(data: ProblemData, along: Routes | None) -> list[list[list[int]]]:
    """Return the coarsening levels, finest first: each a list of chains of clients.

    A chain is linked to the next when each is the other's nearest (from the first's last
    stop to the second's first stop); with `along`, only chains that follow each other in
    those routes are linked. Only required clients are chained: an optional one is kept or
    left out alone.
    """
    distance = data.distance_matrix(0)
    clients = data.clients()
    chains = [[k] for k in range(data.num_clients)]
    result = [chains]
    while len(chains) > MIN_CLIENTS:
        last = [clients[chain[-1]].location for chain in chains]
        first = [clients[chain[0]].location for chain in chains]
        link = distance[np.ix_(last, first)].astype(np.float64)
        np.fill_diagonal(link, np.inf)
        optional = [k for k, chain in enumerate(chains) if not clients[chain[0]].required]
        link[optional, :] = np.inf
        link[:, optional] = np.inf
        after, before = link.argmin(axis=1), link.argmin(axis=0)
        arcs = [
            (a, int(b)) for a, b in enumerate(after) if before[b] == a and np.isfinite(link[a, b])
        ]
        if along is not None:
            follows = {
                pair for _, order in _in_chains(along, chains) for pair in itertools.pairwise(order)
            }
            arcs = [arc for arc in arcs if arc in follows]
        linked = [
            [client for k in path for client in chains[k]]
            for path in _paths(len(chains), arcs, link)
        ]
        if len(linked) > MIN_SHRINK * len(chains):
            break
        chains = linked
        result.append(chains)
    return result


def _paths(count: int, arcs: list[tuple[int, int]], cost: np.ndarray) -> list[list[int]]:
    """Join `count` items by arcs (each item has at most one arc out and one in) into paths;
    a cycle is opened at its costliest arc."""
    after = dict(arcs)
    has_before = set(after.values())
    paths, seen = [], set()
    for k in range(count):
        if k not in has_before:
            path = [k]
            while path[-1] in after:
                path.append(after[path[-1]])
            paths.append(path)
            seen.update(path)
    for k in range(count):  # what is left lies on cycles
        if k in seen:
            continue
        cycle = [k]
        while after[cycle[-1]] != k:
            cycle.append(after[cycle[-1]])
        cut = max(range(len(cycle)), key=lambda j: cost[cycle[j], cycle[(j + 1) % len(cycle)]])
        paths.append(cycle[cut + 1 :] + cycle[: cut + 1])
        seen.update(cycle)
    return paths


def v_cycle(
    data: ProblemData,
    chain_levels: list[list[list[int]]],
    start: Routes | None,
    crews: list[int] | None,
    seed: int,
    end: float,
) -> Solution:
    """Solve the coarsest level (from `start`, or from scratch with only the vehicles
    `crews`), then each finer one from the coarser answer; the finest gets FINE_SHARE of the
    time, the coarser ones share the rest."""
    coarse_s = (end - time.perf_counter()) * (1 - FINE_SHARE) / max(1, len(chain_levels) - 1)
    routes = start
    for depth in range(len(chain_levels) - 1, -1, -1):
        chains = chain_levels[depth]
        level = contract(data, chains) if depth else data
        stop = end if depth == 0 else time.perf_counter() + coarse_s
        vehicles = list(range(data.num_vehicle_types))
        initial = None
        if routes is not None:
            visits = _in_chains(routes, chains)
            initial = Solution(level, [Route(level, order, v) for v, order in visits])
        elif crews is not None and crews != vehicles:
            vehicles = crews
            level = level.replace(vehicle_types=[level.vehicle_type(v) for v in crews])
        found = pyvrp.solve(
            level,
            stop=Deadline(stop),
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
        ).best
        routes = [
            (vehicles[vehicle], [client for k in order for client in chains[k]])
            for vehicle, order in _routes(found)
        ]
    assert routes is not None
    return Solution(data, [Route(data, visits, vehicle) for vehicle, visits in routes])


def contract(data: ProblemData, chains: list[list[int]]) -> ProblemData:
    """Return `data` with each chain of clients as one client: arriving means arriving at its
    first stop, leaving means leaving its last, after serving and driving the whole chain."""
    depots = data.num_depots
    clients = data.clients()
    distance, duration = data.distance_matrix(0), data.duration_matrix(0)
    rows = list(range(depots)) + [clients[chain[-1]].location for chain in chains]
    columns = list(range(depots)) + [clients[chain[0]].location for chain in chains]
    inside_m = np.zeros(len(rows), dtype=np.int64)
    inside_s = np.zeros(len(rows), dtype=np.int64)
    merged = []
    for j, chain in enumerate(chains):
        places = [clients[k].location for k in chain]
        inside_m[depots + j] = distance[places[:-1], places[1:]].sum()
        inside_s[depots + j] = duration[places[:-1], places[1:]].sum()
        head = clients[chain[0]]
        merged.append(
            Client(
                location=depots + j,
                service_duration=sum(clients[k].service_duration for k in chain),
                prize=head.prize,
                required=head.required,
            )
        )
    coarse_m = distance[np.ix_(rows, columns)] + inside_m[:, None]
    coarse_s = duration[np.ix_(rows, columns)] + inside_s[:, None]
    np.fill_diagonal(coarse_m, 0)
    np.fill_diagonal(coarse_s, 0)
    return ProblemData(
        locations=[Location(0, 0) for _ in rows],
        clients=merged,
        depots=data.depots(),
        vehicle_types=data.vehicle_types(),
        distance_matrices=[coarse_m],  # type: ignore[list-item]
        duration_matrices=[coarse_s],  # type: ignore[list-item]
    )


def _in_chains(routes: Routes, chains: list[list[int]]) -> Routes:
    """Return routes of clients as routes of chains (every chain lies whole in one route)."""
    head = {chain[0]: j for j, chain in enumerate(chains)}
    return [(vehicle, [head[k] for k in visits if k in head]) for vehicle, visits in routes]


def _routes(solution: Solution) -> Routes:
    return [
        (route.vehicle_type(), [a.idx for a in route if a.is_client()])
        for route in solution.routes()
    ]


def _cost(solution: Solution) -> float:
    return CostEvaluator([], 1, 1).penalised_cost(solution)


class Helper:
    """`multilevel` in a second process (forkserver: fast after the first start, and safe in
    a process with threads), which stops a little before the first and sends its routes."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    @classmethod
    def start(
        cls, data: ProblemData, choices: list[list[int]], seed: int, end: float
    ) -> "Helper | None":
        """Start the helper, or return None when it is not worth it or not possible: one
        processor, too little time, or a daemonic process (a Celery prefork worker), which
        may not have children."""
        left = end - time.perf_counter()
        if left < HELPER_MIN_S or _processors() < 2 or multiprocessing.current_process().daemon:
            return None
        try:
            context = multiprocessing.get_context("forkserver")
        except ValueError:  # not on this platform
            return None
        # The server imports the main module and this one once (about 0.3 s); each helper is
        # then a fork of it, running within about 10 ms.
        context.set_forkserver_preload(["__main__", "routing.pyvrp_model"])
        receive, send = context.Pipe(duplex=False)
        wall_end = time.time() + left - HELPER_SLACK_S
        process = context.Process(
            target=_helper, args=(send, data, choices, seed, wall_end), daemon=True
        )
        try:
            process.start()
        except OSError:
            logger.warning("could not start a second routing process", exc_info=True)
            return None
        finally:
            send.close()
        return cls(process, receive)

    def result(self) -> Routes | None:
        """Return the helper's routes, or None if they are not there by its deadline."""
        routes = None
        try:
            if self.conn.poll(HELPER_SLACK_S):
                routes = self.conn.recv()
        except (EOFError, OSError):
            logger.warning("the second routing process ended without a plan")
        finally:
            self.conn.close()
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
        return routes


def _helper(
    conn: Connection, data: ProblemData, choices: list[list[int]], seed: int, wall_end: float
) -> None:
    end = time.perf_counter() + (wall_end - time.time())
    conn.send(_routes(multilevel(data, choices, seed, end)))
    conn.close()


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _visits(solution: Solution, crews: int) -> list[list[int]]:
    routes: list[list[int]] = [[] for _ in range(crews)]
    for route in solution.routes():
        routes[route.vehicle_type()] = [a.idx for a in route if a.is_client()]
    return routes


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
    routes, placed = [], set()
    for vehicle, order in enumerate(start):
        visits = []  # a group goes where its first stop was dispatched
        for i in order:
            if client[i] not in placed:
                placed.add(client[i])
                visits.append(client[i])
        if visits:
            routes.append(Route(data, visits, vehicle))
    return Solution(data, routes)
