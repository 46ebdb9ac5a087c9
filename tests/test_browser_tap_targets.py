"""Every control of the staff's and crews' pages is at least 44 px tall on a 375 px phone, as
the citizen form's are: crews work on a phone in the street, often with gloves."""

import os

# Playwright's sync API runs an event loop in the test thread (see tests/browser.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from backoffice.models import Role, StaffProfile
from tests import browser
from tests.factories import INSIDE, Territory
from tests.test_browser_crew import todays_route

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("same_day")]

PHONE = {"width": 375, "height": 667}
# WCAG 2.5.5 (target size, enhanced) and the citizen form's controls (segnala.css).
MIN_HEIGHT_PX = 44
# Checkboxes and radios keep their native size: their label is the target.
SHORT_CONTROLS_JS = """
([root, minimum]) => [...document.querySelectorAll(root)].flatMap((part) => [
    ...part.querySelectorAll(
      'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
      + 'select, textarea, button, .button')])
  .filter((node) => node.getClientRects().length > 0)
  .map((node) => [node.outerHTML.slice(0, 120), node.getBoundingClientRect().height])
  .filter(([, height]) => height < minimum - 0.5)
"""

# Controls folded in <details> ("Done", "Cannot fix", "Saved filters") are measured unfolded.
OPEN_DETAILS_JS = "document.querySelectorAll('main details').forEach((d) => { d.open = true; })"


def short_controls(page: Page, root: str = "main") -> str:
    """The visible controls under MIN_HEIGHT_PX in the parts `root` selects, one a line."""
    short = page.evaluate(SHORT_CONTROLS_JS, [root, MIN_HEIGHT_PX])
    return "\n".join(f"{height:.0f} px: {html}" for html, height in short)


def test_the_login_form_has_44_px_controls_on_a_phone(
    chromium: Browser, live_server: Any, transactional_db: None
) -> None:
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size(PHONE)
        page.goto("/login/")
        expect(page.get_by_label("Username")).to_be_visible()
        assert page.get_by_label("Username").bounding_box()["height"] >= MIN_HEIGHT_PX  # type: ignore[index]
        assert short_controls(page) == ""
        browser.screenshot(page, "login-375")
        phone.assert_clean()


def test_the_crews_route_page_has_44_px_controls_on_a_phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory
) -> None:
    route = todays_route(territory)
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size(PHONE)
        browser.sign_in(page, live_server.url, get_user_model().objects.get(username="operaio"))
        page.goto(f"/crew/routes/{route.pk}/")
        first = page.locator("#stop-1")
        page.evaluate(OPEN_DETAILS_JS)
        expect(first.get_by_label("Photo of the finished work")).to_be_visible()
        # The work at a stop: start, done with a photo and a note, cannot fix.
        assert short_controls(page, "main .stop-actions") == ""
        first.screenshot(path=str(browser.SCREENSHOTS / "crew-stop-375.png"))
        phone.assert_clean()


@pytest.mark.parametrize("path", ["/office/", "/office/intake/"])
def test_the_office_pages_have_44_px_controls_on_a_phone(
    chromium: Browser, live_server: Any, transactional_db: None, territory: Territory, path: str
) -> None:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    with browser.phone_page(chromium, live_server.url, lat=INSIDE[0], lon=INSIDE[1]) as phone:
        page = phone.page
        page.set_viewport_size(PHONE)
        browser.sign_in(page, live_server.url, user)
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        page.evaluate(OPEN_DETAILS_JS)
        assert short_controls(page) == ""
        browser.screenshot(page, f"office-{path.strip('/').replace('/', '-')}-375")
        phone.assert_clean()
