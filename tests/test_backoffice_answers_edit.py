"""Staff complete a report's answers from the issue page: a phone report filed with required
answers missing is completed later, checked by the API's validator (reports/answers.py), with
the issue's version, an internal timeline entry and an audit entry (real PostGIS)."""

import html
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from backoffice.models import AuditEntry, Role
from reports.models import Issue, Report, TimelineEntry
from routing.models import Crew, CrewRoute, RoutePlan, RouteStop
from tests.factories import INSIDE, Territory
from tests.test_backoffice import staff_client


@pytest.fixture
def operator(territory: Territory) -> Client:
    return staff_client(Role.OPERATOR, "urp")


@pytest.fixture
def phone_report(operator: Client) -> Report:
    """A pothole taken on the phone without its required answer (size)."""
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "questions_for": "pothole"}
    assert operator.post("/office/intake/submit/", form).status_code == 302
    report = Report.objects.get()
    assert report.answers == {}
    return report


def shown(response: Any) -> str:
    return html.unescape(response.content.decode())


def send(client: Client, report: Report, language: str = "en", **answers: Any) -> Any:
    form = {"version": Issue.objects.get(pk=report.issue_id).version, "report": report.pk}
    return client.post(
        f"/office/issues/{report.issue_id}/answers/",
        {**form, **answers},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_the_page_asks_the_missing_answers_in_the_staff_member_s_language(
    operator: Client, phone_report: Report
) -> None:
    page = shown(
        operator.get(f"/office/issues/{phone_report.issue_id}/", HTTP_ACCEPT_LANGUAGE="it")
    )

    assert f'id="answers-{phone_report.pk}" open' in page  # a required answer waits
    assert "Quanto è grande?" in page and '<option value="large">Grande</option>' in page
    assert 'name="answer-depth_cm"' in page


def test_an_operator_completes_a_missing_required_answer(
    operator: Client, phone_report: Report
) -> None:
    version = Issue.objects.get(pk=phone_report.issue_id).version

    response = send(operator, phone_report, **{"answer-size": "large", "answer-depth_cm": "7"})

    assert response.status_code == 200 and "Done." in shown(response)
    phone_report.refresh_from_db()
    assert phone_report.answers == {"size": "large", "depth_cm": 7}
    assert Issue.objects.get(pk=phone_report.issue_id).version == version + 1
    entry = TimelineEntry.objects.filter(issue=phone_report.issue_id).latest("id")
    assert not entry.public
    assert entry.data["changed_answers"] == ["size", "depth_cm"]
    assert entry.data["missing_answers"] == []
    assert "How big is it?; Depth (cm)" in entry.data["texts"]["en"]
    audit = AuditEntry.objects.get(action="report.answers")
    assert audit.object_id == str(phone_report.pk)
    assert audit.before == {"size": None, "depth_cm": None}
    assert audit.after == {"size": "large", "depth_cm": 7}
    # Shown pre-filled with the answers now stored, and the report's answers in words.
    page = shown(operator.get(f"/office/issues/{phone_report.issue_id}/"))
    assert '<option value="large" selected>Large</option>' in page
    assert f'id="answers-{phone_report.pk}" open' not in page


def test_an_answer_emptied_is_taken_away_and_the_others_stay(
    operator: Client, phone_report: Report
) -> None:
    Report.objects.filter(pk=phone_report.pk).update(answers={"size": "small", "depth_cm": 3})

    send(operator, phone_report, **{"answer-size": "small", "answer-depth_cm": ""})

    phone_report.refresh_from_db()
    assert phone_report.answers == {"size": "small"}
    assert AuditEntry.objects.get(action="report.answers").before == {"depth_cm": 3}


def test_a_wrong_answer_is_refused_in_the_user_s_language_and_nothing_is_saved(
    operator: Client, phone_report: Report
) -> None:
    version = Issue.objects.get(pk=phone_report.issue_id).version
    notes = TimelineEntry.objects.count()

    response = send(
        operator, phone_report, "it", **{"answer-size": "huge", "answer-depth_cm": "deep"}
    )

    page = shown(response)
    assert "Quanto è grande? La risposta deve essere una delle opzioni proposte." in page
    assert 'value="deep"' in page  # what was typed comes back, next to its message
    assert f'id="answers-{phone_report.pk}" open' in page
    phone_report.refresh_from_db()
    assert phone_report.answers == {}
    assert Issue.objects.get(pk=phone_report.issue_id).version == version
    assert TimelineEntry.objects.count() == notes
    assert not AuditEntry.objects.filter(action="report.answers").exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CREW])
def test_a_role_that_may_not_edit_the_issue_gets_403(
    territory: Territory, phone_report: Report, role: Role
) -> None:
    client = staff_client(role, "other")
    if role == Role.CREW:  # the issue on the crew's route, so that the crew sees it at all
        crew = Crew.objects.create(
            department=territory.roads, name="A", depot=territory.roads.depots.get()
        )
        crew.members.add(get_user_model().objects.get(username="other"))
        plan = RoutePlan.objects.create(department=territory.roads, date=timezone.localdate())
        route = CrewRoute.objects.create(plan=plan, crew=crew)
        now = timezone.now()
        RouteStop.objects.create(
            route=route, issue_id=phone_report.issue_id, position=1, arrives_at=now, departs_at=now
        )
    page = client.get(f"/office/issues/{phone_report.issue_id}/")
    assert page.status_code == 200 and b'name="answer-size"' not in page.content

    response = send(client, phone_report, **{"answer-size": "large"})

    assert response.status_code == 403
    phone_report.refresh_from_db()
    assert phone_report.answers == {}


def test_a_stale_version_gets_the_usual_conflict_message_and_keeps_the_answers(
    operator: Client, phone_report: Report
) -> None:
    seen = Issue.objects.get(pk=phone_report.issue_id).version
    staff_client(Role.OPERATOR, "collega").post(
        f"/office/issues/{phone_report.issue_id}/take/", {"version": seen}
    )

    response = operator.post(
        f"/office/issues/{phone_report.issue_id}/answers/",
        {"version": seen, "report": phone_report.pk, "answer-size": "large"},
        follow=True,
    )

    page = shown(response)
    assert "Someone else changed this issue while you were looking at it." in page
    assert '<option value="large" selected>' in page
    phone_report.refresh_from_db()
    assert phone_report.answers == {}


def test_a_report_of_another_issue_is_refused(operator: Client, phone_report: Report) -> None:
    response = operator.post(
        f"/office/issues/{phone_report.issue_id}/answers/",
        {"report": phone_report.pk + 1000, "answer-size": "large"},
        follow=True,
    )

    assert "That report is not in this issue any more." in shown(response)
    assert not AuditEntry.objects.filter(action="report.answers").exists()
