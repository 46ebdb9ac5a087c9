"""The insert-and-match of one submission written by hand in SQL: bench/scale.py's baseline.

The same statements, in the same order, as `POST /api/v1/reports/` runs for a JSON report
without photo or contact (tests/test_scale.py checks it statement by statement): the place
(inside the territory, which ward) and the nearest street's name (the API runs these two before
its transaction, this inside: one round trip fewer); the advisory lock on the report's
neighbourhood and the candidate KNN query (clustering.candidates); to join, lock the issue,
insert the report and its timeline entry, read the issue's reports and supporters and update
the issue's row; else read the assignment rules, insert the issue, its first timeline entry
and the report. The Python in between is left out: no matching decision (the nearest candidate
within the category's radius is joined), no priority's arithmetic (the row keeps its
priority), the centre the reports' plain mean. bench/scale.py runs it through psycopg directly
(the bare SQL figure) and inside a Django view served by gunicorn (bench/floor_app.py: the
framework's floor on the same work).
"""

import datetime as dt
import json
import uuid
from typing import Any

from clustering.candidates import (
    _NEAREST_OPEN_SQL,
    LOCK_SQL,
    lock_cells,
    nearest_open_params,
)
from clustering.match import MatchParams
from geo.geocode import NEAREST_STREET_SQL, nearest_street_params
from geo.querysets import _PLACE_SQL
from geo.units import haversine_m
from reports.querysets import _CONTRIBUTIONS_SQL, _LOCK_OPEN_ISSUE_SQL

_CATEGORY_SQL = """
SELECT c.id, c.group_id, c.duplicate_radius_m, c.department_id FROM reports_category c
WHERE c.code = %s
"""
CategoryRow = tuple[int, int, float, int | None]  # id, group, radius, department


def bare_submission(
    cur: Any, lat: float, lon: float, code: str, categories: dict[str, CategoryRow]
) -> int:
    """Run the insert-and-match on an open cursor inside a transaction; return the issue id.

    `cur` is a psycopg cursor or a Django cursor (the same DB-API calls); `categories` keeps
    the categories read so far (the API's catalogue keeps them in memory too). Raises
    LookupError for an unknown category code.
    """
    if code not in categories:
        cur.execute(_CATEGORY_SQL, [code])
        row = cur.fetchone()
        if row is None:
            raise LookupError(code)
        categories[code] = row
    category_id, group_id, radius_m, department_id = categories[code]
    point = f"SRID=4326;POINT({lon} {lat})"
    cur.execute(_PLACE_SQL, [point])
    area_id = cur.fetchone()[1]
    cur.execute(NEAREST_STREET_SQL, nearest_street_params(lat, lon))
    street = cur.fetchone()
    address = street[0] if street else ""
    reach_m = radius_m * 2 + 16
    cur.execute(LOCK_SQL, [group_id, lock_cells(lat, lon, reach_m)])
    now = dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=MatchParams().window_days)
    cur.execute(
        _NEAREST_OPEN_SQL,
        nearest_open_params(lat, lon, [category_id], reach_m, since, 10, False, MatchParams()),
    )
    found = cur.fetchall()
    # Nearest first: joined if its centre is within the category's radius. The matcher weighs
    # more evidence: of 1,000 of bench/scale.py's submissions it joined 786, this 863 (a join
    # runs one more statement than an opening).
    joins = bool(found) and haversine_m(lat, lon, found[0][1], found[0][2]) <= radius_m
    if joins:
        cur.execute(_LOCK_OPEN_ISSUE_SQL, [int(found[0][0]), "closed"])
        locked = cur.fetchone()
    if not joins or locked is None:
        department_id = _assigned_department(cur, category_id, group_id, area_id, department_id)
        issue_id = _insert_issue(cur, category_id, department_id, point, address, now)
        cur.execute(
            "INSERT INTO reports_timelineentry (issue_id, kind, public, status, close_reason, "
            "text, data, created_at) VALUES (%s, 'created', true, 'new', '', '', '{}', %s)",
            [issue_id, now],
        )
        _insert_report(cur, issue_id, category_id, area_id, point, address, now)
        return issue_id
    issue_id = int(locked[0])
    report_id = _insert_report(cur, issue_id, category_id, area_id, point, address, now)
    cur.execute(
        "INSERT INTO reports_timelineentry (issue_id, kind, public, status, close_reason, "
        "text, data, created_at) VALUES (%s, 'report_added', true, '', '', '', %s, %s)",
        [issue_id, json.dumps({"report": report_id}), now],
    )
    cur.execute(_CONTRIBUTIONS_SQL, {"issue": issue_id})
    reports = [row for row in cur.fetchall() if row[0]]
    centre_lon = sum(row[6] for row in reports) / len(reports)
    centre_lat = sum(row[7] for row in reports) / len(reports)
    cur.execute(
        "UPDATE reports_issue SET location = ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
        "report_count = %s, last_reported_at = %s, updated_at = %s WHERE id = %s",
        [centre_lon, centre_lat, len(reports), now, now, issue_id],
    )
    return issue_id


def _assigned_department(
    cur: Any, category_id: int, group_id: int, area_id: int | None, default: int | None
) -> int | None:
    """The department of the most specific assignment rule (backoffice.assignment), roughly."""
    cur.execute(
        "SELECT department_id FROM backoffice_assignmentrule "
        "WHERE (category_id IS NULL OR category_id = %s) AND (group_id IS NULL OR group_id = %s) "
        "AND (area_id IS NULL OR area_id = %s) "
        'ORDER BY category_id IS NULL, area_id IS NULL, group_id IS NULL, "order" LIMIT 1',
        [category_id, group_id, area_id],
    )
    row = cur.fetchone()
    return row[0] if row else default


def _insert_issue(
    cur: Any, category_id: int, department_id: int | None, point: str, address: str, now: Any
) -> int:
    cur.execute(
        "INSERT INTO reports_issue (category_id, department_id, location, "
        "status, close_reason, address, emergency, hidden, report_count, "
        "supporter_count, priority, priority_explained, first_reported_at, "
        "last_reported_at, version, created_at, updated_at) VALUES (%s, %s, "
        "%s, 'new', '', %s, false, false, 1, 0, 30, '{}', %s, %s, 1, %s, %s) "
        "RETURNING id",
        [category_id, department_id, point, address, now, now, now, now],
    )
    return int(cur.fetchone()[0])


def _insert_report(
    cur: Any,
    issue_id: int,
    category_id: int,
    area_id: int | None,
    point: str,
    address: str,
    now: Any,
) -> int:
    cur.execute(
        "INSERT INTO reports_report (issue_id, category_id, location, address, area_id, "
        "description, answers, urgency, emergency, channel, tracking_code, "
        "hidden, placed_by_staff, match, language, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, 'bench', '{}', 3, false, 'api', %s, false, "
        "false, '{}', 'en', %s, %s) RETURNING id",
        [issue_id, category_id, point, address, area_id, "q" + uuid.uuid4().hex[:8], now, now],
    )
    return int(cur.fetchone()[0])
