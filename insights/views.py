"""Statistics pages (staff and public), the staff's CSV export and the open-data downloads.

Staff pages ask backoffice.roles: statistics need Verb.STATS and show the user's scope (a
coordinator sees their department only); the CSV needs Verb.VIEW and carries the reporters'
contacts only with Verb.CONTACTS. Public pages count `public_issues()` and show no person.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice import audit, roles
from backoffice.roles import Verb
from backoffice.views import staff_required
from config.ids import parse_id
from geo.models import Department
from insights.charts import weekly_chart, weeks_since
from insights.exports import staff_csv_rows
from insights.models import OpenDataRelease
from insights.querysets import (
    Figures,
    city_figures,
    department_figures,
    recurring_issues,
    weekly_counts,
)
from reports.models import Issue, Report
from reports.querysets import public_issues

DEFAULT_WEEKS = 12
MAX_WEEKS = 104
RECURRING_LISTED = 20


class BadParameter(Exception):
    pass


@dataclass
class Row:
    name: str
    figures: Figures


def _weeks(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_WEEKS
    weeks = parse_id(raw)
    if weeks is None or not 1 <= weeks <= MAX_WEEKS:
        raise BadParameter(
            _("The period must be a whole number of weeks from 1 to %(max)d.") % {"max": MAX_WEEKS}
        )
    return int(raw)


def _department(raw: str | None, allowed: QuerySet[Department]) -> Department | None:
    if raw in (None, ""):
        return None
    department_id = parse_id(raw)
    found = allowed.filter(pk=department_id).first() if department_id is not None else None
    if found is None:
        raise BadParameter(_("Choose a department from the list."))
    return found


def _period_start(weeks: int, now: dt.datetime) -> dt.datetime:
    """Midnight of the Monday `weeks - 1` weeks before this week's, in the current time zone."""
    today = timezone.localdate(now)
    monday = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    return timezone.make_aware(dt.datetime.combine(monday, dt.time.min))


def _statistics(
    request: HttpRequest,
    issues: QuerySet[Issue],
    departments: QuerySet[Department],
    *,
    with_city: bool,
    with_verdicts: bool = False,
) -> dict[str, Any]:
    weeks = _weeks(request.GET.get("weeks"))
    chosen = _department(request.GET.get("department"), departments)
    now = timezone.now()
    since = _period_start(weeks, now)
    recurring = recurring_issues(issues, since)
    per_department = department_figures(issues, since, now, recurring, with_verdicts=with_verdicts)
    rows = [
        Row(name, per_department.get(pk, Figures()))
        for pk, name in departments.order_by("name").values_list("pk", "name")
    ]
    if with_city and None in per_department:
        rows.append(Row(_("No department"), per_department[None]))
    city = city_figures(issues, since, now, per_department) if with_city else None
    charted = issues.filter(department=chosen) if chosen else issues
    opened, closed = weekly_counts(charted, since)
    chart = weekly_chart(weeks_since(since.date(), timezone.localdate(now)), opened, closed)
    return {
        "weeks": weeks,
        "since": since,
        "rows": rows,
        "city": city,
        "chart": chart,
        "chosen": chosen,
        # Whether anything at all was rated (qualified) in the period: the notes say so.
        "any_ratings": any(row.figures.ratings for row in rows),
        "any_verdicts": any(row.figures.qualified for row in rows),
        "departments": list(departments.order_by("name")),
        "recurring": recurring,
        "recurrence_radius_m": settings.RECURRENCE_RADIUS_M,
    }


def _bad_request(request: HttpRequest, error: BadParameter) -> HttpResponse:
    return render(request, "insights/bad_request.html", {"message": str(error)}, status=400)


@staff_required(Verb.STATS)
def staff_statistics(request: HttpRequest) -> HttpResponse:
    """Figures per department and city-wide, for managers; a coordinator's department only."""
    own = roles.department_scope(request.user)
    issues = roles.visible_issues(request.user)
    departments = Department.objects.filter(pk=own) if own else Department.objects.all()
    try:
        context = _statistics(
            request, issues, departments, with_city=own is None, with_verdicts=True
        )
    except BadParameter as error:
        return _bad_request(request, error)
    listed = sorted(context["recurring"], reverse=True)[:RECURRING_LISTED]
    context["recurring_issues"] = [
        (issue, context["recurring"][issue.pk][1])
        for issue in Issue.objects.filter(pk__in=listed).select_related("category").order_by("-pk")
    ]
    context["can_export"] = roles.can(request.user, Verb.VIEW)
    return render(request, "insights/staff.html", context)


def public_statistics(request: HttpRequest) -> HttpResponse:
    """City-wide and per-department figures on public issues, with the open-data links."""
    try:
        context = _statistics(request, public_issues(), Department.objects.all(), with_city=True)
    except BadParameter as error:
        return _bad_request(request, error)
    context["release"] = OpenDataRelease.objects.first()
    return render(request, "insights/public.html", context)


@staff_required(Verb.VIEW)
def staff_export(request: HttpRequest) -> StreamingHttpResponse:
    """Every report the user may see as CSV; the reporters' contacts only with CONTACTS."""
    contacts = roles.can(request.user, Verb.CONTACTS)
    reports = Report.objects.filter(issue__in=roles.visible_issues(request.user))
    # Who took personal data out of the system, and when.
    audit.record(
        request.user,
        "export_reports_csv",
        request.user,  # type: ignore[arg-type] # a logged-in user: staff_required
        after={"contacts": contacts},
    )
    response = StreamingHttpResponse(
        staff_csv_rows(reports, contacts=contacts), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="segnala-reports-{stamp}.csv"'
    return response


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


def open_data(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The latest published open-data file (CSV or GeoJSON); 404 until the first release."""
    release = OpenDataRelease.objects.first()
    if release is None:
        return render(request, "insights/no_open_data.html", status=404)
    name = release.csv_name if fmt == "csv" else release.geojson_name
    response = FileResponse(default_storage.open(name, "rb"), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="segnala-issues.{fmt}"'
    response["Last-Modified"] = release.created_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response
