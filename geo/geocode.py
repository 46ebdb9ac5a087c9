"""Reverse geocoding: the street address of a point, for reports and issues.

GEOCODER="nominatim" asks Nominatim (through geopy) and falls back to the offline answer when
it fails; GEOCODER="offline" only uses the nearest named street of the imported road network.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

logger = logging.getLogger(__name__)

CACHE_TTL_S = 24 * 3600
# A fallback given while Nominatim failed is kept briefly, so the real answer comes soon.
FALLBACK_CACHE_TTL_S = 600
NEAREST_STREET_MAX_M = 100.0
# KNN on degrees ranks longitude metres half as much as latitude ones at 60°N: re-rank this
# many candidates in true metres.
KNN_CANDIDATES = 8
ROAD_KEYS = ("road", "pedestrian", "footway", "square", "place")
DISTRICT_KEYS = ("suburb", "quarter", "neighbourhood", "city_district")


def reverse_geocode(lat: float, lon: float) -> str:
    """Return a short street address for a WGS84 position in degrees, or "" if none is known.

    Cached for a day per position rounded to 5 decimals (about 1 m).
    """
    key = f"geo:reverse:{lat:.5f}:{lon:.5f}"
    cached = cache.get(key)
    if cached is not None:
        return str(cached)
    ttl_s = CACHE_TTL_S
    address = ""
    if settings.GEOCODER == "nominatim":
        try:
            address = nominatim_address(lat, lon)
        except GeopyError:
            logger.warning("Nominatim failed at %.5f,%.5f; using the offline geocoder", lat, lon)
            ttl_s = FALLBACK_CACHE_TTL_S
    if not address:
        address = nearest_street_name(lat, lon)
    cache.set(key, address, ttl_s)
    return address


def nominatim_address(lat: float, lon: float) -> str:
    """Ask Nominatim for "road house_number, suburb"; raise GeopyError when it fails."""
    geocoder = Nominatim(
        domain=settings.NOMINATIM_DOMAIN,
        user_agent=settings.NOMINATIM_USER_AGENT,
        timeout=settings.GEOCODER_TIMEOUT_S,
    )
    location = geocoder.reverse(
        (lat, lon), exactly_one=True, language=settings.LANGUAGE_CODE, addressdetails=True
    )
    if location is None:
        return ""
    return format_address(location.raw.get("address", {}))


def format_address(parts: dict[str, Any]) -> str:
    """Format Nominatim's structured address as "Via Roma 12, Centro" (missing parts skipped)."""
    road = next((str(parts[k]) for k in ROAD_KEYS if parts.get(k)), "")
    number = str(parts.get("house_number", ""))
    street = f"{road} {number}".strip() if road else ""
    district = next((str(parts[k]) for k in DISTRICT_KEYS if parts.get(k)), "")
    return ", ".join(part for part in (street, district) if part)


def nearest_street_name(lat: float, lon: float, max_m: float = NEAREST_STREET_MAX_M) -> str:
    """Return the name of the nearest named RoadSegment within max_m metres, or ""."""
    with connection.cursor() as cursor:
        # KNN (<->) on geo_roadsegment_named_gist needs raw SQL: the ORM cannot order by it.
        cursor.execute(
            """
            SELECT name FROM (
                SELECT name, geometry FROM geo_roadsegment
                WHERE name <> ''
                ORDER BY geometry <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)
                LIMIT %(candidates)s
            ) AS nearest
            WHERE ST_DWithin(
                geometry::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography, %(max_m)s
            )
            ORDER BY ST_Distance(geometry::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography)
            LIMIT 1
            """,
            {"lon": lon, "lat": lat, "candidates": KNN_CANDIDATES, "max_m": max_m},
        )
        row = cursor.fetchone()
    return str(row[0]) if row else ""
