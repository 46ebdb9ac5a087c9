"""The multilevel search behind the "distance" objective (routing.pyvrp_model): pure, no I/O.

On the demo city's one-way streets a stop's nearest next stop is 44 m away on average but
the way back 138 m, and PyVRP's moves (a stop or two at a time) leave a search in the basin
it first falls into: which crews work, which area each covers, in which direction. Ten 60 s
searches of one 500-stop round ended between 25.0 and 27.3 km. So the search also works on
coarser copies of the problem, where a "client" is a chain of stops served one after the
other, and a move shifts whole chains:
- coarsening: a stop is chained to the next one when each is the other's nearest (leaving
  the first, reaching the second); again on the chains, down to about MIN_CLIENTS;
- a V-cycle: the coarsest copy is solved from scratch, and each finer one starts from the
  coarser answer spread out into its own chains;
- one V-cycle per choice of working crews (all; or one fewer of each kind), because which
  crews work is a basin the search does not leave; the best of them goes on to
- further V-cycles, coarsened this time only along the best routes so far (chains are
  pieces of those routes), so each coarse search starts from them and moves whole pieces.
Every step checks the deadline before it starts: a PyVRP solve pays its setup and first
local search (about 0.2 ms per client) before it looks at its stopping criterion.
"""

import itertools
from time import perf_counter

import numpy as np
import pyvrp
from pyvrp import Client, CostEvaluator, Location, ProblemData, Route, Solution

MIN_CLIENTS = 60  # coarsening stops at about this many chains
MIN_SHRINK = 0.9  # ... or when a step keeps more than this share of them
CREWS_SHARE = 0.4  # of the time, for the first V-cycles (one per choice of working crews)
FINE_SHARE = 0.6  # of a V-cycle's time, for the problem itself (the rest: coarser copies)
CYCLES = 4  # V-cycles along the best routes, after the first ones
# Seconds per client a first V-cycle needs to be worth more than its setup: the solves of a
# V-cycle with no time at all take about 0.4 ms per client (demo city, 160-470 clients, the
# finest level about half of it), so this leaves it a few times that to search.
V_CYCLE_S_PER_CLIENT = 0.001

Routes = list[tuple[int, list[int]]]  # per working vehicle: its index, its clients in order
Chains = list[list[int]]  # a level: its clients, each a chain of the problem's clients
Level = tuple[Chains, ProblemData]  # the chains and the problem with each chain as a client


class Deadline:
    """PyVRP stopping criterion: stop at a perf_counter() time."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self, best_cost: float) -> bool:
        return perf_counter() >= self.at


def multilevel(data: ProblemData, choices: list[list[int]], seed: int, end: float) -> Solution:
    """Search `data` until perf_counter() reaches `end` (see the module docstring); when the
    time is too short for a V-cycle per crew choice, one plain search instead."""
    if not worth_levels(data.num_clients, len(choices), end - perf_counter()):
        return solve_until(data, None, seed, end)
    seeds = iter(range(seed * 1000, seed * 1000 + 1000))
    coarse = coarsen(data, None)  # once: every crew choice starts from the same levels
    share = (end - perf_counter()) * CREWS_SHARE / len(choices)
    best: Solution | None = None
    for choice in choices:
        if best is not None and perf_counter() >= end:
            return best
        found = v_cycle(data, coarse, None, choice, next(seeds), perf_counter() + share)
        if best is None or rank(found) < rank(best):
            best = found
    assert best is not None
    for k in range(CYCLES):
        now = perf_counter()
        if now >= end:
            break
        routes = routes_of(best)
        stop = now + (end - now) / (CYCLES - k)
        again = v_cycle(data, coarsen(data, routes), routes, None, next(seeds), stop)
        if rank(again) <= rank(best):
            best = again
    return best


def worth_levels(clients: int, choices: int, budget_s: float) -> bool:
    """Tell whether `budget_s` gives each crew choice's V-cycle time to search."""
    return budget_s * CREWS_SHARE / choices >= clients * V_CYCLE_S_PER_CLIENT


def coarsen(data: ProblemData, along: Routes | None) -> list[Level]:
    """Return the levels (`levels`), finest first, each with its contracted problem."""
    chain_levels = levels(data, along)
    return [(chain_levels[0], data)] + [
        (chains, contract(data, chains)) for chains in chain_levels[1:]
    ]


def levels(data: ProblemData, along: Routes | None) -> list[Chains]:
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
    coarse: list[Level],
    start: Routes | None,
    crews: list[int] | None,
    seed: int,
    end: float,
) -> Solution:
    """Solve the coarsest level (from `start`, or from scratch with only the vehicles
    `crews`), then each finer one from the coarser answer; the finest gets FINE_SHARE of the
    time, the coarser ones share the rest. Past `end`, the coarser answer spread out is the
    answer: the coarsest level is always solved, so there is one."""
    per_level_s = (end - perf_counter()) * (1 - FINE_SHARE) / max(1, len(coarse) - 1)
    routes = start
    for depth in range(len(coarse) - 1, -1, -1):
        if routes is not None and perf_counter() >= end:
            break
        chains, level = coarse[depth]
        stop = end if depth == 0 else perf_counter() + per_level_s
        vehicles = list(range(data.num_vehicle_types))
        initial = None
        if routes is not None:
            initial = solution_of(level, _in_chains(routes, chains))
        elif crews is not None and crews != vehicles:
            vehicles = crews
            level = level.replace(vehicle_types=[level.vehicle_type(v) for v in crews])
        found = solve_until(level, initial, seed, stop)
        routes = [
            (vehicles[vehicle], [client for k in order for client in chains[k]])
            for vehicle, order in routes_of(found)
        ]
    assert routes is not None
    return solution_of(data, routes)


def contract(data: ProblemData, chains: Chains) -> ProblemData:
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
    distance_m = distance[np.ix_(rows, columns)] + inside_m[:, None]
    duration_s = duration[np.ix_(rows, columns)] + inside_s[:, None]
    np.fill_diagonal(distance_m, 0)
    np.fill_diagonal(duration_s, 0)
    return ProblemData(
        locations=[Location(0, 0) for _ in rows],
        clients=merged,
        depots=data.depots(),
        vehicle_types=data.vehicle_types(),
        distance_matrices=[distance_m],  # type: ignore[list-item]
        duration_matrices=[duration_s],  # type: ignore[list-item]
    )


def _in_chains(routes: Routes, chains: Chains) -> Routes:
    """Return routes of clients as routes of chains (every chain lies whole in one route)."""
    head = {chain[0]: j for j, chain in enumerate(chains)}
    return [(vehicle, [head[k] for k in visits if k in head]) for vehicle, visits in routes]


def solve_until(data: ProblemData, initial: Solution | None, seed: int, end: float) -> Solution:
    """One PyVRP search of `data` (from `initial`, if any) until perf_counter() reaches `end`."""
    return pyvrp.solve(
        data,
        stop=Deadline(end),
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
    ).best


def routes_of(solution: Solution) -> Routes:
    """Return the solution's routes: per working vehicle, its index and its clients in order."""
    return [
        (route.vehicle_type(), [a.idx for a in route if a.is_client()])
        for route in solution.routes()
    ]


def solution_of(data: ProblemData, routes: Routes) -> Solution:
    """Return the solution of `data` with these routes (PyVRP raises RuntimeError on a client
    or a vehicle used twice, ValueError on a client out of range)."""
    return Solution(data, [Route(data, visits, vehicle) for vehicle, visits in routes])


def rank(solution: Solution) -> tuple[bool, float]:
    """Order solutions best first: complete before incomplete (penalised_cost does not count
    a required client left out), then by cost."""
    return not solution.is_complete(), CostEvaluator([], 1, 1).penalised_cost(solution)
