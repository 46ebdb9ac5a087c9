"""The one SRID policy of Segnala.

Store WGS84 (SRID 4326) everywhere; build points as Point(lon, lat) because x is the longitude;
measure metres on geography casts (PostGIS) or with the local metric projection below.
"""

import math

from django.contrib.gis.geos import Point

WGS84 = 4326
EARTH_RADIUS_M = 6_371_008.8


def make_point(lat: float, lon: float) -> Point:
    """Build a WGS84 point from latitude and longitude in degrees."""
    return Point(float(lon), float(lat), srid=WGS84)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 positions."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def local_xy_m(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """Project a position to metres east/north of (lat0, lon0); exact enough within a city."""
    x_m = math.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    y_m = math.radians(lat - lat0) * EARTH_RADIUS_M
    return x_m, y_m
