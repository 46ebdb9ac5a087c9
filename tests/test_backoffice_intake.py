"""Phone, counter and e-mail intake: a report filed by the switchboard in a few fields, the
tracking code read out and e-mailed, e-mail drafts completed into reports (real PostGIS)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client

from backoffice import tasks
from backoffice.models import AuditEntry, Draft, DraftAttachment, Role, StaffProfile
from reports.models import Channel, Issue, Report, TimelineEntry
from tests.factories import INSIDE, Territory, jpeg_bytes, moved

CALLER = {"name": "Giuseppe Verdi", "phone": "+39 333 1234567", "email": "g.verdi@example.org"}


@pytest.fixture
def switchboard(territory: Territory) -> Client:
    user = get_user_model().objects.create_user("centralino", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


def call(client: Client, where: tuple[float, float] = INSIDE, **form: Any) -> Any:
    data = {"lat": where[0], "lon": where[1], "category": "pothole", **form}
    return client.post("/office/intake/submit/", data, follow=True)


def test_a_call_becomes_a_report_in_four_fields_and_the_caller_gets_the_code(
    switchboard: Client,
) -> None:
    response = call(switchboard, description="Buca davanti alla scuola", **CALLER)

    report = Report.objects.get()
    assert response.status_code == 200
    assert report.tracking_code in response.content.decode()
    assert report.channel == Channel.PHONE
    assert report.reporter.phone == CALLER["phone"] and report.reporter.user is None
    assert report.answers == {}  # the required "size" is completed later
    note = TimelineEntry.objects.get(issue=report.issue, kind="note")
    assert not note.public and "size" in note.text
    assert AuditEntry.objects.filter(action="report.intake", object_id=str(report.pk)).exists()
    assert tasks.send_tracking_code(report.pk) is True
    assert tasks.send_tracking_code(report.pk) is False  # a retried task sends it once
    [message] = mail.outbox
    assert message.to == [CALLER["email"]] and report.tracking_code in message.body


def test_a_second_call_about_the_same_pothole_joins_its_issue(switchboard: Client) -> None:
    call(switchboard)
    html = call(switchboard, where=moved(INSIDE, metres_north=3)).content.decode()

    assert Issue.objects.count() == 1 and Issue.objects.get().report_count == 2
    assert "It joined issue" in html


def test_a_call_with_a_bad_place_or_category_files_nothing_and_says_why(
    switchboard: Client,
) -> None:
    outside = call(switchboard, where=(45.0, 9.0))
    unknown = call(switchboard, category="volcano")
    gas = call(switchboard, category="gas-leak")

    assert outside.status_code == unknown.status_code == gas.status_code == 400
    assert "outside the municipality" in outside.content.decode()
    assert "Unknown or inactive category" in unknown.content.decode()
    assert "Call the gas emergency line" in gas.content.decode()
    assert not Report.objects.exists()


def test_an_email_draft_is_completed_into_a_report_with_its_photo(switchboard: Client) -> None:
    draft = Draft.objects.create(
        channel=Draft.Channel.EMAIL,
        subject="Buca in via Roma",
        text="C'è una buca enorme, allego la foto.",
        sender_email="lettore@example.org",
        message_id="<1@example.org>",
    )
    attachment = DraftAttachment(draft=draft, filename="buca.jpg", content_type="image/jpeg")
    attachment.file.save("buca.jpg", ContentFile(jpeg_bytes()), save=True)

    form = switchboard.get(f"/office/intake/?draft={draft.pk}").content.decode()
    assert "Buca in via Roma" in form and "lettore@example.org" in form
    call(
        switchboard,
        draft=draft.pk,
        attachment=[attachment.pk],
        channel="email",
        email="lettore@example.org",
        description="Buca in via Roma",
    )

    report = Report.objects.get()
    draft.refresh_from_db()
    assert draft.report == report and report.channel == Channel.EMAIL
    assert report.photos.count() == 1
    assert "Buca in via Roma" not in switchboard.get("/office/drafts/").content.decode()


def test_a_draft_that_is_not_a_report_is_set_aside(switchboard: Client) -> None:
    draft = Draft.objects.create(channel=Draft.Channel.PEC, subject="Pubblicità")

    switchboard.post(f"/office/drafts/{draft.pk}/discard/")

    draft.refresh_from_db()
    assert draft.discarded
    assert "Pubblicità" not in switchboard.get("/office/drafts/").content.decode()
    assert switchboard.get(f"/office/intake/?draft={draft.pk}").status_code == 200
    assert "Pubblicità" not in switchboard.get(f"/office/intake/?draft={draft.pk}").content.decode()
