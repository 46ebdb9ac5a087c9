"""Every error under /api/ is JSON of the API's shape, `{"detail": ...}` in the request's
language: also an unknown path, a Host the site does not serve, a body over Django's limits and
a server error, which Django answers before or without a DRF view; the rest of the site keeps
its pages, and Open311 its own errors."""

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from backoffice.models import Role
from tests.factories import Territory
from tests.open311_helpers import BASE
from tests.test_backoffice import staff_client

pytestmark = pytest.mark.django_db

LANGUAGES = ["it", "en"]
SERVER_ERROR = (
    "Something went wrong on our side, and we have been told about it. "
    "Please try again in a few minutes."
)


@pytest.fixture
def production_like(settings: Any) -> Any:
    # With DEBUG on Django shows its technical pages instead of any handler's answer.
    settings.DEBUG = False
    return settings


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def assert_json_error(response: Any, status: int, language: str, message: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": in_language(language, message)}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/nope/"),
        ("get", "/api/v1/issues/abc/"),  # not an id: the resolver finds no view
        ("post", "/api/v1/reports/123/support/"),
        ("get", "/api/nope"),
        ("get", "/api/v1/issues/999999/"),  # a DRF view's own 404
    ],
)
def test_an_unknown_api_address_is_a_json_404(
    production_like: Any, language: str, method: str, path: str
) -> None:
    response = getattr(Client(), method)(path, HTTP_ACCEPT_LANGUAGE=language)

    assert_json_error(response, 404, language, "Not found.")
    if language == "it":
        assert response.json()["detail"] == "Non trovato."  # DRF's catalogue


def test_the_rest_of_the_site_and_open311_keep_their_own_404(production_like: Any) -> None:
    page = Client().get("/nope/", HTTP_ACCEPT_LANGUAGE="en")
    open311 = Client().get(f"{BASE}/nope.json", HTTP_ACCEPT_LANGUAGE="en")
    # "/apiary/" is not the API: only "/api/" and below is.
    near = Client().get("/apiary/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "Page not found" in page.content.decode()
    assert near.status_code == 404 and near["Content-Type"].startswith("text/html")
    assert open311.status_code == 404 and open311.json()[0]["code"] == "404"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_host_the_site_does_not_serve_is_a_json_400_under_the_api(
    production_like: Any, language: str
) -> None:
    response = Client().get(
        "/api/v1/issues/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE=language
    )

    assert_json_error(response, 400, language, "Malformed request.")
    assert b"evil.example" not in response.content  # nothing of the request is echoed


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_body_over_djangos_limits_is_a_json_error_before_any_drf_view(
    production_like: Any, language: str
) -> None:
    production_like.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    production_like.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(HTTP_ACCEPT_LANGUAGE=language)

    fields = client.post("/api/v1/test-form/", {f"field{n}": "x" for n in range(10)})
    size = client.post("/api/v1/test-form/", {"text": "x" * 2000})

    # The same statuses and messages DRF's views give these (reports/api_errors.py).
    assert_json_error(fields, 400, language, "Too many files or fields.")
    assert_json_error(size, 413, language, "The request is too large.")


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/api/v1/test-server-error/", "/api/v1/test-drf-server-error/"])
def test_a_server_error_under_the_api_is_json(
    production_like: Any, language: str, path: str
) -> None:
    client = Client(raise_request_exception=False)

    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)

    assert_json_error(response, 500, language, SERVER_ERROR)
    assert "deliberate" not in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_a_server_error_on_a_page_is_still_the_sites_page(production_like: Any) -> None:
    response = Client(raise_request_exception=False).get("/test-server-error/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/"])
def test_a_wrong_method_is_json_even_where_the_answer_is_html_or_yaml(
    production_like: Any, language: str, path: str
) -> None:
    response = Client().delete(path, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    with translation.override(language):
        assert response.json()["detail"] == gettext('Method "{method}" not allowed.').format(
            method="DELETE"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_object_is_not_named_in_english(
    territory: Territory, production_like: Any, language: str
) -> None:
    operator = staff_client(Role.OPERATOR)

    response = operator.get("/api/v1/departments/999999/routes/", HTTP_ACCEPT_LANGUAGE=language)

    # get_object_or_404 said "No Department matches the given query." in every language.
    assert_json_error(response, 404, language, "Not found.")
