"""The coordinator plans a day's crew routes from the crew routes page, by the API's rules
(real PostGIS, the real planner)."""

import datetime as dt
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from backoffice.models import Role, StaffProfile
from geo.models import Department
from routing.models import Crew, RoutePlan, RouteStop
from tests.factories import INSIDE, Territory, moved
from tests.test_crew_page import report

# The form's day is today: today must not move at midnight.
pytestmark = pytest.mark.usefixtures("same_day")
QUICK = {"time_limit_s": "0.2"}


def coordinator_of(department: Department, name: str) -> Client:
    user = get_user_model().objects.create_user(name, password="pw")
    StaffProfile.objects.create(user=user, role=Role.COORDINATOR, department=department)
    client = Client()
    client.force_login(user)
    return client


def plan_url(department: Department) -> str:
    return f"/departments/{department.pk}/routes/plan/"


def test_a_coordinator_plans_todays_routes_from_the_crew_routes_page(
    territory: Territory, crew: Crew
) -> None:
    issues = [report(moved(INSIDE, metres_north=150 * i)) for i in range(3)]
    coordinator = coordinator_of(territory.roads, "coordinatore")

    home = coordinator.get("/crew/").content.decode()
    response = coordinator.post(plan_url(territory.roads), QUICK, follow=True)

    assert f'action="{plan_url(territory.roads)}"' in home
    assert f'name="date" value="{timezone.localdate():%Y-%m-%d}"' in home
    assert 'name="csrfmiddlewaretoken"' in home
    plan = RoutePlan.objects.get(department=territory.roads, superseded=False)
    assert plan.date == timezone.localdate()
    route = plan.routes.get()
    assert set(RouteStop.objects.filter(route=route).values_list("issue", flat=True)) == set(issues)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/crew/"
    assert "1 crew route planned for" in html
    assert f'href="/crew/routes/{route.pk}/"' in html  # the route made, to open


def test_planning_another_day_lists_that_days_routes_and_a_past_day_is_refused(
    territory: Territory, crew: Crew
) -> None:
    report(INSIDE)
    coordinator = coordinator_of(territory.roads, "coordinatore")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    later = coordinator.post(
        plan_url(territory.roads), {**QUICK, "date": tomorrow.isoformat()}, follow=True
    )
    past = coordinator.post(plan_url(territory.roads), {**QUICK, "date": "2020-01-01"}, follow=True)

    route = RoutePlan.objects.get(date=tomorrow).routes.get()
    assert later.redirect_chain[-1][0] == f"/crew/?date={tomorrow.isoformat()}"
    assert f'href="/crew/routes/{route.pk}/"' in later.content.decode()
    assert "Choose today or a later day." in past.content.decode()
    assert not RoutePlan.objects.filter(date=dt.date(2020, 1, 1)).exists()


def test_a_department_without_crews_is_refused_with_the_reason(territory: Territory) -> None:
    report(INSIDE)
    coordinator = coordinator_of(territory.roads, "coordinatore")

    home = coordinator.get("/crew/").content.decode()
    response = coordinator.post(plan_url(territory.roads), QUICK, follow=True)

    assert f'action="{plan_url(territory.roads)}"' in home  # their own department, no crews yet
    assert "This department has no active crew." in response.content.decode()
    assert not RoutePlan.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("crew member", 403), ("other coordinator", 403), ("citizen", 403), ("manager", 403)],
)
def test_only_who_may_plan_through_the_api_may_plan_from_the_page(
    territory: Territory, crew: Crew, who: str, status: int
) -> None:
    report(INSIDE)
    user = get_user_model().objects.create_user("someone", password="pw")
    if who == "crew member":
        crew.members.add(user)
    elif who == "other coordinator":
        StaffProfile.objects.create(user=user, role=Role.COORDINATOR, department=territory.lighting)
    elif who == "manager":
        StaffProfile.objects.create(user=user, role=Role.MANAGER)
    client = Client()
    client.force_login(user)

    page = client.post(plan_url(territory.roads), QUICK)
    api = client.post(f"/api/v1/departments/{territory.roads.pk}/routes/plan", QUICK)

    assert (page.status_code, api.status_code) == (status, status)
    assert f'action="{plan_url(territory.roads)}"' not in client.get("/crew/").content.decode()
    assert not RoutePlan.objects.exists()


def test_an_unknown_department_is_not_found_and_a_get_does_nothing(
    territory: Territory, crew: Crew, admin_client: Client
) -> None:
    report(INSIDE)
    assert admin_client.post("/departments/999999/routes/plan/", QUICK).status_code == 404
    assert admin_client.get(plan_url(territory.roads)).status_code == 405
    assert not RoutePlan.objects.exists()


def test_the_plan_form_needs_the_csrf_token(territory: Territory, crew: Crew) -> None:
    report(INSIDE)
    user = get_user_model().objects.create_user("coordinatore", password="pw")
    StaffProfile.objects.create(user=user, role=Role.COORDINATOR, department=territory.roads)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(plan_url(territory.roads), QUICK).status_code == 403
    assert not RoutePlan.objects.exists()


def test_the_queue_map_links_its_coordinator_to_the_plan_form(
    territory: Territory, crew: Crew
) -> None:
    coordinator = coordinator_of(territory.roads, "coordinatore")

    html: Any = coordinator.get(f"/departments/{territory.roads.pk}/map/").content.decode()

    assert f'href="/crew/#plan-{territory.roads.pk}"' in html


@pytest.mark.django_db(transaction=True)
def test_two_plans_solved_at_once_leave_one_current_plan(
    territory: Territory, crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click on "Plan the routes": both solve, then both store, on two connections.
    Each superseded only the plans before it, so both stayed current."""
    from django.db import connection

    import routing.planning

    for i in range(3):
        report(moved(INSIDE, metres_north=150 * i, metres_east=80 * i))
    both_solved = threading.Barrier(2, timeout=30)
    solve = routing.planning.solve

    def solve_then_wait(problem: Any) -> Any:
        plan = solve(problem)
        both_solved.wait()  # the two stores start together
        return plan

    monkeypatch.setattr(routing.planning, "solve", solve_then_wait)
    errors: list[BaseException] = []

    def plan() -> None:
        try:
            routing.planning.plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.2)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=plan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    plans = RoutePlan.objects.filter(department=territory.roads, date=timezone.localdate())
    assert plans.count() == 2
    assert plans.filter(superseded=False).count() == 1
