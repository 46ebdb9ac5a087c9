"""The public layer's version: a number that changes when public issues have changed.

Viewport answers are cached and their ETag is derived from it, so a change is seen without
reading the database on every request. It lives in the cache (Redis): when the cache is emptied
the version starts again from the clock, never from an old value.

A change does not move the version at once: it marks the layer dirty, and the version advances
at most once every VERSION_MIN_INTERVAL_S. The first change after a quiet spell is seen at once;
during a storm (a submission every 100 ms) a change is seen within VERSION_MIN_INTERVAL_S, and
the cached answers are retired at most that often instead of after every submission.
"""

import time

from django.core.cache import cache

from config.cache import Flag, set_flags

VERSION_KEY = "maps:public-layer-version"
# Set by a change, cleared by the advance that publishes it.
DIRTY_KEY = "maps:public-layer-dirty"
# Held for VERSION_MIN_INTERVAL_S by each advance: whoever adds it advances the version.
GATE_KEY = "maps:public-layer-gate"
# The most a public change waits before the map shows it (a browser may keep an answer another
# VIEWPORT_MAX_AGE_S, which its ETag revalidates).
VERSION_MIN_INTERVAL_S = 5
# Long enough to outlive any cached answer that was keyed with it.
VERSION_TTL_S = 7 * 24 * 3600


def layer_version() -> int:
    """Return the current version of the public layer (one cache read, two when it is due).

    A pending change whose interval has passed advances the version here, so a change is
    published by the first request after the interval even when no other change follows.
    """
    values = cache.get_many([VERSION_KEY, DIRTY_KEY])
    if DIRTY_KEY in values:
        advanced = advance_if_due()
        if advanced is not None:
            return advanced
    version = values.get(VERSION_KEY)
    if version is None:
        # The clock in microseconds: larger than any version handed out before a flush.
        version = time.time_ns() // 1000
        if not cache.add(VERSION_KEY, version, VERSION_TTL_S):
            version = cache.get(VERSION_KEY, version)
    return int(version)


def mark_layer_changed(*also: Flag) -> list[bool]:
    """Record that public issue state changed; call it after the change is committed.

    The version advances now if it has not advanced in the last VERSION_MIN_INTERVAL_S,
    otherwise at the first request once that interval has passed. The caller's own flags
    (`also`) are set in the same round trip to the cache; returns whether each was set.
    """
    _dirty, due, *others = set_flags(
        [Flag(DIRTY_KEY, VERSION_TTL_S), Flag(GATE_KEY, VERSION_MIN_INTERVAL_S, True), *also]
    )
    if due:
        _advance()
    return others


def advance_if_due() -> int | None:
    """Advance the version if the interval since the last advance has passed; return it."""
    if not cache.add(GATE_KEY, 1, VERSION_MIN_INTERVAL_S):
        return None
    return _advance()


def _advance() -> int:
    """Publish the changes marked so far: the gate is ours."""
    # Cleared before the advance: a change committed after this line marks the layer again,
    # one committed before it is in the data every answer of the new version reads.
    cache.delete(DIRTY_KEY)
    return bump_layer_version()


def bump_layer_version() -> int:
    """Move the public layer to a new version now; cached answers of the old one are not used."""
    try:
        return int(cache.incr(VERSION_KEY))
    except ValueError:  # the key expired or the cache was emptied
        # A version from the clock is newer than any handed out before.
        return layer_version()
