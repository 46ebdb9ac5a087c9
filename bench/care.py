"""Time the care loop's beat sweeps on a city-sized issue table.

    .venv/bin/python bench/care.py [--open 50000] [--closed 1000000] [--late-share 0.1]
        [--samples 20] [--out bench/results/care.json]

Fills a database of its own (BENCH_DATABASE_URL, default segnala_bench_care) with `closed`
closed issues over five years and `open` open issues, a share of which are past their
take-in-charge or closing deadline, with one SQL INSERT ... SELECT generate_series (no photos,
no reports: the sweeps read issues). A three-level chain is configured on every category.
Then it times, with e-mails in Django's in-memory outbox:

- the escalation sweep's read (care.escalation.due_escalations) when nothing has fired yet,
- the first sweep (care.escalation.run_escalations), firing every due level: per escalation,
- the steady state: a sweep when everything due has fired (what beat pays every 5 minutes),
- the rating-invitation sweep's read (care.invitations.invitations_due),
- one office's digest (care.digest.office_digest).
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

os.environ.setdefault("BENCH_DATABASE_URL", "postgis://postgres@127.0.0.1:5432/segnala_bench_care")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

from bench.loaddb import reset_city, setup_django

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "care.json"
KINDS = [("pothole", "roads", 25.0), ("streetlight", "lighting", 15.0), ("bins", "waste", 40.0)]


def timed(function: Callable[[], object], samples: int) -> dict[str, float]:
    runs = []
    for _ in range(samples):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return {
        "median_ms": round(statistics.median(runs) * 1000, 2),
        "max_ms": round(max(runs) * 1000, 2),
    }


def load(open_count: int, closed_count: int, late_share: float, now: dt.datetime) -> None:
    from django.db import connection

    from care.models import EscalationLevel
    from reports.models import Category

    categories = reset_city(KINDS)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE care_escalation, care_escalationlevel CASCADE")
        # Closed: spread over five years. Open: the last `late_share` are past both deadlines.
        cursor.execute(
            """
            INSERT INTO reports_issue (category_id, location, status, close_reason, address,
                emergency, hidden, report_count, supporter_count, priority, priority_explained,
                first_reported_at, last_reported_at, due_at, take_in_charge_due_at,
                taken_in_charge_at, closed_at, version, created_at, updated_at)
            SELECT (%(ids)s::int[])[1 + n %% 3],
                ST_SetSRID(ST_MakePoint(24.9 + random() * 0.1, 60.15 + random() * 0.05), 4326),
                CASE WHEN n <= %(closed)s THEN 'closed' ELSE 'new' END,
                CASE WHEN n <= %(closed)s THEN 'fixed' ELSE '' END, '', false, false, 1, 0,
                0, '{}', t, t, t + interval '14 days', t + interval '2 days', NULL,
                CASE WHEN n <= %(closed)s THEN t + interval '10 days' END, 1, t, t
            FROM generate_series(1, %(total)s) AS n,
            LATERAL (SELECT CASE
                WHEN n <= %(closed)s THEN %(now)s - interval '5 years' * random()
                WHEN n > %(total)s - %(late)s THEN %(now)s - interval '30 days'
                ELSE %(now)s - interval '1 day' * random() END AS t) AS moment
            """,
            {
                "ids": list(categories.values()),
                "closed": closed_count,
                "total": closed_count + open_count,
                "late": round(open_count * late_share),
                "now": now,
            },
        )
        cursor.execute("ANALYZE reports_issue")
    for category in Category.objects.all():
        for name, after, deadline in [
            ("Coordinator (intake)", 0, "take_in_charge"),
            ("Coordinator", 0, "close"),
            ("Control body", 2, "close"),
        ]:
            EscalationLevel.objects.create(
                category=category,
                name=name,
                after_working_days=after,
                deadline=deadline,
                email="bench@comune.example",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--late-share", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    setup_django()

    from django.core import mail
    from django.utils import timezone

    from care.digest import office_digest
    from care.escalation import due_escalations, run_escalations
    from care.invitations import invitations_due
    from geo.models import Department

    now = timezone.now()
    started = time.perf_counter()
    load(args.open, args.closed, args.late_share, now)
    load_s = time.perf_counter() - started
    mail.outbox = []

    read = timed(lambda: due_escalations(now), max(3, args.samples // 4))
    due = len(due_escalations(now))
    started = time.perf_counter()
    fired = run_escalations(now)
    first_s = time.perf_counter() - started
    results = {
        "open": args.open,
        "closed": args.closed,
        "late_open": round(args.open * args.late_share),
        "load_s": round(load_s, 1),
        "due_levels": due,
        "sweep_read_before_firing": read,
        "first_sweep_fired": fired,
        "first_sweep_s": round(first_s, 2),
        "first_sweep_ms_per_escalation": round(first_s * 1000 / max(fired, 1), 2),
        "steady_sweep": timed(lambda: run_escalations(now), args.samples),
        "invitations_read": timed(lambda: invitations_due(now), args.samples),
        "office_digest": timed(
            lambda: office_digest(Department.objects.get(code="bench"), now), args.samples
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
    }
    print(json.dumps(results, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
