"""The insert-and-match of one submission written by hand in SQL: bench/scale.py's baseline.

One transaction: the category, the advisory lock on the report's neighbourhood, the candidate
KNN query with the evidence the matcher reads (clustering.candidates), then update the nearest
issue or insert a new one, and insert the report. bench/scale.py runs it through psycopg
directly (the bare SQL figure) and inside a Django view served by gunicorn
(bench/floor_app.py: the framework's floor on the same work).
"""

import datetime as dt
import uuid
from typing import Any

from clustering.candidates import (
    _NEAREST_OPEN_SQL,
    LOCK_SQL,
    lock_cells,
    nearest_open_params,
)
from clustering.match import MatchParams

_CATEGORY_SQL = """
SELECT c.id, c.group_id, c.duplicate_radius_m, c.department_id FROM reports_category c
WHERE c.code = %s
"""


def bare_submission(cur: Any, lat: float, lon: float, code: str) -> int:
    """Run the insert-and-match on an open cursor inside a transaction; return the issue id.

    `cur` is a psycopg cursor or a Django cursor (the same DB-API calls); raises LookupError
    for an unknown category code.
    """
    cur.execute(_CATEGORY_SQL, [code])
    category_row = cur.fetchone()
    if category_row is None:
        raise LookupError(code)
    category_id, group_id, radius_m, department_id = category_row
    reach_m = radius_m * 2 + 16
    cur.execute(LOCK_SQL, [group_id, lock_cells(lat, lon, reach_m)])
    now = dt.datetime.now(dt.UTC)
    since = now - dt.timedelta(days=MatchParams().window_days)
    cur.execute(
        _NEAREST_OPEN_SQL,
        nearest_open_params(lat, lon, [category_id], reach_m, since, 10, False, MatchParams()),
    )
    found = cur.fetchall()
    point = f"SRID=4326;POINT({lon} {lat})"
    if found:
        issue_id = int(found[0][0])
        cur.execute(
            "UPDATE reports_issue SET report_count = report_count + 1, "
            "last_reported_at = %s, updated_at = %s WHERE id = %s",
            [now, now, issue_id],
        )
    else:
        cur.execute(
            "INSERT INTO reports_issue (category_id, department_id, location, "
            "status, close_reason, address, emergency, hidden, report_count, "
            "supporter_count, priority, priority_explained, first_reported_at, "
            "last_reported_at, version, created_at, updated_at) VALUES (%s, %s, "
            "%s, 'new', '', '', false, false, 1, 0, 30, '{}', %s, %s, 1, %s, %s) "
            "RETURNING id",
            [category_id, department_id, point, now, now, now, now],
        )
        issue_id = int(cur.fetchone()[0])
    cur.execute(
        "INSERT INTO reports_report (issue_id, category_id, location, address, "
        "description, answers, urgency, emergency, channel, tracking_code, "
        "hidden, placed_by_staff, match, language, created_at, updated_at) "
        "VALUES (%s, %s, %s, '', 'bench', '{}', 3, false, 'api', %s, false, "
        "false, '{}', 'en', %s, %s)",
        [issue_id, category_id, point, "q" + uuid.uuid4().hex[:8], now, now],
    )
    return issue_id
