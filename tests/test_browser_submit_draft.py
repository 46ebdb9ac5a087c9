"""The citizen form keeps its draft across a language switch or a reload, places the pin from a
typed address and reads out the street at the pin: real headless Chromium on a 360 px phone."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from rest_framework.test import APIClient

from reports.models import Report
from tests import browser
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, street
from tests.test_browser_suggestions import reported_pothole

pytestmark = pytest.mark.browser

PHONE_AT = (CENTRE_LAT - 0.003, CENTRE_LON - 0.006)
STREET_AT = (CENTRE_LAT + 0.002, CENTRE_LON - 0.005)
DRAFT_KEY = "segnala:report-draft"


@pytest.fixture
def phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[browser.PhonePage]:
    with browser.phone_page(chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1]) as watch:
        yield watch


def photo(path: Path) -> Path:
    Image.new("RGB", (800, 600), "#7a6a55").save(path, "JPEG")
    return path


def fill_a_pothole(page: Page, tmp_path: Path) -> None:
    page.get_by_role("button", name="Use my position").click()
    expect(page.get_by_label("Category")).to_be_enabled()
    page.get_by_label("Category").select_option("pothole")
    page.get_by_label("How big is it?").select_option("large")
    page.get_by_label("Depth (cm) (optional)").fill("12")
    page.get_by_label("Description").fill("A deep hole in the cycle lane.")
    page.get_by_label("4 High").check()
    page.get_by_label("Someone is hurt or in immediate danger").check()
    page.get_by_label("Name").fill("Mariangela Esposito")
    page.get_by_label("E-mail").fill("mariangela@example.org")
    page.locator("#photos").set_input_files(photo(tmp_path / "IMG_1.jpg"))
    expect(page.locator("#photo-list img")).to_have_count(1)


def expect_the_pothole_back(page: Page, *, english: bool = True) -> None:
    expect(page.locator("#pin-text")).to_contain_text(f"{PHONE_AT[0]:.5f}")
    expect(page.locator("#category")).to_have_value("pothole")
    expect(page.locator("#question-size")).to_have_value("large")
    expect(page.locator("#question-depth_cm")).to_have_value("12")
    expect(page.locator("#description")).to_have_value("A deep hole in the cycle lane.")
    expect(page.locator("#urgency-4")).to_be_checked()
    expect(page.locator("#emergency")).to_be_checked()
    expect(page.locator("#emergency-call")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Mariangela Esposito")
    expect(page.locator("#email")).to_have_value("mariangela@example.org")
    # A photo is a file: it cannot be kept, and the citizen is told so.
    expect(page.locator("#photo-list img")).to_have_count(0)
    expect(page.locator("#photos-lost")).to_be_visible()
    if english:  # the Italian words come with the catalogue
        expect(page.locator("#photos-lost")).to_contain_text("1 photo could not be kept")


def test_switching_the_language_keeps_the_report_in_progress_until_it_is_sent(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    page.goto("/")
    fill_a_pothole(page, tmp_path)

    with page.expect_navigation():
        page.get_by_role("button", name="Italiano").click()

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect_the_pothole_back(page, english=False)
    # Kept in this tab only: nothing of it in the lasting storage.
    assert page.evaluate("() => localStorage.length") == 0
    browser.screenshot(page, "submit-draft-restored")

    page.locator("#photos").set_input_files(photo(tmp_path / "IMG_2.jpg"))
    expect(page.locator("#photos-lost")).to_be_hidden()
    page.locator("#send").click()
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/$"))

    report = Report.objects.get()
    assert (report.language, report.urgency, report.emergency) == ("it", 4, True)
    assert report.answers == {"size": "large", "depth_cm": 12}
    assert report.photos.count() == 1
    assert page.evaluate(f"() => sessionStorage.getItem('{DRAFT_KEY}')") is None
    page.goto("/")
    expect(page.locator("#pin-text")).to_have_text("Nessun luogo ancora selezionato.")
    expect(page.locator("#description")).to_have_value("")
    expect(page.locator("#email")).to_have_value("")
    phone.assert_clean()


def test_an_accidental_reload_keeps_the_report_in_progress(
    phone: browser.PhonePage, tmp_path: Path
) -> None:
    page = phone.page
    page.goto("/")
    fill_a_pothole(page, tmp_path)

    page.reload()

    expect_the_pothole_back(page)
    phone.assert_clean()


def test_joining_an_issue_already_reported_drops_the_draft(phone: browser.PhonePage) -> None:
    reported_pothole(APIClient())
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    expect(page.get_by_label("Category")).to_be_enabled()
    page.get_by_label("Category").select_option("pothole")
    page.get_by_label("Description").fill("Also seen this morning.")
    page.get_by_role("button", name="This is my problem").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#joined")).to_be_visible()

    page.reload()

    expect(page.locator("#description")).to_have_value("")
    expect(page.locator("#category")).to_be_disabled()


def test_a_typed_address_places_the_pin_and_the_street_is_read_out(
    phone: browser.PhonePage,
) -> None:
    street("Mannerheimintie", *STREET_AT)
    page = phone.page
    page.goto("/")

    page.get_by_label("Street and number").fill("Mannerheimintie 5")
    page.get_by_label("Street and number").press("Enter")  # searches; does not send the form

    pin = page.locator("#pin-text")
    expect(pin).to_have_attribute("aria-live", "polite")
    expect(pin).to_have_text(
        f"The pin is on Mannerheimintie, at latitude {STREET_AT[0]:.5f}, "
        f"longitude {STREET_AT[1]:.5f}."
    )
    expect(page.get_by_label("Category")).to_be_enabled()
    marker = page.evaluate(
        "() => { const m = document.querySelector('.leaflet-marker-icon');"
        " return m ? m.getAttribute('alt') : null; }"
    )
    assert marker == "Pin on the place of the problem"
    assert Report.objects.count() == 0
    assert "GET /api/v1/addresses/" in phone.requests
    phone.assert_clean()


def test_an_unknown_address_is_said_next_to_the_field(phone: browser.PhonePage) -> None:
    page = phone.page
    page.goto("/")

    page.get_by_label("Street and number").fill("Via Nowhere 3")
    page.get_by_role("button", name="Find", exact=True).click()

    error = page.locator("#error-address")
    expect(error).to_have_text("No street of the municipality matches this address.")
    expect(page.get_by_label("Street and number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pin-text")).to_have_text("No place chosen yet.")


def test_the_street_at_the_gps_position_is_read_out_with_the_pin(
    phone: browser.PhonePage,
) -> None:
    street("Aleksanterinkatu", PHONE_AT[0] + 0.0002, PHONE_AT[1])  # 22 m north of the phone
    page = phone.page
    page.goto("/")

    page.get_by_role("button", name="Use my position").click()

    expect(page.locator("#pin-text")).to_contain_text("The pin is on Aleksanterinkatu")
    assert "GET /api/v1/addresses/at/" in phone.requests
    phone.assert_clean()


def test_the_already_reported_description_carries_its_language(
    phone: browser.PhonePage,
) -> None:
    issue = reported_pothole(APIClient(HTTP_ACCEPT_LANGUAGE="it"))
    assert issue.reports.get().language == "it"
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    expect(page.get_by_label("Category")).to_be_enabled()

    page.get_by_label("Category").select_option("pothole")

    description = page.locator(".suggestion-description")
    expect(description).to_have_count(1)
    expect(description).to_have_attribute("lang", "it")
