"""The shared fixed-window counter and the query-string list parser."""

import uuid

import pytest
from django.test import override_settings

from config import ratelimit
from config.params import comma_list

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/12",
    }
}


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_calls_are_counted_per_key_and_window(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    key = f"test:{uuid.uuid4().hex}"
    with override_settings(**({"CACHES": REDIS} if backend == "redis" else {})):
        assert [ratelimit.count_call(key, 60) for _ in range(3)] == [1, 2, 3]
        assert ratelimit.count_call(f"{key}:other", 60) == 1
        clock[0] += 60  # the next window starts from one
        assert ratelimit.count_call(key, 60) == 1


def test_comma_list_drops_blanks_and_empty_items() -> None:
    assert comma_list(" a, b,,c , ") == ["a", "b", "c"]
    assert comma_list(None) == []
    assert comma_list("") == []
