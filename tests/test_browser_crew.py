"""The crew's route page in real headless Chromium on a 360 px phone: the ordered list and the
route map, then the work at a stop (start, done with a photo) as a crew member does it."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from reports.models import Issue, Status
from routing.models import Crew, CrewRoute, RouteStop
from routing.planning import plan_routes
from tests import browser
from tests.factories import INSIDE, Territory, jpeg_bytes, moved

# The crew plans today's route and then opens today's pages: today must not move at midnight.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("same_day")]

NAME, EMAIL = "Mariangela Esposito", "mariangela.esposito@example.org"


def todays_route(territory: Territory) -> CrewRoute:
    crew = Crew.objects.create(
        department=territory.roads,
        name="Squadra A",
        depot=territory.roads.depots.get(),
        shift_start=dt.time(0, 0),
        shift_end=dt.time(23, 59),
    )
    for i in range(3):
        where = moved(INSIDE, metres_north=150 * i, metres_east=80 * i)
        form = {"lat": where[0], "lon": where[1], "category": "pothole"}
        form |= {"answers": {"size": "small"}, "name": NAME, "email": EMAIL}
        assert APIClient().post("/api/v1/reports/", form, format="json").status_code == 201
    worker = get_user_model().objects.create_user("operaio", password="pw")
    crew.members.add(worker)
    return plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3).routes.get()


@pytest.fixture
def crew_phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[tuple[browser.PhonePage, CrewRoute]]:
    route = todays_route(territory)
    session = Client()
    session.force_login(get_user_model().objects.get(username="operaio"))
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as watch:
        watch.page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        yield watch, route


def test_crew_works_through_its_route_on_the_phone(
    crew_phone: tuple[browser.PhonePage, CrewRoute], tmp_path: Path
) -> None:
    phone, route = crew_phone
    page = phone.page
    stops = list(route.stops.order_by("position"))

    page.goto("/crew/")

    expect(page).to_have_url(f"{page.url.split('/crew/')[0]}/crew/routes/{route.pk}/")
    expect(page.locator("#route-map[data-ready=true]")).to_be_visible()
    expect(page.locator("#route-map .stop-marker")).to_have_count(3)
    expect(page.locator("#route-map .depot-marker")).to_have_count(1)
    expect(page.locator("#route-map path.leaflet-interactive")).to_have_count(1)
    expect(page.locator("li.route-stop h2")).to_have_count(3)
    first = page.locator("#stop-1")
    lat, lon = stops[0].issue.location.y, stops[0].issue.location.x
    expect(first.get_by_role("link", name="Navigate")).to_have_attribute(
        "href", f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}"
    )
    page.get_by_role("button", name="Show where I am").click()
    expect(page.locator("#locate-status")).to_have_text("Your position is on the map.")
    assert NAME not in page.content() and EMAIL not in page.content()
    browser.screenshot(page, "crew-route")

    first.get_by_role("button", name="Start the work").click()

    expect(page.get_by_role("status").first).to_contain_text("Stop 1: work started.")
    expect(page.locator("#route-map .stop-marker.state-in_progress")).to_have_count(1)
    assert Issue.objects.get(pk=stops[0].issue_id).status == Status.IN_PROGRESS

    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg_bytes((1200, 900), "#3a5b4a"))
    page.locator("#stop-1").get_by_text("Done", exact=True).click()
    page.locator("#stop-1").get_by_label("Photo of the finished work").set_input_files(photo)
    page.locator("#stop-1").get_by_role("button", name="Mark as done").click()

    expect(page.get_by_role("status").first).to_contain_text("Stop 1: done.")
    expect(page.locator("#route-map .stop-marker.state-done")).to_have_count(1)
    expect(page.locator("#stop-1").get_by_role("button")).to_have_count(0)
    stop = RouteStop.objects.get(pk=stops[0].pk)
    assert stop.state == RouteStop.State.DONE and stop.after_photo
    assert Issue.objects.get(pk=stops[0].issue_id).status == Status.CLOSED
    browser.screenshot(page, "crew-route-after-done")

    page.get_by_role("link", name="Printable route sheet").click()
    expect(page.locator("table.sheet-table tbody tr")).to_have_count(3)
    expect(page.locator("#route-map .stop-marker")).to_have_count(3)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    browser.screenshot(page, "crew-route-sheet")
    phone.assert_clean()


def test_the_route_map_works_without_tiles(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    route = todays_route(territory)
    staff = get_user_model().objects.create_user("capo", password="pw", is_staff=True)
    session = Client()
    session.force_login(staff)
    with browser.phone_page(
        chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1], tiles="fail"
    ) as phone:
        phone.page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        phone.page.goto(f"/crew/routes/{route.pk}/")

        expect(phone.page.locator("#route-map .stop-marker")).to_have_count(3)
        phone.assert_clean()
