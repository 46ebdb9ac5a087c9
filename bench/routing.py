"""Benchmark crew routing on the demo city's road network: our planner against two baselines.

    .venv/bin/python bench/routing.py [--instances 50x1,200x2,500x4] [--seed N]
        [--time-limit 5] [--reference-s 60] [--seeds 3] [--weight-scale 1]
        [--out bench/results/routing.json]
        [--pgrouting DSN] [--libraries]
        [--tables day,same_work,all_fit,tour] [--reference-cache FILE]

Instances are generated on the road graph of fixtures/osm/helsinki.osm.pbf with a fixed seed:
N open issues at random places along the drivable streets, a realistic priority mix (2%
emergencies, 18% urgent due 1-6 hours into the shift, 45% normal with an SLA deadline between
yesterday and five days ahead, 35% low without deadline), 10-30 minutes of work each, and
K crews on a 07:30-15:30 shift from two depots.

Four tables, every plan timed and scored the same way (routing.solve.assemble, then `score`):

1. "day": the full working day, more work than time, so every method also chooses what to
   leave for tomorrow. What crews live; not a fair comparison of distances, because the
   methods serve different stops (a method that serves less drives less).
   - "planner urgency": routing.solve, objective "urgency" (OR-Tools), --time-limit seconds;
   - "planner distance": objective "distance" (PyVRP): the shortest routes, deadlines ignored;
   - "urgent first + NN": what a coordinator does by hand: the next free crew takes the most
     urgent class left, nearest stop first, while it fits in the shift.
2. "same work": the stops "urgent first + NN" served that day, every one mandatory, so the
   three methods serve exactly the same stops in the same shifts; "shortest tour" is the
   planner in "distance" mode.
3. "all fit": the day's places, priorities and deadlines with 2 minutes of work each (an
   inspection of every open issue): everything fits, every stop is mandatory, the same three
   methods. The issue's starting fact ("most urgent first doubles the distance") is this case.
   The urgency targets (lateness below the shortest tour's, distance at least 30% below
   "urgent first + NN") are judged on tables 2 and 3, each on its own.
4. "tour": the same places as a plain inspection round (2 minutes each, every stop
   mandatory, no emergencies): a pure routing problem. The distance target (within 2% of the
   best tour in at most 5 s) is judged here: the planner runs with --seeds seeds (which basin
   a search ends in depends on its seed more than on its time), and its mean gap is taken to
   the shortest tour found by any row, "reference" included: the best of PyVRP for
   --reference-s seconds with --seeds other seeds and OR-Tools (guided local search) for
   --reference-s seconds.

--weight-scale multiplies the weights the urgency planner is given (the same as changing
the price of lateness, settings.ROUTING_WEIGHT_PER_PRIORITY_POINT, of which 0.1 is x1 here);
every plan is still scored with the weights as generated.
With --libraries, "ortools distance" rows search the distance objective with OR-Tools rather
than PyVRP, the comparison behind the choice of PyVRP for it. With --pgrouting DSN, the
matrices are also timed against pgr_dijkstraCostMatrix on the same nodes.

To iterate on one table: --tables picks the tables to run (e.g. `--instances 500x4 --tables
tour`), and --reference-cache FILE keeps the reference rows (minutes each) in FILE, reused
for the same instance, seed, --reference-s, --seeds and library versions. The reference runs
the planner itself for longer: a cache made before a change to the planner holds the old
planner's reference, which is the point when comparing changes, but not for a final table.

Columns: stops served and left out; the weight served ("value kept"); road km; weighted
lateness in weight-hours, counting a left-out stop as reached tomorrow at 07:30 (so leaving
urgent work out is not free); SLA breaches (deadline before 15:30 today and not reached by
it); solve seconds. The machine is shared: solve times are wall-clock and noisy, and a loaded
machine gives the 5 s searches fewer iterations than the reference had; ratios are what the
targets judge.
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python bench/routing.py`: bench/ comes first on sys.path, the project must.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

from geo.osm import line_length_m, read_extract
from routing import baseline, ortools_model
from routing.graph import RoadGraph, build_graph
from routing.solve import Crew, Plan, Problem, Stop, assemble, prepare, solve, validate

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "osm" / "helsinki.osm.pbf"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "routing.json"
DEPOTS = [(60.17600, 24.94198), (60.16428, 24.94608)]  # Kaisaniemi, Kaartinkaupunki
SHIFT = (7 * 3600 + 1800, 15 * 3600 + 1800)
DAY_S = 86_400
# (class, share, weight, service choices in s, deadline from shift start in s or None)
MIX = [
    ("emergency", 0.02, 20.0, (1800,), (1800, 3600)),
    ("urgent", 0.18, 8.0, (1200, 1800), (3600, 6 * 3600)),
    ("normal", 0.45, 3.0, (600, 900, 1200), (-DAY_S, 5 * DAY_S)),
    ("low", 0.35, 1.0, (600, 900), None),
]


@dataclass(frozen=True)
class Row:
    instance: str
    method: str
    served: int
    left_out: int
    served_weight: float
    road_km: float
    weighted_lateness_wh: float
    sla_breaches: int
    solve_s: float


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    started = time.perf_counter()
    extract = read_extract(DEMO)
    graph = build_graph(extract.segments)
    streets = [s.coords for s in extract.segments if s.drivable]
    print(f"road graph: {graph.node_count} nodes, {graph.duration_s.nnz} directed edges")
    tables: dict[str, list[Row]] = {table: [] for table in TITLES if table in args.tables}
    targets: list[dict[str, object]] = []
    scale = args.weight_scale
    cache = ReferenceCache(args.reference_cache)
    for stops, crews in args.instances:
        name = f"{stops}x{crews}"
        problem = generate(graph, streets, stops, crews, args.seed, args.time_limit)
        by_hand = urgent_first(problem)
        if "day" in tables:
            tables["day"] += run_day(problem, name, scale, args.libraries, by_hand)
        if "same_work" in tables:
            same = run_urgency(same_work(problem, by_hand), name, scale, by_hand)
            tables["same_work"] += same
            targets += judge_urgency(name, "same_work", same)
        if "all_fit" in tables:
            fit = run_urgency(all_fit(problem), name, scale)
            tables["all_fit"] += fit
            targets += judge_urgency(name, "all_fit", fit)
        if "tour" in tables:
            rounds = run_tour(tour(problem), name, args, cache)
            tables["tour"] += rounds
            targets.append(judge_tour(name, rounds))
    for table, title in TITLES.items():
        if table not in tables:
            continue
        print(f"\n{title}\n{_header()}")
        for row in tables[table]:
            print(_line(row))
    print("\ntargets")
    for target in targets:
        print(
            f"{target['instance']:<9}{target['table']:<10}{target['target']:<46}"
            f"{target['figure']:<36}{'met' if target['met'] else 'NOT met'}"
        )
    matrices = _pgrouting(graph, args.pgrouting) if args.pgrouting else None
    payload = {
        "command": shlex.join([sys.executable, *sys.argv]),
        "seed": args.seed,
        "time_limit_s": args.time_limit,
        "reference_s": args.reference_s,
        "seeds": args.seeds,
        "weight_scale": scale,
        "tables": list(tables),
        "machine": _machine(),
        **{table: [row.__dict__ for row in rows] for table, rows in tables.items()},
        "targets": targets,
        "matrix_timings": matrices,
        "run_s": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2))
    print(f"\n{payload['command']}\nran in {payload['run_s']} s; saved {args.out}")


def generate(
    graph: RoadGraph,
    streets: list[tuple[tuple[float, float], ...]],
    n_stops: int,
    n_crews: int,
    seed: int,
    time_limit_s: float,
) -> Problem:
    """Draw a day of open issues along the streets, seeded by (seed, stops, crews)."""
    rng = np.random.default_rng([seed, n_stops, n_crews])
    lengths = np.array([line_length_m(coords) for coords in streets])
    points = [_point_on_street(streets, lengths, rng) for _ in range(n_stops)]
    nodes, _ = graph.snap([*DEPOTS, *points])
    duration, distance = graph.matrices(nodes)
    classes = rng.choice(len(MIX), n_stops, p=[share for _, share, *_ in MIX])
    stops = []
    for i, k in enumerate(classes):
        name, _, weight, services, window = MIX[k]
        deadline = None if window is None else SHIFT[0] + int(rng.integers(*window))
        stops.append(
            Stop(
                id=f"{name}-{i}",
                service_s=int(rng.choice(services)),
                weight=weight,
                deadline_s=deadline,
                mandatory=name == "emergency",
                emergency=name == "emergency",
            )
        )
    return Problem(
        stops=stops,
        stop_nodes=list(range(len(DEPOTS), len(DEPOTS) + n_stops)),
        crews=[Crew(f"crew{j}", j % len(DEPOTS), *SHIFT) for j in range(n_crews)],
        duration_s=duration,
        distance_m=distance,
        objective="urgency",
        time_limit_s=time_limit_s,
        seed=seed,
    )


def tour(problem: Problem) -> Problem:
    """The same places as an inspection round: 2 minutes each, all mandatory, all fit."""
    stops = [replace(s, service_s=120, mandatory=True, emergency=False) for s in problem.stops]
    return replace(problem, stops=stops, objective="distance")


def same_work(problem: Problem, plan: Plan) -> Problem:
    """The stops a plan served, every one mandatory: the same work for every method."""
    served = {visit.stop_id for route in plan.routes for visit in route.visits}
    kept = [
        (replace(stop, mandatory=True), node)
        for stop, node in zip(problem.stops, problem.stop_nodes, strict=True)
        if stop.id in served
    ]
    return replace(problem, stops=[s for s, _ in kept], stop_nodes=[n for _, n in kept])


def all_fit(problem: Problem) -> Problem:
    """The same places, priorities and deadlines with 2 minutes of work each: everything fits
    in the shifts, and every stop is mandatory so every method serves all of them."""
    stops = [replace(stop, service_s=120, mandatory=True) for stop in problem.stops]
    return replace(problem, stops=stops)


def weighted(problem: Problem, scale: float) -> Problem:
    """The problem the planner is given: every weight x `scale` (--weight-scale, the same as
    changing the lateness price); plans are still scored with the weights as generated."""
    if scale == 1:
        return problem
    return replace(problem, stops=[replace(s, weight=s.weight * scale) for s in problem.stops])


def run_day(problem: Problem, name: str, scale: float, libraries: bool, by_hand: Plan) -> list[Row]:
    """The over-full day, with the hand dispatch's plan (`same_work` reuses its work)."""
    distance = replace(problem, objective="distance")
    rows = [
        score(name, "planner urgency", problem, solve(weighted(problem, scale))),
        score(name, "planner distance", problem, solve(distance)),
        score(name, "urgent first + NN", problem, by_hand),
    ]
    if libraries:
        rows.append(score(name, "ortools distance", problem, ortools_distance(distance)))
    return rows


def run_urgency(work: Problem, name: str, scale: float, by_hand: Plan | None = None) -> list[Row]:
    """Planner urgency, shortest tour and dispatching by hand on the same work."""
    return [
        score(name, "planner urgency", work, solve(weighted(work, scale))),
        score(name, "shortest tour", work, solve(replace(work, objective="distance"))),
        score(name, "urgent first + NN", work, by_hand or urgent_first(work)),
    ]


def run_tour(
    problem: Problem, name: str, args: argparse.Namespace, cache: "ReferenceCache"
) -> list[Row]:
    """The planner with --seeds seeds (its result depends on the seed more than on the time),
    then the reference (from the cache when it holds it)."""
    rows = [
        score(name, f"planner distance s{k}", problem, solve(replace(problem, seed=k)))
        for k in range(args.seeds)
    ]
    if args.libraries:
        rows.append(score(name, "ortools distance", problem, ortools_distance(problem)))
    key = f"{name} seed {args.seed}, {args.reference_s} s x {args.seeds}, {_versions()}"
    cached = cache.get(key)
    if cached is None:
        cached = score(name, "reference", problem, reference(problem, args.reference_s, args.seeds))
        cache.put(key, cached)
    rows.append(cached)
    return rows


class ReferenceCache:
    """Reference rows kept in a JSON file across runs (--reference-cache); no file, no cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: dict[str, dict[str, object]] = {}
        if path is not None and path.exists():
            try:
                self.rows = json.loads(path.read_text())
            except (ValueError, OSError) as exc:
                raise SystemExit(f"--reference-cache {path}: not a readable cache ({exc})") from exc

    def get(self, key: str) -> Row | None:
        row = self.rows.get(key)
        if row is None:
            return None
        print(f"reference from {self.path}: {key}")
        return Row(**row)  # type: ignore[arg-type]

    def put(self, key: str, row: Row) -> None:
        if self.path is None:
            return
        self.rows[key] = row.__dict__
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.rows, indent=2))


def judge_tour(name: str, rounds: list[Row]) -> dict[str, object]:
    """Distance mode within 2% of the shortest tour found by any row, in at most 5 s: judged
    on the planner's mean over its seeds (the worst seed is shown too)."""
    planner = [row for row in rounds if row.method.startswith("planner distance")]
    best_km = min(row.road_km for row in rounds)
    gaps = [row.road_km / best_km - 1 if best_km else 0.0 for row in planner]
    mean = sum(gaps) / len(gaps)
    slowest = max(row.solve_s for row in planner)
    return {
        "instance": name,
        "table": "tour",
        "target": "distance: within 2% of the best tour, <= 5 s",
        "figure": f"+{mean:.1%} mean, +{max(gaps):.1%} worst, {slowest:.2f} s",
        # 0.1 s of slack: the clock is read around the whole call, on a shared machine
        "met": mean <= 0.02 and slowest <= 5.1,
    }


def judge_urgency(name: str, table: str, rows: list[Row]) -> list[dict[str, object]]:
    """Urgency mode: less lateness than the shortest tour, 30% less distance than by hand,
    on the same stops (else the comparison is void and says so)."""
    method = {row.method: row for row in rows}
    urgency = method["planner urgency"]
    shortest = method["shortest tour"]
    hand = method["urgent first + NN"]
    same = urgency.served == shortest.served == hand.served
    saving = 1 - urgency.road_km / hand.road_km if hand.road_km else 0.0
    return [
        {
            "instance": name,
            "table": table,
            "target": "urgency: lateness below the shortest tour's",
            "figure": f"{urgency.weighted_lateness_wh} vs {shortest.weighted_lateness_wh} wh",
            # nothing to beat when the shortest tour is never late
            "met": same
            and (
                urgency.weighted_lateness_wh < shortest.weighted_lateness_wh
                or urgency.weighted_lateness_wh == 0
            ),
        },
        {
            "instance": name,
            "table": table,
            "target": "urgency: >= 30% less distance than by hand",
            "figure": f"{-saving:+.1%} ({urgency.road_km} vs {hand.road_km} km)"
            + ("" if same else " served sets differ"),
            "met": same and saving >= 0.30,
        },
    ]


TITLES = {
    "day": "day (over-full: the methods serve different stops; distances do not compare)",
    "same_work": "same work (the stops the hand dispatch served that day, all mandatory)",
    "all_fit": "all fit (the same stops, priorities and deadlines, 2 min each, all mandatory)",
    "tour": "tour (inspection round: every stop mandatory, 2 min each, no priorities)",
}


def ortools_distance(problem: Problem) -> Plan:
    """The distance objective searched by OR-Tools instead of PyVRP (--libraries)."""
    started = time.perf_counter()
    duration, distance = validate(problem)
    search = prepare(problem, duration)
    orders = ortools_model.search_routes(problem, search, duration, distance)
    plan = assemble(problem, search, orders, duration, distance)
    return replace(plan, solver="ortools", solve_s=round(time.perf_counter() - started, 3))


def reference(problem: Problem, seconds: float, seeds: int) -> Plan:
    """The best tour we can find: PyVRP with `seeds` other seeds and OR-Tools, each for
    `seconds`."""
    distance = replace(problem, objective="distance", time_limit_s=seconds)
    runs = [solve(replace(distance, seed=101 + k)) for k in range(seeds)]
    runs.append(ortools_distance(distance))
    best = min(runs, key=lambda plan: (-_served_weight(problem, plan), _km(plan)))
    return replace(best, solve_s=round(sum(plan.solve_s for plan in runs), 3))


def urgent_first(problem: Problem) -> Plan:
    """Plan the day as dispatched by hand (routing.baseline.urgent_first)."""
    started = time.perf_counter()
    duration, distance = validate(problem)
    search = prepare(problem, duration)
    orders = baseline.urgent_first(problem, search, duration)
    plan = assemble(problem, search, orders, duration, distance)
    return replace(plan, solver="by hand", solve_s=round(time.perf_counter() - started, 3))


def score(instance: str, method: str, problem: Problem, plan: Plan) -> Row:
    """Score a plan with the same rules for every method (see the module docstring)."""
    tomorrow = SHIFT[0] + DAY_S
    reached = {v.stop_id: v.arrival_s for route in plan.routes for v in route.visits}
    lateness = breaches = 0.0
    for stop in problem.stops:
        if stop.deadline_s is None:
            continue
        arrival = reached.get(stop.id, tomorrow)
        lateness += stop.weight * max(0, arrival - stop.deadline_s)
        breaches += stop.deadline_s <= SHIFT[1] and arrival > stop.deadline_s
    return Row(
        instance=instance,
        method=method,
        served=len(reached),
        left_out=sum(1 for stop in problem.stops if stop.id not in reached),
        served_weight=_served_weight(problem, plan),
        road_km=_km(plan),
        weighted_lateness_wh=round(lateness / 3600, 1),
        sla_breaches=int(breaches),
        solve_s=plan.solve_s,
    )


def _served_weight(problem: Problem, plan: Plan) -> float:
    served = {v.stop_id for route in plan.routes for v in route.visits}
    return round(sum(stop.weight for stop in problem.stops if stop.id in served), 1)


def _km(plan: Plan) -> float:
    return round(sum(route.distance_m for route in plan.routes) / 1000, 2)


def _point_on_street(
    streets: list[tuple[tuple[float, float], ...]], lengths: np.ndarray, rng: np.random.Generator
) -> tuple[float, float]:
    """Return a (lat, lon) drawn along the streets (a segment by its length)."""
    coords = streets[rng.choice(len(streets), p=lengths / lengths.sum())]
    k = int(rng.integers(len(coords) - 1))
    t = rng.random()
    (lon1, lat1), (lon2, lat2) = coords[k], coords[k + 1]
    return lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)


def _header() -> str:
    return (
        f"{'instance':<9}{'method':<21}{'served':>7}{'left':>6}{'weight':>8}{'road km':>9}"
        f"{'w.late wh':>11}{'breaches':>9}{'solve s':>9}"
    )


def _line(row: Row) -> str:
    return (
        f"{row.instance:<9}{row.method:<21}{row.served:>7}{row.left_out:>6}"
        f"{row.served_weight:>8.0f}{row.road_km:>9.2f}{row.weighted_lateness_wh:>11.1f}"
        f"{row.sla_breaches:>9}{row.solve_s:>9.2f}"
    )


def _versions() -> str:
    return f"pyvrp {version('pyvrp')}, ortools {version('ortools')}"


def _machine() -> dict[str, object]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "ortools": version("ortools"),
        "pyvrp": version("pyvrp"),
        "scipy": version("scipy"),
    }


def _pgrouting(graph: RoadGraph, dsn: str) -> list[dict[str, float]]:
    """Time scipy's matrices against pgr_dijkstraCostMatrix on the same nodes (geo_roadsegment
    as loaded by `manage.py import_roads`; its costs ignore our class factors, so only the
    timings compare)."""
    import psycopg

    edges = (
        "SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost"
        " FROM geo_roadsegment WHERE drivable"
    )
    rng = np.random.default_rng(1)
    timings = []
    with psycopg.connect(dsn) as conn:
        for size in (50, 200, 500):
            nodes = rng.choice(graph.node_count, size, replace=False).tolist()
            started = time.perf_counter()
            graph.matrices(nodes)
            scipy_s = time.perf_counter() - started
            started = time.perf_counter()
            conn.execute(
                "SELECT * FROM pgr_dijkstraCostMatrix(%s, %s::bigint[], true)",
                [edges, [int(graph.osm_ids[n]) for n in nodes]],
            ).fetchall()
            pgrouting_s = time.perf_counter() - started
            timings.append({"nodes": size, "scipy_s": scipy_s, "pgrouting_s": pgrouting_s})
            print(f"{size} x {size} matrix: scipy {scipy_s:.3f} s, pgRouting {pgrouting_s:.3f} s")
    return timings


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instances",
        default="50x1,200x2,500x4",
        type=lambda text: [tuple(int(n) for n in item.split("x")) for item in text.split(",")],
        help="stops x crews, comma-separated",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=5.0, help="planner seconds")
    parser.add_argument(
        "--reference-s", type=float, default=60.0, help="seconds per reference search"
    )
    parser.add_argument(
        "--seeds", type=int, default=3, help="tour: planner seeds, and reference PyVRP seeds"
    )
    parser.add_argument(
        "--weight-scale",
        type=float,
        default=1.0,
        help="multiply the weights the urgency planner is given (scores use the generated ones)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--pgrouting", metavar="DSN", help="also time pgr_dijkstraCostMatrix")
    parser.add_argument(
        "--libraries", action="store_true", help="add OR-Tools rows for the distance objective"
    )
    parser.add_argument(
        "--tables",
        default=",".join(TITLES),
        type=_tables,
        help="tables to run, comma-separated (day, same_work, all_fit, tour)",
    )
    parser.add_argument(
        "--reference-cache",
        type=Path,
        metavar="FILE",
        help="keep the tour's reference rows in FILE and reuse them (same instance and options)",
    )
    return parser.parse_args(argv)


def _tables(text: str) -> list[str]:
    tables = text.split(",")
    unknown = [table for table in tables if table not in TITLES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown tables: {', '.join(unknown)}")
    return tables


if __name__ == "__main__":
    main()
