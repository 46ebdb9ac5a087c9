"""Fixed-window call counters in the shared cache: every rate limit of Segnala counts with them."""

import time

from config.cache import count


def window_left_s(window_s: int) -> float:
    """Seconds until the current `window_s`-second window of count_call ends."""
    return window_s - time.time() % window_s


def count_call(key: str, window_s: int) -> int:
    """Count one call under `key` in the current `window_s`-second window; return the calls so far.

    Windows are aligned on the clock, and the counter lives in the shared cache (Redis in
    production), so every web process counts into the same key, atomically: of N calls made at
    the same moment exactly one is counted first, one second, and so on.
    """
    return count(f"ratelimit:{key}:{int(time.time() // window_s)}", window_s * 2)
