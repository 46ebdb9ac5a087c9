"""python manage.py recluster [--category CODE] [--dry-run]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clustering.recluster import recluster
from reports.models import Category


class Command(BaseCommand):
    help = (
        "Re-evaluate open issues with the current matching rules (after a radius change or an "
        "import) and merge those that are the same problem. Operators' merges and splits are "
        "kept. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--category", help="only issues of this category code")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change, change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        category = None
        if options["category"]:
            category = Category.objects.filter(code=options["category"]).first()
            if category is None:
                raise CommandError(f"No category with code {options['category']!r}.")
        merges = recluster(category=category, dry_run=options["dry_run"])
        verb = "would merge" if options["dry_run"] else "merged"
        for merge in merges:
            self.stdout.write(
                f"{verb} issue #{merge.source_id} into #{merge.target_id} "
                f"({merge.distance_m:.0f} m apart, score {merge.score:.2f})"
            )
        summary = f"{len(merges)} merge(s)" + (" planned (dry run)" if options["dry_run"] else "")
        self.stdout.write(self.style.SUCCESS(summary))
