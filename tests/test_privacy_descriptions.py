"""Contact details typed into a report's description are hidden from the public as it is filed,
on every channel, and kept for staff as moderation keeps an edited description (real PostGIS)."""

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from backoffice.models import AuditEntry, Role, StaffProfile
from open311.actions import create_api_key
from privacy.actions import erase_personal_data
from privacy.descriptions import AUDIT_ACTION, hide_contact_details
from reports.models import Channel, Report, TimelineEntry
from tests.factories import INSIDE, Territory
from tests.open311_helpers import post_form, pothole
from tests.test_privacy_logs import log  # noqa: F401 (a fixture)

PHONE, EMAIL = "347 1234567", "giulia.neri@example.org"
TYPED = f"Sono Giulia Neri, chiamatemi al {PHONE} o {EMAIL}, abito al civico 3"
# What must stay as typed: house numbers, dates, times, plates, km markers, codes, issue numbers.
KEPT = [
    "Buca davanti al civico 3",
    "Lampione spento in via Roma 12, il secondo dopo il 14",
    "Rotto dal 12/03/2025, visto di nuovo il 2025-03-14 alle 14:30 e alle ore 7.45",
    "Auto targata AB123CD ferma da giorni, anche la AB 123 CD",
    "Cartello abbattuto al km 12+300 della provinciale 35",
    "Come nella segnalazione K7QM-2XPA e nella #17, codice pratica 2025-000123",
    "Palo n. 1234567 a 45.4642, 9.1900, lungo 10,5 metri, CAP 00184",
]


def placeholders(language: str = "it") -> tuple[str, str]:
    with translation.override(language):
        return _("[e-mail hidden]"), _("[phone hidden]")


def submit(**extra: Any) -> Report:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post(
        "/api/v1/reports/", {**form, **extra}, format="json", HTTP_ACCEPT_LANGUAGE="it"
    )
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def assert_public(text: str, language: str = "it") -> None:
    email_hidden, phone_hidden = placeholders(language)
    assert PHONE not in text and "1234567" not in text and EMAIL not in text
    assert email_hidden in text and phone_hidden in text
    assert "civico 3" in text


@pytest.fixture
def administrator(territory: Territory) -> Client:
    user = get_user_model().objects.create_superuser("admin", password="pw")
    StaffProfile.objects.create(user=user, role=Role.ADMINISTRATOR)
    client = Client()
    client.force_login(user)
    return client


def test_finds_e_mail_addresses_and_italian_and_foreign_phone_numbers() -> None:
    text = (
        "Scrivete a mario.rossi+buche@comune.example.it o chiamate 06 6988 1234, "
        "+39 333 123 4567, 3331234567, 338-1234567, 0039 02 12345678 o +41 44 668 18 00"
    )
    with translation.override("en"):
        hidden = hide_contact_details(text)

    assert (hidden.emails, hidden.phones) == (1, 6)
    assert not any(ch.isdigit() for ch in hidden.text)
    assert hidden.text.startswith("Scrivete a [e-mail hidden] o chiamate [phone hidden], ")


@pytest.mark.parametrize("text", KEPT)
def test_house_numbers_dates_plates_km_markers_and_codes_stay_as_typed(text: str) -> None:
    hidden = hide_contact_details(text)

    assert hidden.text == text and not hidden.changed


def test_a_citizens_contact_details_never_reach_a_public_surface(
    territory: Territory, administrator: Client
) -> None:
    report = submit(description=TYPED)
    issue = report.issue_id

    assert_public(report.description)
    assert_public(Client().get(f"/issues/{issue}/").content.decode())
    assert_public(Client().get(f"/t/{report.tracking_code}/").content.decode())
    api_issue = APIClient().get(f"/api/v1/issues/{issue}/").json()
    assert_public(api_issue["reports"][0]["description"])
    assert_public(str(api_issue))
    nearby = APIClient().get(
        f"/api/v1/issues/nearby/?lat={INSIDE[0]}&lon={INSIDE[1]}&category=pothole"
    )
    [suggestion] = nearby.json()["results"]
    assert_public(suggestion["description"])
    [request] = Client().get(f"/open311/v2/requests/{issue}.json").json()
    assert_public(request["description"])
    assert_public(Client().get(f"/open311/v2/requests/{issue}.xml").content.decode())


def test_staff_keep_the_description_as_typed_and_see_it_was_hidden_automatically(
    territory: Territory, administrator: Client
) -> None:
    report = submit(description=TYPED)

    kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
    assert kept.actor is None and kept.before == {"description": TYPED}
    assert kept.after == {"emails": 1, "phones": 1, "automatic": True}
    page = administrator.get(f"/admin/backoffice/auditentry/{kept.pk}/change/").content.decode()
    assert PHONE in page and EMAIL in page
    note = TimelineEntry.objects.get(issue_id=report.issue_id, kind=TimelineEntry.Kind.MODERATED)
    assert not note.public and note.actor is None and note.data["automatic"] is True
    assert report.tracking_code in note.text and PHONE not in note.text
    office = administrator.get(f"/office/issues/{report.issue_id}/").content.decode()
    assert note.text in office
    public = Client().get(f"/issues/{report.issue_id}/").content.decode()
    assert note.text not in public
    timeline = APIClient().get(f"/api/v1/issues/{report.issue_id}/").json()["timeline"]
    assert [entry["kind"] for entry in timeline] == ["created"]


def test_without_kept_originals_staff_get_only_the_texts_hash(
    territory: Territory, settings: Any
) -> None:
    settings.MODERATION_KEEP_ORIGINALS = False

    report = submit(description=TYPED)

    kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
    assert PHONE not in str(kept.before) and len(kept.before["description"]) == 64


@pytest.mark.parametrize("text", KEPT[:3])
def test_a_description_without_contact_details_is_stored_as_typed(
    territory: Territory, text: str
) -> None:
    report = submit(description=text)

    assert report.description == text
    assert not AuditEntry.objects.filter(action=AUDIT_ACTION).exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.MODERATED).exists()


def test_the_placeholders_are_in_the_reports_language(territory: Territory) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post(
        "/api/v1/reports/",
        {**form, "description": f"Call me on {PHONE}"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    report = Report.objects.get(pk=response.json()["id"])
    assert report.language == "en"
    assert report.description == "Call me on " + placeholders("en")[1]


def test_open311_and_phone_intake_hide_contact_details_too(
    territory: Territory, administrator: Client
) -> None:
    key = create_api_key(name="Test app", owner="Tests")[1]
    posted = post_form(Client(), "requests.json", pothole(key, description=TYPED))
    assert posted.status_code == 201, posted.content
    administrator.post(
        "/office/intake/submit/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "description": TYPED},
    )

    reports = Report.objects.order_by("pk")
    assert [r.channel for r in reports] == [Channel.OPEN311, Channel.PHONE]
    for report in reports:
        # In the report's language: Open311 and the intake form say none, so the site's.
        assert_public(report.description, report.language)
        kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
        assert kept.before == {"description": TYPED}


def test_the_logs_never_hold_the_contact_details_typed(
    territory: Territory,
    log: io.StringIO,  # noqa: F811
) -> None:
    report = submit(description=TYPED)
    Client().get(f"/issues/{report.issue_id}/")

    written = log.getvalue()
    assert "INSERT" in written  # the SQL log was on, with the original as a parameter
    assert PHONE not in written and "1234567" not in written and EMAIL not in written


def test_deleting_ones_data_leaves_staff_only_the_hash_of_the_description_as_typed(
    territory: Territory,
) -> None:
    report = submit(description=TYPED, email=EMAIL)
    other = submit(description=f"Il mio numero: {PHONE}")

    assert erase_personal_data(EMAIL).kept_descriptions == 1
    assert erase_personal_data(EMAIL).kept_descriptions == 0  # idempotent

    kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
    assert PHONE not in str(kept.before) and len(kept.before["description"]) == 64
    untouched = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(other.pk))
    assert PHONE in untouched.before["description"]
