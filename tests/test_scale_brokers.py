"""Scale-out of the background work: two Celery worker processes share one queue, on Redis and
on RabbitMQ (docs/scaling.md). RabbitMQ's case is skipped, saying why, when none listens."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.celery import app as celery_app
from outbox.models import OutboxMessage
from reports.models import Photo
from tests.factories import INSIDE, jpeg_bytes, make_territory, stored_files
from tests.faults import Worker, broker_at, wait_for

pytestmark = pytest.mark.faults

RABBITMQ = ("127.0.0.1", 5672)
BROKERS = {
    "redis": "redis://127.0.0.1:6379/14",
    "rabbitmq": f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}//",
}
REPORTS = 8


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=sorted(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "rabbitmq" and not listening(*RABBITMQ):
        pytest.skip("RabbitMQ is not reachable on 127.0.0.1:5672 (guest/guest): start it to run")
    url = BROKERS[request.param]
    with broker_at(url):
        celery_app.control.purge()  # this process's queue: nothing left from an earlier run
        yield url


def unsent() -> list[str]:
    return list(OutboxMessage.objects.filter(sent_at=None).values_list("last_error", flat=True))


def tails(logs: list[Path]) -> list[str]:
    return [log.read_text()[-1500:] if log.exists() else "(no log)" for log in logs]


def submit(n: int) -> int:
    response = APIClient().post(
        "/api/v1/reports/",
        {
            "lat": INSIDE[0] + 0.001 * n,
            "lon": INSIDE[1],
            "category": "pothole",
            "answers": json.dumps({"size": "large"}),
            "photo": [SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_two_workers_share_the_submissions_work_once_each(
    transactional_db: None, broker_url: str, media_root: Path, tmp_path: Path
) -> None:
    make_territory()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [Worker(broker_url, media_root, log, name=log.stem) for log in logs]
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: all(log.exists() and "ready" in log.read_text() for log in logs), 60)
        reports = [submit(n) for n in range(REPORTS)]

        wait_for(
            lambda: (
                Photo.objects.filter(report_id__in=reports).exclude(thumbnail="").count() == REPORTS
            ),
            60,
            "every thumbnail",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; outbox: {unsent()}; logs: {tails(logs)}") from None
    finally:
        for worker in workers:
            worker.stop()

    done = [log.read_text().count("after_report_submitted") for log in logs]
    assert all(count > 0 for count in done), done  # both took a share
    # One photo and one thumbnail per report: no task ran twice to leave a second file. (The
    # public map's snapshot may be written too, under public/, when the run passes its 30 s.)
    images = [p for p in stored_files(media_root) if p.relative_to(media_root).parts[0] != "public"]
    assert len(images) == 2 * REPORTS, sorted(str(p.relative_to(media_root)) for p in images)
