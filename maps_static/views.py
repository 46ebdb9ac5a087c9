"""The maps: the public open-issue map and its list view, the viewport API, the queue map.

Leaflet comes from django-leaflet's static files and the maps' scripts from our own; nothing is
loaded from another host but the tiles (settings.TILE_URL). The public views read only public
columns; the coordinator's queue map is for staff.
"""

import hashlib
import json
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.gis.db.models import Extent
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backoffice import roles
from backoffice.roles import Verb
from geo.models import Department, Municipality
from maps_static.colours import text_colour_on
from maps_static.layer import layer_version
from maps_static.querysets import (
    MAX_ZOOM,
    MIN_ZOOM,
    UNCLUSTERED_FROM_ZOOM,
    Viewport,
    department_queue,
    first_thumbnail,
    map_categories,
    public_map_issues,
    viewport_cells,
    viewport_tile,
)
from maps_static.snapshot import snapshot_url
from reports.api import parse_bbox
from reports.models import CloseReason, PublicStatus, public_status
from reports.querysets import public_issues
from routing.models import Crew, CrewRoute
from routing.planning import current_plan

LIST_PAGE_SIZE = 50
# Browsers and proxies may reuse a viewport answer this long; the ETag revalidates it after.
VIEWPORT_MAX_AGE_S = 30
# Server-side cache of viewport answers; the layer version in the key retires them sooner.
VIEWPORT_CACHE_S = 600
# Priority bands of the queue map, highest first: (lowest priority, colour).
PRIORITY_BANDS = [(80.0, "#b10026"), (50.0, "#e31a1c"), (25.0, "#fd8d3c"), (0.0, "#1b7837")]
# Crew routes on the queue map, in turn; the stops' numbers are written on them.
ROUTE_COLOURS = ("#1f78b4", "#6a3d9a", "#ff7f00", "#33a02c", "#a6761d")
TILE_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# A tile outside the pyramid stays empty whatever happens: clients may keep the answer a day.
OUTSIDE_TILE_MAX_AGE_S = 24 * 3600
PUBLIC_STATUSES_SHOWN = (PublicStatus.OPEN.value, PublicStatus.UNDER_REVIEW.value)


class BadParameter(ValueError):
    """A query parameter the user gave is wrong; str() is the message in their language."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def bad_request(error: BadParameter) -> JsonResponse:
    return JsonResponse({error.field: [str(error)]}, status=400)


def parse_filters(params: QueryDict) -> tuple[tuple[int, ...], tuple[str, ...], bool]:
    """Read category (codes), status (open, under_review) and closed=1 from a query."""
    codes = [c for raw in params.getlist("category") for c in raw.split(",") if c.strip()]
    category_ids: tuple[int, ...] = ()
    if codes:
        # A code with NUL is no category, and PostgreSQL refuses NUL in a query (a 500).
        clean = [c for c in codes if "\x00" not in c]
        found = dict(map_categories().filter(code__in=clean).values_list("code", "id"))
        unknown = sorted(set(codes) - set(found))
        if unknown:
            raise BadParameter(
                "category", _("Unknown category: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        category_ids = tuple(sorted(found.values()))
    statuses = [s for raw in params.getlist("status") for s in raw.split(",") if s.strip()]
    unknown_statuses = [s for s in statuses if s not in PUBLIC_STATUSES_SHOWN]
    if unknown_statuses:
        raise BadParameter(
            "status", _("Unknown status: %(s)s.") % {"s": ", ".join(unknown_statuses)}
        )
    # Asked for explicitly but all unticked: show no open issue (only recently closed, if on).
    chosen = tuple(sorted(set(statuses))) if statuses or "status" in params else ()
    if not statuses and "status" not in params:
        chosen = PUBLIC_STATUSES_SHOWN
    return category_ids, chosen, params.get("closed") in ("1", "true", "on")


def parse_zoom(raw: str | None) -> int:
    try:
        zoom = int(raw or "")
    except ValueError:
        zoom = -1
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise BadParameter(
            "zoom", _("Give zoom as a whole number from %(a)d to %(b)d.") % {"a": 0, "b": 22}
        )
    return zoom


def parse_viewport(params: QueryDict) -> Viewport:
    try:
        bbox = parse_bbox(params.get("bbox", ""))
    except ValidationError as exc:
        raise BadParameter("bbox", str(exc.detail["bbox"][0])) from None  # type: ignore[index]
    zoom = parse_zoom(params.get("zoom"))
    category_ids, statuses, closed = parse_filters(params)
    min_lon, min_lat, max_lon, max_lat = bbox.extent
    view = Viewport(min_lon, min_lat, max_lon, max_lat, zoom, category_ids, statuses, closed)
    if zoom >= UNCLUSTERED_FROM_ZOOM:
        return view
    # Round the box outwards to whole blocks of 4 cells: pans by a few pixels and every visitor
    # of the same place share one cached answer; the extra cells lie just outside the screen.
    dx, dy = view.cell_deg()
    bx, by = 4 * dx, 4 * dy
    return Viewport(
        max(-180.0, (min_lon // bx) * bx),
        max(-90.0, (min_lat // by) * by),
        min(180.0, (max_lon // bx + 1) * bx),
        min(90.0, (max_lat // by + 1) * by),
        zoom,
        category_ids,
        statuses,
        closed,
    )


def cache_key(kind: str, view: Viewport, extra: str = "") -> str:
    raw = f"{kind}|{layer_version()}|{view!r}|{extra}"
    return "maps:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def cached_answer(request: HttpRequest, key: str, content_type: str, build: Any) -> HttpResponse:
    """Answer from the cache (or build and cache), with an ETag and 304 on a match."""
    etag = f'"{key[5:21]}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = cache.get(key)
        if body is None:
            body = build()
            cache.set(key, body, VIEWPORT_CACHE_S)
        # An empty body is an empty vector tile: 204, which map clients take for "no data here".
        response = HttpResponse(body, content_type=content_type, status=200 if body else 204)
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={VIEWPORT_MAX_AGE_S}"
    return response


def viewport_data(request: HttpRequest) -> HttpResponse:
    """GET /map/viewport?bbox=&zoom=&category=&status=&closed=: the public layer in view.

    Clusters below UNCLUSTERED_FROM_ZOOM ({"n", "lon", "lat", "c"} with "id" and "s" when
    n == 1), single issues from there on. Language-neutral: the page knows the names.
    """
    try:
        view = parse_viewport(request.GET)
    except BadParameter as error:
        return bad_request(error)

    def build() -> bytes:
        cells = []
        for cell in viewport_cells(view):
            item: dict[str, Any] = {
                "n": cell.count,
                "lon": round(cell.lon, 6),
                "lat": round(cell.lat, 6),
                "c": cell.category_id,
            }
            if cell.count == 1:
                item["id"] = cell.id
                item["s"] = public_status(cell.status)
            else:
                item["closed"] = cell.closed_count
            cells.append(item)
        return json.dumps({"zoom": view.zoom, "cells": cells}, separators=(",", ":")).encode()

    return cached_answer(request, cache_key("grid", view), "application/json", build)


def viewport_tile_data(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
    """GET /map/tiles/z/x/y.pbf: the same layer as a vector tile (measured, not used).

    A tile without issues, and one outside the pyramid (zoom above MAX_ZOOM, x or y beyond the
    zoom's grid), is 204 No Content: Mapbox GL and MapLibre draw it as empty, while a 404 (or a
    200 without content, in Mapbox GL) is reported as an error for every such tile.
    """
    if not (MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        response = HttpResponse(status=204, content_type=TILE_CONTENT_TYPE)
        response["Cache-Control"] = f"public, max-age={OUTSIDE_TILE_MAX_AGE_S}"
        return response
    try:
        category_ids, statuses, closed = parse_filters(request.GET)
    except BadParameter as error:
        return bad_request(error)
    view = Viewport(-180, -90, 180, 90, z, category_ids, statuses, closed)
    return cached_answer(
        request,
        cache_key("tile", view, f"{x}/{y}"),
        TILE_CONTENT_TYPE,
        lambda: viewport_tile(z, x, y, view),
    )


def issue_summary(request: HttpRequest, pk: int) -> JsonResponse:
    """GET /map/issues/<pk>/summary: what the public map's popup shows. No personal data."""
    issue = public_issues().select_related("category__group").filter(pk=pk).first()
    if issue is None:
        return JsonResponse({"detail": _("No such issue.")}, status=404)
    photo = first_thumbnail(issue)
    status = PublicStatus(issue.public_status)
    response = JsonResponse(
        {
            "id": issue.pk,
            "category": issue.category.name,
            "group": issue.category.group.code,
            "color": issue.category.group.color,
            "address": issue.address,
            "status": status.value,
            "status_label": str(status.label),
            "close_reason": (
                str(CloseReason(issue.close_reason).label) if issue.close_reason else ""
            ),
            # Distinct people (reporters and "me too"), as the priority counts them.
            "people": issue.people,
            "thumbnail_url": photo.thumbnail.url if photo else None,
            "url": reverse("issue", args=[issue.pk]),
        }
    )
    response["Cache-Control"] = "private, max-age=60"
    return response


def map_config(request: HttpRequest) -> dict[str, Any]:
    """What the public map's script needs: where to start, tiles, categories, URLs."""
    default_lat, default_lon = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
    config: dict[str, Any] = {
        "bounds": None,
        "centre": [default_lat, default_lon],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "tileUrl": settings.TILE_URL,
        "tileAttribution": settings.TILE_ATTRIBUTION,
        "viewportUrl": reverse("map-viewport"),
        "summaryUrl": reverse("map-issue-summary", args=[0]),
        "listUrl": reverse("map-list"),
        "unclusteredFromZoom": UNCLUSTERED_FROM_ZOOM,
    }
    extent = Municipality.objects.aggregate(extent=Extent("boundary"))["extent"]
    if extent:
        min_lon, min_lat, max_lon, max_lat = extent
        config["bounds"] = [[min_lat, min_lon], [max_lat, max_lon]]
    return config


def category_choices() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The categories (for the filter) and their groups (for the legend), in display order."""
    categories: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for category in map_categories():
        group = category.group
        categories.append(
            {"id": category.pk, "code": category.code, "name": category.name, "group": group.code}
        )
        groups.setdefault(
            group.code,
            {
                "code": group.code,
                "name": group.name,
                "color": group.color,
                # The cluster's count is written in it on the group's colour (maps.css).
                "text": text_colour_on(group.color),
            },
        )
    return categories, list(groups.values())


def public_map(request: HttpRequest) -> HttpResponse:
    """The public open-issue map."""
    categories, groups = category_choices()
    config = map_config(request)
    config.update(
        {
            "categories": {c["id"]: c for c in categories},
            "groups": {g["code"]: g for g in groups},
            "statusLabels": {s.value: str(s.label) for s in PublicStatus},
        }
    )
    return render(
        request,
        "maps_static/public_map.html",
        {
            "config": config,
            "categories": categories,
            "groups": groups,
            "snapshot_url": snapshot_url(),
            "licence": settings.OPEN_DATA_LICENCE,
        },
    )


def public_list(request: HttpRequest) -> HttpResponse:
    """The map's list view: the same issues and filters, as a paginated table."""
    categories, groups = category_choices()
    try:
        category_ids, statuses, closed = parse_filters(request.GET)
        error = ""
    except BadParameter as exc:
        category_ids, statuses, closed = (), PUBLIC_STATUSES_SHOWN, False
        error = str(exc)
    paginator = Paginator(public_map_issues(category_ids, statuses, closed), LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "issue": issue,
            "status": PublicStatus(issue.public_status),
            "close_reason": CloseReason(issue.close_reason).label if issue.close_reason else "",
            "people": issue.people,
        }
        for issue in page.object_list
    ]
    return render(
        request,
        "maps_static/public_list.html",
        {
            "page": page,
            "rows": rows,
            "categories": categories,
            "groups": groups,
            "selected_categories": set(category_ids),
            "selected_statuses": set(statuses),
            "closed": closed,
            "query": query.urlencode(),
            "error": error,
        },
        status=400 if error else 200,
    )


def priority_colour(priority: float) -> str:
    return next(colour for lowest, colour in PRIORITY_BANDS if priority >= lowest)


def route_lines(routes: list[CrewRoute]) -> list[dict[str, Any]]:
    """Today's crew routes: the line on the roads (or depot-stops-depot) and numbered stops,
    each route in its colour with the colour its stops' numbers read in."""
    drawn = []
    for index, route in enumerate(routes):
        colour = ROUTE_COLOURS[index % len(ROUTE_COLOURS)]
        depot = route.crew.depot.location
        stops = [
            {
                # Positions count from 1 (routing.planning), as on the crew's page.
                "n": stop.position,
                "issue": stop.issue_id,
                "lat": stop.issue.location.y,
                "lon": stop.issue.location.x,
                "state": stop.state,
                "url": reverse("office-issue", args=[stop.issue_id]),
            }
            for stop in route.stops.all()
        ]
        line = [[lat, lon] for lon, lat in route.line] or [
            [depot.y, depot.x],
            *[[s["lat"], s["lon"]] for s in stops],
            [depot.y, depot.x],
        ]
        drawn.append(
            {
                "crew": route.crew.name,
                "depot": [depot.y, depot.x],
                "line": line,
                "stops": stops,
                "colour": colour,
                "text": text_colour_on(colour),
            }
        )
    return drawn


def crew_depots(department: Department) -> list[dict[str, Any]]:
    """The depots the department's active crews start from, each with its crews' names."""
    depots: dict[int, dict[str, Any]] = {}
    crews = (
        Crew.objects.filter(department=department, active=True)
        .select_related("depot")
        .order_by("depot__name", "name")
    )
    for crew in crews:
        depot = depots.setdefault(
            crew.depot_id,
            {
                "name": crew.depot.name,
                "address": crew.depot.address,
                "lat": crew.depot.location.y,
                "lon": crew.depot.location.x,
                "crews": [],
            },
        )
        depot["crews"].append(crew.name)
    return list(depots.values())


@login_required
def queue_map(request: HttpRequest, pk: int) -> HttpResponse:
    """A department's open issues by priority, late ones marked, and today's crew routes.

    For whoever sees the whole department (backoffice.roles): its coordinator, operators,
    managers and administrators.
    """
    department = get_object_or_404(Department, pk=pk)
    if not roles.allowed_for_department(request.user, Verb.VIEW, department.pk):
        raise PermissionDenied
    now = timezone.now()
    issues = [
        {
            "id": issue.pk,
            "lat": issue.location.y,
            "lon": issue.location.x,
            "priority": round(issue.priority, 1),
            "colour": priority_colour(issue.priority),
            "late": bool(issue.due_at and issue.due_at < now),
            "emergency": issue.emergency,
            "category": issue.category.code,
            "label": f"#{issue.pk} {issue.category.name}",
            "address": issue.address,
            "url": reverse("office-issue", args=[issue.pk]),
        }
        for issue in department_queue(department.pk)
    ]
    plan = current_plan(department, timezone.localdate())
    routes: list[CrewRoute] = []
    if plan is not None:
        routes = list(plan.routes.select_related("crew__depot").prefetch_related("stops__issue"))
    categories = sorted(
        {i["category"]: str(i["label"]).split(" ", 1)[1] for i in issues}.items(),
        key=lambda c: c[1],
    )
    config = map_config(request)
    config.update(
        {"issues": issues, "routes": route_lines(routes), "depots": crew_depots(department)}
    )
    return render(
        request,
        "maps_static/queue_map.html",
        {
            "department": department,
            "config": config,
            "categories": categories,
            "late_count": sum(1 for i in issues if i["late"]),
            "plan": plan,
            "can_plan": roles.allowed_for_department(request.user, Verb.ACT, department.pk),
            "bands": PRIORITY_BANDS,
        },
    )
