"""Crew routes from a travel matrix: which stops each crew visits, in which order, and when.

Pure: matrices in, ordered stops out; no database, no Django. Times are seconds (from
midnight, or any common origin), distances metres, matrices indexed by "node" (a row of the
travel matrices: a depot or a stop's location; several stops may share one).

The rules, whatever the objective:
- An emergency is mandatory and comes before every non-emergency stop of its route (after the
  crew's fixed prefix, when it has one).
- A mandatory stop is never left out. When the shifts cannot hold every mandatory stop, the
  routes run past the shift end and the plan says so in `notes` (a coordinator reassigns or
  approves overtime; an emergency silently postponed to tomorrow is worse).
- An optional stop is left out, with the reason "does not fit in today's shifts", only when
  the shifts are full; the solver then keeps the stops worth the most (weight) for the day.
- `fixed_prefix` keeps the stops a crew has already visited or is serving, in that order, at
  the head of its route: re-planning during the day (see `insert_emergency`) reorders only
  what is still ahead.

Objectives: "distance" minimises the metres driven (deadlines do not change the order; weights
only choose what is left out); "urgency" minimises seconds driven plus the weighted lateness,
priced so that a stop of weight w reached an hour after its deadline costs as much as w
minutes of driving (LATENESS_PER_WEIGHT). A stop left out costs what a day of lateness would,
plus the lateness it will have when served tomorrow morning, so overdue work is not dropped
just because serving it today shows how late it is.

Two libraries search, each where it measured best (README.md, "Crew routes"): OR-Tools
for "urgency" (routing/ortools_model.py), which models weighted lateness exactly with soft
upper bounds on arrival times, and PyVRP for "distance" (routing/pyvrp_model.py), which finds
shorter routes in the same time but cannot model lateness.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

Objective = Literal["distance", "urgency"]
OBJECTIVES: tuple[Objective, ...] = ("distance", "urgency")
# Seconds of driving that one second of lateness of a weight-1 stop is worth: an hour late at
# weight w = w minutes of driving. Measured on bench/routing.py: at 1 (an hour late = w hours
# of driving) the planner zigzags after deadlines and drives more than dispatching by hand.
LATENESS_PER_WEIGHT = 1 / 60
LEFT_OUT_REASON = "does not fit in today's shifts"


class ProblemError(ValueError):
    """The problem is inconsistent: sizes, indexes, ids or times do not fit together."""


@dataclass(frozen=True)
class Stop:
    """A place to serve. `weight`: an hour late costs `weight` minutes of driving ("urgency"),
    and the stops of least weight are the first left for tomorrow (both objectives)."""

    id: str
    service_s: int = 0
    weight: float = 1.0
    deadline_s: int | None = None
    mandatory: bool = False
    emergency: bool = False  # implies mandatory

    @property
    def required(self) -> bool:
        return self.mandatory or self.emergency


@dataclass(frozen=True)
class Crew:
    """A crew working from `start_s` to `end_s`, leaving from and returning to node `depot`."""

    id: str
    depot: int
    start_s: int
    end_s: int


@dataclass
class Problem:
    stops: Sequence[Stop]
    stop_nodes: Sequence[int]  # the matrix node of each stop
    crews: Sequence[Crew]
    duration_s: Sequence[Sequence[int]] | np.ndarray  # [from][to], seconds
    distance_m: Sequence[Sequence[int]] | np.ndarray  # [from][to], metres
    objective: Objective = "urgency"
    time_limit_s: float = 1.0
    seed: int = 0
    # Per crew id, the stops already visited or under way, in order: they stay first.
    fixed_prefix: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # During the day: no stop outside a fixed prefix starts before this time.
    now_s: int | None = None


@dataclass(frozen=True)
class Visit:
    stop_id: str
    arrival_s: int
    departure_s: int
    late_s: int  # seconds past the deadline at arrival, 0 when on time or without deadline


@dataclass(frozen=True)
class Route:
    crew_id: str
    visits: list[Visit]
    distance_m: int  # driven, depot to depot
    duration_s: int  # driving time, depot to depot (service time excluded)
    end_s: int  # back at the depot


@dataclass(frozen=True)
class LeftOut:
    stop_id: str
    reason: str


@dataclass(frozen=True)
class Plan:
    routes: list[Route]
    left_out: list[LeftOut]
    # "distance": metres; "urgency": driving s + weighted_lateness x LATENESS_PER_WEIGHT
    objective_value: int
    solver: str
    solve_s: float
    weighted_lateness: float  # sum of weight x late_s over the visits (weight-seconds)
    notes: list[str]


@dataclass(frozen=True)
class Leg:
    """What the search sees of one crew: where and when it starts, where and by when it ends."""

    start_node: int
    start_s: int
    end_node: int
    end_s: int


@dataclass(frozen=True)
class Search:
    """The part of a problem left to the solver library, once fixed prefixes are applied."""

    free: list[int]  # indexes into problem.stops
    legs: list[Leg]  # one per crew, in problem.crews order


def solve(problem: Problem) -> Plan:
    """Plan the crews' routes within `problem.time_limit_s`.

    Raises ProblemError when the problem is inconsistent (sizes, indexes, ids, times).
    """
    # The solver modules import this one for its dataclasses: import them when needed.
    from routing import ortools_model, pyvrp_model

    started = time.perf_counter()
    duration, distance = validate(problem)
    search = prepare(problem, duration)
    orders: list[list[int]] = [[] for _ in problem.crews]
    solver = "none (no stop to plan)"
    if search.free and problem.objective == "urgency":
        orders = ortools_model.search_routes(problem, search, duration, distance)
        solver = ortools_model.SOLVER_NAME
    elif search.free:
        orders, solver = pyvrp_model.search_routes(problem, search, duration, distance)
    plan = assemble(problem, search, orders, duration, distance)
    return replace(plan, solver=solver, solve_s=round(time.perf_counter() - started, 3))


def insert_emergency(plan: Plan, problem: Problem, stop: Stop, node: int, now_s: int) -> Plan:
    """Re-plan at `now_s` with a new emergency at matrix node `node`.

    Visits the current plan reaches by `now_s` (done or under way) stay first in their
    routes; everything after them, the new emergency included, is planned again. The
    problem's matrices must already hold `node`.
    """
    emergency = replace(stop, emergency=True, mandatory=True)
    return solve(
        replace(
            problem,
            stops=[*problem.stops, emergency],
            stop_nodes=[*problem.stop_nodes, node],
            fixed_prefix=visited_by(plan, now_s),
            now_s=now_s,
        )
    )


def visited_by(plan: Plan, now_s: int) -> dict[str, list[str]]:
    """Return, per crew, the stops of a plan whose arrival time is at or before `now_s`."""
    return {
        route.crew_id: [visit.stop_id for visit in route.visits if visit.arrival_s <= now_s]
        for route in plan.routes
    }


def validate(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Check the problem's consistency and return its matrices as int64 arrays."""
    duration = _matrix(problem.duration_s, "duration_s")
    distance = _matrix(problem.distance_m, "distance_m")
    if duration.shape != distance.shape:
        raise ProblemError("duration_s and distance_m must have the same size")
    size = duration.shape[0]
    if problem.objective not in OBJECTIVES:
        raise ProblemError(f"objective must be one of {', '.join(OBJECTIVES)}")
    if len(problem.stop_nodes) != len(problem.stops):
        raise ProblemError("stop_nodes must give one matrix node per stop")
    if not problem.crews:
        raise ProblemError("at least one crew is needed")
    if problem.time_limit_s <= 0:
        raise ProblemError("time_limit_s must be positive")
    _unique([stop.id for stop in problem.stops], "stop")
    _unique([crew.id for crew in problem.crews], "crew")
    for stop, node in zip(problem.stops, problem.stop_nodes, strict=True):
        if not 0 <= node < size:
            raise ProblemError(f"stop {stop.id}: node {node} is outside the matrix (0..{size - 1})")
        if stop.service_s < 0 or stop.weight < 0:
            raise ProblemError(f"stop {stop.id}: service_s and weight must not be negative")
    for crew in problem.crews:
        if not 0 <= crew.depot < size:
            raise ProblemError(f"crew {crew.id}: depot {crew.depot} is outside the matrix")
        if crew.end_s <= crew.start_s:
            raise ProblemError(f"crew {crew.id}: the shift must end after it starts")
    stop_ids = {stop.id for stop in problem.stops}
    crew_ids = {crew.id for crew in problem.crews}
    seen: set[str] = set()
    for crew_id, prefix in problem.fixed_prefix.items():
        if crew_id not in crew_ids:
            raise ProblemError(f"fixed_prefix: unknown crew {crew_id}")
        for stop_id in prefix:
            if stop_id not in stop_ids:
                raise ProblemError(f"fixed_prefix of crew {crew_id}: unknown stop {stop_id}")
            if stop_id in seen:
                raise ProblemError(f"fixed_prefix: stop {stop_id} appears twice")
            seen.add(stop_id)
    return duration, distance


def prepare(problem: Problem, duration: np.ndarray) -> Search:
    """Apply the fixed prefixes: each crew starts after its last fixed stop."""
    index = {stop.id: i for i, stop in enumerate(problem.stops)}
    fixed: set[int] = set()
    legs = []
    for crew in problem.crews:
        prefix = [index[stop_id] for stop_id in problem.fixed_prefix.get(crew.id, ())]
        fixed.update(prefix)
        node, clock = crew.depot, crew.start_s
        for i in prefix:
            clock += int(duration[node, problem.stop_nodes[i]]) + problem.stops[i].service_s
            node = problem.stop_nodes[i]
        if problem.now_s is not None:
            clock = max(clock, problem.now_s)
        legs.append(Leg(node, clock, crew.depot, crew.end_s))
    free = [i for i in range(len(problem.stops)) if i not in fixed]
    return Search(free=free, legs=legs)


def assemble(
    problem: Problem,
    search: Search,
    orders: Sequence[Sequence[int]],
    duration: np.ndarray,
    distance: np.ndarray,
) -> Plan:
    """Turn per-crew orders of free stops (indexes into problem.stops) into a timed Plan."""
    index = {stop.id: i for i, stop in enumerate(problem.stops)}
    routes, notes = [], []
    lateness = 0.0
    driven = 0
    by_id = {stop.id: stop for stop in problem.stops}
    for crew, order in zip(problem.crews, orders, strict=True):
        prefix = [index[stop_id] for stop_id in problem.fixed_prefix.get(crew.id, ())]
        route = schedule(problem, crew, prefix, list(order), duration, distance)
        routes.append(route)
        lateness += sum(by_id[v.stop_id].weight * v.late_s for v in route.visits)
        driven += route.distance_m if problem.objective == "distance" else route.duration_s
        if route.end_s > crew.end_s:
            notes.append(
                f"crew {crew.id}: the mandatory stops do not fit in the shift; the route ends "
                f"{_minutes(route.end_s - crew.end_s)} after the shift end"
            )
    served = {visit.stop_id for route in routes for visit in route.visits}
    left_out = [
        LeftOut(stop.id, LEFT_OUT_REASON) for stop in problem.stops if stop.id not in served
    ]
    missing = [stop.id for stop in problem.stops if stop.required and stop.id not in served]
    if missing:  # the solver should never do this; say it loudly rather than hide it
        notes.append(f"mandatory stops left out by the solver: {', '.join(missing)}")
    urgency = problem.objective == "urgency"
    value = driven + (round(lateness * LATENESS_PER_WEIGHT) if urgency else 0)
    return Plan(
        routes=routes,
        left_out=left_out,
        objective_value=int(value),
        solver="",
        solve_s=0.0,
        weighted_lateness=round(lateness, 1),
        notes=notes,
    )


def schedule(
    problem: Problem,
    crew: Crew,
    prefix: Sequence[int],
    order: Sequence[int],
    duration: np.ndarray,
    distance: np.ndarray,
) -> Route:
    """Time a crew's route: fixed prefix, then `order` (no waiting: no stop opens late)."""
    node, clock = crew.depot, crew.start_s
    metres = seconds = 0
    visits = []
    for position, i in enumerate([*prefix, *order]):
        stop, to = problem.stops[i], problem.stop_nodes[i]
        leg_s = int(duration[node, to])
        if position == len(prefix) and problem.now_s is not None:
            clock = max(clock, problem.now_s)
        arrival = clock + leg_s
        late = max(0, arrival - stop.deadline_s) if stop.deadline_s is not None else 0
        clock = arrival + stop.service_s
        visits.append(Visit(stop.id, arrival, clock, late))
        metres += int(distance[node, to])
        seconds += leg_s
        node = to
    if not order and problem.now_s is not None:
        clock = max(clock, problem.now_s)
    metres += int(distance[node, crew.depot])
    seconds += int(duration[node, crew.depot])
    end = clock + int(duration[node, crew.depot]) if visits else crew.start_s
    return Route(crew.id, visits, metres, seconds if visits else 0, end)


def _matrix(values: Sequence[Sequence[int]] | np.ndarray, name: str) -> np.ndarray:
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ProblemError(f"{name} must be a square matrix of numbers") from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ProblemError(f"{name} must be a non-empty square matrix")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise ProblemError(f"{name} must hold finite, non-negative numbers")
    return np.rint(matrix).astype(np.int64)


def _unique(ids: Sequence[str], kind: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ProblemError(f"{kind} id {item!r} appears twice")
        seen.add(item)


def _minutes(seconds: int) -> str:
    return f"{round(seconds / 60)} min"
