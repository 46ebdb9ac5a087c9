"""Statistics as SQL aggregates: one query per table of figures, never a loop over issues.

Every function takes the issues to count (`public_issues()` for the public page, a role's
`visible_issues()` for staff) and the start of the period; "now" is a parameter for tests.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncWeek

from backoffice.models import Forwarding
from care.models import Qualification, Rating, Verdict
from reports.models import CloseReason, Issue, Status, TimelineEntry

# What counts as an escalation today: the timeline's emergency escalations. The SLA chains of
# issue #8 part A will add their own kind; add it here when it lands.
# Emergencies escalated at once, and the SLA escalation chains' levels (care.escalation).
ESCALATION_KINDS = (TimelineEntry.Kind.EMERGENCY.value, TimelineEntry.Kind.ESCALATED.value)
METRES_PER_DEGREE = 111_320.0


class Median(Aggregate):
    """The median of a numeric expression (PostgreSQL's ordered-set aggregate)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def _seconds_between(start: str, end: str) -> EpochSeconds:
    return EpochSeconds(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))


@dataclass
class Figures:
    """One row of the statistics table (a department, or the whole city)."""

    backlog: int = 0
    late: int = 0
    opened: int = 0
    closed: int = 0
    median_take_s: float | None = None
    median_close_s: float | None = None
    closed_with_due: int = 0
    closed_in_time: int = 0
    forwarded: int = 0
    escalations: int = 0
    recurrences: int = 0
    # Citizens' 1-5 ratings given in the period, and staff's verdicts on reports given in it.
    ratings: int = 0
    rating_stars: int = 0
    accurate: int = 0
    wrong_category: int = 0
    exaggerated: int = 0
    fake: int = 0

    @property
    def average_rating(self) -> float | None:
        """Mean of the period's ratings, 1 to 5 (None: nobody rated)."""
        return self.rating_stars / self.ratings if self.ratings else None

    @property
    def qualified(self) -> int:
        """Reports given a verdict in the period."""
        return self.accurate + self.wrong_category + self.exaggerated + self.fake

    @property
    def sla_compliance(self) -> float | None:
        """Share of issues closed in the period by their due date (None: nothing to judge)."""
        return self.closed_in_time / self.closed_with_due if self.closed_with_due else None

    @property
    def forwarding_rate(self) -> float | None:
        """Share of issues opened in the period that were forwarded to an external body."""
        return self.forwarded / self.opened if self.opened else None


def _aggregates(since: dt.datetime, now: dt.datetime) -> dict[str, Aggregate]:
    is_open = ~Q(status=Status.CLOSED)
    closed_in_period = Q(closed_at__gte=since, status=Status.CLOSED)
    opened_in_period = Q(first_reported_at__gte=since)
    return {
        "backlog": Count("pk", filter=is_open),
        "late": Count("pk", filter=is_open & Q(due_at__lt=now)),
        "opened": Count("pk", filter=opened_in_period),
        "closed": Count("pk", filter=closed_in_period),
        "median_take_s": Median(
            _seconds_between("first_reported_at", "taken_in_charge_at"),
            filter=Q(taken_in_charge_at__gte=since),
        ),
        "median_close_s": Median(
            _seconds_between("first_reported_at", "closed_at"), filter=closed_in_period
        ),
        "closed_with_due": Count("pk", filter=closed_in_period & Q(due_at__isnull=False)),
        "closed_in_time": Count("pk", filter=closed_in_period & Q(closed_at__lte=F("due_at"))),
        "forwarded": Count(
            "pk",
            filter=opened_in_period & Q(Exists(Forwarding.objects.filter(issue=OuterRef("pk")))),
        ),
    }


def _relevant(issues: QuerySet[Issue], since: dt.datetime) -> QuerySet[Issue]:
    # Only rows that can count: open ones, and those opened, taken or closed in the period.
    return issues.filter(
        ~Q(status=Status.CLOSED)
        | Q(first_reported_at__gte=since)
        | Q(taken_in_charge_at__gte=since)
        | Q(closed_at__gte=since)
    )


def department_figures(
    issues: QuerySet[Issue],
    since: dt.datetime,
    now: dt.datetime,
    recurring: dict[int, tuple[int | None, int]],
    *,
    with_verdicts: bool = False,
) -> dict[int | None, Figures]:
    """Return figures per department id (None: no department), in 3 queries (4 with verdicts).

    `recurring` is `recurring_issues(issues, since)`, read once by the caller. Staff's verdicts
    on reports are counted only `with_verdicts` (the staff page; the public one has no use
    for them).
    """
    rows = (
        _relevant(issues, since)
        .order_by()
        .values("department_id")
        .annotate(**_aggregates(since, now))
    )
    found: dict[int | None, Figures] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        department_id = values.pop("department_id")
        found[department_id] = Figures(**values)
    for department_id, count in escalations_by_department(issues, since).items():
        found.setdefault(department_id, Figures()).escalations = count
    for department_id, count in recurrences_by_department(recurring).items():
        found.setdefault(department_id, Figures()).recurrences = count
    for department_id, (count, stars) in ratings_by_department(issues, since).items():
        figures = found.setdefault(department_id, Figures())
        figures.ratings, figures.rating_stars = count, stars
    if with_verdicts:
        for department_id, verdicts in verdicts_by_department(issues, since).items():
            figures = found.setdefault(department_id, Figures())
            for verdict, count in verdicts.items():
                setattr(figures, verdict, count)
    return found


def city_figures(
    issues: QuerySet[Issue],
    since: dt.datetime,
    now: dt.datetime,
    departments: dict[int | None, Figures],
) -> Figures:
    """Return the figures of all `issues` together (1 query; counts reuse `departments`)."""
    row = _relevant(issues, since).aggregate(**_aggregates(since, now))
    figures = Figures(**row)
    for name in SUMMED_ACROSS_DEPARTMENTS:
        setattr(figures, name, sum(getattr(f, name) for f in departments.values()))
    return figures


# Counts the city row adds up from the departments' rows (every issue has one department or
# none, so nothing is counted twice); the average rating follows from stars and ratings.
SUMMED_ACROSS_DEPARTMENTS = (
    "escalations",
    "recurrences",
    "ratings",
    "rating_stars",
    *Verdict.values,
)


def ratings_by_department(
    issues: QuerySet[Issue], since: dt.datetime
) -> dict[int | None, tuple[int, int]]:
    """Return (ratings, their stars added up) given since `since`, per department of the issue.

    A citizen who changed their rating counts once, with their latest stars.
    """
    rows = (
        Rating.objects.filter(created_at__gte=since, issue__in=issues)
        .order_by()
        .values("issue__department_id")
        .annotate(n=Count("pk"), stars=Sum("stars"))
    )
    return {row["issue__department_id"]: (row["n"], row["stars"]) for row in rows}


def verdicts_by_department(
    issues: QuerySet[Issue], since: dt.datetime
) -> dict[int | None, dict[str, int]]:
    """Return {verdict: reports} qualified since `since`, per department of the report's issue.

    A report has one qualification (the latest verdict counts), dated when it was first given.
    """
    rows = (
        Qualification.objects.filter(created_at__gte=since, report__issue__in=issues)
        .order_by()
        .values_list("report__issue__department_id", "verdict")
        .annotate(n=Count("pk"))
    )
    found: dict[int | None, dict[str, int]] = {}
    for department_id, verdict, count in rows:
        found.setdefault(department_id, {})[verdict] = count
    return found


def escalations_by_department(issues: QuerySet[Issue], since: dt.datetime) -> dict[int | None, int]:
    """Count escalation timeline entries since `since`, per department of their issue."""
    rows = (
        TimelineEntry.objects.filter(
            kind__in=ESCALATION_KINDS, created_at__gte=since, issue__in=issues
        )
        .order_by()
        .values("issue__department_id")
        .annotate(n=Count("pk"))
    )
    return {row["issue__department_id"]: row["n"] for row in rows}


def weekly_counts(
    issues: QuerySet[Issue], since: dt.datetime
) -> tuple[dict[dt.date, int], dict[dt.date, int]]:
    """Return issues opened and closed per week (Monday, in the current time zone)."""
    opened = (
        issues.filter(first_reported_at__gte=since)
        .order_by()
        .annotate(week=TruncWeek("first_reported_at"))
        .values("week")
        .annotate(n=Count("pk"))
    )
    closed = (
        issues.filter(status=Status.CLOSED, closed_at__gte=since)
        .order_by()
        .annotate(week=TruncWeek("closed_at"))
        .values("week")
        .annotate(n=Count("pk"))
    )
    return (
        {row["week"].date(): row["n"] for row in opened},
        {row["week"].date(): row["n"] for row in closed},
    )


def _recurrence_sql(issues: QuerySet[Issue]) -> tuple[str, tuple[Any, ...]]:
    """The recurring issues among `issues` as SQL: new ones opened near a closed one.

    Raw SQL: the ORM cannot measure metres on a geography cast of a 4326 geometry column
    (dwithin with D() refuses geographic fields), and the bbox pre-filter keeps
    issue_location_gist in use before the exact ST_DWithin. `category_id + 0` keeps the
    planner off the category index: ANDing its bitmap (a sixth of the table) with the GiST
    one per new issue took over 50 s at 200k issues (12 weeks), the GiST probe alone 1.2 s.
    """
    ids_sql, ids_params = issues.values("pk").query.sql_with_params()
    # The only interpolation is the ORM's own compiled subquery; its values stay parameters.
    sql = f"""
        SELECT n.id, n.department_id, count(o.id) AS before
        FROM reports_issue n
        JOIN reports_issue o
          ON o.category_id + 0 = n.category_id
         AND o.id <> n.id
         AND o.status = %s
         AND o.close_reason <> %s
         AND o.closed_at < n.first_reported_at
         AND o.location && ST_Expand(n.location, %s)
         AND ST_DWithin(o.location::geography, n.location::geography, %s)
         AND n.merged_into_id IS DISTINCT FROM o.id
         AND o.merged_into_id IS DISTINCT FROM n.id
        WHERE n.first_reported_at >= %s AND n.id IN ({ids_sql})
        GROUP BY n.id, n.department_id
    """  # noqa: S608
    return sql, tuple(ids_params)


def recurring_issues(
    issues: QuerySet[Issue], since: dt.datetime, radius_m: float | None = None
) -> dict[int, tuple[int | None, int]]:
    """Return {issue id: (department id, closed issues before it)} for recurrences.

    A recurrence is an issue opened since `since` within `radius_m` (RECURRENCE_RADIUS_M) of
    an issue of the same category that was closed before it (not as a duplicate).
    """
    radius = float(radius_m if radius_m is not None else settings.RECURRENCE_RADIUS_M)
    # A degree of longitude spans cos(lat) times the metres of one of latitude: expanding the
    # box by 3x the latitude degrees covers the radius up to ~70 degrees north or south.
    expand_deg = 3 * radius / METRES_PER_DEGREE
    sql, id_params = _recurrence_sql(issues)
    params: list[Any] = [
        Status.CLOSED.value,
        CloseReason.DUPLICATE.value,
        expand_deg,
        radius,
        since,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *id_params])
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def recurrences_by_department(
    recurring: dict[int, tuple[int | None, int]],
) -> dict[int | None, int]:
    counts: dict[int | None, int] = {}
    for department_id, _before in recurring.values():
        counts[department_id] = counts.get(department_id, 0) + 1
    return counts
