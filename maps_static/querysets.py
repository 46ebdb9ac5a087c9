"""What the maps read: the public layer aggregated by viewport and zoom, popups, queues.

Only public columns are read for the public map (never Reporter, never photo_location).
Coordinates are WGS84 degrees; grid cells are sized in screen pixels at the requested zoom.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from reports.models import (
    Category,
    Issue,
    Photo,
    PublicStatus,
    Status,
    internal_statuses,
)
from reports.querysets import open_issues, public_issues, public_photos

# Closed issues stay on the public map this long when "recently closed" is on.
RECENTLY_CLOSED_DAYS = 30
# Side of a grid cell on screen: issues closer than this at the current zoom are one cluster.
CELL_PX = 60
TILE_PX = 256
# From this zoom on (street level, ~0.3 m/px) issues are never grouped: each is a marker.
UNCLUSTERED_FROM_ZOOM = 18
# At street level the markers are capped; more than this in view means zooming out anyway.
MAX_MARKERS = 5000
MIN_ZOOM, MAX_ZOOM = 0, 22


@dataclass(frozen=True)
class Viewport:
    """A map view: bounding box in degrees, zoom, and the public filters."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    zoom: int
    category_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = (PublicStatus.OPEN.value, PublicStatus.UNDER_REVIEW.value)
    recently_closed: bool = False

    def cell_deg(self) -> tuple[float, float]:
        """Return the grid cell's (width, height) in degrees: CELL_PX at this zoom."""
        width = 360.0 / (TILE_PX * 2**self.zoom) * CELL_PX
        # Web Mercator squeezes longitudes by cos(latitude): keep the cells square on screen.
        middle = math.radians((self.min_lat + self.max_lat) / 2)
        return width, width * math.cos(middle)


@dataclass(frozen=True)
class Cell:
    """One cluster, or one issue when count == 1 (then id, category_id and status are its)."""

    count: int
    lon: float
    lat: float
    category_id: int
    id: int
    status: str
    open_count: int
    closed_count: int


def _public_filter_sql(view: Viewport, since: dt.datetime) -> tuple[str, list[Any]]:
    """The WHERE clause shared by the grid and the tiles (issue_open_location_gist).

    Built from constant fragments only; every value is a parameter (hence the S608 noqa below).
    """
    wanted = [s for p in view.statuses if p != PublicStatus.CLOSED for s in internal_statuses(p)]
    status_sql = "status = ANY(%s)"
    params: list[Any] = [wanted]
    if view.recently_closed:
        status_sql = f"({status_sql} OR (status = 'closed' AND closed_at >= %s))"
        params.append(since)
    else:
        # Spelled out so that the planner picks the partial index on open issues.
        status_sql += " AND status <> 'closed'"
    sql = f"NOT hidden AND {status_sql}"
    if view.category_ids:
        sql += " AND category_id = ANY(%s)"
        params.append(list(view.category_ids))
    return sql, params


def public_status_sql(column: str = "status") -> tuple[str, list[Any]]:
    """A SQL CASE giving the public status (reports.models.PUBLIC_STATUS) of a status column.

    `column` is a constant of the caller's query, never user input; the statuses are parameters.
    """
    sql = (
        f"CASE WHEN {column} = ANY(%s) THEN 'open' "
        f"WHEN {column} = ANY(%s) THEN 'under_review' ELSE 'closed' END"
    )
    return sql, [internal_statuses(PublicStatus.OPEN), internal_statuses(PublicStatus.UNDER_REVIEW)]


def viewport_cells(view: Viewport, *, now: dt.datetime | None = None) -> list[Cell]:
    """Group the public issues in view into grid cells of CELL_PX at the view's zoom.

    One query. From UNCLUSTERED_FROM_ZOOM on, every issue is its own cell (at most MAX_MARKERS).
    """
    since = (now or timezone.now()) - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    where, params = _public_filter_sql(view, since)
    envelope = [view.min_lon, view.min_lat, view.max_lon, view.max_lat]
    if view.zoom >= UNCLUSTERED_FROM_ZOOM:
        sql = (
            "SELECT 1, ST_X(location), ST_Y(location), category_id, id, status, "  # noqa: S608
            "(status <> 'closed')::int, (status = 'closed')::int "
            "FROM reports_issue WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
            f"AND {where} ORDER BY priority DESC LIMIT %s"
        )
        args = [*envelope, *params, MAX_MARKERS]
    else:
        dx, dy = view.cell_deg()
        # Raw SQL: the ORM cannot group by a computed grid cell nor take mode() of a column.
        sql = (
            "SELECT count(*), avg(ST_X(location)), avg(ST_Y(location)), "  # noqa: S608
            "mode() WITHIN GROUP (ORDER BY category_id), min(id), min(status), "
            "count(*) FILTER (WHERE status <> 'closed'), "
            "count(*) FILTER (WHERE status = 'closed') "
            "FROM reports_issue WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
            f"AND {where} "
            "GROUP BY floor(ST_X(location) / %s), floor(ST_Y(location) / %s)"
        )
        args = [*envelope, *params, dx, dy]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [Cell(*row) for row in cursor.fetchall()]


def viewport_tile(
    z: int, x: int, y: int, view: Viewport, *, now: dt.datetime | None = None
) -> bytes:
    """Return one Mapbox vector tile of the public layer, clustered like viewport_cells.

    A feature's `status` is the public one (open, under_review, closed), given only when it is
    a single issue (n = 1), as the grid gives it. Kept to measure against the grid
    (bench/maps.py); the map itself uses the grid.
    """
    since = (now or timezone.now()) - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    where, params = _public_filter_sql(view, since)
    public_sql, public_params = public_status_sql()
    # One CELL_PX cell in metres of Web Mercator at zoom z.
    cell_m = 2 * math.pi * 6_378_137 / (TILE_PX * 2**z) * CELL_PX
    # Raw SQL: ST_AsMVT and ST_TileEnvelope have no ORM equivalent. ST_AsMVT leaves a NULL
    # attribute out of the feature: clusters carry no status.
    sql = (
        "WITH bounds AS (SELECT ST_TileEnvelope(%s, %s, %s) AS merc), "  # noqa: S608
        f"pts AS (SELECT id, category_id, {public_sql} AS status, "
        "ST_Transform(location, 3857) AS g "
        "FROM reports_issue, bounds "
        "WHERE location && ST_Transform(bounds.merc, 4326) "
        f"AND {where}), "
        "cells AS (SELECT count(*) AS n, min(id) AS id, "
        "mode() WITHIN GROUP (ORDER BY category_id) AS category_id, "
        "CASE WHEN count(*) = 1 THEN min(status) END AS status, "
        "ST_Centroid(ST_Collect(g)) AS g FROM pts GROUP BY ST_SnapToGrid(g, %s)) "
        "SELECT ST_AsMVT(t, 'issues', 4096, 'geom') FROM ("
        "SELECT n, id, category_id, status, ST_AsMVTGeom(g, bounds.merc, 4096, 64, true) AS geom "
        "FROM cells, bounds) AS t"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [z, x, y, *public_params, *params, cell_m])
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] else b""


def map_categories() -> QuerySet[Category]:
    """Categories shown in the map's filter and legend, with their group's colour."""
    return (
        Category.objects.filter(active=True)
        .select_related("group")
        .order_by("group__order", "group__code", "order", "code")
    )


def public_map_issues(
    category_ids: tuple[int, ...], statuses: tuple[str, ...], recently_closed: bool
) -> QuerySet[Issue]:
    """The issues of the list view: the same filters as the map, most recent first."""
    since = timezone.now() - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    wanted = [s for p in statuses if p != PublicStatus.CLOSED for s in internal_statuses(p)]
    issues = public_issues()
    shown = issues.filter(status__in=wanted)
    if recently_closed:
        shown = shown | issues.filter(status=Status.CLOSED, closed_at__gte=since)
    if category_ids:
        shown = shown.filter(category_id__in=category_ids)
    return shown.select_related("category__group").order_by("-last_reported_at", "-id")


def first_thumbnail(issue: Issue) -> Photo | None:
    """The first public photo of an issue that has a thumbnail, or None."""
    return (
        public_photos()
        .filter(report__issue=issue)
        .exclude(thumbnail="")
        .order_by("report__created_at", "position")
        .only("thumbnail")
        .first()
    )


def department_queue(department_id: int) -> QuerySet[Issue]:
    """A department's open issues for its coordinator, hidden ones included (staff only)."""
    return (
        open_issues()
        .filter(department_id=department_id)
        .select_related("category__group")
        .only(
            "id",
            "location",
            "priority",
            "due_at",
            "status",
            "address",
            "emergency",
            "category__code",
            "category__name_it",
            "category__name_en",
            "category__group__code",
        )
        .order_by("-priority", "id")
    )
