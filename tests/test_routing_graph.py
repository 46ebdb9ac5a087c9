"""routing.graph: the directed road graph, snapping, matrices and leg shapes."""

from pathlib import Path

import numpy as np
import pytest

from geo.osm import Coord, ExtractError, Segment, line_length_m
from routing.graph import (
    GraphError,
    build_graph,
    load_graph,
    speed_ms,
    straight_line_matrices,
)

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "osm" / "helsinki.osm.pbf"


def street(
    source: int,
    target: int,
    *coords: Coord,
    oneway: bool = False,
    highway: str = "residential",
    maxspeed: int = 30,
    drivable: bool = True,
) -> Segment:
    return Segment(
        osm_way_id=source * 100 + target,
        name="",
        highway=highway,
        oneway=oneway,
        drivable=drivable,
        maxspeed_kmh=maxspeed,
        source=source,
        target=target,
        coords=coords,
        length_m=line_length_m(coords),
    )


# A 100 m x 111 m block: 1 (south-west), 2 (north-west), 3 (north-east), 4 (south-east).
SW, NW, NE, SE = (24.940, 60.170), (24.940, 60.171), (24.942, 60.171), (24.942, 60.170)


def block(*, one_way_north_side: bool) -> list[Segment]:
    return [
        street(1, 2, SW, NW),
        street(2, 3, NW, NE, oneway=one_way_north_side),
        street(3, 4, NE, SE),
        street(4, 1, SE, SW),
    ]


def test_a_one_way_street_is_driven_in_its_direction_only() -> None:
    graph = build_graph(block(one_way_north_side=True))
    nodes, _ = graph.snap([(60.171, 24.940), (60.171, 24.942)])  # NW, NE

    duration, distance = graph.matrices(nodes)

    north_side = line_length_m((NW, NE))
    assert distance[0, 1] == round(north_side)
    # NE to NW must go round the other three sides of the block.
    assert distance[1, 0] == round(line_length_m((NE, SE, SW, NW)))
    assert duration[1, 0] > duration[0, 1]


def test_two_way_streets_give_a_symmetric_matrix() -> None:
    graph = build_graph(block(one_way_north_side=False))
    nodes, _ = graph.snap([(60.170, 24.940), (60.171, 24.940), (60.171, 24.942)])

    duration, distance = graph.matrices(nodes)

    assert (duration == duration.T).all()
    assert (distance == distance.T).all()


def test_travel_time_is_the_speed_limit_times_the_class_factor() -> None:
    residential = street(1, 2, SW, NW)
    primary = street(1, 2, SW, NW, highway="primary", maxspeed=50)

    assert speed_ms(residential) == pytest.approx(30 * 0.65 / 3.6)
    assert speed_ms(primary) == pytest.approx(50 * 0.8 / 3.6)
    graph = build_graph([residential])
    duration, _ = graph.matrices([0, 1])
    assert duration[0, 1] == round(residential.length_m / speed_ms(residential))


def test_the_distance_is_the_length_of_the_fastest_path() -> None:
    # From SW to NE: a slow short lane (living street, 10 km/h) or a fast detour by SE.
    lane = street(1, 3, SW, NE, highway="living_street", maxspeed=10)
    detour = [
        street(1, 4, SW, SE, highway="primary", maxspeed=50),
        street(4, 3, SE, NE, highway="primary", maxspeed=50),
    ]
    graph = build_graph([lane, *detour])
    nodes, _ = graph.snap([(60.170, 24.940), (60.171, 24.942)])

    duration, distance = graph.matrices(nodes)

    assert distance[0, 1] == round(line_length_m((SW, SE, NE)))
    assert duration[0, 1] < lane.length_m / speed_ms(lane)


def test_streets_cut_off_from_the_rest_are_dropped() -> None:
    # A one-way street out of the block into a dead end: nothing comes back from node 5.
    spur = street(3, 5, NE, (24.944, 60.171), oneway=True)
    footway = street(4, 6, SE, (24.942, 60.169), drivable=False)

    graph = build_graph([*block(one_way_north_side=False), spur, footway])

    assert sorted(graph.osm_ids.tolist()) == [1, 2, 3, 4]
    assert graph.dropped_nodes == 1


def test_no_drivable_street_is_an_error() -> None:
    with pytest.raises(GraphError):
        build_graph([street(1, 2, SW, NW, drivable=False)])


def test_points_snap_to_the_nearest_junction() -> None:
    graph = build_graph(block(one_way_north_side=False))

    nodes, metres = graph.snap([(60.17095, 24.94195), (60.1701, 24.9401)])

    assert [int(graph.osm_ids[n]) for n in nodes] == [3, 1]
    assert metres[0] == pytest.approx(6, abs=1)


def test_a_leg_follows_the_street_shapes_in_driving_order() -> None:
    bend = (24.941, 60.1715)
    graph = build_graph([street(1, 2, SW, NW), street(2, 3, NW, bend, NE), street(3, 1, NE, SW)])
    sw, nw, ne = graph.snap([(60.170, 24.940), (60.171, 24.940), (60.171, 24.942)])[0]

    assert graph.path(ne, nw) == [NE, bend, NW]  # a two-way street driven against its drawing
    assert graph.path(sw, sw) == [SW]


def test_straight_lines_are_stretched_by_the_circuity_factor() -> None:
    points = [(60.170, 24.940), (60.179, 24.940)]  # ~1 km north

    duration, distance = straight_line_matrices(points)

    assert distance[0, 1] == pytest.approx(1.3 * 1001, abs=2)
    assert duration[0, 1] == pytest.approx(distance[0, 1] / (30 / 3.6), abs=1)
    assert distance[0, 0] == 0


def test_the_demo_extract_makes_a_routable_graph_with_one_way_streets() -> None:
    graph = load_graph(DEMO)
    rng = np.random.default_rng(1)
    nodes = rng.choice(graph.node_count, 40, replace=False).tolist()

    duration, distance = graph.matrices(nodes)

    assert graph.node_count > 800
    assert np.isfinite(duration).all() and (duration[~np.eye(40, dtype=bool)] > 0).all()
    assert (duration != duration.T).mean() > 0.5  # one-way streets everywhere
    leg = graph.path(nodes[0], nodes[1])
    assert line_length_m(leg) == pytest.approx(distance[0, 1], abs=1)
    assert load_graph(DEMO) is graph  # cached while the file is unchanged


def test_a_missing_extract_is_an_extract_error(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match="no such file"):
        load_graph(tmp_path / "nowhere.osm.pbf")
