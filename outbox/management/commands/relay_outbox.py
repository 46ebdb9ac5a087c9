"""python manage.py relay_outbox: send what the broker could not take (also run by beat)."""

from typing import Any

from django.core.management.base import BaseCommand

from outbox.actions import relay


class Command(BaseCommand):
    help = "Send the queued background tasks that the broker could not take when written."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = relay(older_than_s=0)
        self.stdout.write(f"{sent} messages sent.")
