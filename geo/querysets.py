"""Spatial look-ups of the territory used on the submission path."""

from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Point
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.templatetags.static import static

from geo.models import Area, Department, Municipality

# One round trip for both questions asked of a place: inside the territory (on the subdivided
# boundary pieces, geo_boundarypiece_geom_gist: a few small polygons instead of the whole
# boundary), and which ward (geo_area_geom_gist), without its outline (parsing a ward's outline
# was a measurable part of every submission).
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

    One statement (bench/scale.py: two ORM queries cost ~0.7 ms of Python, this one ~0.1 ms).
    """
    # Where the ORM would read the territory: the replica during a public read (the nearby
    # suggestions), the primary otherwise (config/db_router.py).
    alias = router.db_for_read(Area)
    with connections[alias].cursor() as cursor:
        cursor.execute(_PLACE_SQL, [point.ewkb.hex()])
        inside, area_id, municipality_id, code, name = cursor.fetchone()
    if area_id is None:
        return bool(inside), None
    fields = ["id", "municipality_id", "code", "name"]
    return bool(inside), Area.from_db(alias, fields, [area_id, municipality_id, code, name])


def inside_municipality(point: Point) -> bool:
    """Whether a WGS84 point lies inside a loaded municipality boundary."""
    return place_at(point)[0]


def area_at(point: Point) -> Area | None:
    """The area (ward) holding a WGS84 point, if any, without its outline."""
    return place_at(point)[1]


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
        # Leaflet finds its marker images from leaflet.css's URL, which production's hashed
        # static names break (the pin showed as a broken image): pages give them explicitly.
        "markerIcons": {
            "iconUrl": static("leaflet/images/marker-icon.png"),
            "iconRetinaUrl": static("leaflet/images/marker-icon-2x.png"),
            "shadowUrl": static("leaflet/images/marker-shadow.png"),
        },
    }
    extent = Municipality.objects.aggregate(extent=Extent("boundary"))["extent"]
    if extent:
        min_lon, min_lat, max_lon, max_lat = extent
        start["bounds"] = [[min_lat, min_lon], [max_lat, max_lon]]
        start["centre"] = [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]
    return start
