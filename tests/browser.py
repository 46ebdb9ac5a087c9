"""Shared helpers for real-browser tests: Debian's Chromium driven by Playwright's sync API.

Use from a test module (mark it `pytest.mark.browser`); the session-wide `chromium` fixture
comes from tests/conftest.py:

    from tests import browser

    def test_something(chromium, live_server, transactional_db):
        with browser.phone_page(chromium, live_server.url, lat=..., lon=...) as phone:
            phone.page.goto("/")
            ...
            phone.assert_clean()

`playwright install` cannot download browsers here: we drive /usr/bin/chromium
(apt-get install chromium). Playwright's sync API runs an event loop in the test thread, so
Django's async-safety check must be off for the ORM calls the tests make around it.
"""

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    sync_playwright,
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE_VIEWPORT = {"width": 360, "height": 740}
# A 1x1 light grey PNG: what every map tile request gets in tests.
TILE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGO4c+cOAASmAlIlkfBFAAAAAElFTkSuQmCC"
)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test process (per xdist worker)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class PhonePage:
    """A page in a phone-sized context, with what it tried to fetch and what it complained of."""

    page: Page
    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # "METHOD path" of every local request

    def assert_clean(self) -> None:
        """Fail if the page asked any host but ours, or logged an error or exception."""
        assert self.external_requests == [], f"requests left 127.0.0.1: {self.external_requests}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@contextmanager
def phone_page(
    browser: Browser,
    base_url: str,
    *,
    lat: float,
    lon: float,
    locale: str = "en-GB",
    tiles: str = "stub",
) -> Iterator[PhonePage]:
    """Open a 360x740 touch phone context with geolocation granted at (lat, lon).

    Map tiles (the test TILE_URL, /static/test-tiles/...) are answered with a 1x1 PNG, or
    refused with tiles="fail" to check that the page works without them; the resulting
    "Failed to load resource" lines for tiles are not counted as console errors then.
    Every request to a host other than 127.0.0.1/localhost is refused and recorded.
    """
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 10},
        permissions=["geolocation"],
    )
    page = context.new_page()
    watch = PhonePage(page=page)
    tile_prefix = "/static/test-tiles/"

    def route(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.hostname not in LOCAL_HOSTS:
            watch.external_requests.append(route.request.url)
            route.abort("blockedbyclient")
        elif url.path.startswith(tile_prefix):
            if tiles == "fail":
                route.abort("failed")
            else:
                route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        else:
            route.continue_()

    def on_request(request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            if url.hostname not in LOCAL_HOSTS and request.url not in watch.external_requests:
                watch.external_requests.append(request.url)
            watch.requests.append(f"{request.method} {url.path}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "") if message.location else ""
        if tiles == "fail" and tile_prefix in source:
            return
        watch.console_errors.append(f"{message.text} ({source})")

    context.route("**/*", route)
    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.console_errors.append(f"uncaught: {error}"))
    try:
        yield watch
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG to tests/screenshots/<name>.png (the folder is gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base_url: str, user: Any) -> None:
    """Give the page's browser context a session of `user`, as if they had logged in."""
    from django.conf import settings
    from django.test import Client

    session = Client()
    session.force_login(user)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
    )
