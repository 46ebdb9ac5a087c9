from celery import shared_task

from outbox.actions import relay


@shared_task
def relay_outbox() -> int:
    """Send the messages the broker could not take when they were written."""
    return relay()
