"""Fixed-window call counters in the shared cache: every rate limit of Segnala counts with them."""

import contextlib
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches

from config.cache import count


def window_left_s(window_s: int) -> float:
    """Seconds until the current `window_s`-second window of count_call ends."""
    return window_s - time.time() % window_s


def _window_key(key: str, window_s: int, at: float) -> str:
    return f"ratelimit:{key}:{int(at // window_s)}"


def count_call(key: str, window_s: int, at: float | None = None) -> int:
    """Count one call under `key` in the current `window_s`-second window; return the calls so far.

    Windows are aligned on the clock, and the counter lives in the shared cache (Redis in
    production), so every web process counts into the same key, atomically: of N calls made at
    the same moment exactly one is counted first, one second, and so on. `at` (a time.time())
    names the moment, for a caller that may take the call back with uncount_call.
    """
    at = time.time() if at is None else at
    return count(_window_key(key, window_s, at), window_s * 2)


def uncount_call(key: str, window_s: int, at: float) -> None:
    """Take back one call that count_call(key, window_s, at) counted, in the window it went to.

    The counter outlives its window (count_call gives it two), so a call taken back while its
    request is answered always finds it; one already gone is left alone, never made negative.
    """
    # ValueError: gone (expired, or the cache was down when it was counted).
    with contextlib.suppress(ValueError):
        caches[DEFAULT_CACHE_ALIAS].decr(_window_key(key, window_s, at))
