"""Getting around the back office: where each role lands after logging in, and the links its
pages offer (the statistics page for the roles that may read it)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from rest_framework.test import APIClient

from backoffice.models import Role, StaffProfile
from routing.models import Crew
from tests.factories import INSIDE, Territory

PASSWORD = "a-long-password"


def staff(username: str, role: Role | None = None, **profile: object) -> AbstractBaseUser:
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    if role is not None:
        StaffProfile.objects.create(user=user, role=role, **profile)
    return user


def crew_member(territory: Territory) -> AbstractBaseUser:
    crew = Crew.objects.create(
        department=territory.roads,
        name="Squadra A",
        depot=territory.roads.depots.get(),
        shift_start=dt.time(7, 0),
        shift_end=dt.time(14, 0),
    )
    user = staff("operaio")
    crew.members.add(user)
    return user


def log_in(user: AbstractBaseUser, next_url: str | None = None) -> str:
    """Log in on the staff's page; return where it sends the browser."""
    form = {"username": user.get_username(), "password": PASSWORD}
    if next_url is not None:
        form["next"] = next_url
    response = Client().post("/login/", form)
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def test_a_crew_member_lands_on_todays_route_others_on_the_queue(territory: Territory) -> None:
    assert log_in(crew_member(territory)) == "/crew/"
    assert log_in(staff("squadra-b", Role.CREW, department=territory.roads)) == "/crew/"
    assert log_in(staff("urp", Role.OPERATOR)) == "/office/"
    assert log_in(staff("capo", Role.COORDINATOR, department=territory.roads)) == "/office/"
    assert log_in(staff("sindaco", Role.MANAGER)) == "/office/"


def test_login_keeps_a_safe_next_and_ignores_another_sites(territory: Territory) -> None:
    worker = crew_member(territory)

    assert log_in(worker, "/office/issues/1/") == "/office/issues/1/"
    assert log_in(worker, "https://evil.example/crew/") == "/crew/"
    assert log_in(staff("urp", Role.OPERATOR), "//evil.example/") == "/office/"


@pytest.mark.parametrize(
    "role, shown",
    [
        (Role.MANAGER, True),
        (Role.COORDINATOR, True),
        (Role.ADMINISTRATOR, True),
        (Role.OPERATOR, False),
        (Role.CREW, False),
    ],
)
def test_the_statistics_link_is_on_the_queue_and_issue_page_for_who_may_read_them(
    territory: Territory, role: Role, shown: bool
) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    issue = APIClient().post("/api/v1/reports/", form, format="json").json()["issue"]
    user = staff(f"{role}-user", role, department=territory.roads)
    client = Client()
    client.force_login(user)

    queue = client.get("/office/").content.decode()

    link = 'href="/office/stats/"'
    assert (link in queue) is shown
    if role != Role.CREW:  # the issue is on no route: outside a crew's scope
        assert (link in client.get(f"/office/issues/{issue}/").content.decode()) is shown
    if shown:
        assert client.get("/office/stats/").status_code == 200
