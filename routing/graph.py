"""The road network as an in-memory directed graph: snapping, travel-time matrices, leg shapes.

Pure: built from geo.osm segments, no database. Nodes are the segments' end points (junctions
and dead ends); an edge is a drivable segment, once along it and, unless it is one-way, once
against it. Times are seconds, lengths metres, coordinates (lon, lat) as everywhere in Segnala.

Why in memory rather than pgRouting: on the demo extract one scipy Dijkstra per source gives a
500 x 500 matrix in 0.09 s, against 1.6 s for pgr_dijkstraCostMatrix on the same nodes and
costs (same values to the second; bench/routing.py --pgrouting), and it needs no database, so
the plan_route command and the tests run without one. Building the graph from the extract
takes ~0.6 s, once per process (load_graph caches it).

Stops snap to the nearest junction, not onto the street: points drawn along the demo's
streets are a median 9 m (90th percentile 45 m) from one, against legs of ~1.2 km on average,
so projecting onto edges would change the matrices by a few percent at most.
"""

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.osm import Coord, Segment, read_extract
from geo.units import EARTH_RADIUS_M, haversine_m

# Share of the speed limit a van holds on average in town (junctions, lights, parked cars):
# a 50 km/h primary is driven at ~40, a 30 km/h residential street at ~20.
SPEED_FACTOR: Mapping[str, float] = {
    "motorway": 0.9,
    "trunk": 0.85,
    "primary": 0.8,
    "secondary": 0.75,
    "tertiary": 0.7,
    "unclassified": 0.65,
    "residential": 0.65,
    "living_street": 0.6,
    "service": 0.6,
}
DEFAULT_SPEED_FACTOR = 0.7  # *_link ramps and anything unlisted
STRAIGHT_LINE_CIRCUITY = 1.3  # roads are ~30% longer than the crow flies in a city
STRAIGHT_LINE_SPEED_KMH = 30.0
STRAIGHT_LINE_NOTE = (
    "No road network: distances are straight lines x {circuity} at {speed:g} km/h, "
    "so one-way streets and detours are ignored."
)


class GraphError(ValueError):
    """The segments make no usable road graph (nothing drivable)."""


@dataclass
class RoadGraph:
    """A strongly connected directed road graph; node i is at (lon[i], lat[i])."""

    osm_ids: np.ndarray  # int64, OSM node id per node
    lon: np.ndarray
    lat: np.ndarray
    duration_s: csr_matrix  # edge travel time, seconds
    length_m: csr_matrix  # length of the same (fastest parallel) edge, metres
    shapes: dict[tuple[int, int], tuple[Coord, ...]]  # edge (u, v) → its polyline
    dropped_nodes: int = 0  # nodes outside the largest strongly connected component
    _tree: cKDTree = field(init=False, repr=False)
    _origin: tuple[float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._origin = (float(np.mean(self.lat)), float(np.mean(self.lon)))
        self._tree = cKDTree(self._xy(self.lat, self.lon))

    @property
    def node_count(self) -> int:
        return len(self.osm_ids)

    def _xy(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        lat0, lon0 = self._origin
        x = np.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
        y = np.radians(lat - lat0) * EARTH_RADIUS_M
        return np.column_stack([x, y])

    def snap(self, points: Sequence[tuple[float, float]]) -> tuple[list[int], list[float]]:
        """Return the nearest node to each (lat, lon) point and the distance to it in metres."""
        if not points:
            return [], []
        arr = np.asarray(points, dtype=float)
        dist, idx = self._tree.query(self._xy(arr[:, 0], arr[:, 1]))
        return [int(i) for i in idx], [float(d) for d in dist]

    def matrices(self, nodes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Return (duration_s, distance_m) int matrices between graph nodes, fastest paths.

        The distance is the length of the fastest path, not the shortest one, because that is
        the path the van drives.
        """
        unique, inverse = np.unique(np.asarray(nodes, dtype=np.int64), return_inverse=True)
        times, preds = dijkstra(
            self.duration_s, directed=True, indices=unique, return_predecessors=True
        )
        lengths = _lengths_along(preds, self.length_m)
        duration = times[:, unique][inverse][:, inverse]
        distance = lengths[:, unique][inverse][:, inverse]
        return np.rint(duration).astype(np.int64), np.rint(distance).astype(np.int64)

    def path(self, from_node: int, to_node: int) -> list[Coord]:
        """Return the polyline (lon, lat) of the fastest path between two nodes."""
        _, preds = dijkstra(
            self.duration_s, directed=True, indices=from_node, return_predecessors=True
        )
        nodes = [to_node]
        while nodes[-1] != from_node:
            previous = int(preds[nodes[-1]])
            if previous < 0:
                raise GraphError(f"node {to_node} cannot be reached from node {from_node}")
            nodes.append(previous)
        nodes.reverse()
        coords: list[Coord] = [(float(self.lon[from_node]), float(self.lat[from_node]))]
        for u, v in itertools.pairwise(nodes):
            coords.extend(self.shapes[(u, v)][1:])
        return coords


def speed_ms(segment: Segment) -> float:
    """Return the average speed in m/s assumed on a segment: its limit x its class factor."""
    factor = SPEED_FACTOR.get(segment.highway, DEFAULT_SPEED_FACTOR)
    return segment.maxspeed_kmh * factor / 3.6


def build_graph(segments: Iterable[Segment]) -> RoadGraph:
    """Build the directed graph of the drivable segments, keeping its largest strongly
    connected component (so every matrix entry is finite).

    Raises GraphError when no segment is drivable.
    """
    edges: dict[tuple[int, int], tuple[float, float, tuple[Coord, ...]]] = {}
    positions: dict[int, Coord] = {}

    def add(u: int, v: int, duration: float, length: float, coords: tuple[Coord, ...]) -> None:
        if u == v:
            return  # a loop street never shortens a path
        known = edges.get((u, v))
        if known is None or duration < known[0]:
            edges[(u, v)] = (duration, length, coords)

    for segment in segments:
        if not segment.drivable:
            continue
        positions[segment.source] = segment.coords[0]
        positions[segment.target] = segment.coords[-1]
        duration = segment.length_m / speed_ms(segment)
        add(segment.source, segment.target, duration, segment.length_m, segment.coords)
        if not segment.oneway:
            add(segment.target, segment.source, duration, segment.length_m, segment.coords[::-1])
    if not edges:
        raise GraphError("no drivable street in the network")
    osm_ids = np.array(sorted(positions), dtype=np.int64)
    index = {osm_id: i for i, osm_id in enumerate(osm_ids.tolist())}
    n = len(osm_ids)
    rows = np.array([index[u] for u, _ in edges])
    cols = np.array([index[v] for _, v in edges])
    durations = np.array([value[0] for value in edges.values()])
    lengths = np.array([value[1] for value in edges.values()])
    time_csr = csr_matrix((durations, (rows, cols)), shape=(n, n))
    _, labels = connected_components(time_csr, directed=True, connection="strong")
    keep = np.flatnonzero(labels == np.bincount(labels).argmax())
    renumber = -np.ones(n, dtype=np.int64)
    renumber[keep] = np.arange(len(keep))
    kept_edge = (renumber[rows] >= 0) & (renumber[cols] >= 0)
    r, c = renumber[rows[kept_edge]], renumber[cols[kept_edge]]
    m = len(keep)
    shapes = {
        (int(renumber[index[u]]), int(renumber[index[v]])): value[2]
        for (u, v), value in edges.items()
        if renumber[index[u]] >= 0 and renumber[index[v]] >= 0
    }
    coords = [positions[int(osm_id)] for osm_id in osm_ids[keep]]
    return RoadGraph(
        osm_ids=osm_ids[keep],
        lon=np.array([lon for lon, _ in coords]),
        lat=np.array([lat for _, lat in coords]),
        duration_s=csr_matrix((durations[kept_edge], (r, c)), shape=(m, m)),
        length_m=csr_matrix((lengths[kept_edge], (r, c)), shape=(m, m)),
        shapes=shapes,
        dropped_nodes=n - m,
    )


@lru_cache(maxsize=4)
def _load_graph(path: str, mtime_ns: int, size: int) -> RoadGraph:
    return build_graph(read_extract(path).segments)


def load_graph(path: str | Path) -> RoadGraph:
    """Read an .osm.pbf extract into a RoadGraph, cached per process while the file is unchanged.

    Raises geo.osm.ExtractError when the file cannot be read, GraphError when nothing is drivable.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat() if resolved.is_file() else None
    return _load_graph(str(resolved), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


def _lengths_along(preds: np.ndarray, length_m: csr_matrix) -> np.ndarray:
    """Sum edge lengths along each shortest-path tree (one row per source) by pointer jumping."""
    sources, n = preds.shape
    parent = np.where(preds < 0, np.arange(n)[None, :], preds)  # roots and unreachable: self
    edge = np.zeros((sources, n))
    has_parent = preds >= 0
    lookup = length_m.tocsr()
    src_rows = np.broadcast_to(np.arange(n)[None, :], (sources, n))
    edge[has_parent] = np.asarray(lookup[preds[has_parent], src_rows[has_parent]]).ravel()
    total = edge.copy()
    rows = np.arange(sources)[:, None]
    while True:
        grand = parent[rows, parent]
        if np.array_equal(grand, parent):
            return total
        total = total + np.where(parent != grand, total[rows, parent], 0.0)
        parent = grand


def straight_line_matrices(
    points: Sequence[tuple[float, float]],
    circuity: float = STRAIGHT_LINE_CIRCUITY,
    speed_kmh: float = STRAIGHT_LINE_SPEED_KMH,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (duration_s, distance_m) between (lat, lon) points: haversine x circuity."""
    n = len(points)
    distance = np.zeros((n, n))
    for i, (lat1, lon1) in enumerate(points):
        for j in range(i + 1, n):
            lat2, lon2 = points[j]
            distance[i, j] = distance[j, i] = haversine_m(lat1, lon1, lat2, lon2) * circuity
    duration = distance / (speed_kmh / 3.6)
    return np.rint(duration).astype(np.int64), np.rint(distance).astype(np.int64)
