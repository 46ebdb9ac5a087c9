"""The static GeoJSON snapshot of the open problems, rebuilt by Celery when issues change."""

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client

from config.celery import app
from insights.exports import open_data_records
from maps_static import layer, tasks
from maps_static.layer import layer_version
from maps_static.snapshot import SNAPSHOT_NAME, write_snapshot
from reports.actions import refresh_issue
from reports.models import Issue, Status
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, make_territory, moved
from tests.test_maps_api import PERSONAL, make_issue


def test_the_snapshot_holds_the_open_problems_under_the_licence_and_nothing_personal(
    territory: Territory, media_root: Path, settings: Any
) -> None:
    settings.SITE_URL = "https://segnala.comune.example"
    settings.TIME_ZONE = "Europe/Rome"
    shown = make_issue(territory.pothole, address="Via Verdi 2")
    Issue.objects.filter(pk=shown.pk).update(
        first_reported_at=dt.datetime(2026, 9, 26, 5, 19, 30, 790595, tzinfo=dt.UTC)
    )
    review = make_issue(territory.streetlight, moved((CENTRE_LAT, CENTRE_LON), 200))
    review.status = Status.ASSIGNED
    review.save()
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 400), hidden=True)
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 600), closed_days_ago=2)
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 800), closed_days_ago=60)

    size = tasks.rebuild_public_snapshot()

    path = media_root / "public" / "issues.geojson"
    raw = path.read_text()
    assert len(raw.encode()) == size
    layer = json.loads(raw)
    assert layer["type"] == "FeatureCollection"
    assert layer["licence"] == "CC-BY-4.0"
    by_id = {f["id"]: f for f in layer["features"]}
    # "Download the open problems": no closed issue, however recent.
    assert sorted(by_id) == sorted([shown.pk, review.pk])
    properties = by_id[shown.pk]["properties"]
    assert properties["status"] == "open"
    assert properties["address"] == "Via Verdi 2"
    assert properties["url"] == f"https://segnala.comune.example/issues/{shown.pk}/"
    # As Open311 and the open data write moments: the site's zone, to the second.
    assert properties["first_reported_at"] == "2026-09-26T07:19:30+02:00"
    assert by_id[review.pk]["properties"]["status"] == "under_review"
    assert by_id[shown.pk]["geometry"]["coordinates"] == pytest.approx([CENTRE_LON, CENTRE_LAT])
    for personal in PERSONAL:
        assert personal not in raw


def test_the_snapshot_and_the_open_data_write_a_moment_alike(
    territory: Territory, media_root: Path, settings: Any
) -> None:
    settings.TIME_ZONE = "America/St_Johns"  # a half-hour offset, behind UTC
    issue = make_issue(territory.pothole)
    Issue.objects.filter(pk=issue.pk).update(
        first_reported_at=dt.datetime(2026, 11, 26, 5, 19, 30, 990000, tzinfo=dt.UTC)
    )
    tasks.rebuild_public_snapshot()
    (feature,) = json.loads((media_root / SNAPSHOT_NAME).read_text())["features"]
    (record,) = open_data_records()

    assert feature["properties"]["first_reported_at"] == "2026-11-26T01:49:30-03:30"
    assert record["first_reported_at"] == feature["properties"]["first_reported_at"]


def test_rebuilding_twice_gives_the_same_file_and_leaves_no_temporary_files(
    territory: Territory, media_root: Path
) -> None:
    make_issue(territory.pothole)
    tasks.rebuild_public_snapshot()
    path = media_root / SNAPSHOT_NAME
    first = path.read_bytes()
    tasks.rebuild_public_snapshot()
    assert path.read_bytes() == first
    assert [p.name for p in path.parent.iterdir()] == ["issues.geojson"]


def test_a_failed_write_keeps_the_old_snapshot_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = FileSystemStorage(location=tmp_path / "cdn")
    write_snapshot(b'{"old": true}', storage)

    def disk_full(fd: int) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr("maps_static.snapshot.os.fsync", disk_full)
    with pytest.raises(OSError):
        write_snapshot(b'{"new": true}', storage)
    path = tmp_path / "cdn" / SNAPSHOT_NAME
    assert path.read_bytes() == b'{"old": true}'
    assert [p.name for p in path.parent.iterdir()] == ["issues.geojson"]


def test_the_snapshot_goes_through_the_default_storage_whatever_it_is(
    territory: Territory, settings: Any, client: Client
) -> None:
    # Django's in-memory storage stands for a non-file one (an S3 bucket): no path, and a
    # name that exists is not overwritten unless the old object is deleted first.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://cdn.example.org/media/"},
        },
    }
    make_issue(territory.pothole)
    tasks.rebuild_public_snapshot()
    make_issue(territory.streetlight, moved((CENTRE_LAT, CENTRE_LON), 300))
    size = tasks.rebuild_public_snapshot()

    assert default_storage.listdir("public") == ([], ["issues.geojson"])
    with default_storage.open(SNAPSHOT_NAME) as stored:
        layer = json.loads(stored.read())
    assert len(layer["features"]) == 2
    assert default_storage.size(SNAPSHOT_NAME) == size
    page = client.get("/map/").content.decode()
    assert "https://cdn.example.org/media/public/issues.geojson" in page


def test_a_storm_of_changes_queues_one_rebuild_and_retires_cached_answers(
    territory: Territory,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    client: Client,
) -> None:
    queued: list[dict[str, Any]] = []
    # A spy on the queueing call: the wiring to the real broker is tested below.
    monkeypatch.setattr(
        tasks.rebuild_public_snapshot, "apply_async", lambda **kw: queued.append(kw)
    )
    issue = make_issue(territory.pothole)
    before = layer_version()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            refresh_issue(issue)

    assert len(queued) == 1
    assert queued[0]["countdown"] == tasks.SNAPSHOT_DEBOUNCE_S
    # The first change is published at once, the 19 others wait for the interval to pass.
    assert layer_version() == before + 1
    cache.delete(layer.GATE_KEY)  # VERSION_MIN_INTERVAL_S has passed
    assert layer_version() == before + 2
    assert layer_version() == before + 2

    # Once the rebuild has started, the next change queues the next rebuild.
    tasks.rebuild_public_snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        refresh_issue(issue)
    assert len(queued) == 2


def test_a_report_submitted_through_the_api_marks_the_layer_changed(
    territory: Territory, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(
        tasks.rebuild_public_snapshot, "apply_async", lambda **kw: queued.append(kw)
    )
    before = layer_version()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/reports/",
            {"lat": CENTRE_LAT, "lon": CENTRE_LON, "category": "streetlight"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert layer_version() == before + 1
    assert len(queued) == 1  # the snapshot's rebuild, once


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        yield


def test_a_real_worker_writes_the_snapshot_after_a_change(
    worker: None, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "SNAPSHOT_DEBOUNCE_S", 0)
    territory = make_territory()
    issue = make_issue(territory.pothole)
    cache.delete(tasks.PENDING_KEY)

    tasks.public_layer_changed()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (media_root / SNAPSHOT_NAME).exists():
        time.sleep(0.2)
    features = json.loads((media_root / SNAPSHOT_NAME).read_text())["features"]
    assert [f["id"] for f in features] == [issue.pk]
