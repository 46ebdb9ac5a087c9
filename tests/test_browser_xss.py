"""HTML and JavaScript typed by citizens (and by anyone who names things) are inert on every
page, proved in real headless Chromium: the markup shows as text, no handler runs, and the
content security policy has nothing to block (it would log a console error)."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser
from rest_framework.test import APIClient

from backoffice.forwarding import signed_link
from backoffice.models import Draft, Forwarding, Role, StaffProfile
from geo.models import Depot, ExternalBody
from reports import tasks
from reports.models import Report
from routing.models import Crew
from routing.planning import plan_routes
from tests import browser
from tests.factories import INSIDE, Territory, street

pytestmark = pytest.mark.browser

HOSTILE = (
    "<img src=x onerror=\"window.__xss='img'\"><script>window.__xss='script'</script>"
    "\"'><svg onload=\"window.__xss='svg'\"><a href=\"javascript:window.__xss='a'\">x</a>"
)


def hostile_city(territory: Territory) -> dict[str, Any]:
    street(f"Via {HOSTILE}", INSIDE[0] + 0.0001, INSIDE[1])
    depot = Depot.objects.get(department=territory.roads)
    depot.name = f"Deposito {HOSTILE}"
    depot.save()
    crew = Crew.objects.create(
        department=territory.roads,
        name=f"Squadra {HOSTILE}",
        depot=depot,
        shift_start=dt.time(0, 0),
        shift_end=dt.time(23, 59),
    )
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"}
    form |= {"answers": {"size": "small"}, "description": HOSTILE, "name": HOSTILE}
    form |= {"email": "vittima@example.org"}
    created = APIClient().post("/api/v1/reports/", form, format="json").json()
    tasks.after_report_submitted(created["id"])  # the address, from the hostile street
    plan_routes(territory.roads, timezone.localdate(), time_limit_s=0.3)
    body = ExternalBody.objects.create(
        code="acqua", name=f"Acquedotto {HOSTILE}", kind="utility", email="a@acqua.example"
    )
    forwarding = Forwarding.objects.create(
        issue_id=created["issue"], body=body, message=HOSTILE, due_at=timezone.now()
    )
    Draft.objects.create(channel=Draft.Channel.EMAIL, subject=HOSTILE, text=HOSTILE)
    staff = get_user_model().objects.create_user("urp", password="pw")
    StaffProfile.objects.create(user=staff, role=Role.ADMINISTRATOR)
    crew.members.add(get_user_model().objects.create_user("operaio", password="pw"))
    return {
        "issue": created["issue"],
        "code": created["tracking_code"],
        "route": crew.routes.get().pk,
        "roads": territory.roads.pk,
        "external": signed_link(forwarding).removeprefix(settings.SITE_URL),
    }


def test_markup_typed_anywhere_is_inert_on_every_page(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    ids = hostile_city(territory)
    assert "Via <img" in Report.objects.get().issue.address  # the address really is hostile
    public = [
        f"/issues/{ids['issue']}/",
        f"/t/{ids['code']}/",
        "/map/list/",
        "/map/",
        "/stats/",
        ids["external"],
    ]
    staff = [
        "/office/",
        f"/office/issues/{ids['issue']}/",
        "/office/drafts/",
        f"/departments/{ids['roads']}/map/",
        "/office/stats/",
        f"/crew/routes/{ids['route']}/",
        f"/crew/routes/{ids['route']}/sheet/",
    ]
    session = Client()
    session.force_login(get_user_model().objects.get(username="urp"))

    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path in public:
            visit(page, path)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        for path in staff:
            visit(page, path)
        visit(page, f"/office/issues/{ids['issue']}/")
        body = page.inner_text("body")
        assert "<script>window.__xss='script'</script>" in body  # shown as text, not run
        phone.assert_clean()  # includes: no content-security-policy violation was reported
    assert dialogs == []


def visit(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None, path
