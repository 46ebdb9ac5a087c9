"""Load the territory from an OpenStreetMap extract into the database: streets, outline, wards.

Each loader replaces what it loaded before, in one transaction, so running it again updates
the data instead of duplicating it.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Polygon
from django.db import connection, transaction
from django.utils.text import slugify
from shapely.geometry.base import BaseGeometry

from geo.models import Area, Municipality, RoadSegment
from geo.osm import Extract, Segment, read_extract
from geo.querysets import forget_territory_extent
from geo.units import WGS84
from geo.wards import build_wards, territory_boundary

logger = logging.getLogger(__name__)

CLOSED_COST = -1.0  # pgRouting skips edges with a negative cost
SUBDIVIDE_MAX_VERTICES = 64
BULK_BATCH = 1000


@dataclass(frozen=True)
class ImportStats:
    segments: int
    drivable: int
    oneway: int
    length_km: float


def import_roads(path: str | Path, extract: Extract | None = None) -> ImportStats:
    """Replace every RoadSegment with the streets of a .osm.pbf extract.

    Raises geo.osm.ExtractError (before touching the table) when the file cannot be read.
    Pass `extract` when the file was already read, to skip parsing it again.
    """
    extract = extract or read_extract(path)
    rows = [road_segment(segment) for segment in extract.segments]
    with transaction.atomic():
        RoadSegment.objects.all().delete()
        RoadSegment.objects.bulk_create(rows, batch_size=BULK_BATCH)
    stats = ImportStats(
        segments=len(rows),
        drivable=sum(row.drivable for row in rows),
        oneway=sum(row.oneway for row in rows),
        length_km=round(sum(row.length_m for row in rows) / 1000, 1),
    )
    logger.info("imported %s road segments from %s", stats.segments, path)
    return stats


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
    geos = GEOSGeometry(memoryview(geom.wkb), srid=WGS84)
    if isinstance(geos, MultiPolygon):
        return geos
    if isinstance(geos, Polygon):
        return MultiPolygon(geos, srid=WGS84)
    raise ValueError(f"expected a polygon, got a {geos.geom_type}")
