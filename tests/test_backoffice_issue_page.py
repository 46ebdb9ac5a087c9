"""What the staff's issue page says: the priority in words, the category's answers in the
reader's language, plural counts, and a refused form that keeps what was typed."""

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import Role
from reports.models import Issue, Report, Status
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import staff_client


@pytest.fixture
def operator(territory: Territory) -> Client:
    return staff_client(Role.OPERATOR, "urp")


def report(where: tuple[float, float] = INSIDE, **answers: Any) -> int:
    form = {
        "lat": where[0],
        "lon": where[1],
        "category": "pothole",
        "answers": {"size": "small", **answers},
    }
    response = APIClient().post("/api/v1/reports/", form, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["issue"]


def page(client: Client, issue_id: int, language: str = "en") -> str:
    response = client.get(f"/office/issues/{issue_id}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_why_first_names_each_factor_in_the_readers_language(operator: Client) -> None:
    issue = report()

    english, italian = page(operator, issue), page(operator, issue, "it")

    for label in ("Category severity", "Urgency given by citizens", "People who reported it"):
        assert f"<td>{label}</td>" in english
    assert "<td>Gravità della categoria</td>" in italian
    for code in ("severity", "urgency", "emergency", "crowd", "deadline"):
        assert f"<td>{code}</td>" not in english and f"<td>{code}</td>" not in italian


def test_the_deadline_reads_as_the_share_of_the_service_level_used(operator: Client) -> None:
    late, without = report(), report(moved(INSIDE, metres_north=300))
    explained = Issue.objects.get(pk=late).priority_explained
    explained["terms"] = [
        {**t, "value": 19.126} if t["factor"] == "deadline" else t for t in explained["terms"]
    ]
    Issue.objects.filter(pk=late).update(
        due_at=timezone.now() - dt.timedelta(days=30), priority_explained=explained
    )
    Issue.objects.filter(pk=without).update(due_at=None)

    assert "1913% of the service level used" in page(operator, late)
    assert "19.126" not in page(operator, late)
    assert "no service level" in page(operator, without)


def test_the_reporters_reliability_is_explained(operator: Client) -> None:
    fresh, judged = report(), report(moved(INSIDE, metres_north=300))
    explained = Issue.objects.get(pk=judged).priority_explained
    explained["reliability"] = {"qualified_reports": 2, "lowest_weight": 0.5}
    Issue.objects.filter(pk=judged).update(priority_explained=explained)

    assert "none of them has been assessed yet" in page(operator, fresh)
    judged_page = page(operator, judged)
    assert "2 reports come from reporters already assessed" in judged_page
    assert "the lowest weight is 0.50" in judged_page


def test_answers_show_the_question_and_the_option_not_their_codes(operator: Client) -> None:
    issue = report(depth_cm="12")
    saved = Report.objects.get(issue_id=issue)
    # A code no question knows (the question was deleted since): shown as it is.
    saved.answers = {**saved.answers, "bin_type": "plastic"}
    saved.save(update_fields=["answers"])

    english, italian = page(operator, issue), page(operator, issue, "it")

    assert "How big is it? Small · Depth (cm): 12 · bin_type: plastic" in english
    assert "Quanto è grande? Piccola · Profondità (cm): 12" in italian
    assert "size: small" not in english


def test_counts_of_people_agree_with_their_number(operator: Client) -> None:
    issue = report()
    Issue.objects.filter(pk=issue).update(supporter_count=2)

    assert "1 report, 2 “me too”" in page(operator, issue)


def test_a_bulk_change_of_one_issue_says_one_issue(operator: Client) -> None:
    issue = report()

    response = operator.post(
        "/office/bulk/",
        {"issues": [issue], "action": "status", "status": "in_progress"},
        follow=True,
    )

    assert "1 issue changed." in response.content.decode()


def test_a_refused_reply_keeps_its_text_for_sending_again(
    territory: Territory, operator: Client
) -> None:
    issue = report()
    seen = Issue.objects.get(pk=issue).version
    colleague = staff_client(Role.OPERATOR, "collega")
    colleague.post(
        f"/office/issues/{issue}/reassign/",
        {"version": seen, "department": territory.lighting.pk, "reason": "Lampione."},
    )

    refused = operator.post(
        f"/office/issues/{issue}/reply/",
        {"version": seen, "reply-text": "Interverremo entro venerdì."},
        follow=True,
    )
    shown = html.unescape(refused.content.decode())

    assert "Someone else changed this issue" in shown
    assert "Interverremo entro venerdì.</textarea>" in shown
    assert "Interverremo entro venerdì." not in page(operator, issue)  # kept once, not forever


def test_a_refused_close_keeps_its_reason_and_text_and_opens_again(
    territory: Territory, operator: Client
) -> None:
    issue = report()
    seen = Issue.objects.get(pk=issue).version
    staff_client(Role.OPERATOR, "collega").post(f"/office/issues/{issue}/take/", {"version": seen})

    refused = operator.post(
        f"/office/issues/{issue}/close/",
        {"version": seen, "reason": "duplicate", "text": "Già segnalato."},
        follow=True,
    )
    shown = html.unescape(refused.content.decode())

    assert Issue.objects.get(pk=issue).status == Status.ASSIGNED
    assert "Già segnalato.</textarea>" in shown
    assert '<option value="duplicate" selected>' in shown
    assert "<details open><summary>Close</summary>" in shown
