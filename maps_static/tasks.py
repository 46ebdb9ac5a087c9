"""Keep the public layer fresh: a new version for cached answers, a debounced snapshot."""

import logging

from celery import shared_task
from django.core.cache import cache

from config.cache import Flag
from config.retry import TRANSIENT_ERRORS
from maps_static.layer import mark_layer_changed
from maps_static.snapshot import public_layer_geojson, write_snapshot
from outbox.actions import BROKER_DOWN

logger = logging.getLogger(__name__)

PENDING_KEY = "maps:snapshot-pending"
# A storm of changes within this many seconds yields one rebuild.
SNAPSHOT_DEBOUNCE_S = 30


def public_layer_changed() -> None:
    """Tell the maps that public issue state changed; call it with transaction.on_commit.

    Cached viewport answers are retired within VERSION_MIN_INTERVAL_S (at once after a quiet
    spell); the snapshot is rebuilt once per SNAPSHOT_DEBOUNCE_S however many changes come in
    (the pending key is set only once). One round trip to the cache in all, as a rule.
    """
    (rebuild_due,) = mark_layer_changed(Flag(PENDING_KEY, SNAPSHOT_DEBOUNCE_S * 10, True))
    if rebuild_due:
        try:
            rebuild_public_snapshot.apply_async(countdown=SNAPSHOT_DEBOUNCE_S, retry=False)
        except BROKER_DOWN:
            # The next change, or the daily rebuild, tries again: nothing is lost but freshness.
            cache.delete(PENDING_KEY)
            logger.warning("broker unavailable: the public snapshot rebuild waits")


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5)
def rebuild_public_snapshot() -> int:
    """Write the public layer's GeoJSON snapshot; return its size in bytes. Idempotent."""
    # Cleared before reading: a change made while we read queues the next rebuild.
    cache.delete(PENDING_KEY)
    content = public_layer_geojson()
    name = write_snapshot(content)
    logger.info("public map snapshot written: %s (%d bytes)", name, len(content))
    return len(content)
