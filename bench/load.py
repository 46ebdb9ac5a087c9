"""A bounded load run: citizens submitting with photos while the public reads the map and issues.

    .venv/bin/python bench/load.py [--submissions 300] [--viewports 3000] [--issue-pages 1500]
        [--submitters 4] [--readers 8] [--web-threads 4] [--smoke]
        [--out bench/results/load.json]

Against the production set-up on loopback (gunicorn, 2 workers, SEGNALA_ENV=production, and a
Celery worker making the thumbnails; bench/scale.py's Services) and the large city of
bench/scale.py (BENCH_DATABASE_URL, default segnala_bench_scale; built first if missing, see
that script's --historical and --open). Three groups of clients at the same time, each on
keep-alive connections, a fixed number of requests each:

- `submitters` threads POST /api/v1/reports/ with a 1 MB phone photo (multipart);
- `readers` threads GET /map/viewport at a random zoom (12-18) and place;
- `readers` threads GET /issues/<id>/ (the public issue page) of random open issues.

Prints and saves each group's requests per second and p50 / p95 / p99 / max latency and the
errors; exits with status 1 unless there were none.
"""

import argparse
import json
import random
import sys
import threading
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.scale import (
    ROOT,
    SMOKE,
    Services,
    build_city,
    http_run,
    machine,
    one_mb_photo,
    submission_places,
    submit_requests,
)

DEFAULT_OUT = ROOT / "bench" / "results" / "load.json"


def viewport_requests(count: int, seed: int) -> list[tuple[str, str, bytes, str]]:
    import numpy as np

    from bench.maps import ZOOMS, screen_bbox
    from bench.scale import city_points

    rng = random.Random(seed)
    points = list(city_points(count, np.random.default_rng(seed)))
    requests = []
    for lon, lat in points:
        zoom = rng.choice(list(ZOOMS))
        bbox = ",".join(f"{v:.6f}" for v in screen_bbox(lat, lon, zoom))
        requests.append(("GET", f"/map/viewport?bbox={bbox}&zoom={zoom}", b"", ""))
    return requests


def issue_page_requests(count: int, seed: int) -> list[tuple[str, str, bytes, str]]:
    from reports.models import Issue

    ids = list(
        Issue.objects.filter(hidden=False)
        .exclude(status="closed")
        .order_by("?")
        .values_list("pk", flat=True)[:5000]
    )
    rng = random.Random(seed)
    return [("GET", f"/issues/{rng.choice(ids)}/", b"", "") for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--viewports", type=int, default=3000)
    parser.add_argument("--issue-pages", type=int, default=1500)
    parser.add_argument("--submitters", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn --threads (bin/serve)")
    parser.add_argument("--historical", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="the small city, a few requests")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.smoke:
        args.historical, args.open = SMOKE["historical"], SMOKE["open"]
        args.submissions, args.viewports, args.issue_pages = 20, 200, 100
    from bench.loaddb import setup_django

    setup_django()
    build_city(args.historical, args.open, 1, reload=False)
    photo = one_mb_photo()
    groups = {
        "submit with 1 MB photo": (
            submit_requests(submission_places(args.submissions, args.seed), photo),
            args.submitters,
        ),
        "map viewport": (viewport_requests(args.viewports, args.seed), args.readers),
        "issue page": (issue_page_requests(args.issue_pages, args.seed), args.readers),
    }
    services = Services(web_threads=args.web_threads)
    results: dict[str, Any] = {}
    try:
        threads = [
            threading.Thread(
                target=lambda name=name, reqs=reqs, clients=clients: results.__setitem__(
                    name, http_run(services.port, reqs, clients)
                )
            )
            for name, (reqs, clients) in groups.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        memory = services.peak_memory_mb()
    finally:
        services.stop()
    command = "python bench/load.py " + " ".join(sys.argv[1:])
    print(f"$ {command}")
    print(
        f"{args.submitters} submitting and {2 * args.readers} reading clients at once against "
        f"gunicorn (2 workers x {args.web_threads} threads) + a Celery worker"
    )
    print("| clients | requests | errors | per s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---" * 8 + "|")
    for name, row in results.items():
        print(
            f"| {name} | {row['requests']} | {row['errors']} | {row['per_s']} | {row['p50_ms']} "
            f"| {row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} |"
        )
    errors = sum(row["errors"] for row in results.values())
    for name, row in results.items():
        for error in row["first_errors"]:
            print(f"error ({name}): {error}")
    print(f"peak memory (MB): {memory}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"command": command, "groups": results, "peak_memory_mb": memory, "machine": machine()},
            indent=2,
        )
    )
    print(f"saved {args.out}; {'no errors' if not errors else f'{errors} ERRORS'}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
