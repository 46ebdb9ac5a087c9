"""The public layer as Mapbox vector tiles (/map/tiles/z/x/y.pbf): public statuses only, and
an empty answer map clients accept for empty and out-of-range tiles."""

import math
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from reports.models import Status
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, moved
from tests.test_maps_api import make_issue


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Yield (field number, value) of a protobuf message: varints and length-delimited only."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        if key & 7 == 0:
            value, at = _varint(data, at)
            yield key >> 3, value
        elif key & 7 == 2:
            size, at = _varint(data, at)
            yield key >> 3, data[at : at + size]
            at += size
        else:
            raise AssertionError(f"wire type {key & 7} is not used by ST_AsMVT's attributes")


def _value(data: bytes) -> Any:
    # Vector tile spec 2.1, Value: 1 string, 4 int64, 5 uint64, 6 sint64 (zigzag), 7 bool.
    ((number, raw),) = list(_fields(data))
    if number == 1:
        assert isinstance(raw, bytes)
        return raw.decode()
    assert isinstance(raw, int)
    return (raw >> 1) ^ -(raw & 1) if number == 6 else raw


def tile_features(tile: bytes) -> list[dict[str, Any]]:
    """The attributes of every feature of every layer (tile 3, layer 2/3/4, feature tags 2)."""
    features = []
    for number, layer in _fields(tile):
        assert number == 3 and isinstance(layer, bytes)
        parts = list(_fields(layer))
        keys = [k.decode() for n, k in parts if n == 3 and isinstance(k, bytes)]
        values = [_value(v) for n, v in parts if n == 4 and isinstance(v, bytes)]
        for feature in (f for n, f in parts if n == 2 and isinstance(f, bytes)):
            tags: list[int] = []
            for n, packed in _fields(feature):
                if n == 2 and isinstance(packed, bytes):
                    at = 0
                    while at < len(packed):
                        tag, at = _varint(packed, at)
                        tags.append(tag)
            pairs = zip(tags[::2], tags[1::2], strict=True)
            features.append({keys[k]: values[v] for k, v in pairs})
    return features


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile holding a point at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_tiles_carry_the_public_status_never_the_workflow_one(
    territory: Territory, client: Client
) -> None:
    assigned = make_issue(territory.pothole, status=Status.ASSIGNED)
    waiting = make_issue(
        territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 300), status=Status.WAITING_CITIZEN
    )
    new = make_issue(territory.streetlight, moved((CENTRE_LAT, CENTRE_LON), 600))
    recent = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 900), closed_days_ago=2)
    # At zoom 18 (~75 m tiles here) each issue lies in a tile of its own.
    features = []
    for issue in (assigned, waiting, new, recent):
        x, y = tile_of(issue.location.y, issue.location.x, 18)
        answer = client.get(f"/map/tiles/18/{x}/{y}.pbf", {"closed": "1"})
        assert answer.status_code == 200
        features += tile_features(answer.content)

    by_id = {f["id"]: f for f in features}
    assert sorted(by_id) == sorted([assigned.pk, waiting.pk, new.pk, recent.pk])
    assert by_id[assigned.pk]["status"] == "under_review"
    assert by_id[waiting.pk]["status"] == "under_review"
    assert by_id[new.pk]["status"] == "open"
    assert by_id[recent.pk]["status"] == "closed"


def test_a_tile_cluster_has_a_count_and_no_status(territory: Territory, client: Client) -> None:
    make_issue(territory.pothole, status=Status.IN_PROGRESS)
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), metres_east=10))

    features = tile_features(client.get("/map/tiles/0/0/0.pbf").content)

    assert features == [{"n": 2, "id": features[0]["id"], "category_id": territory.pothole.pk}]


@pytest.mark.parametrize(
    "path", ["/map/tiles/30/0/0.pbf", "/map/tiles/0/1/0.pbf", "/map/tiles/3/0/8.pbf"]
)
def test_a_tile_outside_the_pyramid_is_empty_not_an_html_page(
    territory: Territory, client: Client, path: str
) -> None:
    make_issue(territory.pothole)

    answer = client.get(path)

    assert answer.status_code == 204
    assert answer.content == b""
    assert answer["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_a_tile_without_issues_is_204_and_one_with_issues_200(
    territory: Territory, client: Client
) -> None:
    make_issue(territory.pothole)
    x, y = tile_of(CENTRE_LAT, CENTRE_LON, 12)

    assert client.get(f"/map/tiles/12/{x}/{y}.pbf").status_code == 200
    empty = client.get(f"/map/tiles/12/{(x + 100) % 4096}/{y}.pbf")
    assert empty.status_code == 204 and empty.content == b""
