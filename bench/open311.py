"""Time Open311 reads on a database holding N synthetic reports.

    BENCH_DATABASE_URL=postgis://postgres@127.0.0.1:5432/segnala_bench \\
    .venv/bin/python bench/open311.py [--sizes 10000,100000] [--seed 2] [--samples 30]
        [--out bench/results/open311.json]

For each size: generate the synthetic city (bench/synthetic.py), cluster it in memory, COPY it
into the benchmark database (bench/loaddb.py), then call the views in-process through Django's
test client (no network) `samples` times each: the default GET requests (last 90 days, a page
of 1000), the same with extensions=true, a service_code + status=open filter, one request by
id, and a page of 100; with the number of SQL queries of each call.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import numpy as np

from bench.loaddb import city_origin, copy_city, reset_city, setup_django
from bench.synthetic import generate
from clustering.match import MatchParams
from clustering.simulate import simulate_matching

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "open311.json"


def measure(size: int, seed: int, samples: int) -> dict[str, object]:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client

    from reports.models import Issue

    city = generate(size, seed)
    stream = city.stream
    labels = simulate_matching(stream, MatchParams())
    kinds = sorted(
        {
            (c, g, float(r))
            for c, g, r in zip(stream.category, stream.group, stream.radius_m.tolist(), strict=True)
        }
    )
    ids = reset_city(kinds)
    lat0, lon0 = city_origin()
    issues, open_issues = copy_city(
        stream,
        labels,
        ids,
        lat0=lat0,
        lon0=lon0,
        now=dt.datetime.now(dt.UTC),
        window_days=MatchParams().window_days,
    )
    # An issue a few hundred places down the newest: well inside the default 90-day window.
    recent = Issue.objects.order_by("-first_reported_at").values_list("pk", "category__code")[
        min(500, issues - 1)
    ]
    paths = {
        "requests (90 days, 1000)": "/open311/v2/requests.json",
        "requests extensions=true": "/open311/v2/requests.json?extensions=true",
        "service_code+status=open": (
            f"/open311/v2/requests.json?service_code={recent[1]}&status=open"
        ),
        "requests page_size=100": "/open311/v2/requests.json?page_size=100&page=3",
        "one request": f"/open311/v2/requests/{recent[0]}.json",
        "one request (xml)": f"/open311/v2/requests/{recent[0]}.xml",
    }
    client = Client(SERVER_NAME="localhost")
    # As in Django's test client: one connection for every call, which the counter wraps.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    timings = {}
    for name, path in paths.items():
        executed: list[str] = []
        with connection.execute_wrapper(partial(_count, executed)):
            response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        returned = len(response.json()) if path.endswith("json") or ".json?" in path else 1
        seconds = []
        for _ in range(samples):
            t0 = time.perf_counter()
            client.get(path)
            seconds.append(time.perf_counter() - t0)
        timings[name] = {
            "returned": returned,
            "queries": len(executed),
            "ms_p50": round(float(np.percentile(seconds, 50)) * 1000, 1),
            "ms_p95": round(float(np.percentile(seconds, 95)) * 1000, 1),
        }
    return {"reports": size, "issues": issues, "open_issues": open_issues, "calls": timings}


def _count(
    executed: list[str], execute: Any, sql: str, params: Any, many: bool, context: Any
) -> Any:
    executed.append(sql)
    return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    setup_django()
    rows = [measure(int(s), args.seed, args.samples) for s in args.sizes.split(",")]
    print(
        f"{'reports':>9} {'issues':>8} {'call':<26} {'rows':>5} {'queries':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7}"
    )
    for row in rows:
        for name, call in row["calls"].items():  # type: ignore[attr-defined]
            print(
                f"{row['reports']:>9} {row['issues']:>8} {name:<26} {call['returned']:>5} "
                f"{call['queries']:>7} {call['ms_p50']:>7} {call['ms_p95']:>7}"
            )
    command = " ".join([".venv/bin/python", "bench/open311.py", *sys.argv[1:]])
    print(f"command: {command}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    args.out.write_text(
        json.dumps({"command": command, "machine": machine, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
