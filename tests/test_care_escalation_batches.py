"""Escalation e-mails in batches: one sweep sends each recipient one e-mail listing all of
theirs, with a timeline entry per issue and every level still fired once (real PostGIS;
e-mails in Django's locmem outbox, or a backend that refuses one recipient)."""

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from care.escalation import run_escalations
from care.models import Escalation, EscalationLevel
from reports.models import Category, Issue, TimelineEntry
from tests.factories import INSIDE, Territory, moved
from tests.other_connection import on_another_connection
from tests.test_care_smtp import Inbox, smtp  # noqa: F401 # the fixture
from tests.test_insights import make_issue

CONTROL, MANAGEMENT = "controllo@comune.example", "direzione@comune.example"


def levels(territory: Territory) -> None:
    """Potholes escalate to the control body, street lights to management, at the deadline."""
    EscalationLevel.objects.create(category=territory.pothole, name="Control body", email=CONTROL)
    EscalationLevel.objects.create(
        category=territory.streetlight, name="Management", email=MANAGEMENT
    )


def overdue(category: Category, count: int, first_metres: int) -> list[Issue]:
    """`count` open issues of `category`, 30 days old, due 5 days after they opened."""
    return [
        make_issue(category, opened_days_ago=30, where=moved(INSIDE, 0, first_metres + 40 * n))
        for n in range(count)
    ]


def message_to(address: str) -> EmailMessage:
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def listed(message: EmailMessage) -> set[int]:
    """The issue numbers an escalation e-mail lists, from its links to the back office."""
    return {
        int(line.rstrip("/").rsplit("/", 1)[1])
        for line in message.body.splitlines()
        if "/office/issues/" in line
    }


@pytest.fixture
def backlog(territory: Territory) -> dict[str, list[Issue]]:
    levels(territory)
    return {
        "potholes": overdue(territory.pothole, 12, 0),
        "lights": overdue(territory.streetlight, 8, 2000),
    }


def test_a_sweep_sends_each_recipient_one_email_listing_all_their_issues(
    territory: Territory, backlog: dict[str, list[Issue]]
) -> None:
    assert run_escalations(timezone.now()) == 20

    assert sorted(m.to[0] for m in mail.outbox) == [CONTROL, MANAGEMENT]
    control, management = message_to(CONTROL), message_to(MANAGEMENT)
    assert listed(control) == {issue.pk for issue in backlog["potholes"]}
    assert listed(management) == {issue.pk for issue in backlog["lights"]}
    assert control.subject == "Deadlines missed: 12 issues"
    assert management.subject == "Deadlines missed: 8 issues"
    # Still one claim and one internal timeline entry per issue.
    assert Escalation.objects.filter(recipient=CONTROL).count() == 12
    assert Escalation.objects.filter(recipient=MANAGEMENT).count() == 8
    entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED)
    assert sorted(entries.values_list("issue_id", flat=True)) == sorted(
        issue.pk for issues in backlog.values() for issue in issues
    )
    assert not entries.filter(public=True).exists()


def test_a_second_sweep_sends_nothing_new(
    territory: Territory, backlog: dict[str, list[Issue]]
) -> None:
    now = timezone.now()
    run_escalations(now)

    assert run_escalations(now) == 0
    assert run_escalations(now + dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2
    assert Escalation.objects.count() == 20


def test_the_email_gives_each_issues_number_category_department_deadline_and_link(
    territory: Territory, backlog: dict[str, list[Issue]]
) -> None:
    run_escalations(timezone.now())

    body = message_to(CONTROL).body
    issue = backlog["potholes"][0]
    assert body.startswith("To: Control body")
    assert "These 12 issues missed a deadline:" in body
    entry = body.split(f"#{issue.pk} ")[1].split("\n\n")[0]
    assert entry.startswith("Pothole, Via Roma 1")
    assert "Department: Roads." in entry
    due = timezone.localtime(issue.due_at).strftime("%d/%m/%Y %H:%M")  # type: ignore[arg-type]
    assert f"Deadline for closing missed on {due}:" in entry
    assert f"http://127.0.0.1:8000/office/issues/{issue.pk}/" in entry
    assert "x@example.org" not in body  # issues, never who reported them


def test_one_issue_keeps_its_own_subject(territory: Territory) -> None:
    levels(territory)
    [issue] = overdue(territory.pothole, 1, 0)

    assert run_escalations(timezone.now()) == 1

    assert message_to(CONTROL).subject == f"Deadline missed: issue #{issue.pk}, Pothole"
    assert "This issue missed a deadline:" in message_to(CONTROL).body


def test_the_email_speaks_the_municipalitys_language(
    territory: Territory, backlog: dict[str, list[Issue]], settings: Any
) -> None:
    # Staff and offices have no language of their own in Segnala: the municipality's is used.
    settings.LANGUAGE_CODE = "it"

    run_escalations(timezone.now())

    body = message_to(CONTROL).body
    assert "Buca stradale" in body and "Pothole" not in body


def test_the_batch_goes_out_over_smtp_as_one_message_per_recipient(
    territory: Territory,
    backlog: dict[str, list[Issue]],
    smtp: Inbox,  # noqa: F811 # the fixture imported above
) -> None:
    assert run_escalations(timezone.now()) == 20

    assert sorted(recipients for recipients, _message in smtp.messages) == [
        [CONTROL],
        [MANAGEMENT],
    ]
    for _recipients, message in smtp.messages:
        assert "issues missed a deadline:" in message.get_content()


class RefusesManagement(EmailBackend):
    """The in-memory backend, except that management's mail server is down."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if any(MANAGEMENT in message.to for message in messages):
            raise ConnectionRefusedError("management's server is down")
        return super().send_messages(messages)


def test_a_failed_email_keeps_that_recipients_claims_for_the_next_sweep_to_send(
    territory: Territory, backlog: dict[str, list[Issue]], settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusesManagement"
    now = timezone.now()

    assert run_escalations(now) == 20

    assert [m.to for m in mail.outbox] == [[CONTROL]]
    assert Escalation.objects.filter(recipient=MANAGEMENT, sent_at__isnull=True).count() == 8
    assert not Escalation.objects.filter(recipient=CONTROL, sent_at__isnull=True).exists()
    lights = [issue.pk for issue in backlog["lights"]]
    assert TimelineEntry.objects.filter(issue__in=lights).count() == 8
    assert run_escalations(now) == 0  # still refused: still owed, nothing claimed twice
    assert len(mail.outbox) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_escalations(now) == 0
    assert sorted(m.to[0] for m in mail.outbox) == [CONTROL, MANAGEMENT]
    assert listed(message_to(MANAGEMENT)) == set(lights)
    assert not Escalation.objects.filter(sent_at__isnull=True).exists()
    assert TimelineEntry.objects.filter(issue__in=lights).count() == 8


def test_an_issue_fired_for_one_recipient_meanwhile_is_left_out_of_the_batch(
    territory: Territory, backlog: dict[str, list[Issue]]
) -> None:
    # Another sweep fired (and sent) the first pothole's level after this sweep read what was
    # due.
    taken = backlog["potholes"][0]
    level = EscalationLevel.objects.get(email=CONTROL)
    Escalation.objects.create(
        issue=taken,
        level=level,
        deadline_at=taken.due_at,
        recipient=CONTROL,
        sent_at=timezone.now(),
    )

    assert run_escalations(timezone.now()) == 19

    assert listed(message_to(CONTROL)) == {issue.pk for issue in backlog["potholes"][1:]}


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_send_each_recipient_one_email(
    territory: Territory, backlog: dict[str, list[Issue]]
) -> None:
    now = timezone.now()
    start = threading.Barrier(2)
    fired: list[int] = []

    def beat() -> None:
        try:
            start.wait()
            fired.append(run_escalations(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(fired) == 20
    assert Escalation.objects.count() == 20
    assert sorted(m.to[0] for m in mail.outbox) == [CONTROL, MANAGEMENT]
    assert listed(message_to(CONTROL)) == {issue.pk for issue in backlog["potholes"]}
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED).count() == 20
    assert not Escalation.objects.filter(sent_at__isnull=True).exists()


class TouchesTheIssuesWhileSending(EmailBackend):
    """The in-memory backend that, while "the mail server answers", has another database
    connection read the claims and update the issues, waiting at most a second for a lock."""

    seen: list[Any] = []

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        issue_ids = sorted({issue_id for message in messages for issue_id in listed(message)})

        def read_and_update() -> tuple[int, int]:
            committed = Escalation.objects.filter(issue__in=issue_ids).count()
            updated = Issue.objects.filter(pk__in=issue_ids).update(address="Via Nuova 2")
            return committed, updated

        self.seen.append(on_another_connection(read_and_update))
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_the_email_goes_after_the_claims_commit_and_leaves_the_issues_unlocked(
    territory: Territory, backlog: dict[str, list[Issue]], settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.TouchesTheIssuesWhileSending"
    TouchesTheIssuesWhileSending.seen = []

    assert run_escalations(timezone.now()) == 20

    # Per recipient: its claims were visible to others, and its issues free to change.
    assert set(TouchesTheIssuesWhileSending.seen) == {(8, 8), (12, 12)}
    assert sorted(m.to[0] for m in mail.outbox) == [CONTROL, MANAGEMENT]
    assert not Escalation.objects.filter(sent_at__isnull=True).exists()
