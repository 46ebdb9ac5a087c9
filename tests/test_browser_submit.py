"""The citizen's report form in real headless Chromium, on a 360 px phone."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from geo.units import haversine_m
from reports.models import Photo, Report
from tests import browser
from tests.factories import CENTRE_LAT, CENTRE_LON, OUTSIDE, Territory

pytestmark = pytest.mark.browser


# In the west half of the test territory, away from the edges.
PHONE_AT = (CENTRE_LAT - 0.003, CENTRE_LON - 0.006)
PHOTO_AT = (CENTRE_LAT + 0.004, CENTRE_LON - 0.011)
GPS_IFD = 0x8825


def dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes_float = (degrees - whole) * 60
    minutes = int(minutes_float)
    return float(whole), float(minutes), round((minutes_float - minutes) * 60, 4)


def phone_photo(path: Path, *, size: tuple[int, int], gps: tuple[float, float]) -> Path:
    """Write a JPEG like a phone camera's: large, with the EXIF GPS position of the shot."""
    image = Image.new("RGB", size, "#7a6a55")
    for x in range(0, size[0], 200):  # something to look at in the screenshots
        image.paste("#3d3328", (x, size[1] // 3, x + 100, size[1] // 3 + 300))
    exif = Image.Exif()
    gps_ifd = exif.get_ifd(GPS_IFD)
    gps_ifd.update({1: "N", 2: dms(gps[0]), 3: "E", 4: dms(gps[1])})
    image.save(path, "JPEG", quality=85, exif=exif)
    return path


@pytest.fixture
def phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[browser.PhonePage]:
    with browser.phone_page(chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1]) as watch:
        yield watch


def test_citizen_reports_a_pothole_with_a_photo_and_lands_on_the_tracking_page(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    photo = phone_photo(tmp_path / "IMG_2041.jpg", size=(2600, 1950), gps=PHOTO_AT)
    page.goto("/")

    page.get_by_role("button", name="Use my position").click()
    expect(page.locator("#pin-text")).to_contain_text(f"latitude {PHONE_AT[0]:.5f}")
    category = page.get_by_label("Category")
    expect(category).to_be_enabled()
    expect(category.locator("optgroup")).to_have_count(3)  # roads, lighting, safety
    category.select_option("pothole")
    page.get_by_label("How big is it?").select_option("large")
    page.get_by_label("Depth (cm) (optional)").fill("12")
    page.locator("#photos").set_input_files(photo)
    expect(page.locator("#photo-list img")).to_have_count(1)
    # The pin was placed by GPS already: the photo's own position is not offered.
    expect(page.locator("#photo-position")).to_be_hidden()
    page.get_by_label("Description").fill("A deep hole in the cycle lane.")
    page.get_by_label("4 High").check()
    expect(page.locator("#emergency-call")).to_be_hidden()
    browser.screenshot(page, "submit-filled")

    page.get_by_role("button", name="Send the report").click()

    page.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/$"))
    code = page.locator("#tracking-code").inner_text()
    expect(page.locator(".status")).to_have_text("Open")
    expect(page.locator(".report-count")).to_have_text("1 person has reported this problem.")
    gallery = page.locator(".photo-gallery img")
    expect(gallery).to_have_count(1)
    page.wait_for_function(
        "() => [...document.images].every((img) => img.complete && img.naturalWidth > 0)"
    )
    browser.screenshot(page, "track")

    report = Report.objects.get()
    assert report.tracking_code == code
    assert haversine_m(report.location.y, report.location.x, *PHONE_AT) < 0.5
    assert report.location_accuracy_m == 10  # the phone context's geolocation accuracy
    assert report.channel == "web"
    assert report.category.code == "pothole"
    assert report.answers == {"size": "large", "depth_cm": 12}
    assert report.urgency == 4
    assert report.emergency is False
    assert report.description == "A deep hole in the cycle lane."
    stored = Photo.objects.get(report=report)
    assert max(stored.width, stored.height) == 2048  # shrunk in the browser
    assert ("POST", "/api/v1/reports/") in [tuple(r.split(" ", 1)) for r in phone.requests]
    phone.assert_clean()


def test_ticking_the_emergency_box_shows_the_number_at_once(phone: browser.PhonePage) -> None:
    page = phone.page
    page.goto("/")
    call = page.locator("#emergency-call")
    expect(call).to_be_hidden()

    page.get_by_label("Someone is hurt or in immediate danger").check()

    expect(call).to_be_visible()
    expect(call).to_contain_text("Call 112 now.")
    expect(call.get_by_role("link", name="Call 112")).to_have_attribute("href", "tel:112")
    call.scroll_into_view_if_needed()
    browser.screenshot(page, "submit-emergency")
    assert not any(r.startswith("POST") for r in phone.requests)  # nothing was sent
    page.get_by_label("Someone is hurt or in immediate danger").uncheck()
    expect(call).to_be_hidden()
    phone.assert_clean()


def test_a_category_the_municipality_does_not_handle_says_where_to_go_and_cannot_be_sent(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    # Tiles fail to load here: tapping the grey map must still place the pin.
    with browser.phone_page(
        chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1], tiles="fail"
    ) as phone:
        page = phone.page
        page.goto("/")
        box = page.locator("#map").bounding_box()
        assert box is not None
        page.locator("#map").click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.5})
        expect(page.locator("#pin-text")).to_contain_text("The pin is at latitude")
        category = page.get_by_label("Category")
        expect(category).to_be_enabled()

        category.select_option("gas-leak")

        redirect = page.locator("#redirect")
        expect(redirect).to_be_visible()
        expect(redirect).to_contain_text("Call the gas emergency line now: 800 900 900.")
        expect(redirect).to_contain_text("Gas Co")
        expect(redirect.get_by_role("link", name="800 900 900")).to_have_attribute(
            "href", "tel:800900900"
        )
        send = page.get_by_role("button", name="Send the report")
        expect(send).to_be_disabled()
        redirect.scroll_into_view_if_needed()
        browser.screenshot(page, "submit-redirect")

        category.select_option("streetlight")
        expect(redirect).to_be_hidden()
        expect(send).to_be_enabled()
        phone.assert_clean()


def test_a_photo_taken_on_the_spot_offers_its_position_for_the_pin(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    page.goto("/")

    page.locator("#photos").set_input_files(
        phone_photo(tmp_path / "small.jpg", size=(1200, 900), gps=PHOTO_AT)
    )
    page.get_by_role("button", name="Use the photo's position").click()

    expect(page.locator("#pin-text")).to_contain_text(
        f"latitude {PHOTO_AT[0]:.5f}, longitude {PHOTO_AT[1]:.5f}"
    )
    expect(page.locator("#photo-position")).to_be_hidden()
    expect(page.get_by_label("Category")).to_be_enabled()
    phone.assert_clean()


def test_a_place_outside_the_territory_is_refused_clearly(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=OUTSIDE[0], lon=OUTSIDE[1]) as phone:
        page = phone.page
        page.goto("/")

        page.get_by_role("button", name="Use my position").click()

        expect(page.locator("#error-location")).to_have_text(
            "This place is outside the municipality's territory."
        )
        expect(page.get_by_label("Category")).to_be_disabled()
        page.get_by_role("button", name="Send the report").click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        # A 400 from the categories API logs a console error in Chromium; that one is expected.
        phone.console_errors = [e for e in phone.console_errors if "400" not in e]
        phone.assert_clean()


def test_the_servers_field_errors_are_shown_next_to_the_fields(phone: browser.PhonePage) -> None:
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    page.get_by_label("Category").select_option("streetlight")
    # The browser accepts an address without a domain; the server does not.
    page.get_by_label("E-mail").fill("someone@example")

    page.get_by_role("button", name="Send the report").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#error-email")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Send the report")).to_be_enabled()
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(browser.SCREENSHOTS / "submit-errors.png"))  # what the phone shows
    assert Report.objects.count() == 0
    phone.console_errors = [e for e in phone.console_errors if "400" not in e]
    phone.assert_clean()


def test_a_heic_photo_the_browser_cannot_decode_is_sent_as_it_is(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    pillow_heif.register_heif_opener()
    heic = tmp_path / "IMG_0420.HEIC"
    jpeg = phone_photo(tmp_path / "source.jpg", size=(1600, 1200), gps=PHOTO_AT)
    with Image.open(jpeg) as source:
        source.save(heic, "HEIF", exif=source.getexif().tobytes())
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    page.get_by_label("Category").select_option("streetlight")

    page.locator("#photos").set_input_files(heic)

    # Chromium cannot decode HEIC: no preview, and the original goes to the server as it is.
    expect(page.locator("#photo-list .photo-placeholder")).to_have_text("Photo 1 (no preview)")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/$"))
    report = Report.objects.get()
    assert haversine_m(report.location.y, report.location.x, *PHONE_AT) < 0.5
    assert Photo.objects.get(report=report).width == 1600
    # The server read the untouched original's EXIF position (staff only).
    assert report.photo_location is not None
    assert haversine_m(report.photo_location.y, report.photo_location.x, *PHOTO_AT) < 1
    phone.assert_clean()
