"""Citizens' free text outside the description: text answers are masked as they are filed and
never published; Open311 updates and rating comments reach staff without the CONTACTS right
with their contact details hidden (real PostGIS)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from backoffice.models import AuditEntry, Role, StaffProfile
from care.models import Rating
from open311.actions import create_api_key
from privacy.actions import erase_personal_data
from privacy.descriptions import AUDIT_ACTION
from reports.models import Category, Channel, Issue, Question, Report, TimelineEntry
from tests.factories import INSIDE, Territory
from tests.open311_helpers import BASE, post_form, pothole
from tests.test_care_ratings import EMAIL as RATER
from tests.test_care_ratings import closed_issue, rate_path
from tests.test_privacy_descriptions import EMAIL, PHONE, assert_public

PLATE = "AB123CD"
TYPED_NOTE = f"Auto {PLATE}, il proprietario è al {PHONE} o {EMAIL}, civico 3"


@pytest.fixture
def noted(territory: Territory) -> Question:
    """A free-text question on the pothole, beside its choice and number ones."""
    return Question.objects.create(
        category=Category.objects.get(code="pothole"),
        code="note",
        label_it="Targa o altro",
        label_en="Plate or other",
        kind=Question.Kind.TEXT,
        order=3,
    )


def staff(role: str) -> Client:
    user = get_user_model().objects.create_user(role, password="pw")
    StaffProfile.objects.create(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def submit(note: str = TYPED_NOTE, **extra: Any) -> Report:
    form = {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": {"size": "small", "depth_cm": 5, "note": note},
    }
    response = APIClient().post(
        "/api/v1/reports/", {**form, **extra}, format="json", HTTP_ACCEPT_LANGUAGE="it"
    )
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def test_a_text_answer_is_masked_as_filed_on_every_channel_and_kept_for_staff(
    noted: Question,
) -> None:
    submit()
    key = create_api_key(name="Test app", owner="Tests")[1]
    posted = post_form(Client(), "requests.json", pothole(key, **{"attribute[note]": TYPED_NOTE}))
    assert posted.status_code == 201, posted.content
    filed = staff(Role.OPERATOR).post(
        "/office/intake/submit/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "questions_for": "pothole",
            "answer-size": "small",
            "answer-note": TYPED_NOTE,
        },
    )
    assert filed.status_code == 302

    reports = Report.objects.order_by("pk")
    assert [r.channel for r in reports] == [Channel.API, Channel.OPEN311, Channel.PHONE]
    for report in reports:
        assert_public(report.answers["note"], report.language)
        assert PLATE in report.answers["note"]  # a plate is no contact detail: as typed
        assert report.answers["size"] in ("small", "large")  # choices as given
        kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
        assert kept.before["answer:note"] == TYPED_NOTE
        assert kept.after["answers"] == "note"
        assert (kept.after["emails"], kept.after["phones"]) == (1, 1)
        entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.MODERATED, data__report=report.pk)
        assert report.tracking_code in entry.text and PHONE not in entry.text


def test_an_answer_without_contact_details_is_stored_as_typed_with_no_audit_entry(
    noted: Question,
) -> None:
    report = submit(note=f"Auto targata {PLATE}")

    assert report.answers == {"size": "small", "depth_cm": 5, "note": f"Auto targata {PLATE}"}
    assert not AuditEntry.objects.filter(action=AUDIT_ACTION).exists()


def test_free_text_answers_never_reach_a_public_output_and_staff_still_read_them(
    noted: Question,
) -> None:
    report = submit(note=f"Auto targata {PLATE}")
    issue = report.issue_id
    published = {"size": "small", "depth_cm": 5}

    assert APIClient().get(f"/api/v1/reports/{report.pk}/").json()["answers"] == published
    api_issue = APIClient().get(f"/api/v1/issues/{issue}/").json()
    assert api_issue["reports"][0]["answers"] == published
    [one] = Client().get(f"{BASE}/requests/{issue}.json?extensions=true").json()
    listed = Client().get(f"{BASE}/requests.json?extensions=true&service_code=pothole").json()
    for request in (one, *listed):
        attributes = request["extended_attributes"]["attributes"]
        assert attributes == [
            {"code": "size", "value": "small"},
            {"code": "depth_cm", "value": "5"},
        ]
    xml = Client().get(f"{BASE}/requests.xml?extensions=true").content.decode()
    for public in (str(api_issue), xml, Client().get(f"/issues/{issue}/").content.decode()):
        assert PLATE not in public
    assert PLATE in staff(Role.MANAGER).get(f"/office/issues/{issue}/").content.decode()


def test_an_answer_to_a_question_gone_since_is_not_published(noted: Question) -> None:
    report = submit(note=f"Auto targata {PLATE}")
    Question.objects.filter(code="depth_cm").delete()

    answers = APIClient().get(f"/api/v1/reports/{report.pk}/").json()["answers"]
    assert answers == {"size": "small"}


def test_deleting_ones_data_leaves_staff_only_the_hash_of_the_answer_as_typed(
    noted: Question,
) -> None:
    report = submit(email="marta.conti@example.org")

    assert erase_personal_data("marta.conti@example.org").kept_descriptions == 1

    kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
    assert PHONE not in str(kept.before) and EMAIL not in str(kept.before)
    assert len(kept.before["answer:note"]) == 64


def test_without_kept_originals_the_answer_as_typed_is_only_a_hash(
    noted: Question, settings: Any
) -> None:
    settings.MODERATION_KEEP_ORIGINALS = False

    report = submit()

    kept = AuditEntry.objects.get(action=AUDIT_ACTION, object_id=str(report.pk))
    assert PHONE not in str(kept.before) and len(kept.before["answer:note"]) == 64


def test_an_open311_update_reaches_staff_without_the_contact_details_typed(
    territory: Territory,
) -> None:
    key = create_api_key(name="FixMyStreet", owner="mySociety")[1]
    posted = post_form(Client(), "requests.json", pothole(key))
    issue = Issue.objects.get(pk=posted.json()[0]["service_request_id"])
    update = {
        "api_key": key,
        "service_request_id": str(issue.pk),
        "description": f"Sono Luigi Bianchi, {PHONE}, {EMAIL}: la buca c'è ancora, civico 3",
    }

    assert post_form(Client(), "servicerequestupdates.json", update).status_code == 201

    note = TimelineEntry.objects.get(issue=issue, kind=TimelineEntry.Kind.INTERNAL_NOTE)
    assert_public(note.text, "en")  # the request's language
    page = staff(Role.MANAGER).get(f"/office/issues/{issue.pk}/").content.decode()
    assert "la buca c&#x27;è ancora" in page
    assert PHONE not in page and EMAIL not in page


def test_a_rating_comment_and_a_reopening_note_reach_staff_without_contact_details(
    territory: Territory,
) -> None:
    issue = closed_issue()
    client = Client()
    path = rate_path(issue)
    comment = f"Chiamate il vicino al {PHONE} o {EMAIL}, civico 3"

    client.post(path, {"stars": "1", "comment": comment})
    client.post(f"{path}reopen/", {"note": comment})

    assert Rating.objects.get(reporter__email=RATER).comment == comment  # the citizen's own
    notes = TimelineEntry.objects.filter(issue=issue, kind=TimelineEntry.Kind.INTERNAL_NOTE)
    assert notes.count() == 2
    for note in notes:
        assert_public(note.text, "en")
    page = staff(Role.MANAGER).get(f"/office/issues/{issue.pk}/").content.decode()
    assert "civico 3" in page and PHONE not in page and EMAIL not in page
