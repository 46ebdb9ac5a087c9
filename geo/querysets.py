"""Spatial look-ups of the territory used on the submission path."""

from typing import Any, cast

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Point
from django.db.models import Q, QuerySet

from geo.models import Area, BoundaryPiece, Department, Municipality


def inside_municipality(point: Point) -> bool:
    """Tell whether a WGS84 point lies inside a loaded municipality boundary.

    Uses the subdivided pieces (geo_boundarypiece_geom_gist) so the test touches a few
    small polygons instead of the whole boundary.
    """
    return BoundaryPiece.objects.filter(geometry__intersects=point).exists()


def area_at(point: Point) -> Area | None:
    """Return the area (ward) holding a WGS84 point, if any (geo_area_geom_gist)."""
    return Area.objects.filter(geometry__intersects=point).order_by("pk").first()


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
