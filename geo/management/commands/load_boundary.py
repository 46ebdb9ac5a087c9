"""python manage.py load_boundary FILE --name "Comune di X": the municipality's own outline."""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geo.importer import load_boundary
from geo.territory_files import TerritoryFileError, read_shapes

ISTAT_CODE = re.compile(r"^\d{6}$")


def where_option(value: str | None) -> tuple[str, str] | None:
    """Parse --where FIELD=VALUE."""
    if value is None:
        return None
    field, equals, wanted = value.partition("=")
    if not equals or not field.strip():
        raise CommandError(f"--where {value}: expected FIELD=VALUE")
    return field.strip(), wanted.strip()


class Command(BaseCommand):
    help = (
        "Set the municipality's boundary from a GIS file (GeoJSON, Shapefile, GeoPackage...): "
        "the union of its polygons, reprojected to WGS84; invalid polygons are repaired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="a GeoJSON, Shapefile (.shp beside its .prj), GeoPackage..."
        )
        parser.add_argument("--name", required=True, help='the municipality, "Comune di X"')
        parser.add_argument("--istat-code", default="", help="its 6-digit ISTAT code")
        parser.add_argument("--layer", help="the layer to read, when the file has several")
        parser.add_argument(
            "--where",
            help="only the features whose FIELD equals VALUE (FIELD=VALUE), "
            "e.g. PRO_COM_T=036046 in ISTAT's file of every comune",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        istat_code = options["istat_code"].strip()
        if not name:
            raise CommandError("--name must not be empty")
        if istat_code and not ISTAT_CODE.match(istat_code):
            raise CommandError(f"--istat-code {istat_code}: expected 6 digits")
        try:
            shapes = read_shapes(
                options["file"], layer=options["layer"], where=where_option(options["where"])
            )
            municipality = load_boundary(shapes, name=name, istat_code=istat_code)
        except TerritoryFileError as exc:
            raise CommandError(str(exc)) from exc
        pieces = municipality.pieces.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Boundary of {municipality} loaded from {len(shapes)} features "
                f"({municipality.boundary.num_geom} polygons, {pieces} pieces)."
            )
        )
