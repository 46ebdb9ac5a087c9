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
from reports.models import Report
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
