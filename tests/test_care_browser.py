"""A citizen rates a closed issue from the link in the invitation e-mail and reopens it, in
real headless Chromium on a 360 px phone."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from care.invitations import send_invitations
from care.models import Rating
from reports.models import Issue, Status, TimelineEntry
from reports.workflow import close_issue
from tests import browser
from tests.factories import INSIDE, Territory, confirm_addresses

pytestmark = pytest.mark.browser

EMAIL = "mariangela.esposito@example.org"
NOTE = "La buca è ancora lì."


def test_citizen_rates_a_closed_issue_from_the_email_and_reopens_it(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "email": EMAIL}
    created = APIClient().post(
        "/api/v1/reports/", {**form, "answers": {"size": "small"}}, format="json"
    )
    issue_id = created.json()["issue"]
    confirm_addresses()  # the citizen followed the confirmation link
    close_issue(issue_id, actor=None, reason="fixed", public_text="Buca chiusa.")
    mail.outbox.clear()
    send_invitations(Issue.objects.get(pk=issue_id).closed_at)  # type: ignore[arg-type]
    [invitation] = mail.outbox
    link = re.search(rf"{re.escape(live_server.url)}(/care/rate/\S+/)", invitation.body)
    assert link is not None

    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.goto(link.group(1))
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"issue {issue_id}")
        page.get_by_label("2", exact=True).check()
        page.get_by_label("Comment (optional)").fill("Hanno solo messo un cartello.")
        page.get_by_role("button", name="Send my rating").click()
        browser.screenshot(page, "care-rated-low")

        expect(page.locator("#rating-saved")).to_contain_text("2 out of 5")
        expect(page.get_by_role("heading", name="Is the problem still there?")).to_be_visible()
        page.get_by_label("What is still wrong?").fill(NOTE)
        page.get_by_role("button", name="Reopen the issue").click()

        expect(page.locator("#reopened")).to_contain_text("reopened")
        browser.screenshot(page, "care-reopened")
        page.get_by_role("link", name="See the issue").click()
        expect(page.locator("main")).to_contain_text("the issue is reopened")
        expect(page.locator("main")).not_to_contain_text(NOTE)
        phone.assert_clean()

    assert Issue.objects.get(pk=issue_id).status == Status.REOPENED
    assert Rating.objects.get().stars == 2
    assert TimelineEntry.objects.filter(
        issue_id=issue_id, public=False, text__contains=NOTE
    ).exists()
