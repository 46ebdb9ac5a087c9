"""A Redis cache that lets the site keep working while Redis is down.

Everything Segnala caches can be recomputed (geocoding answers, map viewports, counters of
rate limits), so a cache outage costs speed, not requests: reads miss, writes are dropped,
and the failure is logged once a minute instead of turning pages into errors.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
LOG_EVERY_S = 60.0
_last_logged = 0.0


def _degrade(default: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(self: "ResilientRedisCache", *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except DOWN as exc:
                _log(exc)
                return default(*args, **kwargs) if callable(default) else default

        guarded.__name__ = method.__name__
        return guarded

    return wrap


def _log(exc: BaseException) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged > LOG_EVERY_S:
        _last_logged = now
        logger.error("cache unavailable, serving without it: %s", exc)


class ReusedClients(RedisCacheClient):
    """Django's client, keeping one redis.Redis per connection pool instead of one per call.

    Building a redis.Redis fills its table of ~170 response callbacks: Django did it for every
    cache operation, ~0.2 ms each, six times per submission (bench/scale.py). A redis.Redis is
    safe to share between threads: each command takes its own connection from the pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own private helpers (not in django-stubs), as its get_client uses them.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


@dataclass(frozen=True)
class Flag:
    """A key set to 1 for a while: a mark (a change to publish) or a gate (who does it)."""

    key: str
    timeout_s: int
    only_if_absent: bool = False  # a gate: set by one caller until it expires


def set_flags(flags: Sequence[Flag]) -> list[bool]:
    """Set each flag (gates only where absent); return which were set. One round trip on
    Redis (ResilientRedisCache.set_flags), one call per flag on other caches."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, ResilientRedisCache):
        return cache.set_flags(flags)
    done = []
    for flag in flags:
        if flag.only_if_absent:
            done.append(cache.add(flag.key, 1, flag.timeout_s))
        else:
            cache.set(flag.key, 1, flag.timeout_s)
            done.append(True)
    return done


def count(key: str, timeout_s: int) -> int:
    """Count one call under `key`, which expires `timeout_s` after its first; return the calls
    so far. One atomic round trip on Redis (ResilientRedisCache.count), add + incr on others."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, ResilientRedisCache):
        return cache.count(key, timeout_s)
    cache.add(key, 0, timeout=timeout_s)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this call starts it again
        cache.set(key, 1, timeout=timeout_s)
        return 1


class ResilientRedisCache(RedisCache):
    def __init__(self, server: Any, params: Any) -> None:
        super().__init__(server, params)
        self._class = ReusedClients

    def _count(self, key: str, timeout: int) -> int:
        # SET NX creates the counter at 0 with its timeout only if it is missing, so the window
        # ends `timeout` seconds after its first call; INCR counts. One round trip (MULTI/EXEC):
        # Django's add + incr take three (incr asks whether the key exists first). Not INCR +
        # EXPIRE NX: EXPIRE's NX needs Redis 7, SET NX EX any Redis since 2.6.12.
        name = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline()
        pipe.set(name, 0, ex=timeout, nx=True)
        pipe.incr(name)
        _created, calls = pipe.execute()
        return int(calls)

    def _set_flags(self, flags: Sequence[Flag]) -> list[bool]:
        pipe = self._cache.get_client(write=True).pipeline(transaction=False)
        for flag in flags:
            key = self.make_and_validate_key(flag.key)
            # An int is stored as itself (Django's serializer), so get() reads these back as 1.
            pipe.set(key, 1, ex=flag.timeout_s, nx=flag.only_if_absent)
        return [bool(done) for done in pipe.execute()]

    # Redis down: nothing set, as every write is dropped (no gate is taken either).
    set_flags = _degrade(lambda flags: [False] * len(flags))(_set_flags)

    # Redis down: 0 calls counted, so rate limits let requests through (and the outage is
    # logged) rather than refusing every citizen.
    count = _degrade(0)(_count)

    get = _degrade(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _degrade({})(RedisCache.get_many)
    set = _degrade(None)(RedisCache.set)
    set_many = _degrade(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _degrade(False)(RedisCache.add)
    delete = _degrade(False)(RedisCache.delete)
    delete_many = _degrade(None)(RedisCache.delete_many)
    touch = _degrade(False)(RedisCache.touch)
    has_key = _degrade(False)(RedisCache.has_key)
    incr = _degrade(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    decr = _degrade(lambda key, delta=1, version=None: -delta)(RedisCache.decr)
    get_or_set = _degrade(
        lambda key, default, timeout=None, version=None: default() if callable(default) else default
    )(RedisCache.get_or_set)
