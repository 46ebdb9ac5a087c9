"""The switchboard's intake form in real headless Chromium: coordinates typed by hand, an
Italian decimal comma included, move the pin without a script error, also when the form
comes back with errors."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from backoffice.models import Role, StaffProfile
from reports.models import Report
from tests import browser
from tests.factories import INSIDE, Territory

pytestmark = pytest.mark.browser

# Inside the territory, north-east of its centre, as an Italian types it.
TYPED = ("60,1709", "24,9434")


def log_in(page: Page, base_url: str) -> None:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    browser.sign_in(page, base_url, user)


def pin_inside_the_map(page: Page) -> bool:
    """Whether the pin shows inside the map's box (a pin at 60.0 would be kilometres south)."""
    pin = page.locator(".leaflet-marker-icon").bounding_box()
    box = page.locator("#intake-map").bounding_box()
    assert pin is not None and box is not None
    tip_x, tip_y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"]
    inside_x = box["x"] <= tip_x <= box["x"] + box["width"]
    return inside_x and box["y"] <= tip_y <= box["y"] + box["height"]


def map_moved_px(page: Page) -> float:
    """How far the map was panned since it was shown, in pixels."""
    transform = page.locator(".leaflet-map-pane").evaluate("pane => pane.style.transform")
    shifts = [float(n) for n in re.findall(r"(-?[\d.]+)px", transform)] or [0.0]
    return max(abs(n) for n in shifts)


def test_typed_coordinates_with_a_decimal_comma_move_the_pin_without_errors(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live_server.url)
        page.goto("/office/intake/")
        expect(page.locator("#intake-map[data-ready=true]")).to_be_attached()

        page.fill("#lat", TYPED[0])
        page.press("#lat", "Tab")  # the longitude is still empty: no pin, no error
        expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
        page.fill("#lon", TYPED[1])
        page.press("#lon", "Tab")
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        page.wait_for_function(
            "() => !document.querySelector('.leaflet-map-pane').classList"
            ".contains('leaflet-pan-anim')"
        )
        assert map_moved_px(page) < 400  # a short pan, not 19 km south to 60.0
        assert pin_inside_the_map(page)

        page.select_option("#category", "pothole")
        page.get_by_role("button", name="File the report").click()
        expect(page.locator("#tracking-code")).to_be_visible()
        phone.assert_clean()

    location = Report.objects.get().location
    assert (round(location.y, 4), round(location.x, 4)) == (60.1709, 24.9434)


def test_the_form_back_with_errors_keeps_the_typed_pin_and_names_the_fields(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live_server.url)
        page.goto("/office/intake/")
        expect(page.locator("#intake-map[data-ready=true]")).to_be_attached()
        page.fill("#lat", TYPED[0])
        page.fill("#lon", TYPED[1])
        page.locator("#category").evaluate("select => select.removeAttribute('required')")
        page.get_by_role("button", name="File the report").click()

        expect(page.locator("#intake-errors")).to_contain_text("Category:")
        expect(page.locator("#intake-map[data-ready=true]")).to_be_attached()
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        assert pin_inside_the_map(page)
        page.fill("#lon", "")
        page.press("#lon", "Tab")  # half a coordinate again: the pin stays, no error
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        # The form's 400 is logged by Chromium as a failed resource; nothing else may be.
        assert phone.external_requests == []
        assert [e for e in phone.console_errors if "400 (Bad Request)" not in e] == []

    assert not Report.objects.exists()
