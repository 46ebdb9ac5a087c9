"""Time the public map's viewport answers: grid clusters against vector tiles, by zoom.

    .venv/bin/python bench/maps.py [--open 50000] [--historical 1000000] [--samples 40]
        [--out bench/results/maps.json] [--reload] [--smoke]
        [--storm-seconds 15] [--storm-rps 20] [--storm-places 10] [--storm-every-ms 100]
        [--only-storm]

Loads (once; --reload to redo) `open` open issues and `historical` closed ones over five years
into a database of its own (BENCH_DATABASE_URL, default segnala_bench_maps) with the COPY
loader of bench/loaddb.py: a city of 12 x 9 km around the demo extract's centre, issues
denser in a few hot spots as in a real city. Then, for a 1280 x 800 px screen at several zooms
(city-wide to street), at random places of the city:

- grid: GET /map/viewport through Django's full stack (URL, middleware, view, cache) with the
  test Client (no socket), cold (the layer version is bumped first: the answer is computed) and
  warm (the same request again: the answer comes from the cache), and the bare SQL of
  maps_static.querysets.viewport_cells for the same viewport through the same connection;
- tiles: every vector tile (ST_AsMVT) that covers the same screen, fetched one after the other
  through GET /map/tiles/z/x/y.pbf, cold and warm, and their bare SQL, summed per screen.

Then the storm: for --storm-seconds per zoom, a thread changes a random open issue (an UPDATE,
committed) and tells the maps every --storm-every-ms, while the main thread asks GET
/map/viewport --storm-rps times a second for one of --storm-places random places of that zoom
(visitors share places: the city-wide view most of all). Twice: "every change" bumps the layer
version after each change (the old behaviour), "throttled" calls mark_layer_changed (the
version advances at most every VERSION_MIN_INTERVAL_S). Reported: p50 / p95 of the requests,
the share of requests that ran the query (cold), and the bare SQL of the same viewports timed
during the storm.

The cache is Redis (CACHE_URL, default rediscache://127.0.0.1:6379/11): cold answers are forced
by a new layer version, never by emptying the cache.
"""

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

os.environ.setdefault("BENCH_DATABASE_URL", "postgis://postgres@127.0.0.1:5432/segnala_bench_maps")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/11")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from bench.loaddb import copy_issues, reset_city, setup_django

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "maps.json"
SCREEN_PX = (1280, 800)
ZOOMS = {12: "city", 14: "district", 16: "neighbourhood", 18: "street"}
# The city: 12 x 9 km around the demo extract's centre (central Helsinki).
CENTRE = (60.1699, 24.9384)
HALF_LAT, HALF_LON = 0.0405, 0.108
KINDS = [
    ("pothole", "roads", 25.0),
    ("sidewalk", "roads", 25.0),
    ("streetlight", "lighting", 15.0),
    ("bins", "waste", 40.0),
    ("graffiti", "decorum", 20.0),
    ("tree", "green", 30.0),
]


def percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values) * 1000.0, q)), 2)


def city_points(count: int, rng: np.random.Generator) -> Iterator[tuple[float, float]]:
    """(lat, lon) in the city: 60% around 40 hot spots, the rest spread evenly."""
    hot = rng.uniform(-1, 1, size=(40, 2)) * 0.7
    for _ in range(count):
        if rng.random() < 0.6:
            spot = hot[rng.integers(len(hot))]
            dy, dx = spot + rng.normal(0, 0.06, size=2)
        else:
            dy, dx = rng.uniform(-1, 1, size=2)
        yield (
            CENTRE[0] + max(-1.0, min(1.0, dy)) * HALF_LAT,
            CENTRE[1] + max(-1.0, min(1.0, dx)) * HALF_LON,
        )


def issue_rows(
    open_count: int, historical: int, category_ids: list[int], seed: int
) -> Iterator[tuple]:
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC)
    total = open_count + historical
    for n, (lat, lon) in enumerate(city_points(total, rng)):
        is_open = n < open_count
        if is_open:
            first = now - dt.timedelta(days=float(rng.exponential(20)))
            closed_at = None
            status = ("new", "assigned", "in_progress", "reopened")[int(rng.integers(4))]
        else:
            first = now - dt.timedelta(days=float(rng.uniform(1, 5 * 365)))
            closed_at = min(now, first + dt.timedelta(days=float(rng.exponential(12))))
            status = "closed"
        yield (
            n + 1,
            category_ids[int(rng.integers(len(category_ids)))],
            f"SRID=4326;POINT({lon:.7f} {lat:.7f})",
            status,
            "" if is_open else "fixed",
            "",
            False,
            False,
            1,
            0,
            float(rng.uniform(0, 100)),
            "{}",
            first,
            first,
            closed_at,
            1,
            first,
            first,
        )


def load(open_count: int, historical: int, seed: int, reload: bool) -> dict[str, float]:
    """Fill the benchmark database unless it already holds this city; return load figures."""
    from django.db import connection

    from reports.models import Issue

    have_open = Issue.objects.exclude(status="closed").count()
    have_closed = Issue.objects.filter(status="closed").count()
    if not reload and (have_open, have_closed) == (open_count, historical):
        return {"loaded_s": 0.0}
    started = time.perf_counter()
    ids = reset_city(KINDS)
    copy_issues(issue_rows(open_count, historical, list(ids.values()), seed))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('reports_issue', 'id'), "
            "(SELECT coalesce(max(id), 1) FROM reports_issue))"
        )
        # VACUUM too: a freshly loaded table has no visibility map, which a live one has.
        cursor.execute("VACUUM ANALYZE reports_issue")
    return {"loaded_s": round(time.perf_counter() - started, 1)}


def screen_bbox(lat: float, lon: float, zoom: int) -> tuple[float, float, float, float]:
    """The (min_lon, min_lat, max_lon, max_lat) a SCREEN_PX screen shows at this zoom."""
    deg_per_px = 360.0 / (256 * 2**zoom)
    half_w = SCREEN_PX[0] / 2 * deg_per_px
    half_h = SCREEN_PX[1] / 2 * deg_per_px * math.cos(math.radians(lat))
    return lon - half_w, lat - half_h, lon + half_w, lat + half_h


def tiles_for(bbox: tuple[float, float, float, float], zoom: int) -> list[tuple[int, int, int]]:
    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2**zoom
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return x, y

    x0, y0 = tile(bbox[0], bbox[3])
    x1, y1 = tile(bbox[2], bbox[1])
    return [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure_zoom(zoom: int, samples: int, rng: random.Random) -> dict[str, object]:
    from django.http import QueryDict
    from django.test import Client

    from maps_static.layer import bump_layer_version
    from maps_static.querysets import Viewport, viewport_cells, viewport_tile
    from maps_static.views import parse_viewport

    client = Client()
    figures: dict[str, list[float]] = {
        k: []
        for k in (
            "grid_cold",
            "grid_warm",
            "grid_sql",
            "tiles_cold",
            "tiles_warm",
            "tiles_sql",
        )
    }
    cells, tile_counts, grid_bytes, tile_bytes = [], [], [], []
    for _ in range(samples):
        lat = CENTRE[0] + rng.uniform(-0.6, 0.6) * HALF_LAT
        lon = CENTRE[1] + rng.uniform(-0.6, 0.6) * HALF_LON
        bbox = screen_bbox(lat, lon, zoom)
        params = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "zoom": str(zoom)}
        bump_layer_version()

        def grid(params: dict[str, str] = params) -> None:
            response = client.get("/map/viewport", params)
            assert response.status_code == 200, response.content
            grid_bytes.append(len(response.content))

        figures["grid_cold"].append(timed(grid))
        figures["grid_warm"].append(timed(grid))
        query = QueryDict(mutable=True)
        query.update(params)
        view = parse_viewport(query)

        def grid_sql(view: Viewport = view) -> None:
            cells.append(len(viewport_cells(view)))

        figures["grid_sql"].append(timed(grid_sql))

        tiles = tiles_for(bbox, zoom)
        tile_counts.append(len(tiles))

        def all_tiles(tiles: list[tuple[int, int, int]] = tiles) -> None:
            for z, x, y in tiles:
                response = client.get(f"/map/tiles/{z}/{x}/{y}.pbf")
                assert response.status_code in (200, 204)  # 204: a tile without issues
                tile_bytes.append(len(response.content))

        figures["tiles_cold"].append(timed(all_tiles))
        figures["tiles_warm"].append(timed(all_tiles))
        whole = Viewport(-180, -90, 180, 90, zoom)

        def tiles_sql(tiles: list[tuple[int, int, int]] = tiles, whole: Viewport = whole) -> None:
            for z, x, y in tiles:
                viewport_tile(z, x, y, whole)

        figures["tiles_sql"].append(timed(tiles_sql))
    result: dict[str, object] = {
        "zoom": zoom,
        "scale": ZOOMS[zoom],
        "cells_median": int(np.median(cells)),
        "tiles_per_screen": int(np.median(tile_counts)),
        "grid_kb_median": round(float(np.median(grid_bytes)) / 1024, 1),
        "tiles_kb_per_screen_median": round(
            float(np.median(tile_bytes)) * float(np.median(tile_counts)) / 1024, 1
        ),
    }
    for name, values in figures.items():
        result[f"{name}_p50_ms"] = percentile_ms(values, 50)
        result[f"{name}_p95_ms"] = percentile_ms(values, 95)
    return result


def storm_changes(
    stop: threading.Event, every_s: float, mark: Callable[[], object], open_count: int, seed: int
) -> list[int]:
    """Change a random open issue and tell the maps every `every_s`, until `stop` is set."""
    from django.db import connection

    rng = random.Random(seed)
    done = [0]

    def run() -> None:
        try:
            next_at = time.perf_counter()
            while not stop.is_set():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE reports_issue SET report_count = report_count + 1, "
                        "last_reported_at = now() WHERE id = %s",
                        [rng.randint(1, open_count)],
                    )
                mark()
                done[0] += 1
                next_at += every_s
                stop.wait(max(0.0, next_at - time.perf_counter()))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="storm", daemon=True)
    thread.start()
    return done


def measure_storm(
    zoom: int, mode: str, args: argparse.Namespace, rng: random.Random
) -> dict[str, object]:
    """Viewport answers of `zoom` while changes arrive every args.storm_every_ms."""
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from maps_static.layer import bump_layer_version, mark_layer_changed
    from maps_static.querysets import viewport_cells
    from maps_static.views import parse_viewport

    client = Client()
    places = []
    for _ in range(args.storm_places):
        lat = CENTRE[0] + rng.uniform(-0.6, 0.6) * HALF_LAT
        lon = CENTRE[1] + rng.uniform(-0.6, 0.6) * HALF_LON
        bbox = screen_bbox(lat, lon, zoom)
        params = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "zoom": str(zoom)}
        query = QueryDict(mutable=True)
        query.update(params)
        places.append((params, parse_viewport(query)))
    mark = bump_layer_version if mode == "every change" else mark_layer_changed
    times: list[float] = []
    sql_times: list[float] = []
    cold = 0
    stop = threading.Event()
    changes = storm_changes(stop, args.storm_every_ms / 1000, mark, args.open, rng.randint(0, 9**9))
    try:
        started = next_at = time.perf_counter()
        while time.perf_counter() - started < args.storm_seconds:
            params, view = rng.choice(places)
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get("/map/viewport", params)
                times.append(time.perf_counter() - began)
            assert response.status_code == 200, response.content
            cold += bool(len(queries))
            if len(times) % 4 == 0:
                began = time.perf_counter()
                viewport_cells(view)
                sql_times.append(time.perf_counter() - began)
            next_at += 1 / args.storm_rps
            time.sleep(max(0.0, next_at - time.perf_counter()))
    finally:
        stop.set()
        time.sleep(args.storm_every_ms / 1000 * 2)
    return {
        "zoom": zoom,
        "scale": ZOOMS[zoom],
        "mode": mode,
        "requests": len(times),
        "changes": changes[0],
        "cold_share": round(cold / len(times), 3),
        "viewport_p50_ms": percentile_ms(times, 50),
        "viewport_p95_ms": percentile_ms(times, 95),
        "sql_p50_ms": percentile_ms(sql_times, 50),
        "sql_p95_ms": percentile_ms(sql_times, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--historical", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zooms", default=",".join(str(z) for z in ZOOMS))
    parser.add_argument("--reload", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help="2,000 open + 20,000 closed, 5 samples (make test)"
    )
    parser.add_argument("--storm-seconds", type=float, default=15.0)
    parser.add_argument("--storm-rps", type=float, default=20.0)
    parser.add_argument("--storm-places", type=int, default=10)
    parser.add_argument("--storm-every-ms", type=float, default=100.0)
    parser.add_argument("--only-storm", action="store_true", help="skip grid against tiles")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.smoke:
        args.open, args.historical, args.samples = 2_000, 20_000, 5
        args.storm_seconds = 1.0
    setup_django()
    loaded = load(args.open, args.historical, args.seed, args.reload)
    rng = random.Random(args.seed)
    zooms = [int(z) for z in args.zooms.split(",")]
    rows = [] if args.only_storm else [measure_zoom(z, args.samples, rng) for z in zooms]
    storm_rows = [
        measure_storm(z, mode, args, rng) for z in zooms for mode in ("every change", "throttled")
    ]

    command = "python bench/maps.py " + " ".join(sys.argv[1:])
    print(f"$ {command}")
    print(
        f"{args.open:,} open + {args.historical:,} closed issues; {SCREEN_PX[0]}x{SCREEN_PX[1]} px "
        f"screen; {args.samples} random places per zoom; times in ms, p50 / p95"
    )
    header = (
        "| zoom | cells | grid cold | grid warm | grid SQL | tiles | tiles cold | tiles warm "
        "| tiles SQL |"
    )
    if rows:
        print(header)
        print("|---" * 9 + "|")
    for row in rows:

        def pair(name: str, row: dict[str, object] = row) -> str:
            return f"{row[f'{name}_p50_ms']} / {row[f'{name}_p95_ms']}"

        print(
            f"| {row['zoom']} {row['scale']} | {row['cells_median']} | {pair('grid_cold')} "
            f"| {pair('grid_warm')} | {pair('grid_sql')} | {row['tiles_per_screen']} "
            f"| {pair('tiles_cold')} | {pair('tiles_warm')} | {pair('tiles_sql')} |"
        )
    print(
        f"\nStorm: a change every {args.storm_every_ms:g} ms, {args.storm_rps:g} viewport requests "
        f"a second over {args.storm_places} places, {args.storm_seconds:g} s per zoom and mode"
    )
    print("| zoom | version | requests | changes | cold | viewport | bare SQL |")
    print("|---" * 7 + "|")
    for row in storm_rows:
        print(
            f"| {row['zoom']} {row['scale']} | {row['mode']} | {row['requests']} "
            f"| {row['changes']} | {float(row['cold_share']):.0%} "  # type: ignore[arg-type]
            f"| {row['viewport_p50_ms']} / {row['viewport_p95_ms']} "
            f"| {row['sql_p50_ms']} / {row['sql_p95_ms']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "command": command,
                "open": args.open,
                "historical": args.historical,
                "samples": args.samples,
                "load": loaded,
                "rows": rows,
                "storm": storm_rows,
                "machine": {
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                },
            },
            indent=2,
        )
    )
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
