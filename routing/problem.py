"""The JSON problem of `manage.py plan_route`: parse and check it, build a Problem, write a Plan.

Pure: no database. Stops and depots are given either as coordinates, snapped to a road graph
read from an OSM extract (or to straight lines when "network" is null), or as indexes into an
explicit "matrix". Every error names the offending field, e.g. `stops[3].lat: must be a
number between -90 and 90`. The schema, with an example, is in README.md ("Crew routes").
"""

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo.osm import ExtractError
from routing.graph import (
    STRAIGHT_LINE_CIRCUITY,
    STRAIGHT_LINE_NOTE,
    STRAIGHT_LINE_SPEED_KMH,
    GraphError,
    RoadGraph,
    load_graph,
    straight_line_matrices,
)
from routing.solve import OBJECTIVES, Crew, Plan, Problem, ProblemError, Stop

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_NETWORK = PROJECT_ROOT / "fixtures" / "osm" / "helsinki.osm.pbf"
MAX_TIME_LIMIT_S = 60.0
DEFAULT_TIME_LIMIT_S = 2.0
FAR_FROM_ROAD_M = 250.0  # farther than this from any junction: probably off the extract
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass
class Context:
    """What the JSON writer needs besides the Plan: positions, network kind, notes."""

    network: str  # "road", "straight_line" or "matrix"
    stop_points: list[tuple[float, float] | None]  # (lat, lon) as given, per stop
    stop_nodes: list[int]
    depot_nodes: list[int]
    notes: list[str] = field(default_factory=list)
    graph: RoadGraph | None = None
    graph_nodes: list[int] = field(default_factory=list)  # matrix node -> graph node
    has_distance: bool = True
    geometry: bool = False


def load_problem(data: Any) -> tuple[Problem, Context]:
    """Check a decoded JSON problem and build the solver's Problem; raise ProblemError."""
    root = _object(data, "problem")
    objective = root.get("objective", "urgency")
    if objective not in OBJECTIVES:
        raise ProblemError(f"objective: must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    time_limit = _number(root.get("time_limit_s", DEFAULT_TIME_LIMIT_S), "time_limit_s")
    if not 0 < time_limit <= MAX_TIME_LIMIT_S:
        raise ProblemError(f"time_limit_s: must be more than 0 and at most {MAX_TIME_LIMIT_S:g}")
    seed = _integer(root.get("seed", 0), "seed")
    geometry = _boolean(root.get("geometry", False), "geometry")
    crews_in = _list(root.get("crews"), "crews")
    stops_in = _list(root.get("stops"), "stops")
    if not crews_in:
        raise ProblemError("crews: at least one crew is needed")
    with_matrix = "matrix" in root
    crews, depots = zip(
        *(_crew(c, f"crews[{i}]", with_matrix) for i, c in enumerate(crews_in)), strict=False
    )
    parsed = [_stop(s, f"stops[{i}]", with_matrix) for i, s in enumerate(stops_in)]
    stops = [stop for stop, _ in parsed]
    places = [place for _, place in parsed]
    _unique_ids([c["id"] for c in crews], "crews")
    _unique_ids([s.id for s in stops], "stops")
    if with_matrix:
        problem_nodes, context = _from_matrix(root, places, list(depots))
    else:
        problem_nodes, context = _from_coordinates(root, places, list(depots))
    duration, distance, stop_nodes, depot_nodes = problem_nodes
    context.geometry = geometry
    problem = Problem(
        stops=stops,
        stop_nodes=stop_nodes,
        crews=[
            Crew(c["id"], node, c["start_s"], c["end_s"])
            for c, node in zip(crews, depot_nodes, strict=True)
        ],
        duration_s=duration,
        distance_m=distance,
        objective=objective,
        time_limit_s=time_limit,
        seed=seed,
        fixed_prefix=_prefix(root.get("fixed_prefix", {})),
        now_s=_time(root["now"], "now") if root.get("now") is not None else None,
    )
    return problem, context


def plan_to_json(plan: Plan, problem: Problem, context: Context) -> dict[str, Any]:
    """Return the plan as the JSON document the command writes."""
    stops = {stop.id: (stop, i) for i, stop in enumerate(problem.stops)}
    routes = []
    for route, crew in zip(plan.routes, problem.crews, strict=True):
        visits = []
        for visit in route.visits:
            stop, i = stops[visit.stop_id]
            item: dict[str, Any] = {
                "id": visit.stop_id,
                "arrival": clock(visit.arrival_s),
                "arrival_s": visit.arrival_s,
                "departure_s": visit.departure_s,
                "late_s": visit.late_s,
            }
            point = context.stop_points[i]
            if point is not None:
                item["lat"], item["lon"] = point
            if stop.emergency:
                item["emergency"] = True
            visits.append(item)
        entry: dict[str, Any] = {
            "crew": route.crew_id,
            "stops": visits,
            "distance_m": route.distance_m if context.has_distance else None,
            "driving_s": route.duration_s,
            "start": clock(crew.start_s),
            "end": clock(route.end_s),
            "end_s": route.end_s,
        }
        if context.geometry and context.graph is not None and route.visits:
            entry["geometry"] = _route_geometry(route, crew, problem, context)
        routes.append(entry)
    return {
        "objective": problem.objective,
        "network": context.network,
        "solver": plan.solver,
        "solve_s": plan.solve_s,
        "objective_value": plan.objective_value,
        "weighted_lateness": plan.weighted_lateness,
        "totals": {
            "stops_served": sum(len(route.visits) for route in plan.routes),
            "stops_left_out": len(plan.left_out),
            "distance_m": sum(r.distance_m for r in plan.routes) if context.has_distance else None,
            "driving_s": sum(route.duration_s for route in plan.routes),
            "late_stops": sum(1 for r in plan.routes for v in r.visits if v.late_s > 0),
        },
        "routes": routes,
        "left_out": [{"id": item.stop_id, "reason": item.reason} for item in plan.left_out],
        "notes": [*context.notes, *plan.notes],
    }


def clock(seconds: int) -> str:
    """Format seconds from today's midnight as HH:MM, with a day offset outside today."""
    days, rest = divmod(int(seconds), 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return text if days == 0 else f"{text} ({days:+d}d)"


def _from_matrix(
    root: dict[str, Any], places: list[int | tuple[float, float]], depots: list[Any]
) -> tuple[tuple[np.ndarray, np.ndarray, list[int], list[int]], Context]:
    duration = _square(root["matrix"], "matrix")
    notes = []
    if root.get("distance_matrix") is not None:
        distance = _square(root["distance_matrix"], "distance_matrix")
        if distance.shape != duration.shape:
            raise ProblemError("distance_matrix: must have the same size as matrix")
        has_distance = True
    else:
        distance, has_distance = duration, False
        notes.append("No distance_matrix: the distance objective minimises driving seconds.")
    size = duration.shape[0]
    for path, node in [
        *((f"stops[{i}].node", n) for i, n in enumerate(places)),
        *((f"crews[{i}].depot", n) for i, n in enumerate(depots)),
    ]:
        if not isinstance(node, int) or not 0 <= node < size:
            raise ProblemError(f"{path}: must be a matrix index from 0 to {size - 1}")
    stop_nodes = [int(n) for n in places]  # type: ignore[arg-type]
    depot_nodes = [int(n) for n in depots]
    context = Context("matrix", [None] * len(places), stop_nodes, depot_nodes, notes)
    context.has_distance = has_distance
    return (duration, distance, stop_nodes, depot_nodes), context


def _from_coordinates(
    root: dict[str, Any], places: list[int | tuple[float, float]], depots: list[Any]
) -> tuple[tuple[np.ndarray, np.ndarray, list[int], list[int]], Context]:
    points: list[tuple[float, float]] = [*places, *depots]  # type: ignore[list-item]
    network = root.get("network", str(DEMO_NETWORK))
    n_stops = len(places)
    stop_points: list[tuple[float, float] | None] = list(points[:n_stops])
    own = list(range(len(points)))
    if network is None:
        duration, distance = straight_line_matrices(points)
        note = STRAIGHT_LINE_NOTE.format(
            circuity=STRAIGHT_LINE_CIRCUITY, speed=STRAIGHT_LINE_SPEED_KMH
        )
        context = Context("straight_line", stop_points, own[:n_stops], own[n_stops:], [note])
        return (duration, distance, own[:n_stops], own[n_stops:]), context
    if not isinstance(network, str) or not network:
        raise ProblemError("network: must be the path of an .osm.pbf file, or null")
    path = _network_path(network)
    if not path.is_file():
        raise ProblemError(f"network: no such file {network!r}")
    try:
        graph = load_graph(path)
    except (ExtractError, GraphError) as exc:
        raise ProblemError(f"network: {exc}") from exc
    graph_nodes, snapped_m = graph.snap(points)
    duration, distance = graph.matrices(graph_nodes)
    notes = []
    labels = [f"stop {p}" for p in _ids(root, "stops")] + [
        f"depot of crew {c}" for c in _ids(root, "crews")
    ]
    for label, metres in zip(labels, snapped_m, strict=False):
        if metres > FAR_FROM_ROAD_M:
            notes.append(f"{label} is {round(metres)} m from the nearest junction of the network")
    context = Context("road", stop_points, own[:n_stops], own[n_stops:], notes, graph, graph_nodes)
    return (duration, distance, own[:n_stops], own[n_stops:]), context


def _network_path(network: str) -> Path:
    path = Path(network)
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def _route_geometry(
    route: Any, crew: Crew, problem: Problem, context: Context
) -> list[list[float]]:
    assert context.graph is not None
    index = {stop.id: i for i, stop in enumerate(problem.stops)}
    matrix_nodes = [crew.depot, *(problem.stop_nodes[index[v.stop_id]] for v in route.visits)]
    matrix_nodes.append(crew.depot)
    coords: list[list[float]] = []
    for a, b in itertools.pairwise(matrix_nodes):
        u, v = context.graph_nodes[a], context.graph_nodes[b]
        if u == v:
            continue
        leg = context.graph.path(u, v)
        coords.extend([round(lon, 6), round(lat, 6)] for lon, lat in leg[1 if coords else 0 :])
    return coords


def _ids(root: dict[str, Any], key: str) -> list[str]:
    return [str(item.get("id")) for item in root.get(key, []) if isinstance(item, dict)]


def _crew(data: Any, path: str, with_matrix: bool) -> tuple[dict[str, Any], Any]:
    item = _object(data, path)
    start = _time(_required(item, "shift_start", path), f"{path}.shift_start")
    end = _time(_required(item, "shift_end", path), f"{path}.shift_end")
    if end <= start:
        raise ProblemError(f"{path}.shift_end: must be after shift_start")
    crew = {"id": _id(item.get("id"), f"{path}.id"), "start_s": start, "end_s": end}
    depot = _required(item, "depot", path)
    if with_matrix:
        return crew, depot
    return crew, _point(depot, f"{path}.depot")


def _stop(data: Any, path: str, with_matrix: bool) -> tuple[Stop, Any]:
    item = _object(data, path)
    service = _integer(item.get("service_s", 0), f"{path}.service_s")
    weight = _number(item.get("weight", 1), f"{path}.weight")
    if service < 0:
        raise ProblemError(f"{path}.service_s: must not be negative")
    if weight < 0:
        raise ProblemError(f"{path}.weight: must not be negative")
    deadline = item.get("deadline")
    stop = Stop(
        id=_id(item.get("id"), f"{path}.id"),
        service_s=service,
        weight=weight,
        deadline_s=_time(deadline, f"{path}.deadline") if deadline is not None else None,
        mandatory=_boolean(item.get("mandatory", False), f"{path}.mandatory"),
        emergency=_boolean(item.get("emergency", False), f"{path}.emergency"),
    )
    if with_matrix:
        if "node" not in item:
            raise ProblemError(f"{path}.node: required when the problem gives a matrix")
        return stop, item["node"]
    if "node" in item:
        raise ProblemError(f"{path}.node: only allowed with a matrix; give lat and lon")
    return stop, _point(item, path)


def _prefix(data: Any) -> dict[str, list[str]]:
    prefix = _object(data, "fixed_prefix")
    return {
        str(crew): [
            _id(s, f"fixed_prefix.{crew}[{i}]")
            for i, s in enumerate(_list(ids, f"fixed_prefix.{crew}"))
        ]
        for crew, ids in prefix.items()
    }


def _point(item: Any, path: str) -> tuple[float, float]:
    obj = _object(item, path)
    lat = _number(_required(obj, "lat", path), f"{path}.lat")
    lon = _number(_required(obj, "lon", path), f"{path}.lon")
    if not -90 <= lat <= 90:
        raise ProblemError(f"{path}.lat: must be a number between -90 and 90")
    if not -180 <= lon <= 180:
        raise ProblemError(f"{path}.lon: must be a number between -180 and 180")
    return lat, lon


def _time(value: Any, path: str) -> int:
    """Seconds from today's midnight: an integer, or "HH:MM[:SS]" today."""
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if not match or int(match.group(1)) > 47 or int(match.group(2)) > 59:
            raise ProblemError(f'{path}: must be "HH:MM" or seconds from midnight, not {value!r}')
        h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        return h * 3600 + m * 60 + s
    return _integer(value, path)


def _square(value: Any, path: str) -> np.ndarray:
    rows = _list(value, path)
    if not rows:
        raise ProblemError(f"{path}: must not be empty")
    for i, row in enumerate(rows):
        cells = _list(row, f"{path}[{i}]")
        if len(cells) != len(rows):
            raise ProblemError(f"{path}[{i}]: must have {len(rows)} numbers (a square matrix)")
        for j, cell in enumerate(cells):
            number = _number(cell, f"{path}[{i}][{j}]")
            if number < 0:
                raise ProblemError(f"{path}[{i}][{j}]: must not be negative")
    return np.rint(np.asarray(rows, dtype=np.float64)).astype(np.int64)


def _unique_ids(ids: list[str], path: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ProblemError(f"{path}[{i}].id: {item!r} is used twice")
        seen.add(item)


def _required(obj: dict[str, Any], key: str, path: str) -> Any:
    if obj.get(key) is None:
        raise ProblemError(f"{path}.{key}: required")
    return obj[key]


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(f"{path}: must be an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(f"{path}: must be a list")
    return value


def _id(value: Any, path: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(f"{path}: must be a non-empty string")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProblemError(f"{path}: must be a number")
    return float(value)


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{path}: must be an integer")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"{path}: must be true or false")
    return value
