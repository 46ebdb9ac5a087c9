"""python manage.py import_roads FILE.osm.pbf: replace the road network with an OSM extract's."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.importer import import_roads
from geo.osm import ExtractError


class Command(BaseCommand):
    help = "Replace all road segments with the streets of an OpenStreetMap .osm.pbf extract."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of an .osm.pbf file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not path.endswith(".pbf"):
            raise CommandError(f"{path}: expected an OpenStreetMap .osm.pbf file")
        try:
            stats = import_roads(path)
        except ExtractError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {stats.segments} road segments ({stats.drivable} drivable, "
                f"{stats.oneway} one-way, {stats.length_km} km)."
            )
        )
