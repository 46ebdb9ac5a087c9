"""The shared cache's counter and flags, the citizen throttles on the counter, and the
query-string list parser."""

import threading
import uuid
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config import ratelimit
from config.cache import Flag, set_flags
from config.params import comma_list
from reports.throttles import SubmissionThrottle

BACKENDS = {
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    # Production's: one pipelined round trip instead of add + incr.
    "resilient": "config.cache.ResilientRedisCache",
}


def cache_on(backend: str) -> dict[str, Any]:
    return {"default": {"BACKEND": BACKENDS[backend], "LOCATION": "redis://127.0.0.1:6379/12"}}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_calls_are_counted_per_key_and_window(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_005.0]  # 15 s before a minute's window ends
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    key = f"test:{uuid.uuid4().hex}"
    with override_settings(CACHES=cache_on(backend)):
        assert [ratelimit.count_call(key, 60) for _ in range(3)] == [1, 2, 3]
        assert ratelimit.count_call(f"{key}:other", 60) == 1
        assert ratelimit.window_left_s(60) == 15.0
        clock[0] += 15  # the next window starts from one
        assert ratelimit.count_call(key, 60) == 1


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_flags_are_set_and_gates_taken_once(backend: str) -> None:
    mark, gate = (f"test:{uuid.uuid4().hex}" for _ in range(2))
    flags = [Flag(mark, 60), Flag(gate, 60, only_if_absent=True)]
    with override_settings(CACHES=cache_on(backend)):
        from django.core.cache import cache

        assert set_flags(flags) == [True, True]
        assert set_flags(flags) == [True, False]  # someone holds the gate
        assert cache.get_many([mark, gate]) == {mark: 1, gate: 1}
        cache.delete(gate)
        assert set_flags(flags) == [True, True]


def test_a_counter_expires_after_its_window() -> None:
    with override_settings(CACHES=cache_on("resilient")):
        from django.core.cache import cache

        cache.count("expiring", 30)
        ttl = cache._cache.get_client(write=False).ttl(cache.make_key("expiring"))
        assert 0 < ttl <= 30


def test_a_burst_from_one_address_gets_exactly_the_allowance(settings: Any) -> None:
    """Twelve requests at the same instant, limit 5: five pass, whatever the interleaving.

    DRF's own throttle read the list of recent requests and wrote it back, so requests that
    arrived together all read the same list and all passed.
    """
    settings.SUBMISSIONS_RATE = "5/hour"
    settings.CACHES = cache_on("resilient")
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    start = threading.Barrier(12)
    allowed: list[bool] = []

    def one_request() -> None:
        request = Request(APIRequestFactory().post("/api/v1/reports/", REMOTE_ADDR=address))
        throttle = SubmissionThrottle()
        start.wait()
        allowed.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=one_request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(allowed) == [False] * 7 + [True] * 5


def test_comma_list_drops_blanks_and_empty_items() -> None:
    assert comma_list(" a, b,,c , ") == ["a", "b", "c"]
    assert comma_list(None) == []
    assert comma_list("") == []


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_call_taken_back_frees_its_place_in_its_own_window(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_019.0]  # 1 s before a minute's window ends
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    key = f"test:{uuid.uuid4().hex}"
    with override_settings(CACHES=cache_on(backend)):
        ratelimit.count_call(key, 60)
        counted_at = clock[0]
        ratelimit.count_call(key, 60, counted_at)
        clock[0] += 2  # answered in the next window: the call goes back to the one it was in
        ratelimit.uncount_call(key, 60, counted_at)
        assert ratelimit.count_call(key, 60) == 1
        assert ratelimit.count_call(key, 60, counted_at) == 2
        ratelimit.uncount_call(f"{key}:never-counted", 60, counted_at)  # nothing to take back
        assert ratelimit.count_call(f"{key}:never-counted", 60, counted_at) == 1
