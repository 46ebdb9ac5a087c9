"""The municipality's outline and its wards, computed from an OSM extract with shapely.

Pure: no Django models and no database. Polygons come out in WGS84 (lon, lat); every buffer,
hull and Voronoi cell is computed in a local metric projection so that metres are metres.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import voronoi_diagram

from geo.osm import Extract, Place, apply_handler
from geo.units import EARTH_RADIUS_M

WARD_ADMIN_LEVEL = "10"
# Place kinds that name a part of a city, used as Voronoi seeds when no ward relation is whole.
WARD_PLACE_KINDS = frozenset({"borough", "suburb", "quarter", "neighbourhood"})
# Ward relations are used only when, clipped to the outline, they cover this much of it;
# otherwise (relations cut by the extract border) reports would fall outside every ward.
MIN_RELATION_COVERAGE = 0.9
BOUNDARY_BUFFER_M = 30.0
# shapely.concave_hull ratio: 0 is the tightest hull, 1 the convex one. 0.3 follows a street
# grid without biting into blocks.
HULL_RATIO = 0.3


@dataclass(frozen=True)
class Ward:
    name: str
    geometry: MultiPolygon  # WGS84 (lon, lat)
    source: str  # "relation" (an OSM admin boundary) or "voronoi" (around a place node)


class LocalProjection:
    """Equirectangular metres east/north of an origin, as geo.units.local_xy_m, both ways."""

    def __init__(self, lat0: float, lon0: float) -> None:
        m_per_deg_lat = math.radians(1) * EARTH_RADIUS_M
        self._scale = np.array([m_per_deg_lat * math.cos(math.radians(lat0)), m_per_deg_lat])
        self._origin = np.array([lon0, lat0])

    def to_metres(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: (xy - self._origin) * self._scale)

    def to_degrees(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: xy / self._scale + self._origin)


def projection_for(extract: Extract) -> LocalProjection:
    b = extract.bounds
    return LocalProjection((b.min_lat + b.max_lat) / 2, (b.min_lon + b.max_lon) / 2)


def territory_boundary(extract: Extract, *, buffer_m: float = BOUNDARY_BUFFER_M) -> MultiPolygon:
    """Return the outline of the drivable network: its concave hull grown by buffer_m metres."""
    projection = projection_for(extract)
    nodes = MultiPoint([coord for s in extract.segments if s.drivable for coord in s.coords])
    hull = shapely.concave_hull(projection.to_metres(nodes), ratio=HULL_RATIO)
    return as_multipolygon(projection.to_degrees(hull.buffer(buffer_m)))


def build_wards(path: str | Path, extract: Extract, boundary: MultiPolygon) -> list[Ward]:
    """Return the wards inside `boundary`: whole admin_level=10 relations, else Voronoi cells.

    `extract` is read_extract(path); the relations need a second pass over the file because
    osmium assembles multipolygons from their member ways.
    """
    wards = ward_relations(path, boundary)
    covered = sum(ward.geometry.area for ward in wards)
    if len(wards) > 1 and covered >= MIN_RELATION_COVERAGE * boundary.area:
        return wards
    return voronoi_wards(extract.places, boundary, projection_for(extract))


def ward_relations(path: str | Path, boundary: MultiPolygon) -> list[Ward]:
    """Return the admin_level=10 areas osmium can assemble, clipped to `boundary`."""
    handler = _WardAreas()
    apply_handler(handler, path)
    wards = []
    for name, polygon in handler.areas:
        clipped = as_multipolygon(shapely.make_valid(polygon).intersection(boundary))
        if not clipped.is_empty:
            wards.append(Ward(name, clipped, "relation"))
    return sorted(wards, key=lambda ward: ward.name)


def voronoi_wards(
    places: Sequence[Place], boundary: MultiPolygon, projection: LocalProjection
) -> list[Ward]:
    """Split `boundary` into the Voronoi cells of the named districts inside it."""
    seeds: dict[str, Point] = {}
    for place in places:
        point = Point(place.lon, place.lat)
        if place.kind in WARD_PLACE_KINDS and place.name not in seeds and boundary.covers(point):
            seeds[place.name] = point
    if len(seeds) < 2:
        return [Ward(name, boundary, "voronoi") for name in seeds]
    outline = projection.to_metres(boundary)
    metric_seeds = {name: projection.to_metres(point) for name, point in seeds.items()}
    cells = voronoi_diagram(MultiPoint(list(metric_seeds.values())), envelope=outline.envelope)
    wards = []
    for name, seed in metric_seeds.items():
        cell = next(cell for cell in cells.geoms if cell.covers(seed))
        geometry = as_multipolygon(projection.to_degrees(cell.intersection(outline)))
        if not geometry.is_empty:
            wards.append(Ward(name, geometry, "voronoi"))
    return sorted(wards, key=lambda ward: ward.name)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Keep the polygons of any geometry (an intersection may add lines and points)."""
    if isinstance(geom, Polygon):
        return MultiPolygon([geom]) if not geom.is_empty else MultiPolygon()
    if isinstance(geom, MultiPolygon):
        return geom
    polygons = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(polygons)


class _WardAreas(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.areas: list[tuple[str, BaseGeometry]] = []
        self._wkb = osmium.geom.WKBFactory()

    def area(self, a: osmium.osm.Area) -> None:
        tags = a.tags
        if a.from_way() or tags.get("admin_level") != WARD_ADMIN_LEVEL or not tags.get("name"):
            return
        if tags.get("boundary") != "administrative":
            return
        try:
            polygon = shapely.from_wkb(self._wkb.create_multipolygon(a))
        except (RuntimeError, osmium.InvalidLocationError):
            return  # osmium could not close the rings: the relation is cut by the border
        self.areas.append((tags["name"], polygon))
