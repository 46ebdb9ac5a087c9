"""The permission matrix: every role against every back-office view and staff API endpoint.

Each cell is the HTTP status the role gets: 302 is the login page for visitors (pages), 403 a
role without the right, 404 an issue or route outside the role's scope (not even revealed).
"ok" means the request went through (2xx, or the redirect back after a page action). Each
cell gets fresh issues, so an action allowed in one cell cannot hide a refusal in another.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import Forwarding, Role, StaffProfile
from geo.models import ExternalBody
from reports.models import Issue
from routing.models import Crew, CrewRoute, RoutePlan, RouteStop
from tests.factories import INSIDE, Territory, moved

ROLES = [
    "anonymous",
    "citizen",
    "crew",
    "external",
    "manager",
    "coordinator",
    "other_coordinator",
    "operator",
    "administrator",
]


@dataclass
class World:
    territory: Territory
    crew: Crew
    route: CrewRoute
    body: ExternalBody
    clients: dict[str, Client]
    count: int = 0

    def issue(self) -> Issue:
        """A fresh roads issue of two reports (one can be split off), on the crew's route and
        forwarded to the external body."""
        self.count += 1
        where = moved(INSIDE, metres_north=60 * self.count)
        form = {"lat": where[0], "lon": where[1], "category": "pothole"}
        issues = {
            APIClient()
            .post("/api/v1/reports/", {**form, "answers": {"size": "small"}}, format="json")
            .json()["issue"]
            for _ in range(2)
        }
        [issue_id] = issues
        issue = Issue.objects.get(pk=issue_id)
        now = timezone.now()
        RouteStop.objects.create(
            route=self.route, issue=issue, position=self.count, arrives_at=now, departs_at=now
        )
        Forwarding.objects.create(issue=issue, body=self.body, message="x", due_at=now)
        return issue


@pytest.fixture
def world(territory: Territory, same_day: dt.date) -> World:
    users = get_user_model().objects
    crew = Crew.objects.create(
        department=territory.roads, name="A", depot=territory.roads.depots.get()
    )
    plan = RoutePlan.objects.create(department=territory.roads, date=same_day)
    route = CrewRoute.objects.create(plan=plan, crew=crew)
    body = ExternalBody.objects.get(code="gas-co")
    body.email = "interventi@gas.example"
    body.save()
    clients: dict[str, Client] = {"anonymous": Client()}
    profiles: dict[str, dict[str, Any]] = {
        "external": {"role": Role.EXTERNAL, "external_body": body},
        "manager": {"role": Role.MANAGER},
        "coordinator": {"role": Role.COORDINATOR, "department": territory.roads},
        "other_coordinator": {"role": Role.COORDINATOR, "department": territory.lighting},
        "operator": {"role": Role.OPERATOR},
    }
    for name in ROLES[1:]:
        user = (
            users.create_superuser(name, f"{name}@comune.example", "pw")
            if name == "administrator"
            else users.create_user(name, password="pw")
        )
        if name in profiles:
            StaffProfile.objects.create(user=user, **profiles[name])
        if name == "crew":
            crew.members.add(user)
        client = Client()
        client.force_login(user)
        clients[name] = client
    return World(territory, crew, route, body, clients)


def page(path: str) -> Callable[[World, Client], Any]:
    return lambda world, client: client.get(path.format(**_ids(world)))


def post(path: str, **form: Any) -> Callable[[World, Client], Any]:
    def request(world: World, client: Client) -> Any:
        ids = _ids(world)
        data = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in form.items()}
        return client.post(path.format(**ids), data)

    return request


def api_post(path: str, **body: Any) -> Callable[[World, Client], Any]:
    def request(world: World, client: Client) -> Any:
        ids = _ids(world)

        def fill(value: Any) -> Any:
            if isinstance(value, list):
                return [fill(v) for v in value]
            return int(value.format(**ids)) if isinstance(value, str) else value

        data = {key: fill(value) for key, value in body.items()}
        return client.post(path.format(**ids), data, content_type="application/json")

    return request


def _ids(world: World) -> dict[str, Any]:
    issue = world.issue()
    return {
        "issue": issue.pk,
        "other": world.issue().pk,
        "report": issue.reports.order_by("id").first().pk,
        "stop": issue.route_stops.get().pk,
        "route": world.route.pk,
        "roads": world.territory.roads.pk,
        "lighting": world.territory.lighting.pk,
        "streetlight": world.territory.streetlight.pk,
        "body": world.body.pk,
    }


OK = "ok"
N, F, L = 404, 403, 302  # not in scope, forbidden, login page
STAFF_PAGE = {"anonymous": L, "citizen": F}
STAFF_API = {"anonymous": F, "citizen": F}
ACT = {**STAFF_PAGE, "crew": F, "external": F, "manager": F, "other_coordinator": N}
INTAKE = {
    **STAFF_PAGE,
    "crew": F,
    "external": F,
    "manager": F,
    "coordinator": F,
    "other_coordinator": F,
}
MATRIX: dict[str, tuple[Callable[[World, Client], Any], dict[str, Any]]] = {
    "queue": (page("/office/"), STAFF_PAGE),
    "issue page": (page("/office/issues/{issue}/"), {**STAFF_PAGE, "other_coordinator": N}),
    "reply": (post("/office/issues/{issue}/reply/", **{"reply-text": "ok"}), ACT),
    "note": (
        post("/office/issues/{issue}/note/", **{"note-text": "ok"}),
        {**ACT, "crew": OK},
    ),
    "take in charge": (post("/office/issues/{issue}/take/"), ACT),
    "close": (post("/office/issues/{issue}/close/", reason="fixed", text="ok"), ACT),
    "reassign": (
        post("/office/issues/{issue}/reassign/", department="{lighting}", reason="x"),
        ACT,
    ),
    "recategorise": (
        post("/office/issues/{issue}/recategorise/", category="{streetlight}"),
        ACT,
    ),
    "merge": (post("/office/issues/{issue}/merge/", into="{other}"), ACT),
    "split": (post("/office/issues/{issue}/split/", reports="{report}"), ACT),
    "hide": (
        post("/office/issues/{issue}/hide/", **{"moderation-text": "x"}),
        {**ACT, "coordinator": F},
    ),
    "forward": (post("/office/issues/{issue}/forward/", body="{body}", message="x"), ACT),
    "moderate report": (
        post("/office/reports/{report}/hide/"),
        {**ACT, "coordinator": F, "other_coordinator": F},
    ),
    "bulk": (
        post("/office/bulk/", issues="{issue}", action="status", status="in_progress"),
        {**ACT, "other_coordinator": OK},  # allowed, but only touches its own scope
    ),
    "save filter": (post("/office/filters/", name="mine", query="late=on"), STAFF_PAGE),
    "intake page": (page("/office/intake/"), INTAKE),
    "intake": (
        post("/office/intake/submit/", lat=INSIDE[0], lon=INSIDE[1], category="pothole"),
        INTAKE,
    ),
    "drafts": (page("/office/drafts/"), INTAKE),
    "statistics": (
        page("/office/stats/"),
        {**STAFF_PAGE, "crew": F, "external": F, "operator": F},
    ),
    "staff export": (page("/office/export/reports.csv"), STAFF_PAGE),
    "qualify a report": (
        post("/care/reports/{report}/qualify/", verdict="accurate"),
        {**STAFF_PAGE, "citizen": N, "external": F, "manager": F, "other_coordinator": N},
    ),
    "crew route": (
        page("/crew/routes/{route}/"),
        {**STAFF_PAGE, "citizen": N, "external": N, "other_coordinator": N},
    ),
    "crew stop": (
        post("/crew/stops/{stop}/start/"),
        {**STAFF_PAGE, "citizen": N, "external": N, "manager": F, "other_coordinator": N},
    ),
    "api merge": (
        api_post("/api/v1/issues/{issue}/merge/", into="{other}"),
        {**STAFF_API, "crew": F, "external": F, "manager": F, "other_coordinator": N},
    ),
    "api split": (
        api_post("/api/v1/issues/{issue}/split/", reports=["{report}"]),
        {**STAFF_API, "crew": F, "external": F, "manager": F, "other_coordinator": N},
    ),
    "api plan routes": (
        api_post("/api/v1/departments/{roads}/routes/plan", time_limit_s=0.2),
        {**STAFF_API, "crew": F, "external": F, "manager": F, "other_coordinator": F},
    ),
    "api routes": (
        page("/api/v1/departments/{roads}/routes/"),
        {**STAFF_API, "crew": F, "external": F, "other_coordinator": F},
    ),
    "api gpx": (
        page("/api/v1/routes/{route}.gpx"),
        {**STAFF_API, "citizen": N, "external": N, "other_coordinator": N},
    ),
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(world: World, endpoint: str) -> None:
    request, refusals = MATRIX[endpoint]
    got, expected = {}, {}
    for role in ROLES:
        response = request(world, world.clients[role])
        expected[role] = refusals.get(role, OK)
        got[role] = _outcome(response)
    assert got == expected


def _outcome(response: Any) -> Any:
    if response.status_code == 302 and "/login/" in response["Location"]:
        return L
    if response.status_code in (N, F):
        return response.status_code
    assert response.status_code < 400, (response.status_code, response.content[:300])
    return OK
