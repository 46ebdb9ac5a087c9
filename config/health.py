"""/healthz: is the database answering, is the broker reachable, are Celery beat and a worker alive.

Beat sends the `heartbeat` task every HEARTBEAT_S seconds and stamps the time it sent it; a
worker running it stamps the time it ran. Both stamps live in the shared cache (Redis in
production), so any web process can read them: one cache read per check. Each is also stamped
when its process starts, so a fresh deployment is healthy before the first heartbeat.

A stamp older than HEALTH_HEARTBEAT_STALE_S is "stale": escalations, the outbox relay, digests,
retention and open data have stopped. Without beat nothing sends heartbeats, so a worker can
then be neither confirmed nor blamed: it is "unknown".
"""

import logging
import time
from typing import Any

from celery import shared_task
from celery.signals import beat_init, before_task_publish, worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "config.health.heartbeat"
BEAT_KEY = "health:beat"
WORKER_KEY = "health:worker"


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": "ok" if _database_ok() else "down",
        "broker": "ok" if _broker_ok() else "down",
        **_celery_states(),
    }
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


@shared_task(name=HEARTBEAT_TASK)
def heartbeat() -> None:
    """Stamp that a worker runs tasks (beat sends this every HEARTBEAT_S seconds)."""
    _stamp(WORKER_KEY)


@before_task_publish.connect
def _beat_sent_heartbeat(sender: str | None = None, **kwargs: Any) -> None:
    # Only beat sends the heartbeat (nothing else queues it), so its sending is beat's pulse.
    if sender == HEARTBEAT_TASK:
        _stamp(BEAT_KEY)


@beat_init.connect
def _beat_started(**kwargs: Any) -> None:
    _stamp(BEAT_KEY)


@worker_ready.connect
def _worker_started(**kwargs: Any) -> None:
    _stamp(WORKER_KEY)


def _stamp(key: str) -> None:
    # Kept well past the threshold: a missing stamp and an old one both read as stale.
    cache.set(key, time.time(), timeout=10 * settings.HEALTH_HEARTBEAT_STALE_S)


def _celery_states() -> dict[str, str]:
    stamps = cache.get_many([BEAT_KEY, WORKER_KEY])
    now = time.time()

    def fresh(key: str) -> bool:
        stamp = stamps.get(key)
        return stamp is not None and now - float(stamp) <= settings.HEALTH_HEARTBEAT_STALE_S

    beat = "ok" if fresh(BEAT_KEY) else "stale"
    worker = "ok" if fresh(WORKER_KEY) else "stale" if beat == "ok" else "unknown"
    if beat != "ok" or worker != "ok":
        logger.warning("health check: Celery beat %s, worker %s", beat, worker)
    return {"beat": beat, "worker": worker}


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=settings.BROKER_HEALTH_TIMEOUT_S
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.BROKER_HEALTH_TIMEOUT_S)
        return True
    except (KombuError, OSError):
        logger.warning(
            "health check: broker unreachable at %s", _redacted(settings.CELERY_BROKER_URL)
        )
        return False


def _redacted(url: str) -> str:
    # Broker URLs may carry a password.
    scheme, _sep, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
