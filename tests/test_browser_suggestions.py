"""'Already reported?' on the citizen's form, in real headless Chromium on a 360 px phone."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, Page, expect
from rest_framework.test import APIClient

from geo.units import haversine_m
from reports import tasks
from reports.models import Issue, Report
from tests import browser
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, jpeg_bytes, street

pytestmark = pytest.mark.browser


# The phone stands in the west half of the test territory; the pothole is 5 m north of it.
PHONE_AT = (CENTRE_LAT - 0.003, CENTRE_LON - 0.006)
POTHOLE_AT = (PHONE_AT[0] + 5 / 111_320, PHONE_AT[1])
STREET = "Mannerheimintie"
DESCRIPTION = "Deep hole in front of the tram stop, cyclists swerve into traffic."


def reported_pothole(api: APIClient) -> Issue:
    """File a pothole through the API, with a photo, then run its background work."""
    street(STREET, POTHOLE_AT[0] + 0.0001, POTHOLE_AT[1])
    response = api.post(
        "/api/v1/reports/",
        {
            "lat": POTHOLE_AT[0],
            "lon": POTHOLE_AT[1],
            "category": "pothole",
            "answers": json.dumps({"size": "small"}),
            "description": DESCRIPTION,
            "photo": [SimpleUploadedFile("hole.jpg", jpeg_bytes((1200, 900), "#5b4a3a"))],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    # No Celery worker here: the thumbnail and the street address are made in the test.
    tasks.after_report_submitted(response.json()["id"])
    issue = Issue.objects.get(pk=response.json()["issue"])
    assert issue.address == STREET
    return issue


def nearby_answer(page: Page, category: str) -> Any:
    """Wait for the nearby suggestions asked for this category (after choosing it)."""
    return page.expect_response(
        lambda r: "/api/v1/issues/nearby/" in r.url and f"category={category}" in r.url
    )


@pytest.fixture
def phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> Iterator[browser.PhonePage]:
    with browser.phone_page(chromium, live_server.url, lat=PHONE_AT[0], lon=PHONE_AT[1]) as watch:
        yield watch


def test_citizen_joins_the_pothole_already_reported_instead_of_sending_a_new_report(
    phone: browser.PhonePage,
) -> None:
    issue = reported_pothole(APIClient())
    distance_m = haversine_m(*PHONE_AT, *POTHOLE_AT)
    assert 4.5 < distance_m < 5.5
    page = phone.page
    page.goto("/")

    page.get_by_role("button", name="Use my position").click()
    expect(page.get_by_label("Category")).to_be_enabled()
    page.get_by_label("Category").select_option("pothole")

    suggestions = page.get_by_role("region", name="Already reported?")
    expect(suggestions).to_be_visible()
    items = suggestions.get_by_role("listitem")
    expect(items).to_have_count(1)
    item = items.first
    expect(item.get_by_role("heading")).to_have_text(f"Pothole #{issue.pk}")
    expect(item).to_contain_text(STREET)
    expect(item).to_contain_text("about 5 m away · open")
    expect(item).to_contain_text("Reported by 1 person.")
    expect(item).to_contain_text(DESCRIPTION)
    expect(item.get_by_role("img")).to_have_attribute("alt", f"Photo of issue #{issue.pk}")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.suggestion-photo')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    expect(item.get_by_role("link", name=f"See issue #{issue.pk}")).to_have_attribute(
        "href", f"/issues/{issue.pk}/"
    )
    page.locator("#category").evaluate("(select) => select.closest('.field').scrollIntoView()")
    page.screenshot(path=str(browser.SCREENSHOTS / "submit-suggestions.png"))  # the phone's view

    join = item.get_by_role("button", name="This is my problem")
    join.click()
    expect(join).to_have_attribute("aria-expanded", "true")
    email = item.get_by_label("Your e-mail (optional)")
    expect(email).to_be_focused()
    expect(email).to_have_value("")  # the contact e-mail was not given
    email.fill("anna@example.org")
    page.get_by_role("button", name="Confirm").scroll_into_view_if_needed()
    page.screenshot(path=str(browser.SCREENSHOTS / "submit-suggestions-confirm.png"))

    with page.expect_response(f"**/api/v1/issues/{issue.pk}/support/") as answer:
        item.get_by_role("button", name="Confirm").click()
    assert answer.value.status == 201

    joined = page.locator("#joined")
    expect(joined).to_be_focused()
    expect(joined.get_by_role("heading")).to_have_text(
        f"Thank you: you joined issue #{issue.pk}, now reported by 2 people."
    )
    tracking_url = answer.value.json()["tracking_url"]
    expect(joined.get_by_role("link", name=f"See issue #{issue.pk}")).to_have_attribute(
        "href", tracking_url
    )
    expect(page.locator("#report-form")).to_be_hidden()
    browser.screenshot(page, "submit-joined")

    issue.refresh_from_db()
    assert issue.supporter_count == 1
    assert Report.objects.count() == 1
    assert issue.reports.count() == 1
    assert not any(r == "POST /api/v1/reports/" for r in phone.requests)
    phone.assert_clean()


def test_a_street_light_at_the_same_place_is_not_offered_the_pothole(
    phone: browser.PhonePage,
) -> None:
    issue = reported_pothole(APIClient())
    page = phone.page
    page.goto("/")
    page.get_by_role("button", name="Use my position").click()
    category = page.get_by_label("Category")
    expect(category).to_be_enabled()

    with nearby_answer(page, "streetlight") as answer:
        category.select_option("streetlight")
    assert answer.value.ok
    assert answer.value.json()["results"] == []
    expect(page.locator("#suggestions")).to_be_empty()
    expect(page.get_by_role("button", name="This is my problem")).to_have_count(0)

    # Changing the category asks again: the pothole shows, and goes with the street light.
    page.get_by_label("E-mail").fill("anna@example.org")
    category.select_option("pothole")
    item = page.locator(f"#suggestion-{issue.pk}")
    expect(item).to_contain_text(STREET)
    join = item.get_by_role("button", name="This is my problem")
    join.click()
    expect(item.get_by_label("Your e-mail (optional)")).to_have_value("anna@example.org")
    item.get_by_role("button", name="Cancel").click()
    expect(item.get_by_label("Your e-mail (optional)")).to_have_count(0)
    expect(join).to_be_focused()
    expect(join).to_have_attribute("aria-expanded", "false")
    category.select_option("streetlight")
    expect(page.locator("#suggestions")).to_be_empty()

    page.get_by_label("Description").fill("The lamp at the corner is out.")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/$"))
    assert Report.objects.count() == 2
    issue.refresh_from_db()
    assert (issue.report_count, issue.supporter_count) == (1, 0)
    phone.assert_clean()
