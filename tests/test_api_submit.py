import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from reports import tasks
from reports.models import Issue, Photo, Report, Reporter, TimelineEntry
from tests.factories import INSIDE, OUTSIDE, Territory, confirm_addresses, jpeg_bytes, stored_files

WEST = (INSIDE[0], INSIDE[1] - 0.005)
EAST = (INSIDE[0], INSIDE[1] + 0.005)


def upload(content: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def good_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "lat": WEST[0],
        "lon": WEST[1],
        "category": "pothole",
        "description": "Deep pothole in front of the school",
        "answers": json.dumps({"size": "large", "depth_cm": "12"}),
        "urgency": 4,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def post(api: APIClient, form: dict[str, Any], **extra: Any) -> Any:
    return api.post("/api/v1/reports/", form, format="multipart", **extra)


def test_report_with_photo_opens_an_issue_and_gets_a_tracking_code(
    api: APIClient, territory: Territory, media_root: Path
) -> None:
    response = post(api, good_form(photo=[upload(jpeg_bytes())]))

    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert body["tracking_code"] == report.tracking_code
    assert body["issue"] == report.issue_id
    assert body["status"] == "open"
    assert body["report_count"] == 1
    assert body["tracking_url"] == f"/t/{report.tracking_code}/"
    assert body["emergency_number"] is None
    assert report.answers == {"size": "large", "depth_cm": 12}
    assert report.area == territory.west
    assert (report.location.y, report.location.x) == pytest.approx(WEST)
    issue = report.issue
    assert issue.department == territory.roads
    assert issue.due_at is not None and issue.due_at > issue.first_reported_at
    assert issue.priority > 0
    assert [e.kind for e in issue.timeline.all()] == [TimelineEntry.Kind.CREATED]
    assert report.photos.count() == 1
    assert len(stored_files(media_root)) == 1


def test_json_body_without_photos_is_accepted(api: APIClient, territory: Territory) -> None:
    form = good_form(answers={"size": "small"})
    response = api.post("/api/v1/reports/", form, format="json")

    assert response.status_code == 201, response.json()
    assert Report.objects.get().answers == {"size": "small"}


def test_contact_details_join_the_persons_history_only_once_the_address_is_confirmed(
    api: APIClient, territory: Territory
) -> None:
    first = post(api, good_form(email="Maria@Example.org", name="Maria"))
    confirm_addresses()
    second = post(api, good_form(email="maria@example.org", phone="+39 333 1234567"))

    assert first.status_code == second.status_code == 201
    person = Reporter.objects.get(reports__pk=first.json()["id"])
    assert (person.email, person.name, person.phone) == ("maria@example.org", "Maria", "")
    assert Report.objects.filter(reporter=person).count() == 1
    confirm_addresses()  # the second submission's link, followed: it was Maria
    person.refresh_from_db()
    assert person.phone == "+39 333 1234567"
    assert Report.objects.filter(reporter=person).count() == 2


def bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg_bytes((1200, 900), "#345678")
    return data[: len(data) // 2]


BAD_INPUTS = {
    "latitude out of range": (dict(lat=91), "lat"),
    "longitude out of range": (dict(lon=-181), "lon"),
    "latitude NaN": (dict(lat="NaN"), "lat"),
    "longitude infinite": (dict(lon="inf"), "lon"),
    "latitude not a number": (dict(lat="north"), "lat"),
    "latitude missing": (dict(lat=None), "lat"),
    "point outside the municipality": (dict(lat=OUTSIDE[0], lon=OUTSIDE[1]), "location"),
    "unknown category": (dict(category="volcano"), "category"),
    "inactive category": (dict(category="streetlight-retired"), "category"),
    "category not offered here": (dict(category="east-bins", answers="{}"), "category"),
    "category not handled by the municipality": (
        dict(category="gas-leak", answers="{}"),
        "category",
    ),
    "required answer missing": (dict(answers=json.dumps({"depth_cm": "3"})), "answers"),
    "answer not among the choices": (dict(answers=json.dumps({"size": "huge"})), "answers"),
    "answer to an unknown question": (
        dict(answers=json.dumps({"size": "small", "colour": "red"})),
        "answers",
    ),
    "number answer not a number": (
        dict(answers=json.dumps({"size": "small", "depth_cm": "deep"})),
        "answers",
    ),
    "answers not JSON": (dict(answers="{size: small"), "answers"),
    "description too long": (dict(description="x" * 4001), "description"),
    "urgency too high": (dict(urgency=6), "urgency"),
    "urgency too low": (dict(urgency=0), "urgency"),
    "e-mail malformed": (dict(email="not-an-address"), "email"),
    "phone malformed": (dict(phone="call me maybe"), "phone"),
    "file that is not an image": (
        dict(photo=lambda: [upload(b"%PDF-1.4 not a photo", "doc.jpg")]),
        "photo",
    ),
    "truncated image": (dict(photo=lambda: [upload(truncated_jpeg())]), "photo"),
    "decompression bomb": (
        dict(photo=lambda: [upload(bomb_png(), "bomb.png", "image/png")]),
        "photo",
    ),
    "second photo bad after a good one": (
        dict(photo=lambda: [upload(jpeg_bytes()), upload(b"GIF89a....", "x.gif", "image/gif")]),
        "photo",
    ),
    "six photos": (dict(photo=lambda: [upload(jpeg_bytes()) for _ in range(6)]), "photo"),
    "empty photo file": (dict(photo=lambda: [upload(b"")]), "photo"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.keys())
def test_bad_input_gets_400_naming_the_field_and_leaves_nothing(
    case: str, api: APIClient, territory: Territory, media_root: Path
) -> None:
    overrides, field = BAD_INPUTS[case]
    territory.streetlight.__class__.objects.create(
        code="streetlight-retired",
        name_it="x",
        group=territory.streetlight.group,
        department=territory.lighting,
        active=False,
    )
    overrides = {k: (v() if callable(v) else v) for k, v in overrides.items()}

    response = post(api, good_form(**overrides))

    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert str(errors[field]).strip()
    assert Report.objects.count() == 0
    assert Issue.objects.count() == 0
    assert Photo.objects.count() == 0
    assert stored_files(media_root) == []


def test_not_handled_category_error_says_where_to_go(api: APIClient, territory: Territory) -> None:
    response = post(api, good_form(category="gas-leak", answers="{}"))

    assert response.status_code == 400
    assert "800 900 900" in str(response.json()["category"])


def test_malformed_multipart_body_is_a_400(api: APIClient, territory: Territory) -> None:
    response = api.generic(
        "POST",
        "/api/v1/reports/",
        b"--broken\r\nContent-Disposition: form-data; name=lat\r\n\r\n60",
        content_type="multipart/form-data; boundary=nothere",
    )

    assert response.status_code == 400
    assert Report.objects.count() == 0


def test_storage_failure_on_a_photo_leaves_no_report_and_no_file(
    api: APIClient, territory: Territory, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original_save = FileSystemStorage._save

    def fail_on_second(self: FileSystemStorage, name: str, content: Any) -> str:
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return original_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fail_on_second)

    response = post(api, good_form(photo=[upload(jpeg_bytes()), upload(jpeg_bytes())]))

    assert response.status_code == 503
    assert response.json()["detail"]
    assert Report.objects.count() == 0
    assert Issue.objects.count() == 0
    assert stored_files(media_root) == []


def test_emergency_answers_with_the_number_and_alerts_the_contact_once(
    api: APIClient, territory: Territory
) -> None:
    response = post(api, good_form(emergency="true"))

    assert response.status_code == 201
    assert response.json()["emergency_number"] == "112"
    issue = Issue.objects.get()
    assert issue.emergency
    assert issue.timeline.filter(kind=TimelineEntry.Kind.EMERGENCY).exists()

    tasks.alert_emergency_contact(issue.pk)
    tasks.alert_emergency_contact(issue.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["roads-emergency@comune.example"]
    assert f"#{issue.pk}" in mail.outbox[0].subject


def test_emergency_raises_priority(api: APIClient, territory: Territory) -> None:
    post(api, good_form())
    post(api, good_form(emergency="true", lat=EAST[0], lon=EAST[1]))

    calm, emergency = Issue.objects.order_by("id")
    assert emergency.priority > calm.priority


def test_error_messages_follow_the_citizens_language(api: APIClient, territory: Territory) -> None:
    response = post(api, good_form(lat=OUTSIDE[0], lon=OUTSIDE[1]), HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 400
    assert "fuori dal territorio" in response.json()["location"][0]


def test_gps_accuracy_is_kept_for_staff_and_refused_when_absurd(
    api: APIClient, territory: Territory
) -> None:
    kept = post(api, good_form(accuracy_m="12.5"))
    negative = post(api, good_form(accuracy_m="-3"))
    not_a_number = post(api, good_form(accuracy_m="nan"))

    assert kept.status_code == 201
    assert Report.objects.get().location_accuracy_m == 12.5
    assert negative.status_code == not_a_number.status_code == 400
    assert "accuracy_m" in negative.json() and "accuracy_m" in not_a_number.json()
