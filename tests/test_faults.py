"""Faults injected against the real services: the broker stopped and started, a worker killed
in the middle of a task, the database's connections terminated. Each checks that nothing was
lost or duplicated. (docs/reliability.md lists them with their results.)"""

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from config.cache import Flag, ResilientRedisCache
from outbox.actions import relay
from outbox.models import OutboxMessage
from reports.models import Photo, Report, TimelineEntry
from tests.factories import INSIDE, Territory, jpeg_bytes, make_territory, stored_files, street
from tests.faults import RedisServer, Worker, broker_at, terminate_other_connections, wait_for

pytestmark = pytest.mark.faults

STREET = "Via dei Guasti"


@pytest.fixture
def city(transactional_db: None) -> Territory:
    territory = make_territory()
    street(STREET, INSIDE[0] + 0.0001, INSIDE[1])
    return territory


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def submit(**extra: object) -> dict:
    form = {
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "category": "pothole",
        "answers": json.dumps({"size": "large"}),
        "photo": [SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")],
        **extra,
    }
    response = APIClient().post("/api/v1/reports/", form, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


def finished(report_id: int) -> bool:
    report = Report.objects.select_related("issue").get(pk=report_id)
    photo = Photo.objects.get(report=report)
    return bool(photo.thumbnail) and report.issue.address == STREET


def test_with_the_broker_down_submissions_succeed_and_their_work_runs_when_it_is_back(
    city: Territory, private_redis: RedisServer, media_root: Path, tmp_path: Path
) -> None:
    with broker_at(private_redis.url):
        private_redis.stop()

        first = submit()
        second = submit(description="Seconda segnalazione")

        pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id")
        assert [m.task for m in pending] == ["reports.tasks.after_report_submitted"] * 2
        assert all(m.attempts == 1 and "Connection" in m.last_error for m in pending)
        assert not finished(first["id"]) and not finished(second["id"])

        private_redis.start()
        # Younger than RELAY_AFTER_S: the relay leaves them to the commits that wrote them.
        assert relay() == 0
        assert relay(older_than_s=0) == 2
        worker = Worker(private_redis.url, media_root, tmp_path / "worker.log")
        worker.start()
        try:
            wait_for(lambda: finished(first["id"]) and finished(second["id"]), 60, "the work")
        finally:
            worker.stop()

    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert relay(older_than_s=0) == 0  # nothing is sent twice
    # One photo and one thumbnail per report: no duplicate work left files behind.
    assert len(stored_files(media_root)) == 4


def test_a_worker_killed_mid_task_leaves_nothing_half_done_and_the_task_runs_again(
    city: Territory, private_redis: RedisServer, media_root: Path, tmp_path: Path
) -> None:
    with broker_at(private_redis.url):
        result = submit(emergency="true")
    issue_id = result["issue"]
    # Hold the emergency's entry: the alert (after the thumbnail) blocks half-way.
    blocker = _lock_emergency_entry(issue_id)
    log = tmp_path / "worker.log"
    first = Worker(private_redis.url, media_root, log)
    first.start()
    try:
        wait_for(lambda: _waiting_on_a_lock(), 60, "the worker to block on the emergency's entry")
        first.kill()
    finally:
        blocker.rollback()
        blocker.close()
        first.kill()
    assert not _alerted(issue_id)  # the killed task changed nothing

    second = Worker(private_redis.url, media_root, log)
    second.start()
    try:
        wait_for(lambda: finished(result["id"]) and _alerted(issue_id), 90, "the tasks to rerun")
    finally:
        second.stop()

    assert TimelineEntry.objects.filter(issue_id=issue_id, kind="emergency").count() == 1
    assert len(stored_files(media_root)) == 2  # the photo and one thumbnail, not two


def test_when_the_database_drops_its_connections_mid_task_the_task_retries_and_pages_work(
    city: Territory,
    private_redis: RedisServer,
    media_root: Path,
    tmp_path: Path,
    live_server: object,
) -> None:
    with broker_at(private_redis.url):
        result = submit(emergency="true")
    blocker = _lock_emergency_entry(result["issue"])
    worker = Worker(private_redis.url, media_root, tmp_path / "worker.log")
    worker.start()
    try:
        wait_for(_waiting_on_a_lock, 60, "the worker to be inside its task")

        # What a PostgreSQL restart does to the worker's session, in the middle of its task.
        assert terminate_other_connections(keep=(blocker.info.backend_pid,)) >= 1
        log = tmp_path / "worker.log"
        wait_for(lambda: "retry: Retry" in log.read_text(), 60, "the task to fail and retry")
        blocker.rollback()

        wait_for(
            lambda: finished(result["id"]) and _alerted(result["issue"]),
            60,
            "the task to retry on a new connection",
        )
    finally:
        blocker.close()
        worker.stop()
    # Over a real connection to the live server, whose own database session was dropped too.
    url = f"{live_server.url}/api/v1/issues/{result['issue']}/"  # type: ignore[attr-defined]
    with urllib.request.urlopen(url, timeout=30) as page:
        assert page.status == 200
    assert "OperationalError" in (tmp_path / "worker.log").read_text()  # why it retried


def test_a_worker_keeps_its_database_connection_from_task_to_task(
    city: Territory, private_redis: RedisServer, media_root: Path, tmp_path: Path
) -> None:
    with broker_at(private_redis.url):
        sent = [submit(description=f"Segnalazione {n}") for n in range(3)]
    log = tmp_path / "worker.log"
    worker = Worker(private_redis.url, media_root, log)
    worker.start()
    try:
        wait_for(lambda: log.read_text().count("succeeded in") == 3, 60, "the three tasks")
        time.sleep(1)  # what Celery does after a task (closing its connection, by default)
        sessions = _other_sessions()
    finally:
        worker.stop()
    assert all(finished(report["id"]) for report in sent)
    # Celery's default closes the connection after every task: a new PostgreSQL session, and
    # its first PostGIS query (~40 ms of database CPU), per task.
    assert len(sessions) == 1, sessions


def _other_sessions() -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchall()


def _lock_emergency_entry(issue_id: int) -> psycopg.Connection:
    """Hold the issue's emergency entry from another session: the alert task waits half-way."""
    db = connection.settings_dict
    blocker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    blocker.execute(
        "SELECT id FROM reports_timelineentry WHERE issue_id = %s AND kind = 'emergency'"
        " FOR UPDATE",
        [issue_id],
    )
    return blocker


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def _alerted(issue_id: int) -> bool:
    entry = TimelineEntry.objects.get(issue_id=issue_id, kind="emergency")
    return bool(entry.data.get("alerted"))


def test_with_the_cache_down_reads_miss_and_writes_are_dropped(private_redis: RedisServer) -> None:
    cache = ResilientRedisCache(
        private_redis.url, {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert [cache.count("calls", 60) for _ in range(2)] == [1, 2]
    flags = [Flag("mark", 60), Flag("gate", 60, only_if_absent=True)]
    assert cache.set_flags(flags) == [True, True]
    assert cache.set_flags(flags) == [True, False]  # the gate is taken
    assert cache.get_many(["mark", "gate"]) == {"mark": 1, "gate": 1}

    private_redis.stop()

    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {}
    assert cache.add("other", 1) is False
    cache.set("k", 2)  # dropped, no error
    assert cache.get_or_set("computed", lambda: 42) == 42
    assert cache.count("calls", 60) == 0  # rate limits let requests through
    assert cache.set_flags([Flag("mark", 60), Flag("gate", 60, True)]) == [False, False]
    private_redis.start()
    cache.set("k", 3)
    assert cache.get("k") == 3  # back by itself
