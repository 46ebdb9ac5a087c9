"""The crew's pages: the day's routes (with the coordinator's form to plan them), one route
as an ordered list with its map, the printable route sheet, and the buttons that record the
work done at each stop.

Plain HTML forms (they work without JavaScript, on a weak signal); the map is an addition
drawn by routing/static/routing/route-map.js. Crews see the issues' public facts and the
citizens' descriptions, never who reported them.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from backoffice import roles
from backoffice.models import Role
from backoffice.roles import Verb
from care.models import Qualification
from geo.models import Department
from reports.models import Report
from reports.photos import PhotoError, process_upload
from reports.workflow import TransitionRefused
from routing.actions import (
    FINAL_STATES,
    CannotFix,
    StopRefused,
    finish_stop,
    give_up_stop,
    refuse_if_superseded,
)
from routing.actions import start_stop as start_stop_action
from routing.forms import PlanForm
from routing.models import Crew, CrewRoute, RoutePlan
from routing.planning import PlanningRefused, plan_day
from routing.querysets import visible_crews, visible_routes, visible_stops

NOTE_MAX_CHARS = 2000
REPORTS_TO_QUALIFY = 5
# The session key of what a crew typed in a refused stop form (see _keep_draft).
DRAFT_KEY = "crew_stop_draft"


@login_required
def crew_home(request: HttpRequest) -> HttpResponse:
    """Each crew's route of a day (today, or ?date=); straight to it for a one-crew member.

    Those who may plan a department's day (its coordinator, operators, administrators) find
    the planning form here too.
    """
    today = timezone.localdate()
    day = _day_asked(request, today)
    crews = list(visible_crews(request.user).filter(active=True).select_related("department"))
    routes = {
        route.crew_id: route
        for route in CrewRoute.objects.filter(
            crew__in=crews, plan__date=day, plan__superseded=False
        ).select_related("plan")
    }
    is_crew = roles.role_of(request.user) == Role.CREW
    if is_crew and day == today and len(crews) == 1 and crews[0].pk in routes:
        return redirect("crew-route", pk=routes[crews[0].pk].pk)
    rows = [{"crew": crew, "route": routes.get(crew.pk)} for crew in crews]
    context = {
        "rows": rows,
        "today": today,
        "day": day,
        "plannable": _plannable_departments(request, crews),
        "plan_form": PlanForm(),
    }
    return render(request, "routing/crew_home.html", context)


@login_required
@require_POST
def plan_department(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Plan a department's crew routes for a day, as the API does (DepartmentRoutePlanView).

    Same rules: whose role may act at all, else 403; an unknown department 404; another
    department's coordinator 403.
    """
    if not roles.can(request.user, Verb.ACT):
        raise PermissionDenied
    department = get_object_or_404(Department, pk=pk)
    if not roles.allowed_for_department(request.user, Verb.ACT, department.pk):
        raise PermissionDenied
    form = PlanForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, f"{department.name}: {' '.join(str(e) for e in errors)}")
        return redirect("crew-home")
    day = form.cleaned_data["date"]
    try:
        plan = plan_day(
            department,
            day,
            objective=form.cleaned_data["objective"],
            time_limit_s=form.cleaned_data["time_limit_s"],
        )
    except PlanningRefused as exc:
        messages.error(request, f"{department.name}: {exc}")
        return redirect(_home_of(day))
    _say_planned(request, department, plan)
    return redirect(_home_of(day))


def _day_asked(request: HttpRequest, today: dt.date) -> dt.date:
    raw = request.GET.get("date")
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return today


def _home_of(day: dt.date) -> str:
    """The crew routes page of a day: it lists the day's routes, each with its link."""
    if day == timezone.localdate():
        return reverse("crew-home")
    return f"{reverse('crew-home')}?date={day.isoformat()}"


def _plannable_departments(request: HttpRequest, crews: list[Crew]) -> list[Department]:
    """The departments whose day this user may plan: of the crews they see, or their own."""
    if not roles.can(request.user, Verb.ACT):
        return []
    ids = {crew.department_id for crew in crews}
    own = roles.department_scope(request.user)
    if own is not None:
        ids.add(own)  # a coordinator learns why a department without crews cannot be planned
    return [
        department
        for department in Department.objects.filter(pk__in=ids).order_by("name")
        if roles.allowed_for_department(request.user, Verb.ACT, department.pk)
    ]


def _say_planned(request: HttpRequest, department: Department, plan: RoutePlan) -> None:
    routes = plan.routes.count()
    left_out = plan.left_out.count()
    when = date_format(plan.date, "DATE_FORMAT")
    messages.success(
        request,
        ngettext(
            "%(department)s: %(n)s crew route planned for %(date)s.",
            "%(department)s: %(n)s crew routes planned for %(date)s.",
            routes,
        )
        % {"department": department.name, "n": routes, "date": when},
    )
    if left_out:
        messages.warning(
            request,
            ngettext(
                "%(n)s open issue did not fit in the crews' shifts and waits for another day.",
                "%(n)s open issues did not fit in the crews' shifts and wait for another day.",
                left_out,
            )
            % {"n": left_out},
        )


@login_required
def route_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One crew route: the ordered stops with what to do at each, and the route map."""
    context = _route_context(request, pk)
    _take_draft(request, context["items"])
    return render(request, "routing/route.html", context)


@login_required
def route_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The same route as a printable sheet, for crews without a device."""
    return render(request, "routing/route_sheet.html", _route_context(request, pk))


@login_required
@require_POST
def stop_action(request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
    """Record what the crew did at a stop (start, done, cannot_fix), then back to the route."""
    stop = get_object_or_404(visible_stops(request.user).select_related("route__plan"), pk=pk)
    # Crews record their own work; of the staff who see the route, those who act on issues.
    if roles.role_of(request.user) != Role.CREW and not roles.can(request.user, Verb.ACT):
        raise PermissionDenied
    if action not in ("start", "done", "cannot_fix"):
        raise Http404("No such action.")
    back = reverse("crew-route", args=[stop.route_id]) + f"#stop-{stop.position}"
    note = request.POST.get("note", "").strip()
    try:
        # Said before anything else: a photo or a reason would not help on an old plan.
        refuse_if_superseded(stop)
        if len(note) > NOTE_MAX_CHARS:
            raise StopRefused(
                _("The note is too long: at most %(n)s characters.") % {"n": NOTE_MAX_CHARS}
            )
        if action == "start":
            start_stop_action(stop.pk, actor=request.user)
            messages.success(request, _("Stop %(n)s: work started.") % {"n": stop.position})
        elif action == "done":
            upload = request.FILES.get("photo")
            if upload is None:
                raise StopRefused(_("Take a photo of the finished work."))
            photo = process_upload(upload.read())
            finish_stop(stop.pk, actor=request.user, photo=photo, note=note)
            messages.success(request, _("Stop %(n)s: done. Thank you.") % {"n": stop.position})
        else:
            reason = request.POST.get("reason", "")
            give_up_stop(stop.pk, actor=request.user, reason=reason, note=note)
            messages.success(
                request, _("Stop %(n)s: recorded as not fixed.") % {"n": stop.position}
            )
    except (StopRefused, PhotoError, TransitionRefused) as exc:
        messages.error(request, str(exc))
        _keep_draft(request, stop.issue_id, action, note)
    return HttpResponseRedirect(back)


def _keep_draft(request: HttpRequest, issue_id: int, action: str, note: str) -> None:
    """Keep what the crew typed in a refused form, for the route page to show it again.

    Keyed by issue, not stop: after a re-plan the same form is filled in on the new route.
    A file cannot be given back to the browser; the note and the reason can. Browsers stop
    the note at the form's maxlength, so only a hand-made request is cut here.
    """
    if action == "start":
        return  # nothing typed
    request.session[DRAFT_KEY] = {
        "issue": issue_id,
        "action": action,
        "note": note[:NOTE_MAX_CHARS],
        "reason": request.POST.get("reason", "")[:40],
    }


def _take_draft(request: HttpRequest, items: list[dict[str, Any]]) -> None:
    """Put the kept draft back in its stop's form, if this page shows that form."""
    draft = request.session.get(DRAFT_KEY)
    if not isinstance(draft, dict):
        return
    for item in items:
        if item["actions"] and item["stop"].issue_id == draft.get("issue"):
            item["draft"] = draft
            del request.session[DRAFT_KEY]
            return


def _route_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    route = get_object_or_404(
        visible_routes(request.user).select_related("plan", "crew__depot", "crew__department"),
        pk=pk,
    )
    stops = list(route.stops.select_related("issue__category").order_by("position"))
    # The first reports of each stop's issue, for the crew to say how accurate they were.
    reports_by_issue: dict[int, list[Report]] = {}
    verdict = Qualification.objects.filter(report=OuterRef("pk")).values("verdict")[:1]
    for report in (
        Report.objects.filter(issue_id__in=[s.issue_id for s in stops])
        .annotate(verdict=Subquery(verdict))
        .only("id", "issue_id", "tracking_code")
        .order_by("issue_id", "created_at")
    ):
        reports_by_issue.setdefault(report.issue_id, [])
        if len(reports_by_issue[report.issue_id]) < REPORTS_TO_QUALIFY:
            reports_by_issue[report.issue_id].append(report)
    # Each issue's first description, and the language it was written in (its HTML lang).
    descriptions = {
        issue_id: (description, language)
        for issue_id, description, language in Report.objects.filter(
            issue_id__in=[s.issue_id for s in stops], hidden=False
        )
        .exclude(description="")
        .order_by("issue_id", "created_at")
        .distinct("issue_id")
        .values_list("issue_id", "description", "language")
    }
    now = timezone.now()
    depot = route.crew.depot
    current = None
    if route.plan.superseded:
        current = (
            CrewRoute.objects.filter(
                crew=route.crew, plan__date=route.plan.date, plan__superseded=False
            )
            .only("id")
            .first()
        )
    items = [
        {
            "stop": stop,
            "description": descriptions.get(stop.issue_id, ("", ""))[0],
            "description_language": descriptions.get(stop.issue_id, ("", ""))[1],
            "late": stop.issue.due_at is not None and stop.issue.due_at < now,
            "final": stop.state in FINAL_STATES,
            # Work is recorded on the plan in force only (routing.actions.refuse_if_superseded).
            "actions": stop.state not in FINAL_STATES and not route.plan.superseded,
            "reports": reports_by_issue.get(stop.issue_id, []),
        }
        for stop in stops
    ]
    return {
        "route": route,
        "items": items,
        "current_route": current,
        "finished": sum(1 for item in items if item["final"]),
        "cannot_fix_reasons": CannotFix.choices,
        # A number, for the template to write in the reader's language (10,1 in Italian).
        "distance_km": route.distance_m / 1000,
        "map_config": {
            "tileUrl": settings.TILE_URL,
            "tileSubdomains": settings.TILE_SUBDOMAINS,
            "tileAttribution": settings.TILE_ATTRIBUTION,
            "depot": {"lat": depot.location.y, "lon": depot.location.x, "name": depot.name},
            "line": [[lat, lon] for lon, lat in route.line],
            "stops": [
                {
                    "n": stop.position,
                    "lat": stop.issue.location.y,
                    "lon": stop.issue.location.x,
                    "state": stop.state,
                    "label": f"{stop.position}. {stop.issue.category.name}",
                }
                for stop in stops
            ],
        },
    }
