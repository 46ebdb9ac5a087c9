"""The operator's main path in real headless Chromium: open the queue, open an issue, reply
publicly, forward it to an external body, which answers through its link, and close it."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from backoffice import tasks
from backoffice.models import Forwarding, Role, StaffProfile
from geo.models import ExternalBody
from reports.models import Issue, Status
from tests import browser
from tests.factories import INSIDE, Territory, street

pytestmark = pytest.mark.browser


def test_operator_replies_forwards_gets_the_answer_and_closes(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    street("Via Roma", INSIDE[0], INSIDE[1])
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"}
    form |= {"answers": {"size": "large"}, "description": "Acqua che esce dall'asfalto"}
    issue_id = APIClient().post("/api/v1/reports/", form, format="json").json()["issue"]
    ExternalBody.objects.create(
        code="acqua", name="Acquedotto", kind="utility", email="guasti@acquedotto.example"
    )
    user = get_user_model().objects.create_user("urp", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    session = Client()
    session.force_login(user)

    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page.goto("/office/")
        expect(page.locator("table.queue-table tbody tr")).to_have_count(1)
        expect(page.locator("#queue-side-map path.queue-side-marker")).to_have_count(1)
        browser.screenshot(page, "office-queue")
        page.get_by_role("link", name=str(issue_id), exact=True).click()

        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Issue {issue_id}")
        page.get_by_label("Public reply to the reporters").fill(
            "Stiamo verificando con l'acquedotto."
        )
        page.get_by_role("button", name="Send the reply").click()
        expect(page.locator(".message-success")).to_have_text("Done.")
        expect(page.locator(".timeline li.public").last).to_contain_text("verificando")

        page.get_by_text("Forward to an external body").click()
        page.get_by_label("External body").select_option(label="Acquedotto")
        page.get_by_label("Message for the body").fill("Perdita sotto l'asfalto in Via Roma.")
        page.get_by_role("button", name="Forward", exact=True).click()
        expect(page.locator("#issue-status")).to_contain_text("waiting for the external body")
        browser.screenshot(page, "office-issue-forwarded")

        forwarding = Forwarding.objects.get()
        tasks.send_forwarding(forwarding.pk)  # no Celery worker here
        [message] = mail.outbox
        link = re.search(r"http://\S+/external/\S+/", message.body).group(0)
        page.context.clear_cookies()  # the body has no account
        page.goto(link.removeprefix(settings.SITE_URL))
        expect(page.get_by_role("heading", level=1)).to_have_text("Request to Acquedotto")
        page.get_by_label("Your answer").fill("Riparata la condotta alle 14.")
        page.get_by_label("Our part is done (close the request)").check()
        page.get_by_role("button", name="Send the answer").click()
        expect(page.get_by_role("status").first).to_contain_text("the municipality has your answer")
        browser.screenshot(page, "external-answer")

        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page.goto(f"/office/issues/{issue_id}/")
        expect(page.locator(".forwardings")).to_contain_text("Riparata la condotta alle 14.")
        page.get_by_text("Close", exact=True).click()
        page.get_by_label("Reason").select_option("forwarded")
        page.get_by_role("textbox", name="Reply to the reporters:").fill(
            "Riparato dall'acquedotto."
        )
        page.get_by_role("button", name="Close the issue").click()
        expect(page.locator("#issue-status")).to_contain_text("closed")
        phone.assert_clean()

    assert Issue.objects.get(pk=issue_id).status == Status.CLOSED
    public = Client().get(f"/issues/{issue_id}/").content.decode()
    assert "Riparato dall&#x27;acquedotto." in public and "Riparata la condotta" not in public
