"""The road graph of the imported network (geo.RoadSegment), built once per process and change."""

from django.db.models import Count, Max

from geo.models import RoadSegment
from geo.osm import Segment
from routing.graph import GraphError, RoadGraph, build_graph

_cache: dict[tuple[int, int], RoadGraph | None] = {}


def network_graph() -> RoadGraph | None:
    """Return the routable graph of the drivable road segments, or None without a network.

    Cached per process, keyed by the segments' count and highest id: an import replaces
    every row, so either changes when the network does.
    """
    stats = RoadSegment.objects.filter(drivable=True).aggregate(n=Count("id"), last=Max("id"))
    key = (stats["n"], stats["last"] or 0)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _build() if stats["n"] else None
    return _cache[key]


def _build() -> RoadGraph | None:
    segments = [
        Segment(
            osm_way_id=row.osm_way_id,
            name=row.name,
            highway=row.highway,
            oneway=row.oneway,
            drivable=True,
            maxspeed_kmh=row.maxspeed_kmh,
            source=row.source,
            target=row.target,
            coords=tuple((float(x), float(y)) for x, y in row.geometry.coords),
            length_m=row.length_m,
        )
        for row in RoadSegment.objects.filter(drivable=True).iterator()
    ]
    try:
        return build_graph(segments)
    except GraphError:
        return None
