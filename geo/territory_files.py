"""Read a municipality's boundary or wards from a GIS file: GeoJSON, Shapefile, GeoPackage...

Through GDAL, which reads every vector format it knows. Polygons come out as GEOS
MultiPolygons in WGS84 (geo/units.py), reprojected from the file's own coordinate reference
system and repaired with make_valid when invalid. Nothing here writes to the database.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import DataSource, GDALException, OGRGeometry
from django.contrib.gis.gdal.feature import Feature
from django.contrib.gis.geos import GeometryCollection, GEOSGeometry, MultiPolygon, Polygon

from geo.units import WGS84


class TerritoryFileError(ValueError):
    """The file gives no usable polygons (missing, unreadable, no CRS...); str() says why."""


@dataclass(frozen=True)
class Shape:
    number: int  # the feature's position in its layer, from 1, for messages
    fields: dict[str, Any]
    geometry: MultiPolygon  # WGS84


def read_shapes(
    path: str | Path, *, layer: str | None = None, where: tuple[str, str] | None = None
) -> list[Shape]:
    """Read the polygons of a layer of a GIS file, optionally only where FIELD equals VALUE.

    Raises TerritoryFileError when the file, the layer, a field or a geometry is unusable.
    """
    path = Path(path)
    if not path.exists():
        raise TerritoryFileError(f"{path}: no such file")
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise TerritoryFileError(f"{path}: not a GIS file GDAL can read ({exc})") from exc
    names = [source[i].name for i in range(len(source))]
    if layer is None and len(names) > 1:
        raise TerritoryFileError(
            f"{path}: the file has {len(names)} layers ({', '.join(names)}): "
            "choose one with --layer"
        )
    if layer is not None and layer not in names:
        raise TerritoryFileError(f"{path}: no layer {layer!r}; layers: {', '.join(names)}")
    chosen = source[layer if layer is not None else 0]
    if chosen.srs is None:
        raise TerritoryFileError(
            f"{path}: no coordinate reference system (a Shapefile needs its .prj file)"
        )
    if where is not None and where[0] not in chosen.fields:
        raise TerritoryFileError(
            f"{path}: no field {where[0]!r}; fields: {', '.join(chosen.fields)}"
        )
    shapes = []
    for number, feature in enumerate(chosen, start=1):
        if where is not None and str(feature.get(where[0])).strip() != where[1]:
            continue
        fields = {name: feature.get(name) for name in chosen.fields}
        shapes.append(Shape(number, fields, _polygons(feature, f"{path}: feature {number}")))
    if not shapes:
        wanted = f" with {where[0]} = {where[1]!r}" if where else ""
        raise TerritoryFileError(f"{path}: no feature{wanted}")
    return shapes


def _polygons(feature: Feature, label: str) -> MultiPolygon:
    try:
        geom: OGRGeometry = feature.geom
    except GDALException as exc:
        raise TerritoryFileError(f"{label}: no geometry") from exc
    if geom.is_3d:
        geom.set_3d(False)  # heights are not stored; the boundary column is 2D
    try:
        geom.transform(WGS84)
    except GDALException as exc:
        raise TerritoryFileError(f"{label}: cannot be reprojected to WGS84 ({exc})") from exc
    geos = geom.geos
    if geos.empty:
        raise TerritoryFileError(f"{label}: empty geometry")
    min_lon, min_lat, max_lon, max_lat = geos.extent
    # A GeoJSON in metres without a "crs" is read as WGS84: its numbers give it away.
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise TerritoryFileError(
            f"{label}: the coordinates are not longitude and latitude; give the file its "
            "coordinate reference system (GeoJSON is WGS84)"
        )
    if not geos.valid:
        geos = geos.make_valid()
    parts = _polygon_parts(geos)
    if not parts:
        raise TerritoryFileError(f"{label}: a {geom.geom_name.title()}, not a polygon")
    return MultiPolygon(parts, srid=WGS84)


def _polygon_parts(geom: GEOSGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.empty else [geom]
    if isinstance(geom, MultiPolygon | GeometryCollection):
        return [part for child in geom for part in _polygon_parts(child)]
    return []
