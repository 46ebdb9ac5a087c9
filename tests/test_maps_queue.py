"""The coordinator's queue map: staff only, the department's open issues and today's routes."""

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from backoffice.models import Role, StaffProfile
from geo.models import Depot
from geo.units import make_point
from reports.models import Issue
from routing.models import Crew, CrewRoute, RoutePlan, RouteStop
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, moved
from tests.test_maps_api import make_issue

# plan_today's plan is the one the queue page finds for today: today must not move at midnight.
pytestmark = pytest.mark.usefixtures("same_day")


@pytest.fixture
def staff(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_user("coordinator", is_staff=True))
    return client


def queue_config(response: Any) -> dict[str, Any]:
    content = response.content.decode()
    start = content.index('<script id="queue-config" type="application/json">')
    raw = content[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(raw)


def plan_today(territory: Territory, stops: list[Issue], line: list[list[float]]) -> RoutePlan:
    depot = Depot.objects.get(department=territory.roads)
    crew = Crew.objects.create(department=territory.roads, name="Crew A", depot=depot)
    plan = RoutePlan.objects.create(department=territory.roads, date=timezone.localdate())
    route = CrewRoute.objects.create(plan=plan, crew=crew, line=line)
    now = timezone.now()
    for position, issue in enumerate(stops, start=1):  # from 1, as routing.planning stores them
        RouteStop.objects.create(
            route=route, issue=issue, position=position, arrives_at=now, departs_at=now
        )
    return plan


def test_the_queue_map_is_for_staff_who_see_the_department(
    territory: Territory, client: Client
) -> None:
    url = f"/departments/{territory.roads.pk}/map/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(User.objects.create_user("citizen"))
    assert client.get(url).status_code == 403
    lighting = User.objects.create_user("lighting-coordinator")
    StaffProfile.objects.create(user=lighting, role=Role.COORDINATOR, department=territory.lighting)
    client.force_login(lighting)
    assert client.get(url).status_code == 403
    roads = User.objects.create_user("roads-coordinator")
    StaffProfile.objects.create(user=roads, role=Role.COORDINATOR, department=territory.roads)
    client.force_login(roads)
    assert client.get(url).status_code == 200


def test_the_queue_map_shows_the_departments_open_issues_by_priority_with_late_ones(
    territory: Territory, staff: Client
) -> None:
    late = make_issue(territory.pothole)
    late.due_at = timezone.now() - dt.timedelta(days=1)
    late.priority = 90
    late.save()
    fine = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 100))
    fine.priority = 10
    fine.save()
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 200), closed_days_ago=1)
    make_issue(territory.streetlight)  # the lighting department's

    response = staff.get(f"/departments/{territory.roads.pk}/map/")

    assert response.status_code == 200
    issues = queue_config(response)["issues"]
    assert [i["id"] for i in issues] == [late.pk, fine.pk]
    assert [i["late"] for i in issues] == [True, False]
    assert issues[0]["colour"] != issues[1]["colour"]
    assert issues[0]["url"] == f"/office/issues/{late.pk}/"


def test_todays_crew_routes_are_drawn_with_numbered_stops(
    territory: Territory, staff: Client, django_assert_max_num_queries: Any
) -> None:
    first = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 100))
    second = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 300))
    road = [[CENTRE_LON, CENTRE_LAT], [CENTRE_LON + 0.001, CENTRE_LAT + 0.001]]
    plan_today(territory, [first, second], road)
    for n in range(30):
        make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), -10 * n))

    # Session, user, role, department, municipality extent, queue, plan, routes, stops with
    # issues, the crews' depots.
    with django_assert_max_num_queries(11):
        response = staff.get(f"/departments/{territory.roads.pk}/map/")

    routes = queue_config(response)["routes"]
    assert len(routes) == 1
    assert routes[0]["crew"] == "Crew A"
    assert (routes[0]["colour"], routes[0]["text"]) == ("#1f78b4", "#ffffff")
    assert routes[0]["line"] == [[CENTRE_LAT, CENTRE_LON], [CENTRE_LAT + 0.001, CENTRE_LON + 0.001]]
    assert [(s["n"], s["issue"]) for s in routes[0]["stops"]] == [(1, first.pk), (2, second.pk)]


def test_a_route_without_a_road_line_is_drawn_depot_stops_depot(
    territory: Territory, staff: Client
) -> None:
    stop = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 100))
    plan_today(territory, [stop], [])
    routes = queue_config(staff.get(f"/departments/{territory.roads.pk}/map/"))["routes"]
    line = routes[0]["line"]
    assert line[0] == line[-1] == routes[0]["depot"]
    assert line[1] == [stop.location.y, stop.location.x]


def test_an_unknown_department_is_not_found(staff: Client) -> None:
    assert staff.get("/departments/999999/map/").status_code == 404


def test_the_queue_map_marks_the_depots_of_the_departments_active_crews(
    territory: Territory, staff: Client
) -> None:
    depot = Depot.objects.get(department=territory.roads)
    north = Depot.objects.create(
        department=territory.roads,
        name="North yard",
        location=make_point(*moved((CENTRE_LAT, CENTRE_LON), 900)),
    )
    Crew.objects.create(department=territory.roads, name="Crew B", depot=depot)
    Crew.objects.create(department=territory.roads, name="Crew A", depot=depot)
    Crew.objects.create(department=territory.roads, name="Crew N", depot=north)
    Crew.objects.create(department=territory.roads, name="Retired", depot=north, active=False)
    lighting_depot = Depot.objects.create(
        department=territory.lighting,
        name="Lamp store",
        location=make_point(CENTRE_LAT, CENTRE_LON),
    )
    Crew.objects.create(department=territory.lighting, name="Lamps", depot=lighting_depot)

    depots = queue_config(staff.get(f"/departments/{territory.roads.pk}/map/"))["depots"]

    by_name = {d["name"]: d for d in depots}
    assert sorted(by_name) == sorted([depot.name, "North yard"])
    assert by_name[depot.name]["crews"] == ["Crew A", "Crew B"]
    assert by_name["North yard"]["crews"] == ["Crew N"]
    assert by_name["North yard"]["lat"] == pytest.approx(north.location.y)
    assert by_name["North yard"]["lon"] == pytest.approx(north.location.x)
