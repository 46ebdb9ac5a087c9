"""Read an OpenStreetMap .osm.pbf extract into plain data: street segments, places, bounds.

Pure: no Django models and no database, so it is tested on the real extract alone. Coordinates
are (lon, lat) in WGS84 degrees, as everywhere in Segnala (geo/units.py).
"""

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import osmium

from geo.units import haversine_m

# Highway classes a municipal van drives on, with the speed assumed when `maxspeed` is absent
# (urban defaults in km/h: the network we import is a city's).
DEFAULT_SPEED_KMH: Mapping[str, int] = {
    "motorway": 100,
    "trunk": 70,
    "primary": 50,
    "secondary": 50,
    "tertiary": 40,
    "unclassified": 30,
    "residential": 30,
    "living_street": 10,
    "service": 20,
    "motorway_link": 60,
    "trunk_link": 50,
    "primary_link": 40,
    "secondary_link": 40,
    "tertiary_link": 30,
}
DRIVABLE = frozenset(DEFAULT_SPEED_KMH)
# Kept (not drivable) only when named: a pedestrian street names a place for the geocoder.
NAMED_ONLY = frozenset({"pedestrian"})
WALKING_SPEED_KMH = 5
IMPLIED_ONEWAY = frozenset({"motorway", "motorway_link"})
ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
NO_ACCESS = frozenset({"no", "private"})
PLACE_KINDS = frozenset(
    {"city", "town", "village", "borough", "suburb", "quarter", "neighbourhood", "hamlet"}
)
MPH_IN_KMH = 1.609344

_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)

Coord = tuple[float, float]  # (lon, lat)


class ExtractError(ValueError):
    """The file is missing, unreadable, not an OSM PBF, or holds no street."""


@dataclass(frozen=True)
class Segment:
    """A piece of street between two junctions (or a junction and a way end)."""

    osm_way_id: int
    name: str
    highway: str
    oneway: bool  # drivable only from source to target
    drivable: bool
    maxspeed_kmh: int
    source: int  # OSM node id of the first coordinate
    target: int  # OSM node id of the last coordinate
    coords: tuple[Coord, ...]
    length_m: float


@dataclass(frozen=True)
class Place:
    osm_id: int
    name: str
    kind: str  # the `place` tag: suburb, neighbourhood...
    lon: float
    lat: float


@dataclass(frozen=True)
class Bounds:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True)
class Extract:
    segments: list[Segment]
    places: list[Place]
    bounds: Bounds


@dataclass(frozen=True)
class Way:
    osm_id: int
    tags: dict[str, str]
    nodes: list[tuple[int, Coord | None]]  # None where the extract clipped the node away


def parse_maxspeed(value: str | None, highway: str) -> int:
    """Return a speed limit in km/h from a `maxspeed` tag ('50', '30 mph'), else the default."""
    if value:
        match = _SPEED.match(value.split(";")[0])
        if match:
            speed = float(match.group(1))
            if (match.group(2) or "").lower() == "mph":
                speed *= MPH_IN_KMH
            if 1 <= speed <= 150:
                return round(speed)
    return default_speed_kmh(highway)


def default_speed_kmh(highway: str) -> int:
    """Return the speed assumed on a highway class without a `maxspeed` tag, in km/h."""
    return DEFAULT_SPEED_KMH.get(highway, WALKING_SPEED_KMH)


def oneway_direction(tags: Mapping[str, str]) -> int:
    """Return 1 if traffic goes only along the way, -1 only against it, 0 both ways."""
    value = tags.get("oneway", "").strip().lower()
    if value in {"yes", "1", "true"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    if value in {"no", "0", "false"}:
        return 0
    if tags.get("junction") in ONEWAY_JUNCTIONS or tags.get("highway") in IMPLIED_ONEWAY:
        return 1
    return 0


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Tell whether a municipal van may drive along a highway way."""
    if tags.get("highway") not in DRIVABLE or tags.get("area") == "yes":
        return False
    return not any(tags.get(key) in NO_ACCESS for key in ("access", "vehicle", "motor_vehicle"))


def is_kept(tags: Mapping[str, str]) -> bool:
    """Tell whether a highway way becomes segments: drivable, or a named pedestrian street."""
    highway = tags.get("highway", "")
    return highway in DRIVABLE or (highway in NAMED_ONLY and bool(tags.get("name")))


def read_extract(path: str | Path) -> Extract:
    """Parse a .osm.pbf file into street segments split at junctions, places and bounds.

    Raises ExtractError when the file cannot be read as PBF or holds no street to keep.
    """
    handler = _Collector()
    apply_handler(handler, path)
    segments = split_ways(handler.ways)
    if not segments:
        raise ExtractError(f"{path}: no street found in the extract")
    bounds = _header_bounds(path) or _bounds_of(segments)
    return Extract(segments=segments, places=handler.places, bounds=bounds)


def split_ways(ways: Sequence[Way]) -> list[Segment]:
    """Cut ways into segments at every node two kept ways share (or one way visits twice)."""
    uses: Counter[int] = Counter()
    for way in ways:
        ids = [node_id for node_id, _ in way.nodes]
        closed = len(ids) > 2 and ids[0] == ids[-1]
        uses.update(ids[:-1] if closed else ids)
    junctions = {node_id for node_id, count in uses.items() if count > 1}
    segments = []
    for way in ways:
        for chain in _located_chains(way.nodes):
            for piece in _cut(chain, junctions):
                segments.append(_segment(way, piece))
    return segments


def _located_chains(
    nodes: Sequence[tuple[int, Coord | None]],
) -> Iterator[list[tuple[int, Coord]]]:
    """Yield the runs of nodes that have a location; a clipped node ends the run."""
    chain: list[tuple[int, Coord]] = []
    for node_id, coord in nodes:
        if coord is None:
            if len(chain) > 1:
                yield chain
            chain = []
        else:
            chain.append((node_id, coord))
    if len(chain) > 1:
        yield chain


def _cut(chain: list[tuple[int, Coord]], junctions: set[int]) -> Iterator[list[tuple[int, Coord]]]:
    start = 0
    for i in range(1, len(chain)):
        if i == len(chain) - 1 or chain[i][0] in junctions:
            yield chain[start : i + 1]
            start = i


def _segment(way: Way, piece: list[tuple[int, Coord]]) -> Segment:
    tags = way.tags
    highway = tags["highway"]
    direction = oneway_direction(tags)
    if direction == -1:
        piece = piece[::-1]
    coords = tuple(coord for _, coord in piece)
    drivable = is_drivable(tags)
    return Segment(
        osm_way_id=way.osm_id,
        name=tags.get("name", "")[:200],
        highway=highway[:40],
        oneway=drivable and direction != 0,
        drivable=drivable,
        maxspeed_kmh=parse_maxspeed(tags.get("maxspeed"), highway),
        source=piece[0][0],
        target=piece[-1][0],
        coords=coords,
        length_m=line_length_m(coords),
    )


def line_length_m(coords: Sequence[Coord]) -> float:
    """Return the length in metres of a (lon, lat) polyline."""
    return sum(
        haversine_m(lat1, lon1, lat2, lon2) for (lon1, lat1), (lon2, lat2) in pairwise(coords)
    )


def _bounds_of(segments: Sequence[Segment]) -> Bounds:
    lons = [lon for s in segments for lon, _ in s.coords]
    lats = [lat for s in segments for _, lat in s.coords]
    return Bounds(min(lons), min(lats), max(lons), max(lats))


def apply_handler(handler: osmium.SimpleHandler, path: str | Path) -> None:
    """Run an osmium handler over a PBF file (with node locations), as ExtractError on failure."""
    path = Path(path)
    if not path.is_file():
        raise ExtractError(f"{path}: no such file")
    try:
        # Forcing the "pbf" format: osmium would otherwise guess it from the file name.
        handler.apply_file(osmium.io.File(str(path), "pbf"), locations=True)
    except (RuntimeError, OSError) as exc:
        raise ExtractError(f"{path}: not a readable OSM PBF file ({exc})") from exc


class _Collector(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.ways: list[Way] = []
        self.places: list[Place] = []

    def node(self, n: osmium.osm.Node) -> None:
        kind, name = n.tags.get("place"), n.tags.get("name")
        if kind in PLACE_KINDS and name and n.location.valid():
            self.places.append(Place(n.id, name, kind, n.location.lon, n.location.lat))

    def way(self, w: osmium.osm.Way) -> None:
        if "highway" not in w.tags:
            return  # buildings, land use...: most ways of a city extract
        tags = {tag.k: tag.v for tag in w.tags}
        if not is_kept(tags):
            return
        nodes = [
            (ref.ref, (ref.location.lon, ref.location.lat) if ref.location.valid() else None)
            for ref in w.nodes
        ]
        self.ways.append(Way(w.id, tags, nodes))


def _header_bounds(path: str | Path) -> Bounds | None:
    """Return the bounding box the extract's header declares, if any."""
    reader = osmium.io.Reader(osmium.io.File(str(path), "pbf"), osmium.osm.osm_entity_bits.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if not box.valid():
        return None
    return Bounds(box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
