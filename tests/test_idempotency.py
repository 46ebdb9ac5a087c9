"""A submission retried by a flaky phone network (same Idempotency-Key) files one report."""

import json
import threading
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from reports.models import Report
from tests.factories import INSIDE, Territory, jpeg_bytes, make_territory, stored_files

KEY = "3f6c1c1e-9d1a-4c57-b1a4-0e2f5b7d9a10"


def form(**extra: Any) -> dict[str, Any]:
    return {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": json.dumps({"size": "small"}),
        **extra,
    }


def test_a_retry_with_the_same_key_returns_the_report_already_filed(
    territory: Territory, media_root: Path
) -> None:
    first = APIClient().post(
        "/api/v1/reports/",
        form(photo=[SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")]),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    files = set(stored_files(media_root))
    retry = APIClient().post(
        "/api/v1/reports/",
        form(photo=[SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")]),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    other = APIClient().post(
        "/api/v1/reports/", form(), format="multipart", HTTP_IDEMPOTENCY_KEY=KEY + "-2"
    )

    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 201)
    assert retry.json()["tracking_code"] == first.json()["tracking_code"]
    assert Report.objects.count() == 2
    assert set(stored_files(media_root)) == files  # the retry stored no photo


def test_a_malformed_key_is_refused_and_files_nothing(territory: Territory) -> None:
    for bad in ("short", "x" * 101, "spaces are not allowed", "<script>"):
        response = APIClient().post(
            "/api/v1/reports/", form(), format="multipart", HTTP_IDEMPOTENCY_KEY=bad
        )
        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()["idempotency_key"][0]
    assert not Report.objects.exists()


def test_the_same_key_sent_five_times_at_once_files_one_report(transactional_db: None) -> None:
    make_territory()
    barrier = threading.Barrier(5)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def phone() -> None:
        try:
            barrier.wait(timeout=30)
            response = APIClient().post(
                "/api/v1/reports/", form(), format="multipart", HTTP_IDEMPOTENCY_KEY=KEY
            )
            answers.append((response.status_code, response.json()["tracking_code"]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=phone) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a submission hung"

    assert errors == []
    assert Report.objects.count() == 1
    assert sorted(status for status, _code in answers) == [200, 200, 200, 200, 201]
    assert {code for _status, code in answers} == {Report.objects.get().tracking_code}
