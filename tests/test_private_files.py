"""Files only staff may see stay out of the public storage: photos hidden by moderation (and the
open data that listed them), e-mail drafts' raw attachments, photos sent with Open311 updates
(real PostGIS, real files, the site's own /media/ view)."""

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.utils import timezone
from PIL import Image

from backoffice.models import Draft, DraftAttachment, HiddenPhoto, Role, StaffProfile
from insights import tasks as insights_tasks
from insights.models import OpenDataRelease
from open311.actions import create_api_key, record_citizen_update
from outbox.models import OutboxMessage
from privacy.actions import erase_personal_data
from reports.actions import Contact
from reports.models import Issue, Photo, Report
from reports.photos import process_upload
from reports.tasks import make_photo_thumbnail
from tests.factories import INSIDE, Territory, jpeg_bytes
from tests.test_backoffice import act
from tests.test_backoffice_intake import call

REPUBLISH = insights_tasks.republish_open_data.name


@pytest.fixture
def operator(territory: Territory) -> Client:
    user = get_user_model().objects.create_user("urp", password="pw")
    StaffProfile.objects.create(user=user, role=Role.OPERATOR)
    client = Client()
    client.force_login(user)
    return client


def media(name: str) -> int:
    """The status of a stored file's public address, for a visitor."""
    return Client().get(default_storage.url(name)).status_code


def with_photo() -> tuple[int, Photo]:
    response = Client().post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": '{"size": "small"}',
            "photo": [io.BytesIO(jpeg_bytes((640, 480), "#336699"))],
        },
    )
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(report__issue_id=response.json()["issue"])
    make_photo_thumbnail(photo)  # as the worker does after a submission
    photo.refresh_from_db()
    return response.json()["issue"], photo


def published_csv() -> str:
    release = OpenDataRelease.objects.order_by("-created_at").first()
    assert release is not None
    with default_storage.open(release.csv_name) as stored:
        return stored.read().decode()


def republish_now() -> None:
    """Run the queued republication as the worker will after its countdown."""
    assert OutboxMessage.objects.filter(task=REPUBLISH).exists()
    # The countdown has passed: the earlier release began before the change.
    OpenDataRelease.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert insights_tasks.republish_open_data() is not None


def test_a_hidden_reports_photo_leaves_public_storage_and_the_open_data(
    operator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    issue, photo = with_photo()
    image, thumbnail = str(photo.image.name), str(photo.thumbnail.name)
    insights_tasks.publish_open_data()
    assert image in published_csv() and media(image) == media(thumbnail) == 200

    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/office/reports/{photo.report_id}/hide/")

    assert media(image) == media(thumbnail) == 404
    files = HiddenPhoto.objects.get(photo=photo)
    assert storages["private"].exists(files.image_name)
    assert storages["private"].exists(files.thumbnail_name)
    assert operator.get(f"/office/photos/{photo.pk}/hidden/image/").status_code == 200
    assert operator.get(f"/office/photos/{photo.pk}/hidden/thumbnail/").status_code == 200
    assert Client().get(f"/office/photos/{photo.pk}/hidden/image/").status_code == 302
    page = operator.get(f"/office/issues/{issue}/").content.decode()
    assert f"/office/photos/{photo.pk}/hidden/thumbnail/" in page and image not in page
    republish_now()
    assert image not in published_csv() and str(issue) in published_csv()

    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/office/reports/{photo.report_id}/show/")

    photo.refresh_from_db()
    assert not HiddenPhoto.objects.filter(photo=photo).exists()
    assert not storages["private"].exists(files.image_name)
    assert media(str(photo.image.name)) == media(str(photo.thumbnail.name)) == 200
    assert str(photo.image.name) in Client().get(f"/api/v1/issues/{issue}/").content.decode()


def test_a_hidden_issue_leaves_the_open_data_soon_and_its_photos_the_public_storage(
    operator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    issue, photo = with_photo()
    insights_tasks.publish_open_data()
    assert f"/issues/{issue}/" in published_csv()

    with django_capture_on_commit_callbacks(execute=True):
        act(operator, issue, "hide", **{"moderation-text": "Dati personali nella foto."})

    assert Issue.objects.get(pk=issue).hidden
    assert media(str(photo.image.name)) == 404
    assert HiddenPhoto.objects.filter(photo=photo).exists()
    message = OutboxMessage.objects.get(task=REPUBLISH)
    assert message.countdown_s == insights_tasks.REPUBLISH_AFTER_S
    republish_now()
    assert f"/issues/{issue}/" not in published_csv()


def test_a_burst_of_hides_publishes_the_open_data_once(operator: Client) -> None:
    insights_tasks.publish_open_data()  # just now: it read every change made before it

    assert insights_tasks.republish_open_data() is None
    assert OpenDataRelease.objects.count() == 1


def test_a_hidden_photo_cannot_be_redacted_until_shown(operator: Client) -> None:
    _issue, photo = with_photo()
    operator.post(f"/office/reports/{photo.report_id}/hide/")

    refused = operator.post(
        f"/office/photos/{photo.pk}/redact/", {"box": ["0,0,50,50"]}, follow=True
    )

    assert (
        refused.status_code == 200 and "show its report or issue again" in refused.content.decode()
    )


def exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "#884422").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def draft_with_attachment(email: str = "lettore@example.org") -> tuple[Draft, DraftAttachment]:
    draft = Draft.objects.create(
        channel=Draft.Channel.EMAIL, subject="Buca", sender_email=email, message_id=f"<{email}>"
    )
    attachment = DraftAttachment(draft=draft, filename="buca.jpg", content_type="image/jpeg")
    attachment.file.save("buca.jpg", ContentFile(exif_jpeg()), save=True)
    return draft, attachment


def test_a_drafts_attachment_is_private_and_staff_see_it_cleaned(operator: Client) -> None:
    _draft, attachment = draft_with_attachment()
    name = str(attachment.file.name)

    assert storages["private"].exists(name) and not default_storage.exists(name)
    assert Client().get(f"/media/{name}").status_code == 404
    assert Client().get(f"/office/drafts/attachments/{attachment.pk}/").status_code == 302
    shown = operator.get(f"/office/drafts/attachments/{attachment.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert b"SecretCam" in exif_jpeg() and b"SecretCam" not in shown.content


def test_a_drafts_attachments_are_deleted_when_it_is_set_aside(
    operator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    draft, attachment = draft_with_attachment()
    name = str(attachment.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/office/drafts/{draft.pk}/discard/")

    assert not storages["private"].exists(name)
    assert not DraftAttachment.objects.exists()


def test_a_drafts_attachments_are_deleted_once_filed_as_a_report(
    operator: Client, django_capture_on_commit_callbacks: Any
) -> None:
    draft, attachment = draft_with_attachment()
    name = str(attachment.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        call(operator, draft=draft.pk, attachment=[attachment.pk], channel="email")

    filed = Report.objects.get()
    assert filed.photos.count() == 1  # the cleaned copy is the report's
    assert not storages["private"].exists(name)
    assert not DraftAttachment.objects.exists()


def test_erasing_a_persons_data_deletes_their_drafts_attachments(
    territory: Territory, django_capture_on_commit_callbacks: Any
) -> None:
    _draft, attachment = draft_with_attachment("anna.verdi@example.com")
    _other, kept = draft_with_attachment("someone.else@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        erase_personal_data("Anna.Verdi@example.com")

    assert not storages["private"].exists(str(attachment.file.name))
    assert storages["private"].exists(str(kept.file.name))


def test_an_open311_update_photo_is_for_staff_only(operator: Client) -> None:
    issue, _photo = with_photo()
    key = create_api_key(name="FixMyStreet", owner="mySociety")[0]

    entry = record_citizen_update(
        Issue.objects.get(pk=issue),
        text="Ancora lì",
        citizen_status="open",
        contact=Contact(email="luca@example.org"),
        key=key,
        client_update_id="u1",
        language="it",
        photo=process_upload(jpeg_bytes()),
    )

    name = entry.data["photo"]
    assert storages["private"].exists(name) and not default_storage.exists(name)
    assert Client().get(f"/media/{name}").status_code == 404
    assert Client().get(f"/office/updates/{entry.pk}/photo/").status_code == 302
    assert operator.get(f"/office/updates/{entry.pk}/photo/").status_code == 200
    page = operator.get(f"/office/issues/{issue}/").content.decode()
    assert f"/office/updates/{entry.pk}/photo/" in page
