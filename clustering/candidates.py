"""The database side of matching: lock a neighbourhood, find the open issues near a point.

clustering.match decides; this module only fetches. Positions handed to the pure core are in
metres on a local plane centred on the new report (geo.units.local_xy_m).
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from clustering.match import Candidate, MatchParams
from geo.units import EARTH_RADIUS_M, haversine_m, local_xy_m
from reports.models import Category, Issue, Photo, Report

# On the sphere of ST_DWithin(..., use_spheroid=false) and geo.units.haversine_m: the lock
# cells must cover the whole search circle (111,320 m, the equator's, made them 0.1% short).
METRES_PER_DEGREE_LAT = math.radians(1) * EARTH_RADIUS_M
# Advisory-lock cells: about 220 m a side in Italy. Any size is correct (a submission locks
# every cell its search square touches); bigger cells mean fewer locks, more contention.
LOCK_CELL_LAT_DEG = 0.002
LOCK_CELL_LON_DEG = 0.0028
MAX_LOCK_CELLS = 16
CANDIDATE_LIMIT = 10


@dataclass(frozen=True)
class NearbyIssue:
    issue_id: int
    distance_m: float


def match_params(match_whole_group: bool) -> MatchParams:
    """The matching rules in force: the pure core's defaults, the window from settings."""
    return MatchParams(window_days=settings.DUPLICATE_WINDOW_DAYS, same_group=match_whole_group)


def degrees_for(lat: float, metres: float) -> tuple[float, float]:
    """Return the (lat, lon) degree spans of `metres` at latitude `lat`."""
    dlat = metres / METRES_PER_DEGREE_LAT
    dlon = metres / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return dlat, dlon


def lock_cells(lat: float, lon: float, reach_m: float) -> list[int]:
    """Return the sorted advisory-lock keys of the cells a search of reach_m metres touches.

    Two submissions that could see each other's issue lock at least one common cell: the cell
    holding the first one's point lies inside the second one's search square.
    """
    dlat, dlon = degrees_for(lat, reach_m)
    rows = _cell_range(lat, dlat, LOCK_CELL_LAT_DEG)
    cols = _cell_range(lon, dlon, LOCK_CELL_LON_DEG)
    if len(rows) * len(cols) > MAX_LOCK_CELLS:
        return [0]  # a huge radius: lock the whole group instead
    return sorted({((r * 73_856_093) ^ (c * 19_349_663)) & 0x7FFF_FFFF for r in rows for c in cols})


def _cell_range(centre: float, half_span: float, cell: float) -> range:
    return range(
        math.floor((centre - half_span) / cell), math.floor((centre + half_span) / cell) + 1
    )


# One round trip; the ordered subquery takes the keys in ascending order (no deadlock).
LOCK_SQL = (
    "SELECT count(pg_advisory_xact_lock(%s, k)) FROM "
    "(SELECT unnest(%s::int[]) AS k ORDER BY 1) AS keys"
)


def lock_neighbourhood(group_id: int, lat: float, lon: float, reach_m: float) -> None:
    """Serialise, until the transaction ends, submissions of a category group near a point.

    Twenty citizens sending the same pothole at the same second then see each other's issue
    instead of opening twenty. Keys are taken in sorted order, so two submissions never
    deadlock.
    """
    # The database the submission writes to, as its candidates and its issue's lock.
    with connections[router.db_for_write(Issue)].cursor() as cursor:
        cursor.execute(LOCK_SQL, [group_id, lock_cells(lat, lon, reach_m)])


def compatible_category_ids(category: Category) -> list[int]:
    """The categories whose issues a report of `category` may join."""
    if not category.match_whole_group:
        return [category.pk]
    return list(Category.objects.filter(group_id=category.group_id).values_list("pk", flat=True))


# KNN (<->) over the partial index issue_open_geography_gist: the ORM cannot order by the
# distance operator. On geography <-> measures metres on the sphere, as geo.units.haversine_m
# does; on the geometry (SRID 4326) index it would measure degrees, and a degree of longitude
# is cos(latitude) of a degree of latitude's metres (0.74 in Rome, 0.5 in Helsinki), so issues
# to the east and west came after farther ones to the north and south, and the LIMIT left them
# out. ST_DWithin keeps the index scan within the reach (on the same index); the WHERE repeats
# the index's predicate (NOT status = 'closed') so that the planner may use it. The evidence
# (recent descriptions, photo hashes) comes in the same round trip, for the rows returned only.
_NEAREST_OPEN_SQL = """
SELECT i.id, ST_Y(i.location), ST_X(i.location), c.code, g.code, c.duplicate_radius_m,
       i.last_reported_at, i.report_count,
       CASE WHEN %(evidence)s THEN ARRAY(
           SELECT r.description FROM reports_report r
           WHERE r.issue_id = i.id AND r.description <> ''
           ORDER BY r.created_at DESC, r.id DESC LIMIT %(descriptions)s
       ) END,
       CASE WHEN %(evidence)s THEN ARRAY(
           SELECT p.phash FROM reports_photo p JOIN reports_report r ON r.id = p.report_id
           WHERE r.issue_id = i.id AND p.phash <> ''
           ORDER BY p.id DESC LIMIT %(phashes)s
       ) END
FROM reports_issue i
JOIN reports_category c ON c.id = i.category_id
JOIN reports_categorygroup g ON g.id = c.group_id
WHERE NOT (i.status = 'closed')
  AND i.category_id = ANY(%(categories)s)
  AND i.last_reported_at >= %(since)s
  AND (%(public_only)s = false OR i.hidden = false)
  AND ST_DWithin(
      i.location::geography(Point, 4326),
      ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
      %(reach_m)s,
      false
  )
ORDER BY i.location::geography(Point, 4326)
      <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography
LIMIT %(limit)s
"""


def _nearest_open(params: dict[str, Any], alias: str) -> list[tuple]:
    """Run _NEAREST_OPEN_SQL with nearest_open_params' parameters on database `alias`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(_NEAREST_OPEN_SQL, params)
        return cursor.fetchall()


def nearest_open_params(
    lat: float,
    lon: float,
    category_ids: list[int],
    reach_m: float,
    since: dt.datetime,
    limit: int,
    public_only: bool,
    evidence: MatchParams | None = None,
) -> dict[str, Any]:
    """Return the parameters of _NEAREST_OPEN_SQL: open issues of `category_ids` whose latest
    report is after `since`, nearest first within `reach_m` metres, at most `limit`; with
    `evidence`, each with its latest descriptions and photo hashes as the params ask."""
    return {
        "categories": category_ids,
        "since": since,
        "public_only": public_only,
        "reach_m": reach_m,
        "lat": lat,
        "lon": lon,
        "limit": limit,
        "evidence": evidence is not None,
        "descriptions": evidence.candidate_descriptions if evidence else 0,
        "phashes": evidence.candidate_phashes if evidence else 0,
    }


def search_reach_m(
    category: Category, params: MatchParams, accuracy_m: float | None = None
) -> float:
    """How far from a new report of `category` an issue's centre may be and still match.

    The widest case: a re-sent photo, and the phone's GPS accuracy (capped by the params).
    """
    radius_m = _widest_radius_m(category, compatible_category_ids(category))
    return params.reach_m(radius_m, True, accuracy_m=accuracy_m)


def find_candidates(
    lat: float,
    lon: float,
    category: Category,
    params: MatchParams,
    now: dt.datetime,
    accuracy_m: float | None = None,
) -> list[Candidate]:
    """Return the open issues a report at (lat, lon) might join, nearest first.

    Fetches at most CANDIDATE_LIMIT issues within the widest reach (a re-sent photo may be
    photo_radius_factor radii away) whose latest report is inside the recency window, with the
    descriptions and photo hashes the pure core weighs. One query whatever the density.
    """
    rows = _nearest_open(
        nearest_open_params(
            lat,
            lon,
            compatible_category_ids(category),
            search_reach_m(category, params, accuracy_m),
            since=now - dt.timedelta(days=params.window_days),
            limit=CANDIDATE_LIMIT,
            public_only=False,
            evidence=params,
        ),
        # The submission's transaction, under its lock: never a replica.
        router.db_for_write(Issue),
    )
    candidates = []
    for issue_id, c_lat, c_lon, code, group, radius_m, last_at, count, texts, hashes in rows:
        x_m, y_m = local_xy_m(c_lat, c_lon, lat, lon)
        candidates.append(
            Candidate(
                issue_id=issue_id,
                x_m=x_m,
                y_m=y_m,
                category=code,
                group=group,
                radius_m=float(radius_m),
                last_report_s=last_at.timestamp(),
                descriptions=tuple(texts),
                phashes=tuple(hashes),
                report_count=count,
            )
        )
    return candidates


def nearby_open_issues(
    lat: float, lon: float, category: Category, radius_m: float, limit: int
) -> list[NearbyIssue]:
    """Return public open issues of compatible categories within radius_m, nearest first."""
    rows = _nearest_open(
        nearest_open_params(
            lat,
            lon,
            compatible_category_ids(category),
            radius_m,
            since=dt.datetime.min.replace(tzinfo=dt.UTC),
            limit=limit,
            public_only=True,
        ),
        # Where the ORM reads issues: the replica during a public read (config/db_router.py).
        router.db_for_read(Issue),
    )
    found = [NearbyIssue(row[0], haversine_m(lat, lon, row[1], row[2])) for row in rows]
    return [issue for issue in found if issue.distance_m <= radius_m]


def _widest_radius_m(category: Category, category_ids: list[int]) -> float:
    if category_ids == [category.pk]:
        return float(category.duplicate_radius_m)
    radii = Category.objects.filter(pk__in=category_ids).values_list(
        "duplicate_radius_m", flat=True
    )
    return float(max(radii, default=category.duplicate_radius_m))


def recent_descriptions(issue_ids: list[int], per_issue: int) -> dict[int, list[str]]:
    """Each issue's latest non-empty descriptions, newest first (one query, windowed)."""
    if not issue_ids:
        return {}
    rows = (
        Report.objects.filter(issue_id__any=issue_ids)
        .exclude(description="")
        .annotate(
            n=Window(
                RowNumber(),
                partition_by=F("issue_id"),
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(n__lte=per_issue)
        .values_list("issue_id", "description")
    )
    grouped: dict[int, list[str]] = {}
    for issue_id, description in rows:
        grouped.setdefault(issue_id, []).append(description)
    return grouped


def recent_phashes(issue_ids: list[int], per_issue: int) -> dict[int, list[str]]:
    if not issue_ids:
        return {}
    rows = (
        Photo.objects.filter(report__issue_id__any=issue_ids)
        .exclude(phash="")
        .annotate(
            n=Window(RowNumber(), partition_by=F("report__issue_id"), order_by=F("id").desc())
        )
        .filter(n__lte=per_issue)
        .values_list("report__issue_id", "phash")
    )
    grouped: dict[int, list[str]] = {}
    for issue_id, phash in rows:
        grouped.setdefault(issue_id, []).append(phash)
    return grouped
