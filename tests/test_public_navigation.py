"""What every public page offers a citizen: the navigation to the map, the list and the
statistics, and the "Follow your report" form that takes a typed tracking code."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import INSIDE, Territory


def submit(**extra: object) -> dict[str, object]:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post("/api/v1/reports/", {**form, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize("path", ["/", "/map/", "/map/list/", "/stats/", "/privacy/"])
def test_every_public_page_links_the_form_the_map_the_list_and_the_statistics(
    client: Client, territory: Territory, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav is not None
    links = re.findall(r'<a href="([^"]+)"', nav.group(0))
    assert links == ["/", "/map/", "/map/list/", "/stats/"]
    # The page the citizen is on is marked for screen readers.
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', nav.group(0))
    assert current == ([path] if path in links else [])


def test_the_follow_your_report_form_goes_to_the_tracking_page_of_the_typed_code(
    client: Client, territory: Territory
) -> None:
    code = str(submit()["tracking_code"])
    html = client.get("/").content.decode()
    assert re.search(r'<form class="track-form" action="/t/" method="get"', html)
    assert 'name="code"' in html

    typed = " " + code.lower().replace("-", " ") + " "
    response = client.get("/t/", {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == f"/t/{code}/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("typed", ["", "K7QM", "K7QM-2XPA-99", "K7QM/2XPA", "\x00" * 8, "x" * 5000])
def test_a_malformed_tracking_code_gets_the_tracking_pages_message(
    client: Client, territory: Territory, typed: str
) -> None:
    response = client.get("/t/", {"code": typed})

    assert response.status_code == 400
    html = response.content.decode()
    assert "We found no report with the tracking code" in html
    assert "eight letters and digits" in html


def test_a_well_formed_code_of_no_report_lands_on_the_tracking_pages_not_found(
    client: Client, territory: Territory
) -> None:
    response = client.get("/t/", {"code": "zzzz zzzz"}, follow=True)

    assert response.redirect_chain == [("/t/ZZZZ-ZZZZ/", 302)]
    assert response.status_code == 404
    assert "We found no report with the tracking code" in response.content.decode()
