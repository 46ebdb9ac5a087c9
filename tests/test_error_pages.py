"""The site's own pages for a bad request (400), a refusal (403) and a refused form (CSRF),
translated, with the header and a way home; the API keeps its JSON and XML errors."""

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from backoffice.models import Role
from tests.factories import Territory
from tests.open311_helpers import BASE, post_form, pothole
from tests.test_backoffice import report, staff_client

pytestmark = pytest.mark.django_db

LANGUAGES = ["it", "en"]
CSRF_TEXTS = (
    "Your form was not sent",
    "For your safety this site only accepts a form from a page it has just given you. Either "
    "the page was open for too long (it changed meanwhile, for example after you signed in in "
    "another tab) or your browser blocks this site's cookies.",
    "Go back to the form with your browser's Back button, copy anything you typed, reload the "
    "page and send it again. If it keeps happening, allow cookies for this site.",
)


@pytest.fixture
def production_like(settings: Any) -> Any:
    # Django shows its own technical pages while DEBUG is on; people see ours when it is off.
    settings.DEBUG = False
    return settings


def texts(language: str, *messages: str) -> list[str]:
    """The messages as the page must show them in this language (the catalogue's or msgid)."""
    with translation.override(language):
        return [gettext(message) for message in messages]


def assert_our_page(html: str, language: str, *messages: str) -> None:
    """The site's page in `language`: its header, the messages, a button home."""
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    for text in texts(language, "Skip to the main content", "Go to the home page", *messages):
        assert text in html
    assert re.search(r'<a class="button button-primary" href="/">', html)
    if language == "it":
        assert "Vai alla pagina iniziale" in html  # the catalogue is Italian


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_request_is_ours_translated_with_a_way_home(
    client: Client, production_like: Any, language: str
) -> None:
    # A Host the site does not serve is Django's commonest 400.
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    html = response.content.decode()
    assert_our_page(html, language, "The request could not be understood")
    assert "Bad Request (400)" not in html
    assert "evil.example" not in html  # nothing of the request is echoed


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_many_fields_in_a_form_is_our_bad_request_page(
    production_like: Any, language: str
) -> None:
    production_like.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    form = {f"field{n}": "x" for n in range(10)}

    citizen = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    # With a good token: the CSRF check reads the form, and that is where Django counts.
    response = citizen.post("/privacy/", {**form, "csrfmiddlewaretoken": privacy_token(citizen)})

    assert response.status_code == 400
    assert_our_page(response.content.decode(), language, "The request could not be understood")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_page_is_ours_translated_with_a_way_home(
    territory: Territory, production_like: Any, language: str
) -> None:
    crew = staff_client(Role.CREW)  # no statistics for crews

    response = crew.get("/office/stats/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 403
    html = response.content.decode()
    assert_our_page(html, language, "You cannot open this page")
    assert "403 Forbidden" not in html


def privacy_token(client: Client) -> str:
    page = client.get("/privacy/").content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_sent_after_its_cookie_went_is_explained_and_can_be_sent_again(
    production_like: Any, language: str
) -> None:
    citizen = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    token = privacy_token(citizen)
    del citizen.cookies["csrftoken"]  # the night passed, or the browser blocks cookies

    refused = citizen.post("/privacy/", {"csrfmiddlewaretoken": token, "email": "a@example.org"})

    assert refused.status_code == 403
    html = refused.content.decode()
    assert_our_page(html, language, *CSRF_TEXTS)
    assert "CSRF verification failed" not in html
    assert "CSRF cookie not set" not in html  # Django's reason is for the log
    # Reload and send again, as the page says: it goes through.
    sent = citizen.post(
        "/privacy/", {"csrfmiddlewaretoken": privacy_token(citizen), "email": "a@example.org"}
    )
    assert sent.status_code == 200


def test_a_form_with_no_token_at_all_gets_the_same_page(production_like: Any) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="it")
    response = client.post("/i18n/setlang/", {"language": "en"})

    assert response.status_code == 403
    assert_our_page(response.content.decode(), "it", *CSRF_TEXTS)


def test_the_api_keeps_its_json_refusals(territory: Territory, production_like: Any) -> None:
    issue, other = report(), report(category="streetlight")
    crew = staff_client(Role.CREW)  # may not merge

    forbidden = crew.post(f"/api/v1/issues/{issue}/merge/", {"into": other})

    assert forbidden.status_code == 403
    assert forbidden["Content-Type"] == "application/json"
    assert "detail" in forbidden.json()


def test_the_api_keeps_its_json_csrf_refusal(territory: Territory, production_like: Any) -> None:
    issue, other = report(), report(category="streetlight")
    operator = staff_client(Role.OPERATOR)
    operator.handler.enforce_csrf_checks = True  # a session cookie and no token: DRF refuses

    response = operator.post(f"/api/v1/issues/{issue}/merge/", {"into": other})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "CSRF" in response.json()["detail"]


def test_open311_keeps_its_xml_and_json_refusals(
    territory: Territory, production_like: Any
) -> None:
    refused = post_form(Client(), "requests.xml", pothole("not-a-key"))

    assert refused.status_code == 403
    assert "xml" in refused["Content-Type"]
    assert refused.content.startswith(b"<?xml")
    # Its catch-all answers an unknown path with its own 404, in its formats, POST or not
    # (CSRF-exempt as every Open311 endpoint: it was a CSRF 403 in HTML).
    client = Client(enforce_csrf_checks=True)
    unknown = client.post(f"{BASE}/nothing.xml")
    assert unknown.status_code == 404 and unknown.content.startswith(b"<?xml")
    answer = client.post(f"{BASE}/nothing.json")
    assert answer.status_code == 404
    assert answer.json()[0]["code"] == "404"
