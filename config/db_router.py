"""Public reads on a read replica; writes, staff pages and everything else on the primary.

Off unless REPLICA_DATABASE_URL is set (config.settings). A request is a *public read* when it
is a GET or HEAD whose path starts with one of settings.REPLICA_PUBLIC_PATHS (the public map,
issue pages, the read API, Open311): `public_reads` (wrapped around the WSGI application in
config/wsgi.py) marks it, and the router sends its queries to "replica" while the replica is
reachable and no more than REPLICA_MAX_LAG_S behind. A replica that lags or is down sends
the reads back to the primary: a visitor sees fresh data late, never an error. Pages a citizen
reaches right after writing (the tracking page) are not listed: they must read their writes.
"""

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
_public_read: contextvars.ContextVar[bool] = contextvars.ContextVar("public_read", default=False)
# (checked at, usable): the replica's health is checked at most every REPLICA_CHECK_S.
_health: dict[str, tuple[float, bool]] = {}


def is_public_read(method: str, path: str) -> bool:
    """Tell whether a request may be answered from the replica (see the module doc)."""
    return method in ("GET", "HEAD") and path.startswith(tuple(settings.REPLICA_PUBLIC_PATHS))


def public_reads(application: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Wrap a WSGI application: mark public reads for the router, for the request's length."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = _public_read.set(
            is_public_read(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        )
        try:
            # Django's response is fully rendered here: no query runs while it is iterated.
            return application(environ, start_response)
        finally:
            _public_read.reset(token)

    return wrapped


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Read from the primary inside the block, even during a public read: for data that
    feeds writes (reports.catalogue), where a lagging replica's copy would be cached."""
    token = _public_read.set(False)
    try:
        yield
    finally:
        _public_read.reset(token)


def replica_usable() -> bool:
    """Whether the replica answers and replays within REPLICA_MAX_LAG_S; cached a few seconds."""
    checked_at, usable = _health.get(REPLICA, (0.0, False))
    now = time.monotonic()
    if now - checked_at < settings.REPLICA_CHECK_S:
        return usable
    usable = _replica_lag_s() <= settings.REPLICA_MAX_LAG_S
    _health[REPLICA] = (now, usable)
    return usable


def _replica_lag_s() -> float:
    try:
        with connections[REPLICA].cursor() as cursor:
            # Caught up (all WAL received is replayed) = no lag, however old the last write.
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), "
                "'Infinity') END"
            )
            row = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("read replica unavailable, public reads go to the primary: %s", exc)
        connections[REPLICA].close()
        return float("inf")
    lag_s = float(row[0]) if row and row[0] is not None else float("inf")
    if lag_s > settings.REPLICA_MAX_LAG_S:
        logger.warning("read replica %.1f s behind, public reads go to the primary", lag_s)
    return lag_s


def forget_replica_health() -> None:
    """Check the replica again at the next public read (tests, after a failover)."""
    _health.clear()


class PublicReadsToReplica:
    """Django database router: see the module doc."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _public_read.get() and replica_usable():
            return REPLICA
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"  # the replica follows the primary's schema by itself
