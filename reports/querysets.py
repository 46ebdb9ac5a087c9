"""Reusable filters over categories, issues and reports."""

import datetime as dt
import json
from typing import NamedTuple

from django.contrib.gis.geos import Polygon
from django.db import connection, connections, router
from django.db.models import Prefetch, Q, QuerySet

from geo.models import Area
from reports.models import (
    Category,
    Issue,
    Photo,
    Question,
    Status,
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
    """Photos of reports and issues not hidden by moderation, in their order.

    The photos of either hidden are in the private storage (backoffice.hidden_photos).
    """
    return Photo.objects.filter(report__hidden=False, report__issue__hidden=False).order_by(
        "report_id", "position"
    )


class PublicSummary(NamedTuple):
    """What the "already reported?" suggestions show of a public issue."""

    category_code: str
    category_name_it: str
    category_name_en: str
    status: str
    address: str
    report_count: int
    supporter_count: int
    people: int  # distinct people who reported or supported it
    first_reported_at: dt.datetime
    # The storage name of its first public photo's thumbnail (or image): the first report's
    # first, as on the map and in Open311; "" if none.
    photo: str
    description: str  # its latest public non-empty description; "" if none
    language: str  # the language code that description was written in (its HTML lang)


# Raw SQL for its Python cost, not its round trips: the suggestions are typed as the citizen
# picks a category, and the ORM's three queries (issues, photos, windowed descriptions; one with
# Subquery annotations would compile as much) cost ~4 ms of Python per call against ~1 ms in
# the database (bench/scale.py).
_PUBLIC_SUMMARIES_SQL = """
SELECT i.id, c.code, c.name_it, c.name_en, i.status, i.address, i.report_count,
       i.supporter_count, coalesce((i.priority_explained ->> 'people')::int, i.report_count),
       i.first_reported_at,
       coalesce((
           SELECT coalesce(nullif(p.thumbnail, ''), p.image)
           FROM reports_photo p JOIN reports_report r ON r.id = p.report_id
           WHERE r.issue_id = i.id AND NOT r.hidden
           ORDER BY r.created_at, r.id, p.position LIMIT 1
       ), ''),
       coalesce(d.description, ''), coalesce(d.language, '')
FROM reports_issue i JOIN reports_category c ON c.id = i.category_id
LEFT JOIN LATERAL (
    SELECT r.description, r.language FROM reports_report r
    WHERE r.issue_id = i.id AND NOT r.hidden AND r.description <> ''
    ORDER BY r.created_at DESC, r.id DESC LIMIT 1
) AS d ON true
WHERE i.id = ANY(%s) AND NOT i.hidden
"""


def public_summaries(issue_ids: list[int]) -> dict[int, PublicSummary]:
    """Return the public summary of each of these issues the public may see, by id."""
    if not issue_ids:
        return {}
    with connections[router.db_for_read(Issue)].cursor() as cursor:
        cursor.execute(_PUBLIC_SUMMARIES_SQL, [issue_ids])
        return {row[0]: PublicSummary(*row[1:]) for row in cursor.fetchall()}


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


# What a report joining an issue reads and refresh_issue writes: an issue loaded with only these
# columns is saved with only these (bench/scale.py: the whole row, read and written, was ~1 ms
# of every submission's Python). Raw SQL: Django compiling the same select_for_update().only()
# query took ~1 ms of Python per submission, the query itself 0.4 ms
# (bench/profile_submission.py).
_LOCK_OPEN_ISSUE_SQL = """
SELECT id, category_id, status, address, first_reported_at, last_reported_at, due_at, location,
       emergency, report_count, supporter_count, priority, priority_explained, updated_at
FROM reports_issue WHERE id = %s AND status <> %s FOR UPDATE
"""


def lock_open_issue(issue_id: int) -> Issue | None:
    """Lock an open issue for a report joining it, loading only the columns a joining report
    changes (saving it writes only those); None if it is closed or gone."""
    # On the database writes go to: a raw query is routed as a read.
    issues = Issue.objects.db_manager(router.db_for_write(Issue))
    return next(iter(issues.raw(_LOCK_OPEN_ISSUE_SQL, [issue_id, Status.CLOSED])), None)


class ReportFacts(NamedTuple):
    """What an issue's priority and centre need of one of its reports."""

    reporter_id: int | None
    urgency: int
    emergency: bool
    created_at: dt.datetime
    reliability: float | None  # the reporter's (care.reliability); None: never qualified
    lon: float
    lat: float


# One round trip for both lists: refresh_issue runs in every submission's transaction
# (bench/scale.py: a second query was ~0.3 ms of its Python and database time).
_CONTRIBUTIONS_SQL = """
SELECT true, r.reporter_id, r.urgency, r.emergency, r.created_at, p.reliability,
       ST_X(r.location), ST_Y(r.location)
FROM reports_report r LEFT JOIN reports_reporter p ON p.id = r.reporter_id
WHERE r.issue_id = %(issue)s
UNION ALL
SELECT false, s.reporter_id, NULL, NULL, NULL, NULL, NULL, NULL
FROM reports_supporter s WHERE s.issue_id = %(issue)s
"""


def contributions(issue_id: int) -> tuple[list[ReportFacts], list[int | None]]:
    """Return an issue's reports (as ReportFacts) and its supporters' reporter ids (None for
    a supporter without an e-mail), in one query."""
    reports: list[ReportFacts] = []
    supporters: list[int | None] = []
    with connection.cursor() as cursor:
        cursor.execute(_CONTRIBUTIONS_SQL, {"issue": issue_id})
        for is_report, reporter_id, *facts in cursor.fetchall():
            if is_report:
                reports.append(ReportFacts(reporter_id, *facts))
            else:
                supporters.append(reporter_id)
    return reports, supporters
