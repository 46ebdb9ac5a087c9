"""Fixed-window call counters in the shared cache, for rate limits outside DRF's throttles."""

import time

from django.core.cache import cache


def count_call(key: str, window_s: int) -> int:
    """Count one call under `key` in the current `window_s`-second window; return the calls so far.

    Windows are aligned on the clock, and the counter lives in the shared cache (Redis in
    production), so every web process counts into the same key; cache.incr is atomic there.
    """
    counter = f"ratelimit:{key}:{int(time.time() // window_s)}"
    cache.add(counter, 0, timeout=window_s * 2)
    try:
        return int(cache.incr(counter))
    except ValueError:  # expired between add and incr: this call opens a new window
        cache.set(counter, 1, timeout=window_s * 2)
        return 1
