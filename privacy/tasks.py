"""Retention, daily from Celery beat (config.settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from privacy.retention import apply_retention as run_retention

logger = logging.getLogger(__name__)


@shared_task
def apply_retention() -> int:
    """Anonymise the personal data that is due; idempotent, so a repeated run is harmless."""
    changed = run_retention()
    logger.info("retention: %s", changed)
    return changed.total
