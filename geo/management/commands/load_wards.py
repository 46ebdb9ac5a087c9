"""python manage.py load_wards FILE --name-field NAME: the municipality's own wards."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.importer import load_wards
from geo.management.commands.load_boundary import where_option
from geo.models import Municipality
from geo.territory_files import TerritoryFileError, read_shapes


class Command(BaseCommand):
    help = (
        "Replace the municipality's wards with the polygons of a GIS file (GeoJSON, Shapefile, "
        "GeoPackage...), one ward per feature; wards whose code is known keep their row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="a GeoJSON, Shapefile (.shp beside its .prj), GeoPackage..."
        )
        parser.add_argument("--name-field", required=True, help="the field holding a ward's name")
        parser.add_argument(
            "--code-field", help="the field holding a ward's unique code (default: the name)"
        )
        parser.add_argument(
            "--municipality", help="the municipality's name, when more than one is loaded"
        )
        parser.add_argument("--layer", help="the layer to read, when the file has several")
        parser.add_argument("--where", help="only the features whose FIELD equals VALUE")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = self._municipality(options["municipality"])
        try:
            shapes = read_shapes(
                options["file"], layer=options["layer"], where=where_option(options["where"])
            )
            stats = load_wards(
                shapes,
                municipality,
                name_field=options["name_field"],
                code_field=options["code_field"],
            )
        except TerritoryFileError as exc:
            raise CommandError(str(exc)) from exc
        removed = f"; removed: {', '.join(stats.deleted)}" if stats.deleted else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Wards of {municipality}: {stats.created} new, {stats.updated} updated{removed}."
            )
        )

    def _municipality(self, name: str | None) -> Municipality:
        municipalities = Municipality.objects.all()
        if name:
            municipalities = municipalities.filter(name=name)
        found = list(municipalities.order_by("pk")[:2])
        if not found:
            raise CommandError(
                f"no municipality {name!r}" if name else "load the boundary first (load_boundary)"
            )
        if len(found) > 1:
            raise CommandError("more than one municipality is loaded: choose with --municipality")
        return found[0]
