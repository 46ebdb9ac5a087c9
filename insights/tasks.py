"""Celery beat publishes the open data once a day."""

from celery import shared_task

from config.retry import TRANSIENT_ERRORS
from insights.actions import publish_open_data as publish


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5, ignore_result=True)
def publish_open_data() -> int:
    """Regenerate the public CSV and GeoJSON; return the new release's id."""
    return publish().pk
