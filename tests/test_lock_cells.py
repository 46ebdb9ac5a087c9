"""The advisory-lock cells of a submission cover every place its candidates can come from
(clustering.candidates.lock_cells against the search circle of ST_DWithin on the sphere)."""

import math

from clustering.candidates import LOCK_CELL_LON_DEG, lock_cells
from geo.units import EARTH_RADIUS_M, haversine_m


def east_of(lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat, lon + math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat))))


def test_a_submission_locks_the_cell_of_every_place_within_its_reach() -> None:
    """Two submissions that could see each other's issue share a lock. The cells were computed
    with 111,320 m a degree (the equator's) while the search measures on a sphere of 111,195:
    a place at the edge of the reach could lie in a cell the other did not lock."""
    lat, reach = 60.17, 80.0
    start = 24.9 - LOCK_CELL_LON_DEG  # a cell boundary lies between each point and its east
    for step in range(2000):  # points across one cell, 1.4e-6 degrees (7 cm) apart
        lon = start + step * LOCK_CELL_LON_DEG / 2000
        other = east_of(lat, lon, reach * 0.9999)
        assert haversine_m(lat, lon, *other) < reach
        (other_cell,) = lock_cells(*other, 0.0)
        assert other_cell in lock_cells(lat, lon, reach), (lon, other)
