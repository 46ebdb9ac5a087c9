"""The public map and the coordinator's queue map in real headless Chromium."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from maps_static.colours import contrast_ratio
from reports.models import Issue, Photo
from tests import browser
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, jpeg_bytes, moved
from tests.test_maps_api import PERSONAL, make_issue
from tests.test_maps_queue import plan_today

pytestmark = pytest.mark.browser

WEST = (CENTRE_LAT, CENTRE_LON - 0.01)
EAST = (CENTRE_LAT + 0.004, CENTRE_LON + 0.01)


def seeded(territory: Territory) -> tuple[list[Issue], Issue]:
    """Five potholes within 40 m in the west (one cluster at city zoom), one light in the east."""
    potholes = [
        make_issue(territory.pothole, moved(WEST, metres_east=10 * n), address=f"Via Roma {n}")
        for n in range(5)
    ]
    light = make_issue(territory.streetlight, EAST, address="Piazza della Luce 1")
    light.priority_explained = {"people": 3}
    light.save()
    photo = Photo(report=light.reports.get(), sha256="0" * 64)
    photo.image.save("x.jpg", ContentFile(jpeg_bytes((800, 600), "#c9a227")), save=False)
    photo.thumbnail.save("t.jpg", ContentFile(jpeg_bytes((160, 120), "#c9a227")), save=False)
    photo.save()
    return potholes, light


def drawn_colours(node: Locator) -> tuple[str, str]:
    """The text and background colours the browser draws a node in, as #rrggbb."""
    drawn = node.evaluate(
        "(node) => [getComputedStyle(node).color, getComputedStyle(node).backgroundColor]"
    )
    text, background = (
        "#" + "".join(f"{int(c):02x}" for c in re.findall(r"\d+", rgb)[:3]) for rgb in drawn
    )
    return text, background


def viewport_answer(page: Page) -> Any:
    return page.expect_response(lambda r: "/map/viewport" in r.url)


@pytest.fixture
def watched(chromium: Browser, live_server: Any, transactional_db: None) -> Iterator[Any]:
    def open_page(tiles: str = "stub") -> Any:
        return browser.phone_page(
            chromium, live_server.url, lat=CENTRE_LAT, lon=CENTRE_LON, tiles=tiles
        )

    yield open_page


def test_the_public_map_shows_clusters_filters_and_a_popup_without_personal_data(
    watched: Any, territory: Territory
) -> None:
    _, light = seeded(territory)
    with watched() as phone:
        page = phone.page
        with viewport_answer(page) as first:
            page.goto("/map/")
        assert first.value.ok
        cluster = page.locator(".cluster")
        expect(cluster).to_have_count(1)
        expect(cluster).to_have_text("5")
        expect(page.locator(".issue-marker")).to_have_count(1)
        expect(page.locator("#map-status")).to_have_text("6 problems in this part of the map.")
        browser.screenshot(page, "map-public")

        with viewport_answer(page):
            page.get_by_label("Category").select_option("streetlight")
        expect(page.locator(".cluster")).to_have_count(0)
        expect(page.locator(".issue-marker")).to_have_count(1)
        expect(page.locator("#list-link")).to_have_attribute(
            "href", re.compile(r"/map/list/\?category=streetlight")
        )

        with page.expect_response(f"**/map/issues/{light.pk}/summary"):
            page.locator(f".issue-marker[data-issue='{light.pk}']").click()
        popup = page.locator(".leaflet-popup-content .popup")
        expect(popup).to_contain_text("Street light out")
        expect(popup).to_contain_text("Piazza della Luce 1")
        expect(popup).to_contain_text("open")
        expect(popup).to_contain_text("3 people reported it")
        expect(popup.get_by_role("img", name="Photo of the problem")).to_be_visible()
        expect(popup.get_by_role("link", name="Open the issue's public page")).to_have_attribute(
            "href", f"/issues/{light.pk}/"
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('.popup img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        )
        browser.screenshot(page, "map-public-popup")
        content = page.content()
        for personal in PERSONAL:
            assert personal not in content

        # Unticking "open" empties the map: the filter reaches the server.
        with viewport_answer(page):
            page.get_by_label("open", exact=True).uncheck()
        expect(page.locator(".issue-marker")).to_have_count(0)
        phone.assert_clean()


def test_clicking_a_cluster_zooms_in_until_the_issues_are_single_markers(
    watched: Any, territory: Territory
) -> None:
    seeded(territory)
    with watched() as phone:
        page = phone.page
        with viewport_answer(page):
            page.goto("/map/")
        for _ in range(8):
            # One move may bring two answers (zoom and pan): let the last one draw first.
            page.wait_for_timeout(300)
            clusters = page.locator(".cluster")
            if clusters.count() == 0:
                break
            try:
                clusters.first.click(timeout=3000)
            except PlaywrightTimeoutError:
                continue  # redrawn under the pointer: look again
        expect(page.locator(".issue-marker")).to_have_count(5)
        phone.assert_clean()


@pytest.mark.parametrize("colour", ["#f2b705", "#e8590c", "#2b8a3e"])
def test_a_clusters_count_reads_on_its_groups_colour(
    watched: Any, territory: Territory, colour: str
) -> None:
    territory.pothole.group.color = colour  # street lighting, roads, parks (demo catalog)
    territory.pothole.group.save()
    seeded(territory)
    with watched() as phone:
        page = phone.page
        with viewport_answer(page):
            page.goto("/map/")
        cluster = page.locator(".cluster")
        expect(cluster).to_have_text("5")
        text, background = drawn_colours(cluster)
        assert background == colour
        assert contrast_ratio(text, background) >= 4.5, (text, background)
        phone.assert_clean()


def test_the_public_map_works_when_tiles_cannot_be_loaded(
    watched: Any, territory: Territory
) -> None:
    seeded(territory)
    with watched(tiles="fail") as phone:
        page = phone.page
        with viewport_answer(page):
            page.goto("/map/")
        expect(page.locator(".cluster")).to_have_count(1)
        expect(page.locator("#public-map")).to_have_class(re.compile("map-no-tiles"))
        browser.screenshot(page, "map-public-no-tiles")
        phone.assert_clean()


def test_the_list_view_is_reachable_from_the_map_and_filters_by_keyboard(
    watched: Any, territory: Territory
) -> None:
    _, light = seeded(territory)
    with watched() as phone:
        page = phone.page
        with viewport_answer(page):
            page.goto("/map/")
        page.get_by_role("link", name=re.compile("Show the same problems as a list")).click()
        page.wait_for_url(re.compile(r"/map/list/"))
        expect(page.get_by_role("status")).to_have_text("6 problems found.")
        page.get_by_label("Category").select_option("streetlight")
        page.get_by_role("button", name="Apply the filters").press("Enter")
        page.wait_for_url(re.compile(r"category=streetlight"))
        expect(page.get_by_role("status")).to_have_text("1 problem found.")
        expect(page.get_by_role("link", name=f"#{light.pk} Street light out")).to_be_visible()
        browser.screenshot(page, "map-list")
        phone.assert_clean()


@pytest.mark.usefixtures("same_day")  # plan_today, then today's queue map
def test_the_queue_map_shows_priorities_late_issues_routes_and_opens_the_back_office(
    watched: Any, territory: Territory
) -> None:
    User.objects.create_user("coordinator", password="a-long-test-password", is_staff=True)
    late = make_issue(territory.pothole, moved(WEST, metres_north=100))
    late.due_at = timezone.now() - dt.timedelta(days=2)
    late.priority = 85
    late.save()
    others = [make_issue(territory.pothole, moved(WEST, metres_east=150 * n)) for n in range(1, 4)]
    plan_today(territory, [late, *others[:2]], [])
    make_issue(territory.streetlight, EAST)  # another department's

    with watched() as phone:
        page = phone.page
        page.goto(f"/login/?next=/departments/{territory.roads.pk}/map/")
        page.get_by_label("Username").fill("coordinator")
        page.get_by_label("Password").fill("a-long-test-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/departments/\d+/map/$"))

        expect(page.locator(".queue-marker")).to_have_count(4)
        expect(page.locator(".queue-marker.queue-late")).to_have_count(1)
        expect(page.locator(".route-stop")).to_have_count(3)
        expect(page.locator(".route-stop").first).to_have_text("1")
        assert contrast_ratio(*drawn_colours(page.locator(".route-stop").first)) >= 4.5
        expect(page.locator("path.leaflet-interactive")).to_have_count(1)
        # Crew A's depot (plan_today), named with its crew for the mouse and screen readers.
        expect(page.locator(".depot-marker")).to_have_count(1)
        expect(page.locator(".depot-marker")).to_have_attribute(
            "aria-label", "Depot Roads depot: Crew A"
        )
        browser.screenshot(page, "map-queue")

        page.get_by_label("Only late issues (past their deadline)").check()
        expect(page.locator(".queue-marker")).to_have_count(1)
        expect(page.locator("#queue-status")).to_have_text("1 issue shown.")

        page.locator(f".queue-marker[data-issue='{late.pk}']").click()
        page.wait_for_url(f"**/office/issues/{late.pk}/")
        phone.assert_clean()
