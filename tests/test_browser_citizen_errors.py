"""The citizen form's errors follow what is wrong now, in real headless Chromium on a phone."""

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

from tests import browser
from tests.factories import OUTSIDE, Territory
from tests.test_browser_submit import PHONE_AT, PHOTO_AT, phone_photo

pytestmark = pytest.mark.browser

PLACE_THE_PIN = "Place the pin on the map: use your position or tap the map."
OUTSIDE_TEXT = "This place is outside the municipality's territory."


@pytest.fixture
def phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[browser.PhonePage]:
    with browser.phone_page(chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1]) as watch:
        yield watch


def test_placing_the_pin_after_send_clears_the_summary(phone: browser.PhonePage) -> None:
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Send the report").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(PLACE_THE_PIN)

    page.get_by_role("button", name="Use my position").click()

    expect(page.get_by_label("Category")).to_be_enabled()
    expect(page.locator("#error-location")).to_be_hidden()
    expect(summary).to_be_hidden()
    expect(page.locator("#error-summary-list li")).to_have_count(0)
    phone.assert_clean()


def test_removing_a_refused_photo_clears_it_from_the_summary(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    broken = tmp_path / "IMG_0001.jpg"
    broken.write_bytes(b"not a photo at all" * 100)
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    page.get_by_label("Category").select_option("streetlight")
    page.get_by_label("E-mail").fill("someone@example")  # refused by the server too
    page.locator("#photos").set_input_files(broken)
    expect(page.locator("#photo-list li")).to_have_count(1)
    page.get_by_role("button", name="Send the report").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Photo 1:")
    expect(page.locator("#error-photo")).to_be_visible()

    page.get_by_role("button", name="Remove photo 1").click()

    expect(page.locator("#error-photo")).to_be_hidden()
    expect(summary).not_to_contain_text("Photo 1:")
    # The e-mail is still wrong: the summary keeps it, and only it.
    expect(page.locator("#error-summary-list li")).to_have_count(1)
    expect(page.locator("#error-summary-list a")).to_have_attribute("href", "#email")
    expect(page.locator("#error-email")).to_be_visible()
    # Chromium logs the 400 of the refused submission; that one is expected.
    phone.console_errors = [e for e in phone.console_errors if "400" not in e]
    phone.assert_clean()


def test_a_pin_outside_the_territory_is_announced_and_is_the_error_on_send(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=OUTSIDE[0], lon=OUTSIDE[1]) as phone:
        page = phone.page
        page.goto("/")

        page.get_by_role("button", name="Use my position").click()

        # A live region: a screen reader reads it out where it appears.
        expect(page.get_by_role("alert").filter(has_text=OUTSIDE_TEXT)).to_be_visible()
        page.get_by_role("button", name="Send the report").click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_focused()
        expect(page.locator("#error-summary-list li")).to_have_count(1)
        link = page.locator("#error-summary-list a")
        expect(link).to_have_text(OUTSIDE_TEXT)
        expect(link).to_have_attribute("href", "#locate")
        expect(summary).not_to_contain_text("Choose a category")
        expect(page.locator("#error-location")).to_have_text(OUTSIDE_TEXT)
        expect(page.get_by_role("button", name="Use my position")).to_have_accessible_description(
            re.compile(re.escape(OUTSIDE_TEXT))
        )
        phone.console_errors = [e for e in phone.console_errors if "400" not in e]
        phone.assert_clean()


def heic_photo(path: Path, *, gps: tuple[float, float]) -> Path:
    """Write a HEIC with libheif (pillow-heif), EXIF GPS included, as many phones' apps do."""
    pillow_heif.register_heif_opener()
    jpeg = phone_photo(path.with_suffix(".jpg"), size=(1200, 900), gps=gps)
    with Image.open(jpeg) as source:
        source.save(path, "HEIF", exif=source.getexif().tobytes())
    return path


def test_a_heic_photo_taken_on_the_spot_offers_its_position_for_the_pin(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    page.goto("/")

    page.locator("#photos").set_input_files(heic_photo(tmp_path / "IMG_0420.HEIC", gps=PHOTO_AT))

    # Chromium cannot show a HEIC, but its position is read all the same.
    expect(page.locator("#photo-list .photo-placeholder")).to_have_text("Photo 1 (no preview)")
    page.get_by_role("button", name="Use the photo's position").click()
    expect(page.locator("#pin-text")).to_contain_text(
        f"latitude {PHOTO_AT[0]:.5f}, longitude {PHOTO_AT[1]:.5f}"
    )
    expect(page.get_by_label("Category")).to_be_enabled()
    phone.assert_clean()


def test_a_missing_page_on_a_phone_leads_home(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(
        chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1], locale="it-IT"
    ) as phone:
        page = phone.page
        response = page.goto("/issues/999999/")
        assert response is not None and response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", "it")
        expect(page.locator(".site-header")).to_be_visible()
        browser.screenshot(page, "not-found-it")

        page.locator("main a.button-primary").click()

        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("#report-form")).to_be_visible()
        # The page's own 404 is logged by Chromium; nothing else may be (no favicon 404).
        phone.console_errors = [e for e in phone.console_errors if "/issues/999999/" not in e]
        phone.assert_clean()
        assert "GET /favicon.ico" not in phone.requests
