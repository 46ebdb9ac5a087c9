"""Leaflet's marker images are named by the page, not guessed from leaflet.css's URL.

In production the static files have hashed names (leaflet.<hash>.css), Leaflet's guess of its
image folder came out empty, and the citizen's and the intake's pin was a broken image asking
for /marker-icon.png.
"""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from playwright.sync_api import Browser, Route, expect

from geo.querysets import map_start
from tests import browser
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory


@pytest.fixture
def phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[browser.PhonePage]:
    with browser.phone_page(chromium, live_server.url, lat=CENTRE_LAT, lon=CENTRE_LON) as watch:
        yield watch


def test_the_map_start_names_marker_images_that_exist(db: None) -> None:
    icons = map_start()["markerIcons"]

    assert set(icons) == {"iconUrl", "iconRetinaUrl", "shadowUrl"}
    for url in icons.values():
        assert url.startswith(settings.STATIC_URL)
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url


@pytest.mark.browser
def test_the_citizen_forms_pin_uses_the_named_image(phone: browser.PhonePage) -> None:
    page = phone.page
    page.route("**/leaflet/leaflet.css", _hashed_like_production)
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    pin = page.locator(".leaflet-marker-icon")
    expect(pin).to_have_count(1)

    icons = map_start()["markerIcons"]
    # The phone has two device pixels to a CSS pixel: Leaflet takes the retina image.
    assert pin.get_attribute("src") == icons["iconRetinaUrl"]
    assert pin.evaluate("img => img.complete && img.naturalWidth > 0")


def _hashed_like_production(route: Route) -> None:
    """Serve leaflet.css as production's hashed static files do: its image URLs renamed."""
    response = route.fetch()
    hashed = response.text().replace("images/marker-icon.png", "images/marker-icon.5a1c2b3d.png")
    assert hashed != response.text()
    route.fulfill(response=response, body=hashed)
