"""Reusable filters over categories, issues and reports."""

import json

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from geo.models import Area
from reports.models import (
    Category,
    Issue,
    Photo,
    Question,
    TimelineEntry,
    internal_statuses,
)


def active_categories() -> QuerySet[Category]:
    """Active categories with what the citizen form shows (group, questions, competent body)."""
    return (
        Category.objects.filter(active=True)
        .select_related("group", "redirect_body")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("order", "id")))
        .order_by("group__order", "group__code", "order", "code")
    )


def categories_offered(area: Area | None) -> QuerySet[Category]:
    """Active categories a citizen may pick in `area` (categories without areas: everywhere)."""
    everywhere = Q(areas__isnull=True)
    return active_categories().filter(everywhere | Q(areas=area) if area else everywhere).distinct()


def public_issues() -> QuerySet[Issue]:
    """Issues the public may see: not hidden by moderation."""
    return Issue.objects.filter(hidden=False)


def open_issues() -> QuerySet[Issue]:
    """Issues not closed (uses the partial indexes on open issues)."""
    return Issue.objects.exclude(status="closed")


def in_bbox(issues: QuerySet[Issue], bbox: Polygon) -> QuerySet[Issue]:
    """Restrict issues to a WGS84 bounding box (issue_open_location_gist/issue_location_gist)."""
    return issues.filter(location__bboverlaps=bbox)


def with_public_status(issues: QuerySet[Issue], public: list[str]) -> QuerySet[Issue]:
    """Keep issues whose public status (open, under_review, closed) is one of `public`."""
    internal = [s for p in public for s in internal_statuses(p)]
    return issues.filter(status__in=internal)


def public_photos() -> QuerySet[Photo]:
    """Photos of reports not hidden by moderation, in their order."""
    return Photo.objects.filter(report__hidden=False).order_by("report_id", "position")


def public_timeline() -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(public=True).order_by("created_at", "id")


def set_priorities(rows: list[tuple[int, float, dict]]) -> None:
    """Write (issue id, priority, priority_explained) for many issues in one statement.

    Raw SQL: bulk_update's CASE WHEN grows with the batch on every row (43 s for 50,000 open
    issues in bench/scale.py); a join on unnested arrays does not.
    """
    if not rows:
        return
    ids, priorities, explained = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_issue AS i SET priority = v.priority, priority_explained = v.explained "
            "FROM unnest(%s::bigint[], %s::float8[], %s::jsonb[]) AS v(id, priority, explained) "
            "WHERE i.id = v.id",
            [list(ids), list(priorities), [json.dumps(e) for e in explained]],
        )
