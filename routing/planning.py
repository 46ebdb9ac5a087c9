"""Plan a department's crew routes for a day from its open issues, and store the plan.

The pure solver (routing.solve) gets a Problem built here: one stop per open issue of the
department (weight from its priority, deadline from its SLA due date, emergencies mandatory),
one crew per active crew (its depot and shift), and travel matrices on the imported road
network (routing.network), or on straight lines times a circuity factor when none is loaded.
Re-planning the same day keeps what crews have done or are doing at the head of their routes.
"""

import datetime as dt
import itertools
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.models import Department
from reports.models import Issue
from reports.querysets import open_issues
from routing.graph import (
    STRAIGHT_LINE_CIRCUITY,
    STRAIGHT_LINE_NOTE,
    STRAIGHT_LINE_SPEED_KMH,
    RoadGraph,
    straight_line_matrices,
)
from routing.models import Crew as CrewRow
from routing.models import CrewRoute, LeftOut, RoutePlan, RouteStop
from routing.network import network_graph
from routing.solve import Crew, Objective, Plan, Problem, Stop, solve

# Time on site per issue when nothing better is known.
SERVICE_S = 15 * 60
MAX_STOPS = 500


class PlanningRefused(ValueError):
    """The plan cannot be made (no crew, nothing to do...); str() says why."""


@dataclass(frozen=True)
class Matrices:
    duration_s: object
    distance_m: object
    nodes: list[int] | None  # graph node per point, None on straight lines
    notes: list[str]


def plan_routes(
    department: Department,
    day: dt.date,
    *,
    objective: Objective = "urgency",
    time_limit_s: float = 5.0,
    now: dt.datetime | None = None,
) -> RoutePlan:
    """Plan and store the routes of `department`'s active crews for `day`.

    Replaces (supersedes) the day's previous plan. When planning today during the shifts
    (`now` given), stops already done or in progress keep their place at the head of their
    crew's route and nothing new starts before `now`.
    """
    crews = list(department.crews.filter(active=True).select_related("depot"))
    if not crews:
        raise PlanningRefused(_("This department has no active crew."))
    for crew in crews:
        # Rows saved before Crew.clean() refused them, or written around the admin.
        if crew.shift_start == crew.shift_end:
            raise PlanningRefused(
                _("The shift of crew %(crew)s starts and ends at the same time: correct it.")
                % {"crew": crew}
            )
    # An issue a crew could not fix today waits for the coordinator, not for another crew.
    given_up_today = RouteStop.objects.filter(
        state=RouteStop.State.CANNOT_FIX, route__plan__department=department, route__plan__date=day
    ).values("issue_id")
    issues = list(
        open_issues()
        .filter(department=department)
        .exclude(pk__in=given_up_today)
        .order_by("-emergency", "-priority", "id")[:MAX_STOPS]
    )
    if not issues:
        raise PlanningRefused(_("This department has no open issue to visit."))
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    depots = list(dict.fromkeys(crew.depot_id for crew in crews))
    depot_rows = {crew.depot_id: crew.depot for crew in crews}
    points = [(depot_rows[d].location.y, depot_rows[d].location.x) for d in depots]
    points += [(issue.location.y, issue.location.x) for issue in issues]
    graph = network_graph()
    matrices = _matrices(graph, points)
    previous = current_plan(department, day)
    problem = Problem(
        stops=[_stop(issue, midnight) for issue in issues],
        stop_nodes=list(range(len(depots), len(points))),
        crews=[_crew(crew, depots.index(crew.depot_id)) for crew in crews],
        duration_s=matrices.duration_s,  # type: ignore[arg-type]
        distance_m=matrices.distance_m,  # type: ignore[arg-type]
        objective=objective,
        time_limit_s=time_limit_s,
        fixed_prefix=_started(previous, {str(i.pk) for i in issues}) if previous else {},
        now_s=int((now - midnight).total_seconds()) if now and now.date() == day else None,
    )
    plan = solve(problem)
    return _store(department, day, problem, plan, matrices, graph, issues, crews, midnight)


def plan_day(
    department: Department,
    day: dt.date | None = None,
    *,
    objective: Objective = "urgency",
    time_limit_s: float = 5.0,
) -> RoutePlan:
    """Plan `day` (default today) as someone asks for it now, from the API or the crew page.

    Today's plan starts from the present moment: nothing new is planned in the past.
    """
    now = timezone.localtime()
    day = day or now.date()
    return plan_routes(
        department,
        day,
        objective=objective,
        time_limit_s=time_limit_s,
        now=now if day == now.date() else None,
    )


def current_plan(department: Department, day: dt.date) -> RoutePlan | None:
    """The plan in force for a department and day (routeplan_current index)."""
    return (
        RoutePlan.objects.filter(department=department, date=day, superseded=False)
        .order_by("-id")
        .first()
    )


def _crew(crew: CrewRow, depot: int) -> Crew:
    # A night shift's end passes midnight: seconds beyond 86 400 (routing.models.Crew).
    start_s, end_s = crew.shift_seconds()
    return Crew(id=str(crew.pk), depot=depot, start_s=start_s, end_s=end_s)


def _stop(issue: Issue, midnight: dt.datetime) -> Stop:
    deadline = None
    if issue.due_at is not None:
        deadline = max(0, int((issue.due_at - midnight).total_seconds()))
    return Stop(
        id=str(issue.pk),
        service_s=SERVICE_S,
        weight=max(1.0, issue.priority * settings.ROUTING_WEIGHT_PER_PRIORITY_POINT),
        deadline_s=deadline,
        mandatory=issue.emergency,
        emergency=issue.emergency,
    )


def _matrices(graph: RoadGraph | None, points: list[tuple[float, float]]) -> Matrices:
    if graph is None:
        duration, distance = straight_line_matrices(points)
        return Matrices(
            duration,
            distance,
            None,
            [
                STRAIGHT_LINE_NOTE.format(
                    circuity=STRAIGHT_LINE_CIRCUITY, speed=STRAIGHT_LINE_SPEED_KMH
                )
            ],
        )
    nodes, _snapped_m = graph.snap(points)
    duration, distance = graph.matrices(nodes)
    return Matrices(duration, distance, nodes, [])


def _started(previous: RoutePlan, still_open: set[str]) -> dict[str, list[str]]:
    """Per crew, the stops of the plan in force that are done or under way, in route order."""
    prefix: dict[str, list[str]] = {}
    for stop in (
        RouteStop.objects.filter(
            route__plan=previous,
            state__in=[RouteStop.State.DONE, RouteStop.State.IN_PROGRESS],
        )
        .select_related("route")
        .order_by("route_id", "position")
    ):
        if str(stop.issue_id) in still_open:
            prefix.setdefault(str(stop.route.crew_id), []).append(str(stop.issue_id))
    return prefix


def _carry_work_under_way(previous: RoutePlan, stored: RoutePlan) -> None:
    """Keep the stops a crew had started as started in the new plan (same crew, same issue)."""
    for stop in RouteStop.objects.filter(
        route__plan=previous, state=RouteStop.State.IN_PROGRESS
    ).select_related("route"):
        RouteStop.objects.filter(
            route__plan=stored, route__crew_id=stop.route.crew_id, issue_id=stop.issue_id
        ).update(
            state=stop.state,
            state_changed_at=stop.state_changed_at,
            state_changed_by=stop.state_changed_by_id,
        )


def _store(
    department: Department,
    day: dt.date,
    problem: Problem,
    plan: Plan,
    matrices: Matrices,
    graph: RoadGraph | None,
    issues: list[Issue],
    crews: list,
    midnight: dt.datetime,
) -> RoutePlan:
    by_id = {str(issue.pk): issue for issue in issues}
    crew_by_id = {str(crew.pk): crew for crew in crews}
    node_of = {stop.id: node for stop, node in zip(problem.stops, problem.stop_nodes, strict=True)}
    with transaction.atomic():
        # One store per department at a time: two plans solved at once (a double click on
        # "Plan the routes") both superseded only the plan before them and stayed current.
        # Waiting here, the second supersedes the first's plan too.
        Department.objects.select_for_update().get(pk=department.pk)
        # The plan in force now, read under the lock: another plan may have been stored while
        # this one was solved.
        replaced = current_plan(department, day)
        RoutePlan.objects.filter(department=department, date=day, superseded=False).update(
            superseded=True
        )
        stored = RoutePlan.objects.create(
            department=department,
            date=day,
            objective=problem.objective,
            solver=plan.solver,
            solve_s=plan.solve_s,
            weighted_lateness=plan.weighted_lateness,
            network="roads" if graph is not None else "straight_line",
            notes=[*matrices.notes, *plan.notes],
        )
        for route in plan.routes:
            crew = crew_by_id[route.crew_id]
            depot = problem.crews[[c.id for c in problem.crews].index(route.crew_id)].depot
            path = [depot, *(node_of[v.stop_id] for v in route.visits), depot]
            crew_route = CrewRoute.objects.create(
                plan=stored,
                crew=crew,
                distance_m=route.distance_m,
                duration_s=route.duration_s,
                ends_at=midnight + dt.timedelta(seconds=route.end_s),
                line=_line(graph, matrices.nodes, path),
            )
            RouteStop.objects.bulk_create(
                RouteStop(
                    route=crew_route,
                    issue=by_id[visit.stop_id],
                    position=position,
                    arrives_at=midnight + dt.timedelta(seconds=visit.arrival_s),
                    departs_at=midnight + dt.timedelta(seconds=visit.departure_s),
                    late_s=visit.late_s,
                )
                for position, visit in enumerate(route.visits, start=1)
            )
        LeftOut.objects.bulk_create(
            LeftOut(plan=stored, issue=by_id[left.stop_id], reason=left.reason)
            for left in plan.left_out
        )
        if replaced is not None:
            # In the same transaction: a crew's tap on the replaced plan waits for it, then
            # is refused as re-planned (routing.actions), so no start falls between the two.
            _carry_work_under_way(replaced, stored)
    return stored


def _line(graph: RoadGraph | None, nodes: list[int] | None, path: list[int]) -> list[list[float]]:
    """The route drawn on the roads: the fastest path between consecutive points."""
    if graph is None or nodes is None:
        return []
    line: list[list[float]] = []
    for a, b in itertools.pairwise(path):
        u, v = nodes[a], nodes[b]
        if u == v:
            continue
        leg = [[lon, lat] for lon, lat in graph.path(u, v)]
        line.extend(leg[1:] if line else leg)
    return line
