"""Time the submission-time match in PostGIS with N reports already in the database.

    .venv/bin/python bench/clustering_db.py [--sizes 10000,100000,1000000] [--seed 2]
        [--samples 500] [--out bench/results/clustering_db.json]

For each size: generate the synthetic city (bench/synthetic.py), cluster it with our matcher
(in memory), COPY its issues, reports and photo hashes into a benchmark database of its own
(bench/loaddb.py), then time what a submission does before inserting: the advisory lock on the
neighbourhood, the candidate queries (KNN on the GiST index, recent descriptions and photo
hashes) and the decision, for `samples` new reports at positions drawn from the city's latest
reports. Beside it, in the same run, the bare KNN query alone through the same connection: the
floor that the ORM and the extra evidence queries add to.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

from bench.loaddb import city_origin, copy_city, reset_city, setup_django, to_lat_lon
from bench.synthetic import generate
from clustering.match import MatchParams
from clustering.simulate import simulate_matching

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "clustering_db.json"


def percentile_ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(values) * 1000.0, q)), 3)


def measure(size: int, seed: int, samples: int) -> dict[str, object]:
    from django.db import connection, transaction

    from clustering.candidates import (
        _NEAREST_OPEN_SQL,
        find_candidates,
        lock_neighbourhood,
        nearest_open_params,
        search_reach_m,
    )
    from clustering.candidates import match_params as params_for
    from clustering.match import Incoming, choose_issue
    from reports.models import Category

    started = time.perf_counter()
    city = generate(size, seed)
    stream = city.stream
    labels = simulate_matching(stream, MatchParams())
    generated_s = time.perf_counter() - started

    kinds = sorted(
        {
            (c, g, float(r))
            for c, g, r in zip(stream.category, stream.group, stream.radius_m.tolist(), strict=True)
        }
    )
    ids = reset_city(kinds)
    lat0, lon0 = city_origin()
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    issues, open_issues = copy_city(
        stream,
        labels,
        ids,
        lat0=lat0,
        lon0=lon0,
        now=now,
        window_days=MatchParams().window_days,
    )
    loaded_s = time.perf_counter() - started

    categories = {c.code: c for c in Category.objects.select_related("group")}
    rng = np.random.default_rng(seed)
    picks = rng.choice(np.arange(max(0, size - 5 * samples), size), size=samples, replace=False)
    match_s, bare_s = [], []
    accuracies = stream.accuracies()
    for index in picks.tolist():
        lat, lon = to_lat_lon(
            float(stream.x_m[index]) + rng.normal(0, 5),
            float(stream.y_m[index]) + rng.normal(0, 5),
            lat0,
            lon0,
        )
        category = categories[stream.category[index]]
        params = params_for(category.match_whole_group)
        accuracy_m = accuracies[index]
        with transaction.atomic():
            t0 = time.perf_counter()
            reach_m = search_reach_m(category, params, accuracy_m)
            lock_neighbourhood(category.group_id, lat, lon, reach_m)
            candidates = find_candidates(lat, lon, category, params, now, accuracy_m)
            choose_issue(
                Incoming(
                    0.0,
                    0.0,
                    category.code,
                    category.group.code,
                    now.timestamp(),
                    stream.description[index],
                    stream.phashes[index],
                    accuracy_m,
                ),
                candidates,
                params,
            )
            match_s.append(time.perf_counter() - t0)
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(
                _NEAREST_OPEN_SQL,
                nearest_open_params(
                    lat, lon, [category.pk], 100, now - dt.timedelta(days=60), 10, False
                ),
            )
            cursor.fetchall()
            bare_s.append(time.perf_counter() - t0)
    return {
        "reports": size,
        "issues": issues,
        "open_issues": open_issues,
        "generate_and_cluster_s": round(generated_s, 1),
        "copy_s": round(loaded_s, 1),
        "match_ms_p50": percentile_ms(match_s, 50),
        "match_ms_p95": percentile_ms(match_s, 95),
        "bare_knn_ms_p50": percentile_ms(bare_s, 50),
        "bare_knn_ms_p95": percentile_ms(bare_s, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    setup_django()
    rows = [measure(int(s), args.seed, args.samples) for s in args.sizes.split(",")]
    header = (
        f"{'reports':>9} {'issues':>8} {'open':>7} {'match p50':>10} {'match p95':>10} "
        f"{'bare p50':>9} {'bare p95':>9}  (ms)"
    )
    print(header)
    for row in rows:
        print(
            f"{row['reports']:>9} {row['issues']:>8} {row['open_issues']:>7} "
            f"{row['match_ms_p50']:>10} {row['match_ms_p95']:>10} "
            f"{row['bare_knn_ms_p50']:>9} {row['bare_knn_ms_p95']:>9}"
        )
    command = " ".join([".venv/bin/python", "bench/clustering_db.py", *sys.argv[1:]])
    print(f"command: {command}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "command": command,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
