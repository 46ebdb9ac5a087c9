"""python manage.py import_roads FILE.osm.pbf: replace the road network with an OSM extract's.

Only the streets within the municipality's boundary (plus a margin) are kept: Italy's
smallest extracts are whole regions, and every worker holds the network in memory.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.importer import CLIP_MARGIN_M, clip_area, import_roads
from geo.osm import ExtractError


class Command(BaseCommand):
    help = (
        "Replace all road segments with the streets of an OpenStreetMap .osm.pbf extract that "
        "lie within the municipality's boundary (plus --margin-m), or all of them with --all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of an .osm.pbf file")
        parser.add_argument(
            "--all", action="store_true", help="keep every street of the extract, unclipped"
        )
        parser.add_argument(
            "--margin-m",
            type=float,
            default=CLIP_MARGIN_M,
            help=f"metres kept around the boundary (default {CLIP_MARGIN_M:g})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not path.endswith(".pbf"):
            raise CommandError(f"{path}: expected an OpenStreetMap .osm.pbf file")
        if options["margin_m"] < 0:
            raise CommandError("--margin-m must not be negative")
        within = None if options["all"] else clip_area(options["margin_m"])
        if within is None and not options["all"]:
            self.stdout.write(
                self.style.WARNING(
                    "No municipality boundary is loaded: keeping every street of the extract "
                    "(load_boundary first to keep only the municipality's)."
                )
            )
        try:
            stats = import_roads(path, within=within)
        except ExtractError as exc:
            raise CommandError(str(exc)) from exc
        clipped = (
            f" {stats.left_out} segments outside the municipality left out."
            if within is not None
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {stats.segments} road segments ({stats.drivable} drivable, "
                f"{stats.oneway} one-way, {stats.length_km} km).{clipped}"
            )
        )
