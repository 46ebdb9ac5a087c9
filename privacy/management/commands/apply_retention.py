from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from privacy.retention import apply_retention, cutoffs


class Command(BaseCommand):
    help = (
        "Anonymise personal data past its retention period (PRIVACY_RETENTION_CLOSED_MONTHS "
        "after an issue closed, PRIVACY_RETENTION_INACTIVE_MONTHS without login for accounts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        limits = cutoffs()
        changed = apply_retention(dry_run=dry_run)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"Issues closed before {limits.closed_before:%Y-%m-%d} "
            f"({settings.PRIVACY_RETENTION_CLOSED_MONTHS} months), accounts idle since "
            f"{limits.inactive_since:%Y-%m-%d} ({settings.PRIVACY_RETENTION_INACTIVE_MONTHS} "
            f"months): {verb} {changed.total} rows"
        )
        for name, count in changed.__dict__.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {count}")
