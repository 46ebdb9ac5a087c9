"""Exports: the staff's CSV (contacts only with the right) and the public open data.

The leak tests plant recognisable personal data and photo metadata through the real
submission API and look for them in every byte that leaves the system.
"""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from backoffice.models import AuditEntry, Role, StaffProfile
from config.celery import app
from insights.exports import neutralise
from insights.models import OpenDataRelease
from insights.tasks import publish_open_data
from reports.models import Issue, Photo, Report
from tests.factories import INSIDE, Territory, moved

NAME, EMAIL, PHONE = "Gianfranca Riservata", "gianfranca.riservata@example.org", "+39 347 5550199"
CAMERA = "SegretoCam 9000"
DESCRIPTION = "Spento da giorni, me lo ha detto la vicina Ornella"
# Where the EXIF says the photo was taken: 60.1234567 N, 24.7654321 E (not the pin).
EXIF_GPS = {1: "N", 2: (60.0, 7.0, 24.444), 3: "E", 4: (24.0, 45.0, 55.556)}
GPS_IFD, MAKE = 0x8825, 0x010F


def camera_jpeg() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = CAMERA
    exif[GPS_IFD] = EXIF_GPS
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "#884422").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def submit(where: tuple[float, float] = INSIDE, **extra: Any) -> Report:
    form = {
        "lat": where[0],
        "lon": where[1],
        "category": "streetlight",
        "description": DESCRIPTION,
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "photo": [SimpleUploadedFile("IMG_0001.jpg", camera_jpeg(), "image/jpeg")],
        **extra,
    }
    response = APIClient().post("/api/v1/reports/", form, format="multipart")
    assert response.status_code == 201, response.content
    return Report.objects.get(tracking_code=response.json()["tracking_code"])


def staff(role: Role, **profile: Any) -> Client:
    user = get_user_model().objects.create_user(f"{role}-export", password="pw", is_staff=True)
    StaffProfile.objects.create(user=user, role=role, **profile)
    client = Client()
    client.force_login(user)
    return client


def download(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_a_spreadsheet_would_run_is_neutralised(start: str) -> None:
    assert neutralise(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'


def test_plain_text_and_numbers_are_left_alone() -> None:
    assert neutralise("Via Roma 1") == "Via Roma 1"
    assert neutralise(-24.5) == -24.5
    assert neutralise(None) is None


def test_staff_with_the_contacts_right_get_the_reporters_contacts(territory: Territory) -> None:
    submit(description='=HYPERLINK("http://evil.example","click")')
    client = staff(Role.OPERATOR)

    text = download(client, "/office/export/reports.csv")

    (row,) = table(text)
    # A phone number starts with "+", which a spreadsheet would evaluate: it is neutralised too.
    assert (row["reporter_name"], row["reporter_email"], row["reporter_phone"]) == (
        NAME,
        EMAIL,
        "'" + PHONE,
    )
    assert row["description"].startswith("'=HYPERLINK")
    assert row["category"] == "streetlight" and row["latitude"] == str(round(INSIDE[0], 6))
    assert "60.12345" not in text and "24.76543" not in text  # the photo's EXIF position
    audit = AuditEntry.objects.get(action="export_reports_csv")
    assert audit.after == {"contacts": True}


def test_staff_without_the_contacts_right_get_no_personal_column(territory: Territory) -> None:
    submit()
    text = download(staff(Role.MANAGER), "/office/export/reports.csv")

    assert len(table(text)) == 1
    assert "reporter_" not in text
    # The phone's subscriber digits, in whatever format: not "347", which the microseconds
    # of a timestamp hold now and then.
    for personal in (NAME, EMAIL, PHONE, "Gianfranca", "5550199"):
        assert personal not in text
    # Nor the tracking code, the reporter's secret to rate and reopen as the reporter.
    report = Report.objects.get()
    assert report.tracking_code not in text and table(text)[0]["report_id"] == str(report.pk)


def test_a_coordinator_exports_only_their_department(territory: Territory) -> None:
    submit()
    submit(where=moved(INSIDE, 300), category="pothole", answers='{"size": "small"}')
    client = staff(Role.COORDINATOR, department=territory.roads)

    rows = table(download(client, "/office/export/reports.csv"))

    assert [row["category"] for row in rows] == ["pothole"]


def test_the_export_needs_a_staff_role(territory: Territory) -> None:
    citizen = get_user_model().objects.create_user("citizen", password="pw")
    client = Client()
    client.force_login(citizen)

    assert client.get("/office/export/reports.csv").status_code == 403


def test_open_data_has_no_personal_data_and_only_stripped_photos(
    territory: Territory, media_root: Path
) -> None:
    report = submit()
    hidden = submit(where=moved(INSIDE, 400), category="pothole", answers='{"size": "small"}')
    Issue.objects.filter(pk=hidden.issue_id).update(hidden=True)
    assert report.photo_location is not None  # the EXIF position was read, and kept for staff

    publish_open_data()

    client = Client()
    csv_text = download(client, "/opendata/issues.csv")
    geojson_text = download(client, "/opendata/issues.geojson")
    for text in (csv_text, geojson_text):
        for secret in (NAME, EMAIL, PHONE, "Gianfranca", CAMERA, "60.12345", "24.76543"):
            assert secret not in text
        assert "Ornella" not in text  # free text may name people: not published
    (row,) = table(csv_text)
    assert row["id"] == str(report.issue_id)
    assert row["status"] == "open" and row["licence"] == "CC-BY-4.0"
    collection = json.loads(geojson_text)
    assert collection["licence"] == "CC-BY-4.0"
    (feature,) = collection["features"]
    assert feature["geometry"]["coordinates"] == [round(INSIDE[1], 6), round(INSIDE[0], 6)]
    assert feature["properties"]["photos"] == row["photos"].split()
    photo = Photo.objects.get(report=report)
    (url,) = feature["properties"]["photos"]
    assert url.endswith(photo.image.name)
    with Image.open(media_root / photo.image.name) as published:
        assert not published.getexif()
        assert not published.info.get("exif")
    assert CAMERA.encode() not in (media_root / photo.image.name).read_bytes()


def test_open_data_is_404_until_first_published_then_replaced_whole(
    territory: Territory, settings: Any
) -> None:
    assert Client().get("/opendata/issues.csv").status_code == 404
    settings.OPEN_DATA_LICENCE = "CC0-1.0"
    submit()

    releases = [OpenDataRelease.objects.get(pk=publish_open_data()) for _ in range(3)]

    assert list(OpenDataRelease.objects.values_list("pk", flat=True)) == [
        releases[2].pk,
        releases[1].pk,
    ]
    assert not default_storage.exists(releases[0].csv_name)
    assert default_storage.exists(releases[1].csv_name)
    assert table(download(Client(), "/opendata/issues.csv"))[0]["licence"] == "CC0-1.0"
    public = Client().get("/stats/").content.decode()
    assert "CC0-1.0" in public and "/opendata/issues.geojson" in public


def test_beat_runs_the_poller_and_the_open_data_publisher() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert {"inbox.tasks.poll_mailbox", "insights.tasks.publish_open_data"} <= scheduled
    assert scheduled <= set(app.tasks)


def test_open_data_files_write_moments_as_open311_does(
    territory: Territory, media_root: Path, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Rome"
    report = submit()
    Issue.objects.filter(pk=report.issue_id).update(
        first_reported_at=dt.datetime(2026, 9, 26, 5, 19, 30, 790595, tzinfo=dt.UTC),
        closed_at=dt.datetime(2026, 11, 24, 3, 42, 30, 5, tzinfo=dt.UTC),
    )

    publish_open_data()

    (row,) = table(download(Client(), "/opendata/issues.csv"))
    collection = json.loads(download(Client(), "/opendata/issues.geojson"))
    (feature,) = collection["features"]
    for record in (row, feature["properties"]):
        assert record["first_reported_at"] == "2026-09-26T07:19:30+02:00"
        assert record["closed_at"] == "2026-11-24T04:42:30+01:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", collection["generated_at"])
    page = f"{settings.SITE_URL}/issues/{report.issue_id}/"
    assert row["url"] == feature["properties"]["url"] == page
