"""Geocoding: the street address of a point (reverse), and the point of an address (forward).

GEOCODER="nominatim" asks Nominatim (through geopy) and falls back to the offline answer when
it fails; GEOCODER="offline" only uses the street names of the imported road network.
"""

import hashlib
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


def address_at_once(lat: float, lon: float) -> str | None:
    """The address of a point when it can be had without waiting on another service.

    Offline it is the nearest imported street, one indexed query: a submission stores it
    with the report (bench/scale.py: a background task per submission only for this cost more
    than the rest of the submission). None with GEOCODER="nominatim": ask reverse_geocode in
    the background.
    """
    if settings.GEOCODER != "offline":
        return None
    return nearest_street_name(lat, lon)


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


# KNN (<->) on geo_roadsegment_named_gist needs raw SQL: the ORM cannot order by it.
NEAREST_STREET_SQL = """
SELECT name FROM (
    SELECT name, geometry FROM geo_roadsegment
    WHERE name <> ''
    ORDER BY geometry <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)
    LIMIT %(candidates)s
) AS nearest
WHERE ST_DWithin(geometry::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography, %(max_m)s)
ORDER BY ST_Distance(geometry::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography)
LIMIT 1
"""


def nearest_street_params(
    lat: float, lon: float, max_m: float = NEAREST_STREET_MAX_M
) -> dict[str, float]:
    """NEAREST_STREET_SQL's parameters (bench/bare_submission.py runs it too)."""
    return {"lon": lon, "lat": lat, "candidates": KNN_CANDIDATES, "max_m": max_m}


def nearest_street_name(lat: float, lon: float, max_m: float = NEAREST_STREET_MAX_M) -> str:
    """Return the name of the nearest named RoadSegment within max_m metres, or ""."""
    with connection.cursor() as cursor:
        cursor.execute(NEAREST_STREET_SQL, nearest_street_params(lat, lon, max_m))
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def forward_geocode(address: str) -> tuple[float, float] | None:
    """Return (lat, lon) in degrees for a street address typed by a person, or None.

    GEOCODER="nominatim" asks Nominatim first; otherwise (and when it fails or finds nothing)
    the offline answer is the middle of the imported street whose name matches. Offline there
    are no house numbers: "Via Roma 12" is placed mid-way along Via Roma. Cached for a day.
    """
    query = " ".join(address.split())
    if not query:
        return None
    key = "geo:forward:" + hashlib.sha256(query.lower().encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return tuple(cached) if cached else None  # type: ignore[return-value]
    ttl_s = CACHE_TTL_S
    found: tuple[float, float] | None = None
    if settings.GEOCODER == "nominatim":
        try:
            found = nominatim_position(query)
        except GeopyError:
            logger.warning("Nominatim failed to geocode an address; using the offline geocoder")
            ttl_s = FALLBACK_CACHE_TTL_S
    if found is None:
        found = street_position(query)
    cache.set(key, list(found) if found else [], ttl_s)
    return found


def nominatim_position(query: str) -> tuple[float, float] | None:
    """Ask Nominatim where an address is; raise GeopyError when it fails."""
    geocoder = Nominatim(
        domain=settings.NOMINATIM_DOMAIN,
        user_agent=settings.NOMINATIM_USER_AGENT,
        timeout=settings.GEOCODER_TIMEOUT_S,
    )
    location = geocoder.geocode(query, exactly_one=True, language=settings.LANGUAGE_CODE)
    if location is None:
        return None
    return float(location.latitude), float(location.longitude)


def street_position(query: str) -> tuple[float, float] | None:
    """Return the middle of the imported street named in `query` ("Via Roma 12, Centro")."""
    street = _street_part(query)
    if not street:
        return None
    with connection.cursor() as cursor:
        # ST_LineInterpolatePoint on the merged street has no ORM equivalent. Exact names
        # (case-insensitive) win over names that merely contain the text; then longer streets.
        cursor.execute(
            """
            WITH street AS (
                SELECT name, ST_LineMerge(ST_Collect(geometry)) AS line,
                       lower(name) = lower(%(street)s) AS exact
                FROM geo_roadsegment
                WHERE name <> '' AND strpos(lower(name), lower(%(street)s)) > 0
                GROUP BY name
                ORDER BY exact DESC, sum(length_m) DESC
                LIMIT 1
            )
            SELECT ST_Y(p), ST_X(p) FROM (
                SELECT CASE WHEN GeometryType(line) = 'LINESTRING'
                            THEN ST_LineInterpolatePoint(line, 0.5)
                            ELSE ST_ClosestPoint(line, ST_Centroid(line)) END AS p
                FROM street
            ) AS middle
            """,
            {"street": street},
        )
        row = cursor.fetchone()
    return (float(row[0]), float(row[1])) if row else None


def _street_part(query: str) -> str:
    """Keep the street of "Via Roma 12, 00100 Roma": the first comma part, numbers dropped."""
    first = query.split(",", 1)[0]
    words = [w for w in first.split() if not any(ch.isdigit() for ch in w)]
    street = " ".join(words)
    return street if len(street) >= 3 else ""
