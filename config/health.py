"""/healthz: is the database answering, is the broker reachable."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            **{k: "ok" if v else "down" for k, v in checks.items()},
        },
        status=200 if healthy else 503,
    )


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
