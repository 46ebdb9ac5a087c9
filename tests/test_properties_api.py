"""Property-based tests of the public API and the map against hostile coordinates, boxes and
text (hypothesis, real PostGIS): never a server error, never a half-written report."""

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from reports.models import Report
from tests.factories import INSIDE, Territory
from tests.properties import (
    BBOX,
    BOUNDED,
    COORDINATE,
    HOSTILE_TEXT,
    as_form_value,
    assert_no_server_error,
    assert_refused_cleanly,
    corrupted,
    snapshot,
    valid_boxes,
)

VALID = {
    "lat": str(INSIDE[0]),
    "lon": str(INSIDE[1]),
    "category": "pothole",
    "answers": '{"size": "large"}',
    "description": "Buca profonda",
    "urgency": "3",
}
HOSTILE = {
    "lat": COORDINATE.map(as_form_value),
    "lon": COORDINATE.map(as_form_value),
    "category": HOSTILE_TEXT,
    "description": HOSTILE_TEXT,
    "answers": st.one_of(
        HOSTILE_TEXT,
        st.dictionaries(HOSTILE_TEXT, st.one_of(HOSTILE_TEXT, st.integers())).map(json.dumps),
    ),
    "urgency": st.one_of(st.integers(-5, 10).map(str), HOSTILE_TEXT),
    "emergency": HOSTILE_TEXT,
    "name": HOSTILE_TEXT,
    "email": st.one_of(st.emails().map(str), HOSTILE_TEXT),
    "phone": HOSTILE_TEXT,
    "accuracy_m": COORDINATE.map(as_form_value),
    "channel": HOSTILE_TEXT,
}


SUBMISSION = corrupted(VALID, HOSTILE)


def check_submission(api: APIClient, response: Any, before: dict[str, int]) -> None:
    if response.status_code == 201:
        report = Report.objects.get(pk=response.json()["id"])
        assert report.issue.report_count >= 1
        assert api.get(f"/api/v1/issues/{report.issue_id}/").status_code == 200
    else:
        assert_refused_cleanly(response, before)


@BOUNDED
@given(form=SUBMISSION)
def test_multipart_submission_never_fails_and_never_half_writes(
    territory: Territory, form: dict[str, str]
) -> None:
    api = APIClient()
    before = snapshot()
    response = api.post("/api/v1/reports/", form, format="multipart")
    check_submission(api, response, before)


@BOUNDED
@given(
    lat=st.one_of(st.floats(allow_nan=False, allow_infinity=False), COORDINATE),
    lon=st.one_of(st.floats(allow_nan=False, allow_infinity=False), COORDINATE),
    description=HOSTILE_TEXT,
    answers=st.one_of(
        st.dictionaries(HOSTILE_TEXT, st.one_of(HOSTILE_TEXT, st.integers(), st.none())),
        st.lists(st.integers()),
        HOSTILE_TEXT,
    ),
)
def test_json_submission_never_fails_and_never_half_writes(
    territory: Territory, lat: Any, lon: Any, description: str, answers: Any
) -> None:
    api = APIClient()
    body = {"lat": lat, "lon": lon, "category": "pothole", "description": description}
    body["answers"] = answers
    before = snapshot()
    response = api.post(
        "/api/v1/reports/", json.dumps(body), content_type="application/json"
    )  # json.dumps writes NaN and Infinity, as a sloppy client would
    check_submission(api, response, before)


MAP_VALID = {
    "bbox": "24.9,60.16,24.96,60.18",
    "status": "open",
    "category": "pothole",
    "zoom": "14",
    "page": "1",
    "page_size": "10",
}
MAP_HOSTILE = {
    "bbox": BBOX,
    "status": HOSTILE_TEXT,
    "category": HOSTILE_TEXT,
    "zoom": st.one_of(st.integers(-(10**6), 10**6).map(str), COORDINATE.map(as_form_value)),
    "closed": HOSTILE_TEXT,
    "page": st.one_of(st.integers(-3, 10**12).map(str), HOSTILE_TEXT),
    "page_size": st.one_of(st.integers(-3, 10**9).map(str), HOSTILE_TEXT),
}
NEARBY_VALID = {"lat": str(INSIDE[0]), "lon": str(INSIDE[1]), "category": "pothole"}
NEARBY_HOSTILE = {
    "lat": COORDINATE.map(as_form_value),
    "lon": COORDINATE.map(as_form_value),
    "category": HOSTILE_TEXT,
}


@BOUNDED
@given(params=corrupted(MAP_VALID, MAP_HOSTILE))
def test_issue_list_bbox_and_filters_never_fail(
    territory: Territory, params: dict[str, str]
) -> None:
    assert_no_server_error(APIClient().get("/api/v1/issues/", params))


@BOUNDED
@given(params=corrupted(NEARBY_VALID, NEARBY_HOSTILE))
def test_nearby_never_fails(territory: Territory, params: dict[str, str]) -> None:
    assert_no_server_error(APIClient().get("/api/v1/issues/nearby/", params))


@BOUNDED
@given(params=corrupted(MAP_VALID, MAP_HOSTILE))
def test_map_viewport_never_fails(territory: Territory, params: dict[str, str]) -> None:
    assert_no_server_error(APIClient().get("/map/viewport", params))


@BOUNDED
@given(email=st.one_of(st.emails().map(str), HOSTILE_TEXT))
def test_support_never_fails_and_never_half_writes(territory: Territory, email: str) -> None:
    api = APIClient()
    filed = api.post(
        "/api/v1/reports/",
        {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "answers": {"size": "large"}},
        format="json",
    )
    issue = filed.json()["issue"]
    before = snapshot()
    response = api.post(f"/api/v1/issues/{issue}/support/", {"email": email}, format="json")
    if response.status_code >= 300:
        assert_refused_cleanly(response, before)


@BOUNDED
@given(
    description=st.text(
        st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=4000
    )
)
def test_any_unicode_description_is_stored_and_read_back_as_sent(
    territory: Territory, description: str
) -> None:
    api = APIClient()
    response = api.post("/api/v1/reports/", {**VALID, "description": description})
    assert response.status_code == 201, response.json()
    public = api.get(f"/api/v1/reports/{response.json()['id']}/").json()
    # DRF trims surrounding whitespace; everything else, RTL marks and controls included, stays.
    assert public["description"] == description.strip()


@st.composite
def boxes_near_the_issue(draw: st.DrawFn) -> str:
    """Boxes whose edges fall within about 100 m of the issue, either side of it."""
    lat, lon = INSIDE
    offsets = st.floats(-0.001, 0.001)
    west, east = sorted((lon + draw(offsets), lon + draw(offsets) + 1e-9))
    south, north = sorted((lat + draw(offsets), lat + draw(offsets) + 1e-9))
    return f"{west!r},{south!r},{east!r},{north!r}"


@BOUNDED
@given(bbox=st.one_of(valid_boxes(), boxes_near_the_issue()))
def test_the_issue_list_holds_an_issue_exactly_when_the_box_contains_it(
    territory: Territory, bbox: str
) -> None:
    api = APIClient()
    filed = api.post("/api/v1/reports/", VALID).json()["issue"]
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox.split(","))
    lat, lon = INSIDE
    # PostGIS compares boxes in single precision (&&): within ~1 m of an edge either is right.
    margin = 1e-5
    clearly_in = (
        min_lon + margin < lon < max_lon - margin and min_lat + margin < lat < max_lat - margin
    )
    clearly_out = not (
        min_lon - margin <= lon <= max_lon + margin and min_lat - margin <= lat <= max_lat + margin
    )

    response = api.get("/api/v1/issues/", {"bbox": bbox})

    assert response.status_code == 200
    listed = filed in [feature["id"] for feature in response.json()["features"]]
    if clearly_in:
        assert listed, bbox
    if clearly_out:
        assert not listed, bbox


def test_nul_in_a_category_filter_is_no_server_error(territory: Territory) -> None:
    """Found by the properties above: PostgreSQL refused the NUL and the answer was a 500."""
    api = APIClient()
    listed = api.get("/api/v1/issues/", {"category": "pot\x00hole"})
    assert listed.status_code == 200 and listed.json()["features"] == []
    viewport = api.get("/map/viewport", {**MAP_VALID, "category": "pot\x00hole"})
    assert viewport.status_code == 400 and "category" in viewport.json()
