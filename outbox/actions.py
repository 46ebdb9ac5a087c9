"""The transactional outbox: background work is never lost when the broker is down.

`enqueue(task, *args)` writes the task in the caller's transaction. When that commits, the
message is published at once; if the broker cannot take it, the row stays unsent and the
relay (Celery beat, `outbox.tasks.relay_outbox`, and `python manage.py relay_outbox`) sends it
once the broker is back. A message may be delivered twice (published, then the row could not
be marked sent), so every task sent this way is idempotent.
"""

import datetime as dt
import logging
from typing import Any

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# What a broker that is down or unreachable raises when we publish.
BROKER_DOWN = (OperationalError, OSError, TimeoutError)
# The relay leaves younger rows to the commit that wrote them (`_publish_and_mark`, which takes
# no lock): created_at is the insert, not the commit, and a transaction may run for seconds
# after it (photos; up to a 2 s broker timeout per message before its own publish fails). A
# message the broker refused goes out at the first relay after this age.
RELAY_AFTER_S = 60.0


def enqueue(task: Task, *args: Any, countdown_s: int = 0) -> OutboxMessage:
    """Queue `task(*args)` with the current transaction (args must be JSON: ids, not rows)."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args), countdown_s=countdown_s)
    transaction.on_commit(lambda: _publish_and_mark(message), robust=True)
    return message


def send(message_id: int) -> bool:
    """Publish one unsent message; return whether it went. Safe to call from many processes."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        return _publish_and_mark(message)


def _publish_and_mark(message: OutboxMessage) -> bool:
    """Publish a message and mark its row sent (or count the failed attempt); return whether
    it went.

    Right after the commit that wrote it (enqueue) no lock is taken: the row is younger than
    RELAY_AFTER_S, which the relay leaves alone, and the mark is one UPDATE of an unsent row
    (bench/scale.py: a locking transaction here was 4 statements of every submission's 16).
    """
    unsent = OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True)
    try:
        if current_app.conf.task_always_eager:
            # In-process runs (the demo loader) execute here: send_task would not.
            current_app.tasks[message.task].apply(args=message.args)
        else:
            current_app.send_task(
                message.task,
                args=message.args,
                countdown=message.countdown_s or None,
                retry=False,
            )
    except BROKER_DOWN as exc:
        unsent.update(attempts=F("attempts") + 1, last_error=repr(exc)[:500])
        logger.warning("broker unavailable, %s kept in the outbox: %s", message, exc)
        return False
    unsent.update(sent_at=timezone.now())
    return True


def relay(older_than_s: float = RELAY_AFTER_S, limit: int = 1000) -> int:
    """Send what is still unsent (oldest first); return how many went."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_s)
    pending = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in pending:
        if not send(message_id):
            break  # the broker is still down: try again at the next relay
        sent += 1
    return sent
