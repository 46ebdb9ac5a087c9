"""Route plans from a department's open issues: stored, re-planned, exported (real PostGIS)."""

from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from geo.importer import import_roads
from reports.models import Issue
from routing.models import Crew, RoutePlan, RouteStop
from routing.tasks import replan_for_emergency
from tests.factories import INSIDE, Territory, moved

EXTRACT = Path(__file__).resolve().parent.parent / "fixtures" / "osm" / "helsinki.osm.pbf"
GPX = "{http://www.topografix.com/GPX/1/1}"


# Plan at noon: run at 23:30, a plan for today has half an hour of the crew's shift left
# (rightly one or two stops), and these tests would depend on the clock.
pytestmark = pytest.mark.usefixtures("midday")


@pytest.fixture
def staff(db: None) -> APIClient:
    user = get_user_model().objects.create_user("coordinator", password="pw", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def report(where: tuple[float, float], **extra: Any) -> int:
    form = {"lat": where[0], "lon": where[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post("/api/v1/reports/", {**form, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["issue"]


def potholes(count: int) -> list[int]:
    return [
        report(moved(INSIDE, metres_north=150 * i, metres_east=90 * (i % 3))) for i in range(count)
    ]


def plan(staff: APIClient, territory: Territory, **body: Any) -> dict[str, Any]:
    response = staff.post(
        f"/api/v1/departments/{territory.roads.pk}/routes/plan",
        {"time_limit_s": 0.5, **body},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_without_a_road_network_the_plan_uses_straight_lines_and_says_so(
    staff: APIClient, territory: Territory, crew: Crew
) -> None:
    issues = potholes(4)

    body = plan(staff, territory)

    assert body["network"] == "straight_line"
    assert any("straight lines" in note for note in body["notes"])
    [route] = body["routes"]
    assert sorted(stop["issue"] for stop in route["stops"]) == sorted(issues)
    assert [stop["position"] for stop in route["stops"]] == [1, 2, 3, 4]
    assert route["distance_m"] > 0
    today = staff.get(f"/api/v1/departments/{territory.roads.pk}/routes/").json()
    assert today["id"] == body["id"]


def test_on_the_road_network_the_route_is_drawn_on_roads_and_exports_as_gpx(
    staff: APIClient, territory: Territory, crew: Crew
) -> None:
    import_roads(EXTRACT)
    potholes(3)

    body = plan(staff, territory, objective="distance")

    assert body["network"] == "roads"
    [route] = body["routes"]
    assert len(route["line"]) > 10
    gpx = staff.get(f"/api/v1/routes/{route['id']}.gpx")
    assert gpx.status_code == 200
    root = ET.fromstring(gpx.content)
    assert len(root.findall(f"{GPX}wpt")) == 3
    assert len(root.findall(f".//{GPX}trkpt")) == len(route["line"])
    assert root.find(f"{GPX}wpt/{GPX}name").text.startswith("1. #")


def test_an_emergency_is_visited_first(staff: APIClient, territory: Territory, crew: Crew) -> None:
    potholes(3)
    emergency = report(moved(INSIDE, metres_north=-300), emergency=True)

    body = plan(staff, territory)

    assert body["routes"][0]["stops"][0]["issue"] == emergency


def test_replanning_keeps_the_started_stop_first_and_inserts_the_new_emergency(
    staff: APIClient, territory: Territory, crew: Crew
) -> None:
    potholes(4)
    first = plan(staff, territory)
    started = first["routes"][0]["stops"][2]["issue"]
    RouteStop.objects.filter(issue_id=started).update(state=RouteStop.State.IN_PROGRESS)
    emergency = report(moved(INSIDE, metres_north=-400), emergency=True)

    second = plan(staff, territory)

    order = [stop["issue"] for stop in second["routes"][0]["stops"]]
    assert order[:2] == [started, emergency]
    assert RoutePlan.objects.get(pk=first["id"]).superseded
    assert not RoutePlan.objects.get(pk=second["id"]).superseded


def test_planning_is_for_staff_and_needs_a_crew_and_work(
    staff: APIClient, territory: Territory
) -> None:
    url = f"/api/v1/departments/{territory.roads.pk}/routes/plan"
    assert APIClient().post(url, {}, format="json").status_code == 403
    no_crew = staff.post(url, {}, format="json")
    assert no_crew.status_code == 400 and "crew" in str(no_crew.json())
    Crew.objects.create(department=territory.roads, name="B", depot=territory.roads.depots.get())
    no_work = staff.post(url, {}, format="json")
    assert no_work.status_code == 400 and "open issue" in str(no_work.json())
    bad = staff.post(url, {"objective": "fastest", "time_limit_s": 999}, format="json")
    assert bad.status_code == 400 and {"objective", "time_limit_s"} <= set(bad.json())


def test_reading_routes_checks_the_date(staff: APIClient, territory: Territory) -> None:
    url = f"/api/v1/departments/{territory.roads.pk}/routes/"

    assert staff.get(url + "?date=tomorrow").status_code == 400
    assert staff.get(url + "?date=2026-01-05").status_code == 404
    assert staff.get("/api/v1/departments/999/routes/").status_code == 404
    assert APIClient().get(url).status_code == 403


def test_closed_issues_are_not_planned(staff: APIClient, territory: Territory, crew: Crew) -> None:
    kept, closed = potholes(2)
    Issue.objects.filter(pk=closed).update(status="closed", closed_at=timezone.now())

    body = plan(staff, territory)

    assert [stop["issue"] for stop in body["routes"][0]["stops"]] == [kept]


def test_a_new_emergency_is_inserted_into_todays_routes_once(
    staff: APIClient, territory: Territory, crew: Crew
) -> None:
    potholes(3)
    first = plan(staff, territory)
    emergency = report(moved(INSIDE, metres_north=-250), emergency=True)

    new_plan = replan_for_emergency(emergency)
    again = replan_for_emergency(emergency)

    assert new_plan is not None and new_plan != first["id"]
    assert again is None
    stops = RouteStop.objects.filter(route__plan_id=new_plan).order_by("position")
    assert stops.first().issue_id == emergency
