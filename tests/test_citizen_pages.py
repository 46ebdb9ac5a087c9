"""The citizen's pages where they end: not found, server error, merged issues, closed issues."""

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context
from django.template.loader import get_template
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from clustering.actions import merge_issues
from reports.models import Issue
from tests.factories import CENTRE_LAT, Territory
from tests.test_pages import submit

pytestmark = pytest.mark.django_db

LANGUAGES = ["it", "en"]


@pytest.fixture
def production_like(settings: Any) -> Any:
    # Django shows its own technical pages while DEBUG is on; people see ours when it is off.
    settings.DEBUG = False
    return settings


def texts(language: str, *messages: str) -> list[str]:
    """The messages as the page must show them in this language (the catalogue's or msgid)."""
    with translation.override(language):
        return [gettext(message) for message in messages]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/nonexistent/", "/issues/999999/"])
def test_a_missing_page_is_ours_translated_with_a_way_home(
    client: Client, production_like: Any, language: str, path: str
) -> None:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    for text in texts(language, "Page not found", "Skip to the main content"):
        assert text in html
    assert re.search(r'<a class="button button-primary" href="/">', html)
    assert "Not Found" not in html
    assert "No such issue." not in html  # the exception's text is for developers
    if language == "it":
        assert "Vai al contenuto principale" in html  # the header's catalogue is Italian


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_server_error_is_ours_translated_with_a_way_home(
    production_like: Any, language: str
) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/test-server-error/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 500
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    assert settings.MUNICIPALITY_NAME in html
    for text in texts(language, "Something went wrong", "Go to the home page"):
        assert text in html
    assert 'href="/"' in html
    assert "Server Error (500)" not in html


def test_the_500_page_renders_with_an_empty_context_and_no_database(
    django_assert_num_queries: Any,
) -> None:
    # django.views.defaults.server_error: template.render() with no request, no processors.
    with django_assert_num_queries(0):
        html = get_template("500.html").template.render(Context())

    assert "Something went wrong" in html
    assert 'href="tel:112"' in html
    assert settings.MUNICIPALITY_NAME in html


def merged_pair(api: APIClient) -> tuple[int, int]:
    """Two issues far enough apart not to join; the first merged into the second."""
    source = submit(api)["issue"]
    target = submit(api, lat=CENTRE_LAT + 0.006)["issue"]
    assert source != target
    merge_issues(Issue.objects.get(pk=source), Issue.objects.get(pk=target), actor=None)
    return source, target


def test_a_merged_issue_links_to_the_issue_it_went_into(
    client: Client, api: APIClient, territory: Territory
) -> None:
    source, target = merged_pair(api)

    html = client.get(f"/issues/{source}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"This issue was merged into issue #{target}" in html
    assert f'href="/issues/{target}/"' in html
    assert "have reported this problem" not in html  # not the misleading "0 people"
    timeline = html.split('class="timeline"')[1]
    assert f"Same problem as issue #{target}." in timeline
    assert f'<a href="/issues/{target}/">Go to issue #{target}</a>' in timeline


def test_the_issue_merged_into_links_back_and_keeps_its_count(
    client: Client, api: APIClient, territory: Territory
) -> None:
    source, target = merged_pair(api)

    html = client.get(f"/issues/{target}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2 people have reported this problem." in html
    assert "This issue was merged" not in html
    assert f'<a href="/issues/{source}/">Go to issue #{source}</a>' in html


def test_a_merged_issue_does_not_link_to_a_hidden_one(
    client: Client, api: APIClient, territory: Territory
) -> None:
    source, target = merged_pair(api)
    Issue.objects.filter(pk=target).update(hidden=True)

    html = client.get(f"/issues/{source}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "This issue was merged into another issue about the same problem." in html
    assert f"/issues/{target}/" not in html
    assert "have reported this problem" not in html


def test_a_merged_issue_page_reads_in_a_fixed_number_of_queries(
    client: Client, api: APIClient, territory: Territory, django_assert_max_num_queries: Any
) -> None:
    source, _target = merged_pair(api)

    with django_assert_max_num_queries(5):
        response = client.get(f"/issues/{source}/")

    assert response.status_code == 200


def test_the_call_112_alert_goes_once_the_issue_is_closed(
    client: Client, api: APIClient, territory: Territory
) -> None:
    result = submit(api, emergency="true")
    assert 'class="emergency-number"' in client.get(result["tracking_url"]).content.decode()

    Issue.objects.filter(pk=result["issue"]).update(status="closed", close_reason="fixed")

    html = client.get(result["tracking_url"]).content.decode()
    assert 'class="emergency-number"' not in html
    assert 'role="alert"' not in html
    assert 'href="tel:112"' not in html.split("<footer")[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_description_hint_says_it_is_published_without_contact_details(
    client: Client, territory: Territory, language: str
) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    hint = html.split('id="description-hint">')[1].split("</p>")[0]
    (published,) = texts(
        language,
        "It is published on the issue's public page: do not write names, phone numbers or "
        "e-mail addresses.",
    )
    assert published in hint


def test_the_favicon_is_linked_from_every_page_and_answers_at_the_usual_address(
    client: Client, territory: Territory
) -> None:
    html = client.get("/").content.decode()
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert icons == ["/static/reports/favicon.svg", "/static/reports/favicon.ico"]
    for icon in icons:
        assert finders.find(icon.removeprefix("/static/")) is not None

    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/reports/favicon.ico"
