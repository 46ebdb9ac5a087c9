"""python manage.py publish_open_data: publish the open data now, not at the nightly run.

A new city's /opendata/ files (linked from /stats/) exist only once published; beat does it
at 03:30 (insights.tasks.publish_open_data), this command does the same at once.
"""

from typing import Any

from django.core.management.base import BaseCommand

from insights.actions import publish_open_data


class Command(BaseCommand):
    help = "Publish the open-data CSV and GeoJSON now, as the nightly job does."

    def handle(self, *args: Any, **options: Any) -> None:
        release = publish_open_data()
        self.stdout.write(
            self.style.SUCCESS(f"Open data published ({release.issue_count} issues).")
        )
