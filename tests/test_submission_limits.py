"""The limits on submissions: SUBMISSIONS_RATE counts the reports filed, so a citizen refused a
few times ("photo too large", "outside the territory") can still send the good one, while
SUBMISSION_ATTEMPTS_RATE caps every attempt, refused or not (reports/throttles.py).

On the test settings' cache and on production's Redis (config.cache.ResilientRedisCache), with
an address of the test's own there, since that Redis is shared."""

import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from reports import api
from reports.actions import PhotoStorageError
from reports.models import Report
from tests.factories import INSIDE, OUTSIDE, Territory, jpeg_bytes
from tests.test_ratelimit import cache_on

CACHES = ["test settings", "resilient"]


@pytest.fixture(params=CACHES)
def citizen(request: pytest.FixtureRequest, settings: Any) -> APIClient:
    """A citizen's client, from an address of its own, on the cache named by the parameter."""
    if request.param != "test settings":
        settings.CACHES = cache_on(request.param)
    return APIClient(REMOTE_ADDR=own_address())


def own_address() -> str:
    """An address no other test, nor an earlier run within the hour, counted on shared Redis."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def submit(
    client: APIClient, where: tuple[float, float] = INSIDE, key: str = "", **fields: Any
) -> Any:
    form = {"lat": where[0], "lon": where[1], "category": "pothole"}
    form["answers"] = json.dumps({"size": "small"})
    form.update(fields)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/reports/", form, format="multipart", **headers)


def too_large_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.jpg", jpeg_bytes() + b"\x00" * (1024 * 1024), "image/jpeg")


def test_refused_submissions_leave_the_allowance_for_the_good_ones(
    territory: Territory, settings: Any, citizen: APIClient
) -> None:
    settings.SUBMISSIONS_RATE = "2/hour"
    settings.PHOTO_MAX_BYTES = 1024 * 1024

    refused = [
        submit(citizen, photo=[too_large_photo()]).status_code,
        submit(citizen, where=OUTSIDE).status_code,
        submit(citizen, category="no-such-category").status_code,
        submit(citizen, key="bad key!").status_code,
    ]
    filed = submit(citizen, key="first-report-key")
    # A retry answered with the report already filed (200) files nothing: it is not counted.
    retried = submit(citizen, key="first-report-key")
    second = submit(citizen)
    over = submit(citizen)

    assert refused == [400, 400, 400, 400]
    assert (filed.status_code, retried.status_code, second.status_code) == (201, 200, 201)
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    # Refused by the limit, it takes nothing either: still exactly the two filed.
    assert submit(citizen).status_code == 429
    assert Report.objects.count() == 2


def test_a_flood_of_refused_submissions_is_still_stopped(
    territory: Territory, settings: Any, citizen: APIClient
) -> None:
    settings.SUBMISSIONS_RATE = "30/hour"
    settings.SUBMISSION_ATTEMPTS_RATE = "4/hour"

    bad = [submit(citizen, where=OUTSIDE).status_code for _ in range(4)]
    stopped = submit(citizen)

    assert bad == [400, 400, 400, 400]
    assert stopped.status_code == 429 and int(stopped["Retry-After"]) > 0
    assert not Report.objects.exists()
    assert submit(APIClient(REMOTE_ADDR=own_address())).status_code == 201  # another address


def test_a_submission_we_failed_to_store_is_not_counted(
    territory: Territory, settings: Any, citizen: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SUBMISSIONS_RATE = "1/hour"
    real = api.submit_report
    failures = iter([PhotoStorageError("storage down"), RuntimeError("a bug of ours")])

    def fail_then_file(new: Any) -> Report:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(new)

    monkeypatch.setattr(api, "submit_report", fail_then_file)
    citizen.raise_request_exception = False

    assert submit(citizen).status_code == 503  # "could not be stored just now: send again"
    assert submit(citizen).status_code == 500
    assert submit(citizen).status_code == 201  # sent again, it goes through
    assert submit(citizen).status_code == 429
