"""Spatial look-ups of the territory used on the submission path."""

from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Q, QuerySet

from geo.models import Area, BoundaryPiece, Department, Municipality


def inside_municipality(point: Point) -> bool:
    """Tell whether a WGS84 point lies inside a loaded municipality boundary.

    Uses the subdivided pieces (geo_boundarypiece_geom_gist) so the test touches a few
    small polygons instead of the whole boundary.
    """
    return BoundaryPiece.objects.filter(geometry__intersects=point).exists()


def area_at(point: Point) -> Area | None:
    """Return the area (ward) holding a WGS84 point, if any (geo_area_geom_gist).

    Without its outline: callers want the ward, not its polygon (parsing a ward's outline
    was a measurable part of every submission).
    """
    return Area.objects.filter(geometry__intersects=point).defer("geometry").order_by("pk").first()


# One round trip for both questions a submission asks of its place (GiST indexes on the
# boundary pieces and on the wards); the ward without its outline.
_PLACE_SQL = """
SELECT EXISTS (SELECT 1 FROM geo_boundarypiece b WHERE ST_Intersects(b.geometry, q.p)),
       a.id, a.municipality_id, a.code, a.name
FROM (SELECT %s::geometry AS p) AS q
LEFT JOIN LATERAL (
    SELECT id, municipality_id, code, name FROM geo_area
    WHERE ST_Intersects(geometry, q.p) ORDER BY id LIMIT 1
) AS a ON true
"""


def place_at(point: Point) -> tuple[bool, Area | None]:
    """Whether a WGS84 point is inside the territory, and the ward holding it (if any).

    What inside_municipality and area_at answer, in one statement: the submission path asks
    both (bench/scale.py: two ORM queries cost ~0.7 ms of Python, this one ~0.1 ms).
    """
    with connection.cursor() as cursor:
        cursor.execute(_PLACE_SQL, [point.ewkb.hex()])
        inside, area_id, municipality_id, code, name = cursor.fetchone()
    if area_id is None:
        return bool(inside), None
    fields = ["id", "municipality_id", "code", "name"]
    return bool(inside), Area.from_db(
        connection.alias, fields, [area_id, municipality_id, code, name]
    )


def departments_competent_at(area: Area | None) -> QuerySet[Department]:
    """Departments whose competence covers `area` (no areas listed = the whole territory)."""
    whole = Q(areas__isnull=True)
    return Department.objects.filter(whole | Q(areas=area) if area else whole).distinct()


def map_start() -> dict[str, Any]:
    """Where a map of the territory starts, and its tiles: for every page's Leaflet map.

    `bounds` ([[south, west], [north, east]]) is the municipality's extent, None before a
    territory is loaded; `centre` and `zoom` are the fallback.
    """
    default_lat, default_lon = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
    start: dict[str, Any] = {
        "bounds": None,
        "centre": [default_lat, default_lon],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "tileUrl": settings.TILE_URL,
        "tileAttribution": settings.TILE_ATTRIBUTION,
    }
    extent = Municipality.objects.aggregate(extent=Extent("boundary"))["extent"]
    if extent:
        min_lon, min_lat, max_lon, max_lat = extent
        start["bounds"] = [[min_lat, min_lon], [max_lat, max_lon]]
        start["centre"] = [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]
    return start
