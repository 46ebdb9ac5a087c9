"""Celery beat publishes the open data once a day; moderation has it published again soon."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from config.retry import TRANSIENT_ERRORS
from insights.actions import publish_open_data as publish
from insights.models import OpenDataRelease
from outbox.actions import enqueue

# How long after a change taken out of public view the files are published again: a
# moderator's burst of hides makes one publication, not one each.
REPUBLISH_AFTER_S = 30
# Slack for the clocks of the web and worker hosts, which set and run the countdown.
CLOCK_SKEW_S = 5


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5, ignore_result=True)
def publish_open_data() -> int:
    """Regenerate the public CSV and GeoJSON; return the new release's id."""
    return publish().pk


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=5, ignore_result=True)
def republish_open_data() -> int | None:
    """Publish again after a change, unless a publication began since (return its id, or None).

    Queued with a countdown of REPUBLISH_AFTER_S by `republish_soon`, so the change committed
    at least that long ago: a release begun since then already read it.
    """
    since = timezone.now() - dt.timedelta(seconds=REPUBLISH_AFTER_S - CLOCK_SKEW_S)
    if OpenDataRelease.objects.filter(created_at__gte=since).exists():
        return None
    return publish().pk


def republish_soon() -> None:
    """Have the open data published again shortly after the current transaction commits."""
    enqueue(republish_open_data, countdown_s=REPUBLISH_AFTER_S)
