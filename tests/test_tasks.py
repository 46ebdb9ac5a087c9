import json
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from reports import tasks
from reports.models import Issue, Photo, Report
from tests.factories import INSIDE, Territory, jpeg_bytes, stored_files, street


def submit_with_photo(api: APIClient) -> Report:
    response = api.post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": json.dumps({"size": "small"}),
            "photo": [SimpleUploadedFile("a.jpg", jpeg_bytes((1600, 1200)), "image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def test_after_submission_makes_thumbnails_and_finds_the_street(
    api: APIClient, territory: Territory, media_root: Path
) -> None:
    street("Aleksanterinkatu", INSIDE[0] + 0.0001, INSIDE[1])
    report = submit_with_photo(api)

    tasks.after_report_submitted(report.pk)

    photo = Photo.objects.get(report=report)
    assert photo.thumbnail
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) == 320
    report.refresh_from_db()
    assert report.address == "Aleksanterinkatu"
    assert Issue.objects.get().address == "Aleksanterinkatu"


def test_after_submission_is_safe_to_run_twice(
    api: APIClient, territory: Territory, media_root: Path
) -> None:
    report = submit_with_photo(api)

    tasks.after_report_submitted(report.pk)
    thumbnail = Photo.objects.get().thumbnail.name
    tasks.after_report_submitted(report.pk)

    assert Photo.objects.get().thumbnail.name == thumbnail
    assert len(stored_files(media_root)) == 2  # the photo and one thumbnail


def test_refresh_open_priorities_recomputes_deadline_terms(
    api: APIClient, territory: Territory
) -> None:
    report = submit_with_photo(api)
    issue = report.issue
    before = issue.priority
    sla = issue.due_at - issue.first_reported_at
    Issue.objects.filter(pk=issue.pk).update(
        first_reported_at=issue.first_reported_at - sla, due_at=issue.due_at - sla
    )

    assert tasks.refresh_open_priorities() == 1

    assert Issue.objects.get().priority == before + 20
