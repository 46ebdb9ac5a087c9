"""The intake form asks the category's questions: the caller's answers are stored on the report,
checked by the API's validator (reports/answers.py), and required ones may still wait; an
e-mail draft set aside while it is being filed stays filed (real PostGIS)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.test import Client

from backoffice import intake
from backoffice.models import AuditEntry, Draft, Role, StaffProfile
from reports.models import Question, Report, TimelineEntry
from tests.factories import INSIDE, Territory


@pytest.fixture
def switchboard(territory: Territory) -> Client:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


def file_form(client: Client, language: str = "en", **form: Any) -> Any:
    """The form as the browser sends it: the questions shown are the pothole's."""
    data = {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "questions_for": "pothole",
        **form,
    }
    return client.post("/office/intake/submit/", data, HTTP_ACCEPT_LANGUAGE=language)


def missing_note(report: Report) -> TimelineEntry | None:
    return TimelineEntry.objects.filter(issue=report.issue, kind="note").first()


def test_the_form_shows_each_category_s_questions_in_the_operator_s_language(
    switchboard: Client,
) -> None:
    page = switchboard.get("/office/intake/", HTTP_ACCEPT_LANGUAGE="it").content.decode()

    assert "Quanto è grande?" in page and "Grande" in page
    assert 'name="answer-size"' in page and 'name="answer-depth_cm"' in page
    # No category chosen yet: its questions wait hidden and are not sent.
    assert 'data-category="pothole" hidden disabled' in page


def test_the_caller_s_answers_are_stored_on_the_report(switchboard: Client) -> None:
    response = file_form(switchboard, **{"answer-size": "large", "answer-depth_cm": "12,5"})

    assert response.status_code == 302
    report = Report.objects.get()
    assert report.answers == {"size": "large", "depth_cm": 12.5}
    assert missing_note(report) is None  # nothing left to complete


def test_a_wrong_answer_is_named_in_the_operator_s_language_and_the_form_keeps_what_was_typed(
    switchboard: Client,
) -> None:
    response = file_form(
        switchboard,
        language="it",
        description="Buca davanti alla scuola",
        name="Giuseppe Verdi",
        **{"answer-size": "huge", "answer-depth_cm": "profonda"},
    )

    page = response.content.decode()
    assert response.status_code == 400 and not Report.objects.exists()
    assert "La risposta deve essere una delle opzioni proposte." in page
    assert '<a href="#answer-pothole-size">Quanto è grande?</a>' in page
    assert '<a href="#answer-pothole-depth_cm">Profondità (cm)</a>' in page
    assert 'value="profonda"' in page and "Buca davanti alla scuola" in page
    assert 'value="Giuseppe Verdi"' in page
    assert 'data-category="pothole">' in page  # shown and enabled again


def test_an_absurd_number_is_refused_with_the_range_it_may_take(switchboard: Client) -> None:
    response = file_form(switchboard, **{"answer-size": "large", "answer-depth_cm": "1e308"})

    assert response.status_code == 400 and not Report.objects.exists()
    assert "Give a number from 0 to 1,000,000." in response.content.decode()


def test_a_required_answer_may_wait_and_the_timeline_says_which(switchboard: Client) -> None:
    response = file_form(switchboard, **{"answer-size": "", "answer-depth_cm": "30"})

    assert response.status_code == 302
    report = Report.objects.get()
    assert report.answers == {"depth_cm": 30}
    note = missing_note(report)
    assert note is not None and not note.public and "size" in note.text


def test_multiple_choices_are_stored_and_kept_when_the_form_comes_back(
    switchboard: Client, territory: Territory
) -> None:
    Question.objects.create(
        category=territory.pothole,
        code="where",
        label_it="Dove si trova?",
        label_en="Where is it?",
        kind=Question.Kind.MULTICHOICE,
        choices=[
            {"key": "road", "it": "Carreggiata", "en": "Road"},
            {"key": "bike", "it": "Pista ciclabile", "en": "Bike lane"},
            {"key": "walk", "it": "Marciapiede", "en": "Pavement"},
        ],
        order=3,
    )
    chosen = {"answer-where": ["walk", "road"], "answer-size": "small"}

    back = file_form(switchboard, **chosen, **{"answer-depth_cm": "deep"}).content.decode()
    assert "Give a number." in back
    assert 'value="road" checked' in back and 'value="walk" checked' in back
    assert 'value="bike" checked' not in back

    file_form(switchboard, **chosen)
    assert Report.objects.get().answers == {"size": "small", "where": ["road", "walk"]}


def test_without_javascript_a_new_category_s_questions_are_shown_before_filing(
    switchboard: Client,
) -> None:
    # The page was drawn with no category (nothing shown); the operator chose the pothole.
    shown = file_form(switchboard, questions_for="", description="Buca")

    page = shown.content.decode()
    assert shown.status_code == 200 and not Report.objects.exists()
    assert 'data-category="pothole">' in page and "Buca" in page
    assert 'name="questions_for" id="questions-for" value="pothole"' in page
    assert "Ask the caller the questions of this category, then file." in page


def test_the_show_button_draws_the_questions_again_keeping_the_answers(
    switchboard: Client,
) -> None:
    shown = file_form(switchboard, show_questions="1", **{"answer-depth_cm": "7"})

    assert shown.status_code == 200 and not Report.objects.exists()
    assert 'value="7"' in shown.content.decode()


def test_answers_typed_for_another_category_are_not_filed_as_its(
    switchboard: Client, territory: Territory
) -> None:
    # Streetlight has no questions: the pothole's answers still in the form are dropped.
    response = file_form(switchboard, category="streetlight", **{"answer-size": "large"})

    assert response.status_code == 302
    assert Report.objects.get().answers == {}


def test_a_draft_filed_while_it_is_set_aside_stays_filed(
    switchboard: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = Draft.objects.create(channel=Draft.Channel.EMAIL, subject="Buca in via Roma")
    file_form(switchboard, **{"answer-size": "large"})
    report = Report.objects.get()

    def read_then_a_colleague_files(*args: Any, **kwargs: Any) -> Any:
        # The set-aside request has read the draft, still waiting; the filing commits now.
        found = get_object_or_404(*args, **kwargs)
        Draft.objects.filter(pk=draft.pk).update(report=report)
        return found

    monkeypatch.setattr(intake, "get_object_or_404", read_then_a_colleague_files)
    response = switchboard.post(f"/office/drafts/{draft.pk}/discard/", follow=True)

    draft.refresh_from_db()
    assert draft.report == report and not draft.discarded
    assert not AuditEntry.objects.filter(action="draft.discard").exists()
    page = response.content.decode()
    assert f"filed meanwhile, as report {report.tracking_code}: it was not set aside" in page


def test_hostile_answers_are_refused_cleanly(switchboard: Client, territory: Territory) -> None:
    Question.objects.create(
        category=territory.pothole, code="note", label_en="Anything else?", kind="text", order=3
    )

    nul = file_form(switchboard, **{"answer-note": "a\x00b"})
    two = file_form(switchboard, **{"answer-size": ["small", "large"]})
    other = file_form(switchboard, category="pot\x00hole", questions_for="x\x00")

    assert nul.status_code == two.status_code == other.status_code == 400
    assert "Give a single answer." in two.content.decode()
    assert "cannot be stored (NUL)" in nul.content.decode()
    assert not Report.objects.exists()
