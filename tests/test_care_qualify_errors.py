"""The qualify form's refusals: back to the page the form was on with a message, or the site's
404 and 403 pages, in the user's language; never a bare text page, never a 500."""

from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from backoffice.models import Role
from care.models import Qualification
from reports.models import Report
from routing.models import CrewRoute
from tests.factories import Territory
from tests.test_backoffice import report, staff_client
from tests.test_care_reliability import crew_member_with

LANGUAGES = ["it", "en"]


@pytest.fixture
def production_like(settings: Any) -> Any:
    settings.DEBUG = False  # the site's error pages, not Django's technical ones
    return settings


def translated(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def qualify_path(issue: int) -> str:
    return f"/care/reports/{Report.objects.get(issue_id=issue).pk}/qualify/"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verdict", [{"verdict": "lies"}, {"verdict": ""}, {}])
def test_a_bad_verdict_goes_back_to_the_issue_page_with_a_message(
    territory: Territory, language: str, verdict: dict[str, str]
) -> None:
    issue = report()
    operator = staff_client(Role.OPERATOR)
    page = f"/office/issues/{issue}/"

    response = operator.post(
        qualify_path(issue), {**verdict, "next": page}, HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 302 and response["Location"] == page
    shown = operator.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert translated(language, "Choose one of the verdicts.") in shown
    if language == "it":
        assert "Scegli uno dei giudizi." in shown
    assert not Qualification.objects.exists()


def test_a_crew_with_a_bad_verdict_is_back_on_its_route_with_the_message(
    territory: Territory,
) -> None:
    issue = report()
    crew = crew_member_with(issue, territory)
    route = f"/crew/routes/{CrewRoute.objects.get().pk}/"

    response = crew.post(qualify_path(issue), {"verdict": "lies", "next": route}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(route, 302)]
    assert "Choose one of the verdicts." in response.content.decode()
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_role_gets_the_site_403_page_with_the_reason(
    territory: Territory, production_like: Any, language: str
) -> None:
    issue = report()
    manager = staff_client(Role.MANAGER)  # sees the issue, may not qualify its reports

    response = manager.post(qualify_path(issue), {"verdict": "fake"}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 403
    html = response.content.decode()
    assert f'<html lang="{language}">' in html and 'class="site-header"' in html
    assert translated(language, "You may not qualify reports of this issue.") in html
    assert translated(language, "Go to the home page") in html
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("report_id", ["999999", "99999999999999999999"])
def test_a_missing_report_is_the_site_404_page(
    territory: Territory, production_like: Any, report_id: str
) -> None:
    operator = staff_client(Role.OPERATOR)

    response = operator.post(
        f"/care/reports/{report_id}/qualify/", {"verdict": "fake"}, HTTP_ACCEPT_LANGUAGE="it"
    )

    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and translated("it", "Page not found") in html


def test_a_form_sent_after_the_session_expired_comes_back_to_the_issue(
    territory: Territory,
) -> None:
    issue = report()
    path = qualify_path(issue)
    to_login = Client().post(path, {"verdict": "fake"})
    assert to_login.status_code == 302 and "/login/" in to_login["Location"]

    # After signing in the browser comes back with a GET: nothing to record, no blank 405.
    response = staff_client(Role.OPERATOR).get(path)

    assert response.status_code == 302 and response["Location"] == f"/office/issues/{issue}/"
    assert not Qualification.objects.exists()
