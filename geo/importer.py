"""Load the territory into the database: streets from an OpenStreetMap extract, the outline
and wards from the same extract (the demo) or from the municipality's own GIS files.

Each loader replaces what it loaded before, in one transaction, so running it again updates
the data instead of duplicating it.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Polygon
from django.db import connection, transaction
from django.utils.text import slugify
from shapely.geometry.base import BaseGeometry

from backoffice.models import AssignmentRule
from geo.models import Area, Municipality, RoadSegment
from geo.osm import Extract, ExtractError, Segment, read_extract
from geo.querysets import forget_territory_extent
from geo.territory_files import Shape, TerritoryFileError
from geo.units import WGS84
from geo.wards import LocalProjection, build_wards, territory_boundary

logger = logging.getLogger(__name__)

CLOSED_COST = -1.0  # pgRouting skips edges with a negative cost
SUBDIVIDE_MAX_VERTICES = 64
BULK_BATCH = 1000
# Roads kept around the boundary by import_roads: a depot or a detour just outside the
# municipality stays on the network.
CLIP_MARGIN_M = 1000.0


@dataclass(frozen=True)
class ImportStats:
    segments: int
    drivable: int
    oneway: int
    length_km: float
    left_out: int = 0  # segments of the extract outside the clipping area


def import_roads(
    path: str | Path, extract: Extract | None = None, *, within: BaseGeometry | None = None
) -> ImportStats:
    """Replace every RoadSegment with the streets of a .osm.pbf extract.

    With `within` (a WGS84 shapely polygon, see clip_area), only the streets that touch it are
    kept. Raises geo.osm.ExtractError (before touching the table) when the file cannot be
    read or keeps no street. Pass `extract` when the file was already read.
    """
    extract = extract or read_extract(path)
    segments = extract.segments
    if within is not None:
        shapely.prepare(within)
        lines = shapely.linestrings(
            [coord for segment in segments for coord in segment.coords],
            indices=[i for i, segment in enumerate(segments) for _ in segment.coords],
        )
        keep = shapely.intersects(within, lines)
        segments = [segment for segment, kept in zip(segments, keep, strict=True) if kept]
        if not segments:
            raise ExtractError(f"{path}: no street of the extract is inside the municipality")
    rows = [road_segment(segment) for segment in segments]
    with transaction.atomic():
        RoadSegment.objects.all().delete()
        RoadSegment.objects.bulk_create(rows, batch_size=BULK_BATCH)
    stats = ImportStats(
        segments=len(rows),
        drivable=sum(row.drivable for row in rows),
        oneway=sum(row.oneway for row in rows),
        length_km=round(sum(row.length_m for row in rows) / 1000, 1),
        left_out=len(extract.segments) - len(rows),
    )
    logger.info("imported %s road segments from %s", stats.segments, path)
    return stats


def clip_area(margin_m: float = CLIP_MARGIN_M) -> BaseGeometry | None:
    """Return the loaded municipalities' boundary grown by `margin_m` metres, None without one.

    A shapely geometry in WGS84 (lon, lat), for import_roads(within=...).
    """
    boundaries = [
        shapely.from_wkb(bytes(row.boundary.wkb)) for row in Municipality.objects.only("boundary")
    ]
    if not boundaries:
        return None
    union = shapely.union_all(boundaries)
    centre = union.centroid
    local = LocalProjection(centre.y, centre.x)
    return local.to_degrees(local.to_metres(union).buffer(margin_m))


def road_segment(segment: Segment) -> RoadSegment:
    """Build (unsaved) the routing edge of a segment; costs in seconds at the speed limit."""
    if segment.drivable:
        cost_s = segment.length_m / (segment.maxspeed_kmh / 3.6)
        reverse_cost_s = CLOSED_COST if segment.oneway else cost_s
    else:
        cost_s = reverse_cost_s = CLOSED_COST
    return RoadSegment(
        osm_way_id=segment.osm_way_id,
        name=segment.name,
        highway=segment.highway,
        oneway=segment.oneway,
        drivable=segment.drivable,
        maxspeed_kmh=segment.maxspeed_kmh,
        source=segment.source,
        target=segment.target,
        length_m=segment.length_m,
        cost_s=cost_s,
        reverse_cost_s=reverse_cost_s,
        geometry=LineString(segment.coords, srid=WGS84),
    )


def load_territory(path: str | Path, *, name: str, extract: Extract | None = None) -> Municipality:
    """Create or update the municipality `name` from an extract: its outline and its wards.

    The outline is the drivable network's hull grown by 30 m; wards are the extract's whole
    admin_level=10 boundaries, else Voronoi cells around its district names. Wards keep
    their rows (and the reports that point at them) when their code is already known.
    """
    extract = extract or read_extract(path)
    boundary = territory_boundary(extract)
    wards = build_wards(path, extract, boundary)
    with transaction.atomic():
        municipality = Municipality.objects.filter(name=name).order_by("pk").first()
        if municipality is None:
            municipality = Municipality(name=name)
        municipality.boundary = to_geos_multipolygon(boundary)
        municipality.save()
        codes = []
        for ward in wards:
            code = slugify(ward.name)[:50]
            Area.objects.update_or_create(
                municipality=municipality,
                code=code,
                defaults={
                    "name": ward.name,
                    "geometry": to_geos_multipolygon(ward.geometry),
                },
            )
            codes.append(code)
        municipality.areas.exclude(code__in=codes).delete()
        subdivide_boundary(municipality)
    return municipality


def load_boundary(shapes: Sequence[Shape], *, name: str, istat_code: str = "") -> Municipality:
    """Set the boundary of the municipality `name` (created if new) to the shapes' union.

    Rebuilds its BoundaryPiece rows in the same transaction. Raises TerritoryFileError when
    another municipality is loaded: two outlines would both count as the territory.
    """
    others = Municipality.objects.exclude(name=name).values_list("name", flat=True)
    if others:
        raise TerritoryFileError(
            f"another municipality is loaded ({', '.join(others)}): give its name with --name "
            "to replace its boundary, or delete it in the admin first"
        )
    boundary = MultiPolygon([p for shape in shapes for p in shape.geometry], srid=WGS84)
    with transaction.atomic():
        municipality = Municipality.objects.filter(name=name).order_by("pk").first()
        if municipality is None:
            municipality = Municipality(name=name)
        municipality.boundary = as_multipolygon(boundary.unary_union)
        if istat_code:
            municipality.istat_code = istat_code
        municipality.save()
        subdivide_boundary(municipality)
    logger.info("loaded the boundary of %s from %s polygons", name, len(boundary))
    return municipality


@dataclass(frozen=True)
class WardStats:
    created: int
    updated: int
    deleted: list[str]  # names of the wards that were not in the file


def load_wards(
    shapes: Sequence[Shape],
    municipality: Municipality,
    *,
    name_field: str,
    code_field: str | None = None,
) -> WardStats:
    """Replace the municipality's wards (Area) with the shapes, one ward per shape.

    A ward keeps its row (and the reports, rules and departments that point at it) when its
    code is already known; the code is `code_field`'s value, else the name, as a slug. Raises
    TerritoryFileError, before any change, on a missing field, an empty or repeated code, a
    ward outside the boundary, or a ward left out that a department, category or rule uses.
    """
    fields = shapes[0].fields if shapes else {}
    for field in filter(None, [name_field, code_field]):
        if field not in fields:
            raise TerritoryFileError(f"no field {field!r}; fields: {', '.join(fields)}")
    wards: dict[str, tuple[str, MultiPolygon]] = {}
    for shape in shapes:
        name = str(shape.fields[name_field] or "").strip()[:200]
        code = slugify(str(shape.fields[code_field] or "") if code_field else name)[:50]
        if not name or not code:
            raise TerritoryFileError(f"feature {shape.number}: no name or code")
        if code in wards:
            raise TerritoryFileError(
                f"feature {shape.number}: code {code!r} also belongs to {wards[code][0]!r} "
                "(give a field of unique codes with --code-field)"
            )
        if not shape.geometry.intersects(municipality.boundary):
            raise TerritoryFileError(
                f"ward {name!r} lies outside the boundary of {municipality}: is it the right "
                "file, in the right coordinate reference system?"
            )
        wards[code] = (name, shape.geometry)
    gone = municipality.areas.exclude(code__in=wards)
    for area in gone:
        users = [str(d) for d in area.departments.all()] + [str(c) for c in area.categories.all()]
        if users or AssignmentRule.objects.filter(area=area).exists():
            raise TerritoryFileError(
                f"ward {area.name!r} ({area.code}) is not in the file but is still used "
                f"({', '.join(users) or 'an assignment rule'}): change that first, or keep "
                "the ward in the file with the same code"
            )
    with transaction.atomic():
        created = 0
        for code, (name, geometry) in wards.items():
            _, new = Area.objects.update_or_create(
                municipality=municipality,
                code=code,
                defaults={"name": name, "geometry": geometry},
            )
            created += new
        deleted = [area.name for area in gone]
        gone.delete()
    return WardStats(created=created, updated=len(wards) - created, deleted=deleted)


def subdivide_boundary(municipality: Municipality) -> int:
    """Rebuild the municipality's BoundaryPiece rows; return how many pieces there are."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM geo_boundarypiece WHERE municipality_id = %s", [municipality.pk]
        )
        # ST_Subdivide is set-returning: the ORM cannot insert its rows, SQL does it in place.
        cursor.execute(
            "INSERT INTO geo_boundarypiece (municipality_id, geometry)"
            " SELECT id, ST_Subdivide(boundary, %s) FROM geo_municipality WHERE id = %s",
            [SUBDIVIDE_MAX_VERTICES, municipality.pk],
        )
        forget_territory_extent()  # maps open on the new outline
        return cursor.rowcount


def to_geos_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Convert a shapely (Multi)Polygon in WGS84 to a GEOS MultiPolygon with SRID 4326."""
    return as_multipolygon(GEOSGeometry(memoryview(geom.wkb), srid=WGS84))


def as_multipolygon(geos: GEOSGeometry) -> MultiPolygon:
    """Return a GEOS Polygon or MultiPolygon as a MultiPolygon (SRID 4326)."""
    if isinstance(geos, MultiPolygon):
        geos.srid = WGS84
        return geos
    if isinstance(geos, Polygon):
        return MultiPolygon(geos, srid=WGS84)
    raise ValueError(f"expected a polygon, got a {geos.geom_type}")
