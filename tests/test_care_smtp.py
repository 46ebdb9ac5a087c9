"""The real outgoing path: Django's SMTP backend talking to a local SMTP server (aiosmtpd)
started by the test, for a citizen's update (with its one-click unsubscribe) and an office's
digest."""

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage as ParsedMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from care.digest import send_office_digest
from reports import tasks
from reports.models import Subscription, TimelineEntry
from reports.workflow import reply_publicly
from tests.factories import Territory
from tests.test_backoffice import report
from tests.test_care_escalation import opened_at

EMAIL = "mariangela.esposito@example.org"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], ParsedMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    try:
        yield inbox
    finally:
        controller.stop()


def test_a_public_reply_reaches_the_follower_over_smtp_with_one_click_unsubscribe(
    territory: Territory, smtp: Inbox
) -> None:
    issue = report(email=EMAIL)
    entry = reply_publicly(issue, actor=None, text="Interverremo entro venerdì.")

    assert tasks.send_issue_update(entry.pk) == 1
    assert tasks.send_issue_update(entry.pk) == 0  # a retry sends nothing twice

    [(recipients, message)] = smtp.messages
    assert recipients == [EMAIL]
    body = message.get_content()
    assert "Interverremo entro venerdì." in body
    token = Subscription.objects.get().token
    assert message["List-Unsubscribe"].strip() == f"<http://127.0.0.1:8000/unsubscribe/{token}/>"
    assert message["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    assert f"/unsubscribe/{token}/" in body
    # The mail client's one-click POST, with no session and no CSRF token, unsubscribes.
    assert Client(enforce_csrf_checks=True).post(f"/unsubscribe/{token}/").status_code == 200
    later = reply_publicly(issue, actor=None, text="Lavori iniziati.")
    assert tasks.send_issue_update(later.pk) == 0
    assert len(smtp.messages) == 1
    assert TimelineEntry.objects.filter(issue_id=issue, public=True).count() >= 3


def test_an_office_digest_goes_out_over_smtp(territory: Territory, smtp: Inbox) -> None:
    rome = ZoneInfo("Europe/Rome")
    now = dt.datetime(2027, 3, 9, 8, 0, tzinfo=rome)
    opened_at(report(), now - dt.timedelta(days=1))

    assert send_office_digest(territory.roads.pk, now) is True
    assert send_office_digest(territory.roads.pk, now) is False

    [(recipients, message)] = smtp.messages
    assert recipients == ["roads@comune.example"]
    assert "09/03/2027" in message["Subject"]
    assert "Arrived yesterday: 1 issue." in message.get_content()
