"""The one test of the task wiring: a real Celery worker on the real Redis broker."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.celery import app
from reports.models import Photo, Report
from tests.factories import INSIDE, jpeg_bytes, make_territory


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


def test_submission_is_finished_by_a_real_worker_after_commit(
    worker: None, media_root: Path
) -> None:
    make_territory()
    response = APIClient().post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": json.dumps({"size": "large"}),
            "photo": [SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 201

    report = Report.objects.get(pk=response.json()["id"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Photo.objects.get(report=report).thumbnail:
        time.sleep(0.2)

    assert Photo.objects.get(report=report).thumbnail
