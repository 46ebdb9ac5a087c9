"""The public layer's version: a number that changes whenever a public issue changes.

Viewport answers are cached and their ETag is derived from it, so a change is seen at once
without reading the database on every request. It lives in the cache (Redis): when the cache is
emptied the version starts again from the clock, never from an old value.
"""

import time

from django.core.cache import cache

VERSION_KEY = "maps:public-layer-version"
# Long enough to outlive any cached answer that was keyed with it.
VERSION_TTL_S = 7 * 24 * 3600


def layer_version() -> int:
    """Return the current version of the public layer (one cache read)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # The clock in microseconds: larger than any version handed out before a flush.
        version = time.time_ns() // 1000
        if not cache.add(VERSION_KEY, version, VERSION_TTL_S):
            version = cache.get(VERSION_KEY, version)
    return int(version)


def bump_layer_version() -> int:
    """Move the public layer to a new version; cached answers of the old one are not used."""
    try:
        return int(cache.incr(VERSION_KEY))
    except ValueError:  # the key expired or the cache was emptied
        return layer_version()
