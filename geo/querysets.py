"""Spatial look-ups of the territory used on the submission path."""

import math
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connections, router, transaction
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


EXTENT_KEY = "geo:territory-extent"
EXTENT_TTL_S = 300  # a change that skipped forget_territory_extent (a deletion) shows this late


def territory_extent() -> tuple[float, float, float, float] | None:
    """The loaded municipality's extent (min_lon, min_lat, max_lon, max_lat); None before one.

    Cached: every map page asks, and the boundary changes a few times in a town's life
    (geo.importer.subdivide_boundary forgets the cached extent when it does).
    """
    cached = cache.get(EXTENT_KEY)
    if cached is not None:
        return tuple(cached) if cached else None  # type: ignore[return-value]
    extent = Municipality.objects.aggregate(extent=Extent("boundary"))["extent"]
    cache.set(EXTENT_KEY, list(extent) if extent else [], EXTENT_TTL_S)
    return cast(tuple[float, float, float, float] | None, extent)


def forget_territory_extent() -> None:
    """The boundary changed: read it again, now and once the change commits."""
    cache.delete(EXTENT_KEY)
    transaction.on_commit(lambda: cache.delete(EXTENT_KEY), robust=True)


def territory_view() -> tuple[tuple[float, float], int]:
    """Where a map with nothing else to show opens: (lat, lon) and a zoom level.

    On the municipality's boundary once one is loaded, zoomed to show it whole on a map of
    about 600 x 400 pixels (the admin's); before that on MAP_CENTER (LEAFLET_CONFIG).
    """
    extent = territory_extent()
    if extent is None:
        lat, lon = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
        return (lat, lon), cast(int, settings.LEAFLET_CONFIG["DEFAULT_ZOOM"])
    min_lon, min_lat, max_lon, max_lat = extent
    lat = (min_lat + max_lat) / 2
    # A tile is 256 px wide and spans 360 / 2**zoom degrees of longitude; latitude degrees
    # grow by 1 / cos(lat) on Web Mercator.
    fits_width = math.log2(360 * 600 / 256 / max(max_lon - min_lon, 1e-6))
    fits_height = math.log2(
        360 * 400 / 256 * math.cos(math.radians(lat)) / max(max_lat - min_lat, 1e-6)
    )
    zoom = min(16, max(3, math.floor(min(fits_width, fits_height))))
    return (lat, (min_lon + max_lon) / 2), zoom


def admin_map_settings() -> dict[str, Any]:
    """django-leaflet's settings_overrides for an admin map: open on the territory."""
    centre, zoom = territory_view()
    return {"DEFAULT_CENTER": centre, "DEFAULT_ZOOM": zoom}


def map_start() -> dict[str, Any]:
    """Where a map of the territory starts, and its tiles: for every page's Leaflet map.

    `bounds` ([[south, west], [north, east]]) is the municipality's extent, None before a
    territory is loaded; `centre` and `zoom` are the fallback (MAP_CENTER then).
    """
    (lat, lon), zoom = territory_view()
    extent = territory_extent()
    return {
        "bounds": [[extent[1], extent[0]], [extent[3], extent[2]]] if extent else None,
        "centre": [lat, lon],
        "zoom": zoom,
        "tileUrl": settings.TILE_URL,
        "tileSubdomains": settings.TILE_SUBDOMAINS,
        "tileAttribution": settings.TILE_ATTRIBUTION,
        # Leaflet finds its marker images from leaflet.css's URL, which production's hashed
        # static names break (the pin showed as a broken image): pages give them explicitly.
        "markerIcons": {
            "iconUrl": static("leaflet/images/marker-icon.png"),
            "iconRetinaUrl": static("leaflet/images/marker-icon-2x.png"),
            "shadowUrl": static("leaflet/images/marker-shadow.png"),
        },
    }
