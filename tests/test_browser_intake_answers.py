"""The intake form's questions in real headless Chromium: with JavaScript they follow the
category chosen; without it the page is drawn again with them before anything is filed."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from backoffice.models import Role, StaffProfile
from reports.models import Report, TimelineEntry
from tests import browser
from tests.factories import INSIDE, Territory

pytestmark = pytest.mark.browser


def log_in(page: Page, base_url: str) -> None:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    browser.sign_in(page, base_url, user)


def test_the_questions_follow_the_category_and_the_answers_are_filed(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, live_server.url)
        page.goto("/office/intake/")
        expect(page.locator("#questions")).to_be_hidden()
        expect(page.locator("#show-questions")).to_have_count(0)  # only without the script

        page.select_option("#category", "pothole")
        expect(page.get_by_label("How big is it?")).to_be_visible()
        page.select_option("#category", "streetlight")
        expect(page.locator("#questions")).to_be_hidden()
        page.select_option("#category", "pothole")
        page.get_by_label("How big is it?").select_option("large")
        page.get_by_label("Depth (cm)").fill("12")
        page.fill("#lat", str(INSIDE[0]))
        page.fill("#lon", str(INSIDE[1]))
        page.get_by_role("button", name="File the report").click()
        expect(page.locator("#tracking-code")).to_be_visible()
        phone.assert_clean()

    assert Report.objects.get().answers == {"size": "large", "depth_cm": 12}


def test_without_javascript_the_chosen_category_s_questions_are_asked_and_kept(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    context = chromium.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        log_in(page, live_server.url)
        page.goto("/office/intake/")
        page.fill("#lat", str(INSIDE[0]))
        page.fill("#lon", str(INSIDE[1]))
        page.fill("#description", "Buca davanti alla scuola")
        page.select_option("#category", "pothole")
        page.get_by_role("button", name="File the report").click()

        # Nothing filed yet: the pothole's questions are there to ask, what was typed kept.
        expect(page.get_by_label("How big is it?")).to_be_visible()
        expect(page.locator("#description")).to_have_value("Buca davanti alla scuola")
        assert not Report.objects.exists()
        page.get_by_label("Depth (cm)").fill("40")
        page.get_by_role("button", name="File the report").click()
        expect(page.locator("#tracking-code")).to_be_visible()
    finally:
        context.close()

    report = Report.objects.get()
    assert report.answers == {"depth_cm": 40}  # the size is still to ask: noted
    assert "size" in TimelineEntry.objects.get(issue=report.issue, kind="note").text
