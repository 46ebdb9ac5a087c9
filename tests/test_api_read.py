import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from reports.models import Issue, Report
from tests.factories import INSIDE, OUTSIDE, Territory

WEST = (INSIDE[0], INSIDE[1] - 0.005)
EAST = (INSIDE[0], INSIDE[1] + 0.005)
NAME, EMAIL, PHONE = "Mariangela Esposito", "mariangela.esposito@example.org", "+39 347 5550199"
# Where the photo claims it was taken: distinct digits from the pin so a leak is visible.
PHOTO_LAT, PHOTO_LON = 60.1711111, 24.9333333


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), "#886644")
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "PhoneModel X"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (60.0, 10.0, 16.0), 3: "E", 4: (24.0, 56.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def submit(api: APIClient, lat_lon: tuple[float, float], **extra: Any) -> dict[str, Any]:
    form = {
        "lat": lat_lon[0],
        "lon": lat_lon[1],
        "category": "pothole",
        "answers": json.dumps({"size": "small"}),
        "description": "Buca davanti al civico 3",
        **extra,
    }
    response = api.post("/api/v1/reports/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


def test_no_public_endpoint_shows_personal_data_or_photo_position(
    api: APIClient, territory: Territory
) -> None:
    photo = SimpleUploadedFile("IMG_1234.jpg", photo_with_gps(), content_type="image/jpeg")
    created = submit(api, WEST, name=NAME, email=EMAIL, phone=PHONE, photo=[photo])
    report = Report.objects.get(pk=created["id"])
    assert report.photo_location is not None  # kept, for staff only
    photo_url = report.photos.get().image.url
    pages = [
        f"/api/v1/reports/{created['id']}/",
        f"/api/v1/issues/{created['issue']}/",
        "/api/v1/issues/",
        "/api/v1/issues/?status=open,under_review,closed",
        "/api/v1/categories/",
        f"/t/{created['tracking_code']}/",
        f"/issues/{created['issue']}/",
        photo_url,
    ]

    for url in pages:
        response = api.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in (
            NAME,
            EMAIL,
            PHONE,
            "Mariangela",
            "347 5550199",
            "PhoneMaker",
            "PhoneModel",
            "IMG_1234",
        ):
            assert secret.encode() not in body, (url, secret)
        for coordinate in (f"{PHOTO_LAT:.4f}", f"{PHOTO_LON:.4f}"):
            assert coordinate.encode() not in body, (url, coordinate)


def test_issue_detail_explains_priority_and_counts(api: APIClient, territory: Territory) -> None:
    created = submit(api, WEST, urgency=5)

    body = api.get(f"/api/v1/issues/{created['issue']}/").json()

    assert body["report_count"] == 1
    assert body["supporter_count"] == 0
    assert body["status"] == "open"
    factors = {term["factor"]: term for term in body["priority_explained"]}
    assert set(factors) == {"severity", "urgency", "emergency", "crowd", "deadline"}
    assert sum(term["points"] for term in factors.values()) == pytest.approx(body["priority"])
    assert factors["urgency"]["points"] == 20
    assert all(term["label"] for term in factors.values())
    assert [entry["kind"] for entry in body["timeline"]] == ["created"]


def test_issue_list_is_geojson_filtered_by_bbox_status_and_category(
    api: APIClient, territory: Territory
) -> None:
    west = submit(api, WEST)
    east = submit(api, EAST)
    Issue.objects.filter(pk=east["issue"]).update(status="closed", close_reason="fixed")

    everything_open = api.get("/api/v1/issues/").json()
    box = f"{WEST[1] - 0.001},{WEST[0] - 0.001},{WEST[1] + 0.001},{WEST[0] + 0.001}"
    west_box = api.get(f"/api/v1/issues/?bbox={box}&status=open,closed").json()
    closed = api.get("/api/v1/issues/?status=closed&category=pothole").json()
    other_category = api.get("/api/v1/issues/?category=streetlight").json()

    assert everything_open["type"] == "FeatureCollection"
    assert [f["id"] for f in everything_open["features"]] == [west["issue"]]
    feature = everything_open["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx([WEST[1], WEST[0]])
    assert feature["properties"]["status"] == "open"
    assert [f["id"] for f in west_box["features"]] == [west["issue"]]
    assert [f["id"] for f in closed["features"]] == [east["issue"]]
    assert other_category["features"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=25,60,24,61", "bbox"),
        ("bbox=0,0,nan,1", "bbox"),
        ("status=pending", "status"),
    ],
)
def test_issue_list_refuses_bad_filters(
    query: str, field: str, api: APIClient, territory: Territory
) -> None:
    response = api.get(f"/api/v1/issues/?{query}")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("page_size=-1", "page_size", "page_size is a whole number from 1 to 5000."),
        ("page_size=0", "page_size", "page_size is a whole number from 1 to 5000."),
        ("page_size=abc", "page_size", "page_size is a whole number from 1 to 5000."),
        ("page_size=5001", "page_size", "page_size is a whole number from 1 to 5000."),
        ("page_size=1.5", "page_size", "page_size is a whole number from 1 to 5000."),
        ("page_size=1&page_size=2", "page_size", "Give page_size once."),
        ("page=0", "page", "page is a whole number from 1, or last."),
        ("page=-1", "page", "page is a whole number from 1, or last."),
        ("page=abc", "page", "page is a whole number from 1, or last."),
        ("bbox=24,60,25,61&bbox=20,50,21,51", "bbox", "Give bbox once."),
    ],
)
def test_issue_list_refuses_bad_pages_with_a_message(
    query: str, field: str, message: str, api: APIClient, territory: Territory
) -> None:
    response = api.get(f"/api/v1/issues/?{query}")

    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_issue_list_pages_and_repeated_filters_add_up(api: APIClient, territory: Territory) -> None:
    west = submit(api, WEST)["issue"]
    east = submit(api, EAST)["issue"]
    Issue.objects.filter(pk=east).update(status="closed", close_reason="fixed")

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/issues/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(f["id"] for f in response.json()["features"])

    assert ids("status=open&status=closed") == sorted([west, east])
    assert ids("status=closed&category=streetlight&category=pothole") == [east]
    first = api.get("/api/v1/issues/?status=open,closed&page_size=1").json()
    assert len(first["features"]) == 1 and first["count"] == 2
    second = api.get("/api/v1/issues/?status=open,closed&page_size=1&page=2").json()
    last = api.get("/api/v1/issues/?status=open,closed&page_size=1&page=last").json()
    assert second["features"] == last["features"] != first["features"]
    assert api.get("/api/v1/issues/?page_size=5000&page=1").status_code == 200
    assert api.get("/api/v1/issues/?page_size=&page=&bbox=").status_code == 200  # as if absent
    assert api.get("/api/v1/issues/?status=open,closed&page_size=1&page=3").status_code == 404


def test_an_absurd_answer_is_refused_and_nothing_is_filed(
    api: APIClient, territory: Territory
) -> None:
    body = {"lat": WEST[0], "lon": WEST[1], "category": "pothole"}
    body["answers"] = {"size": "small", "depth_cm": 1e308}
    response = api.post("/api/v1/reports/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"answers": {"depth_cm": "Give a number from 0 to 1,000,000."}}
    assert not Report.objects.exists()


def test_hidden_issue_is_not_public(api: APIClient, territory: Territory) -> None:
    created = submit(api, WEST)
    Issue.objects.filter(pk=created["issue"]).update(hidden=True)

    assert api.get(f"/api/v1/issues/{created['issue']}/").status_code == 404
    assert api.get(f"/api/v1/reports/{created['id']}/").status_code == 404
    assert api.get("/api/v1/issues/").json()["features"] == []


def test_categories_offered_depend_on_the_place(api: APIClient, territory: Territory) -> None:
    west = api.get(f"/api/v1/categories/?lat={WEST[0]}&lon={WEST[1]}").json()
    east = api.get(f"/api/v1/categories/?lat={EAST[0]}&lon={EAST[1]}").json()

    west_codes = {c["code"] for c in west}
    assert "east-bins" not in west_codes
    assert {"pothole", "streetlight", "gas-leak"} <= west_codes
    assert "east-bins" in {c["code"] for c in east}
    pothole = next(c for c in west if c["code"] == "pothole")
    assert pothole["questions"][0] == {
        "code": "size",
        "label": "How big is it?",
        "kind": "choice",
        "required": True,
        "choices": [{"key": "small", "label": "Small"}, {"key": "large", "label": "Large"}],
    }
    gas = next(c for c in west if c["code"] == "gas-leak")
    assert gas["handled_by_municipality"] is False
    assert "800 900 900" in gas["redirect"]["instructions"]


def test_category_names_follow_the_language(api: APIClient, territory: Territory) -> None:
    body = api.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="it").json()

    assert "Buca stradale" in {c["name"] for c in body}


@pytest.mark.parametrize(
    "query, field",
    [
        (f"lat={OUTSIDE[0]}&lon={OUTSIDE[1]}", "location"),
        ("lat=95&lon=24.9", "lat"),
        ("lat=nan&lon=24.9", "lat"),
        ("lat=60.17", "lon"),
    ],
)
def test_categories_refuse_bad_places(
    query: str, field: str, api: APIClient, territory: Territory
) -> None:
    response = api.get(f"/api/v1/categories/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_openapi_schema_and_docs_are_served_locally(api: APIClient, db: None) -> None:
    schema = api.get("/api/schema/")
    docs = api.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/reports/" in schema.content
    assert docs.status_code == 200
    assert b"cdn." not in docs.content
    assert b"unpkg" not in docs.content


def test_served_photo_has_no_exif_gps_or_camera_tags(api: APIClient, territory: Territory) -> None:
    photo = SimpleUploadedFile("IMG_1234.jpg", photo_with_gps(), content_type="image/jpeg")
    created = submit(api, WEST, photo=[photo])
    url = api.get(f"/api/v1/reports/{created['id']}/").json()["photos"][0]["url"]

    response = api.get(url)
    served = b"".join(response.streaming_content)

    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in served and b"PhoneMaker" not in served
