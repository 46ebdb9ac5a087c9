"""The emergency alert does not hold its issue locked while the mail server answers.

It locked the issue row for the whole send (up to EMAIL_TIMEOUT, 20 s, per try), so staff
taking the dangerous issue in charge waited for the mail server. It now locks the emergency's
timeline entry, which is what makes the alert go once.
"""

from collections.abc import Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from rest_framework.test import APIClient

from reports.models import Issue, TimelineEntry
from reports.tasks import alert_emergency_contact
from tests.factories import INSIDE, Territory
from tests.other_connection import on_another_connection


class UpdatesTheIssueWhileSending(EmailBackend):
    """In-memory mail whose 'server' lets another connection update the issue, waiting 1 s."""

    issue_id = 0
    seen: list[Any] = []

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        issue = Issue.objects.filter(pk=self.issue_id)
        self.seen.append(on_another_connection(lambda: issue.update(address="Via Nuova 2")))
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_staff_can_change_the_issue_while_its_emergency_alert_is_sent(
    territory: Territory, settings: Any
) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "emergency": True}
    created = APIClient().post(
        "/api/v1/reports/", {**form, "answers": {"size": "small"}}, format="json"
    )
    issue_id = created.json()["issue"]
    settings.EMAIL_BACKEND = f"{__name__}.UpdatesTheIssueWhileSending"
    UpdatesTheIssueWhileSending.issue_id = issue_id
    UpdatesTheIssueWhileSending.seen = []
    mail.outbox = []

    alert_emergency_contact(issue_id)
    alert_emergency_contact(issue_id)  # once only

    assert UpdatesTheIssueWhileSending.seen == [1]
    assert len(mail.outbox) == 1
    entry = TimelineEntry.objects.get(issue_id=issue_id, kind=TimelineEntry.Kind.EMERGENCY)
    assert entry.data["alerted"] is True
