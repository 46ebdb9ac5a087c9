from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    countdown_s = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # The relay's scan: what is still to send, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_unsent",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
