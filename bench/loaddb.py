"""Bulk-load a synthetic city's reports into Segnala's own tables with COPY (benchmarks only).

The benchmarks run against a database of their own (BENCH_DATABASE_URL, default
postgis://postgres@127.0.0.1:5432/segnala_bench), created and migrated here: they never
touch the development or test databases.
"""

import datetime as dt
import math
import os
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

from clustering.simulate import ReportStream

DEFAULT_BENCH_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/segnala_bench"
# Where local metres are anchored: the demo extract's centre (bench/synthetic.py's origin).
EARTH_RADIUS_M = 6_371_008.8


def setup_django() -> None:
    """Point Django at the benchmark database, create it if needed and migrate it."""
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ensure_database", verbosity=0)
    call_command("migrate", verbosity=0, interactive=False)


def city_origin() -> tuple[float, float]:
    """The (lat, lon) that bench/synthetic.py's metres are measured from: the extract's centre."""
    from bench.synthetic import DEMO_EXTRACT
    from geo.osm import read_extract

    bounds = read_extract(DEMO_EXTRACT).bounds
    return (bounds.min_lat + bounds.max_lat) / 2, (bounds.min_lon + bounds.max_lon) / 2


def to_lat_lon(x_m: float, y_m: float, lat0: float, lon0: float) -> tuple[float, float]:
    """Invert geo.units.local_xy_m."""
    lat = lat0 + math.degrees(y_m / EARTH_RADIUS_M)
    lon = lon0 + math.degrees(x_m / (EARTH_RADIUS_M * math.cos(math.radians(lat0))))
    return lat, lon


def reset_city(kinds: Sequence[tuple[str, str, float]]) -> dict[str, int]:
    """Empty the report tables and create one category per (code, group, radius); return ids."""
    from django.db import connection

    from geo.models import Department
    from reports.models import Category, CategoryGroup

    with connection.cursor() as cursor:
        # TRUNCATE: deleting a million rows one by one would dominate the benchmark.
        cursor.execute(
            "TRUNCATE reports_photo, reports_report, reports_timelineentry, reports_supporter, "
            "reports_subscription, clustering_separation, reports_issue CASCADE"
        )
    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    ids = {}
    for code, group, radius_m in kinds:
        group_row, _ = CategoryGroup.objects.get_or_create(code=group, defaults={"name_it": group})
        category, _ = Category.objects.update_or_create(
            code=code,
            defaults={
                "name_it": code,
                "group": group_row,
                "department": department,
                "duplicate_radius_m": round(radius_m),
            },
        )
        ids[code] = category.pk
    return ids


def copy_city(
    stream: ReportStream,
    labels: NDArray[np.int64],
    category_ids: dict[str, int],
    *,
    lat0: float,
    lon0: float,
    now: dt.datetime,
    window_days: float,
) -> tuple[int, int]:
    """COPY the reports as issues (one per label) and reports; return (issues, open issues).

    Times are shifted so that the latest report is `now`. An issue is open when its latest
    report is inside the window and staff had not closed it by then (stream.closed_s).
    """
    from django.db import connection

    shift_s = now.timestamp() - float(stream.created_s.max())
    order = np.argsort(labels, kind="stable")
    issues = _issue_rows(stream, labels, order, category_ids, lat0, lon0, shift_s, now, window_days)
    open_count = sum(1 for row in issues if row[3] != "closed")
    copy_issues(issues)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY reports_report (id, issue_id, category_id, location, address, description, "
            "answers, urgency, emergency, channel, tracking_code, hidden, placed_by_staff, match, "
            "language, created_at, updated_at) FROM STDIN"
        ) as copy:
            for row in _report_rows(stream, labels, category_ids, lat0, lon0, shift_s):
                copy.write_row(row)
        with raw.copy(
            "COPY reports_photo (report_id, image, thumbnail, width, height, size_bytes, sha256, "
            "phash, position, created_at) FROM STDIN"
        ) as copy:
            for row in _photo_rows(stream, shift_s):
                copy.write_row(row)
        for table in ("reports_issue", "reports_report", "reports_photo"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE reports_issue, reports_report, reports_photo")
    return len(issues), open_count


def copy_issues(rows: Iterable[tuple]) -> None:
    """COPY issue rows (the columns below, in order) into reports_issue."""
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY reports_issue (id, category_id, location, status, close_reason, address, "
            "emergency, hidden, report_count, supporter_count, priority, priority_explained, "
            "first_reported_at, last_reported_at, closed_at, version, created_at, updated_at) "
            "FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _issue_rows(
    stream: ReportStream,
    labels: NDArray[np.int64],
    order: NDArray[np.int64],
    category_ids: dict[str, int],
    lat0: float,
    lon0: float,
    shift_s: float,
    now: dt.datetime,
    window_days: float,
) -> list[tuple]:
    rows = []
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    for members in np.split(order, boundaries):
        first = int(members.min())
        lat, lon = to_lat_lon(
            float(stream.x_m[members].mean()), float(stream.y_m[members].mean()), lat0, lon0
        )
        first_at = _when(float(stream.created_s[members].min()), shift_s)
        last_at = _when(float(stream.created_s[members].max()), shift_s)
        closed_s = float(stream.closed_s[first]) + shift_s
        closed = closed_s <= now.timestamp() or (now - last_at).days > window_days
        closed_at = (
            _when(float(stream.closed_s[first]), shift_s)
            if closed and math.isfinite(closed_s)
            else (last_at if closed else None)
        )
        rows.append(
            (
                int(labels[first]) + 1,
                category_ids[stream.category[first]],
                f"SRID=4326;POINT({lon} {lat})",
                "closed" if closed else "new",
                "fixed" if closed else "",
                "",
                False,
                False,
                len(members),
                0,
                0.0,
                "{}",
                first_at,
                last_at,
                closed_at,
                1,
                first_at,
                last_at,
            )
        )
    return rows


def _report_rows(
    stream: ReportStream,
    labels: NDArray[np.int64],
    category_ids: dict[str, int],
    lat0: float,
    lon0: float,
    shift_s: float,
) -> Iterator[tuple]:
    xs, ys, ts = stream.x_m.tolist(), stream.y_m.tolist(), stream.created_s.tolist()
    for i in range(len(stream)):
        lat, lon = to_lat_lon(xs[i], ys[i], lat0, lon0)
        at = _when(ts[i], shift_s)
        yield (
            i + 1,
            int(labels[i]) + 1,
            category_ids[stream.category[i]],
            f"SRID=4326;POINT({lon} {lat})",
            "",
            stream.description[i],
            "{}",
            3,
            False,
            "api",
            f"B{i:08d}",
            False,
            False,
            "{}",
            "it",
            at,
            at,
        )


def _photo_rows(stream: ReportStream, shift_s: float) -> Iterator[tuple]:
    for i, hashes in enumerate(stream.phashes):
        at = _when(float(stream.created_s[i]), shift_s)
        for position, phash in enumerate(hashes):
            yield (i + 1, "bench/none.jpg", "", 0, 0, 0, "", phash, position, at)


def _when(seconds: float, shift_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds + shift_s, tz=dt.UTC)
