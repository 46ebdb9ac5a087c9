"""Citizens' descriptions carry the language they were written in (WCAG 3.1.2): an Italian
description on an English page is read with the Italian voice, and the other way round."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import Crew
from routing.planning import plan_routes
from tests.factories import INSIDE, Territory, moved

ITALIAN = "Buca profonda davanti alla fermata del tram"
ENGLISH = "Deep hole in front of the tram stop"


def report(description: str, language: str, where: tuple[float, float] = INSIDE) -> int:
    """File a pothole through the API from a browser speaking `language`; return its issue."""
    response = APIClient().post(
        "/api/v1/reports/",
        {
            "lat": where[0],
            "lon": where[1],
            "category": "pothole",
            "answers": {"size": "small"},
            "description": description,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 201, response.json()
    return int(response.json()["issue"])


def test_the_issue_page_marks_each_description_with_its_language(
    client: Client, territory: Territory
) -> None:
    issue = report(ITALIAN, "it")
    assert report(ENGLISH, "en", moved(INSIDE, metres_north=3)) == issue

    html = client.get(f"/issues/{issue}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in html
    assert f'<li lang="it">{ITALIAN}</li>' in html
    assert f'<li lang="en">{ENGLISH}</li>' in html


def test_the_nearby_suggestions_give_the_descriptions_language(
    api: APIClient, territory: Territory
) -> None:
    report(ITALIAN, "it")

    response = api.get(
        "/api/v1/issues/nearby/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    [found] = response.json()["results"]
    assert (found["description"], found["language"]) == (ITALIAN, "it")


@pytest.mark.usefixtures("same_day")
def test_the_crews_route_marks_each_stops_description_with_its_language(
    territory: Territory, crew: Crew
) -> None:
    report(ENGLISH, "en")
    report(ITALIAN, "it", moved(INSIDE, metres_north=300, metres_east=200))
    route = plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3).routes.get()
    worker = get_user_model().objects.create_user("operaio", password="pw")
    crew.members.add(worker)
    phone = Client()
    phone.force_login(worker)

    html = phone.get(f"/crew/routes/{route.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()

    descriptions = dict(
        (text, language)
        for language, text in re.findall(
            r'<p class="stop-description" lang="(\w+)">([^<]+)</p>', html
        )
    )
    assert descriptions == {ENGLISH: "en", ITALIAN: "it"}
