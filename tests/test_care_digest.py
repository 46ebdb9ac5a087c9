"""The offices' daily report (seed 004): content, once per office per day, no personal data."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core import mail

from backoffice.models import Forwarding, Role, StaffProfile
from care.digest import office_digest, send_office_digests
from care.models import OfficeDigest
from geo.models import ExternalBody
from reports.workflow import take_in_charge
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import report
from tests.test_care_escalation import opened_at

ROME = ZoneInfo("Europe/Rome")
NAME, EMAIL, PHONE = "Mariangela Esposito", "mariangela.esposito@example.org", "+39 333 1234567"
TUESDAY_8 = dt.datetime(2027, 3, 9, 8, 0, tzinfo=ROME)


def test_digest_lists_what_arrived_yesterday_and_what_is_late(territory: Territory) -> None:
    yesterday = opened_at(
        report(name=NAME, email=EMAIL, phone=PHONE), TUESDAY_8 - dt.timedelta(days=1)
    )
    untaken = opened_at(
        report(moved(INSIDE, metres_north=200)), dt.datetime(2027, 3, 1, 9, tzinfo=ROME)
    )
    overdue = opened_at(
        report(moved(INSIDE, metres_north=400)), dt.datetime(2027, 2, 1, 9, tzinfo=ROME)
    )
    take_in_charge(overdue.pk, actor=None)
    Forwarding.objects.create(
        issue=overdue,
        body=ExternalBody.objects.get(code="gas-co"),
        message="Please check the valve.",
        due_at=TUESDAY_8 - dt.timedelta(days=2),
    )
    opened_at(
        report(moved(INSIDE, metres_north=600), category="streetlight"),
        TUESDAY_8 - dt.timedelta(days=1),
    )

    digest = office_digest(territory.roads, TUESDAY_8)

    assert [i.pk for i in digest.arrived.issues] == [yesterday.pk]
    assert [i.pk for i in digest.late_take_in_charge.issues] == [untaken.pk]
    # "untaken" is late to be taken in charge but within its 10 working days to close.
    assert [i.pk for i in digest.late_close.issues] == [overdue.pk]
    assert [f.issue_id for f in digest.late_forwardings] == [overdue.pk]
    assert digest.counts() == {
        "arrived": 1,
        "late_take_in_charge": 1,
        "late_close": 1,
        "late_forwardings": 1,
    }


def test_each_office_gets_one_digest_a_day_without_personal_data(
    territory: Territory, settings: object
) -> None:
    settings.DIGEST_HOUR = 7  # type: ignore[attr-defined]
    coordinator = get_user_model().objects.create_user("coord", email="capo.strade@comune.example")
    StaffProfile.objects.create(user=coordinator, role=Role.COORDINATOR, department=territory.roads)
    opened_at(report(name=NAME, email=EMAIL, phone=PHONE), TUESDAY_8 - dt.timedelta(days=1))
    mail.outbox.clear()

    assert send_office_digests(TUESDAY_8 - dt.timedelta(hours=2)) == 0  # 06:00: not yet
    assert send_office_digests(TUESDAY_8) == 2  # roads and lighting
    assert send_office_digests(TUESDAY_8 + dt.timedelta(hours=3)) == 0
    assert send_office_digests(TUESDAY_8 + dt.timedelta(days=1)) == 2

    roads = [m for m in mail.outbox if "roads@comune.example" in m.to]
    assert len(roads) == 2
    assert roads[0].to == ["roads@comune.example", "capo.strade@comune.example"]
    assert "Arrived yesterday: 1 issue." in roads[0].body
    for message in mail.outbox:
        for secret in (NAME, EMAIL, PHONE, "Esposito"):
            assert secret not in message.body and secret not in message.subject
    assert OfficeDigest.objects.filter(department=territory.roads).count() == 2
