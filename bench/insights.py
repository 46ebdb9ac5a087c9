"""Time the statistics pages' queries and the open-data publication on a large history.

    .venv/bin/python bench/insights.py [--issues 1000000] [--samples 5] [--reload]
        [--out bench/results/insights.json]

Loads (once; --reload to redo) `issues` issues over two years into a database of its own
(BENCH_DATABASE_URL, default segnala_bench_insights) with one INSERT ... SELECT over
generate_series: six categories in five departments, a 12 x 9 km city, 5% still open,
taken in charge within 5 days, closed within 30, due 10 days after opening. Then times, each
`samples` times (median reported):
- the staff page's figures city-wide for 12 weeks (recurrences, per department, city, weeks),
  and the whole public page through Django's stack (test Client, no socket);
- one open-data publication (CSV + GeoJSON of every public issue through default storage).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgis://postgres@127.0.0.1:5432/segnala_bench_insights"
)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("MEDIA_ROOT", "var/bench-insights-media")

from bench.loaddb import reset_city, setup_django

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "insights.json"
KINDS = [
    ("pothole", "roads", 25.0),
    ("sidewalk", "roads", 25.0),
    ("streetlight", "lighting", 15.0),
    ("bins", "waste", 40.0),
    ("graffiti", "decorum", 20.0),
    ("tree", "green", 30.0),
]
CENTRE = (60.1699, 24.9384)
HALF_LAT, HALF_LON = 0.0405, 0.108


def load(count: int) -> None:
    from django.db import connection

    from geo.models import Department
    from reports.models import Category

    ids = reset_city(KINDS)
    for code in ("roads", "lighting", "waste", "decorum", "green"):
        department, _ = Department.objects.get_or_create(code=code, defaults={"name": code})
        Category.objects.filter(group__code=code).update(department=department)
    category_ids = list(ids.values())
    with connection.cursor() as cursor:
        # Raw SQL: a million rows through the ORM would take minutes and measure nothing.
        cursor.execute(
            """
            INSERT INTO reports_issue (category_id, department_id, location, address, status,
                close_reason, emergency, hidden, report_count, supporter_count, priority,
                priority_explained, first_reported_at, last_reported_at, due_at,
                taken_in_charge_at, closed_at, version, created_at, updated_at)
            SELECT c.id, c.department_id,
                   ST_SetSRID(ST_MakePoint(%s + (random() * 2 - 1) * %s,
                                           %s + (random() * 2 - 1) * %s), 4326),
                   '', CASE WHEN s.open THEN 'assigned' ELSE 'closed' END,
                   CASE WHEN s.open THEN '' ELSE 'fixed' END, false, random() < 0.01, 1, 0,
                   0, '{}', s.opened, s.opened, s.opened + interval '10 days',
                   s.opened + random() * interval '5 days',
                   CASE WHEN s.open THEN NULL ELSE s.opened + random() * interval '30 days' END,
                   1, s.opened, s.opened
            FROM (SELECT n, now() - random() * interval '730 days' AS opened,
                         random() < 0.05 AS open, (%s::bigint[])[1 + n %% %s] AS category_id
                  FROM generate_series(1, %s) AS n) AS s
            JOIN reports_category c ON c.id = s.category_id
            """,
            [
                CENTRE[1],
                HALF_LON,
                CENTRE[0],
                HALF_LAT,
                category_ids,
                len(category_ids),
                count,
            ],
        )
        cursor.execute("ANALYZE reports_issue")


def median_s(run: Any, samples: int) -> float:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from insights.actions import publish_open_data
    from insights.querysets import city_figures, department_figures, recurring_issues, weekly_counts
    from insights.views import _period_start
    from reports.models import Issue

    if args.reload or Issue.objects.count() != args.issues:
        start = time.perf_counter()
        load(args.issues)
        print(f"loaded {args.issues} issues in {time.perf_counter() - start:.1f} s")

    def staff_figures() -> None:
        now = timezone.now()
        since = _period_start(12, now)
        issues = Issue.objects.all()
        recurring = recurring_issues(issues, since)
        per_department = department_figures(issues, since, now, recurring)
        city_figures(issues, since, now, per_department)
        weekly_counts(issues, since)

    client = Client()

    def public_page() -> None:
        assert client.get("/stats/?weeks=12").status_code == 200

    results: dict[str, Any] = {
        "issues": args.issues,
        "open": Issue.objects.exclude(status="closed").count(),
        "staff_figures_12_weeks_s": median_s(staff_figures, args.samples),
        "public_page_12_weeks_s": median_s(public_page, args.samples),
        "public_page_104_weeks_s": median_s(
            lambda: client.get("/stats/?weeks=104"), max(1, args.samples // 2)
        ),
    }
    start = time.perf_counter()
    release = publish_open_data()
    results["open_data_publish_s"] = round(time.perf_counter() - start, 1)
    results["open_data_issues"] = release.issue_count
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgres": connection.cursor().connection.info.server_version,
    }
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
