"""The public map's data: viewport clusters, filters, caching, popups and the list view."""

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from maps_static import layer
from maps_static.querysets import Viewport, viewport_cells
from reports.actions import refresh_issue
from reports.models import Category, CloseReason, Issue, Photo, Report, Reporter, Status
from tests.factories import CENTRE_LAT, CENTRE_LON, Territory, jpeg_bytes, moved

# The test territory is 0.04 x 0.02 degrees; this box holds all of it.
BBOX = f"{CENTRE_LON - 0.03},{CENTRE_LAT - 0.02},{CENTRE_LON + 0.03},{CENTRE_LAT + 0.02}"
PERSONAL = ("Mario Rossi", "mario.rossi@example.org", "+39 333 1234567")


def make_issue(
    category: Category,
    at: tuple[float, float] = (CENTRE_LAT, CENTRE_LON),
    *,
    status: str = Status.NEW,
    hidden: bool = False,
    closed_days_ago: float | None = None,
    address: str = "Via Roma 1",
) -> Issue:
    """An issue with one report by a reporter who left every kind of personal data."""
    now = timezone.now()
    closed_at = now - dt.timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    issue = Issue.objects.create(
        category=category,
        department=category.department,
        location=f"SRID=4326;POINT({at[1]} {at[0]})",
        address=address,
        status=Status.CLOSED if closed_at else status,
        close_reason=CloseReason.FIXED if closed_at else "",
        closed_at=closed_at,
        hidden=hidden,
        report_count=1,
        first_reported_at=now,
        last_reported_at=now,
        due_at=now + dt.timedelta(days=10),
    )
    name, email, phone = PERSONAL
    reporter = Reporter.objects.create(name=name, email=email, phone=phone)
    Report.objects.create(
        issue=issue,
        category=category,
        location=issue.location,
        reporter=reporter,
        photo_location=f"SRID=4326;POINT({at[1] + 0.0001} {at[0] + 0.0001})",
    )
    return issue


def viewport(client: Client, zoom: int, **params: str) -> Any:
    response = client.get("/map/viewport", {"bbox": BBOX, "zoom": zoom, **params})
    assert response.status_code == 200, response.content
    return response.json()["cells"]


def test_issues_a_few_metres_apart_are_one_cluster_at_city_zoom_and_markers_at_street_zoom(
    territory: Territory, client: Client
) -> None:
    for metres in (0, 10, 20):
        make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), metres_east=metres))
    far = make_issue(territory.streetlight, moved((CENTRE_LAT, CENTRE_LON), metres_north=800))

    city = viewport(client, 13)
    assert sorted(c["n"] for c in city) == [1, 3]
    single = next(c for c in city if c["n"] == 1)
    assert single["id"] == far.pk
    assert single["s"] == "open"
    assert single["c"] == territory.streetlight.pk

    street = viewport(client, 19)
    assert [c["n"] for c in street] == [1, 1, 1, 1]


def test_hidden_issues_and_long_closed_ones_never_reach_the_map(
    territory: Territory, client: Client
) -> None:
    shown = make_issue(territory.pothole)
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 300), hidden=True)
    recent = make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 600), closed_days_ago=3)
    make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), 900), closed_days_ago=90)

    assert [c["id"] for c in viewport(client, 19)] == [shown.pk]
    with_closed = viewport(client, 19, closed="1")
    assert sorted(c["id"] for c in with_closed) == sorted([shown.pk, recent.pk])
    assert {c["s"] for c in with_closed} == {"open", "closed"}


def test_category_and_status_filters_change_what_the_viewport_returns(
    territory: Territory, client: Client
) -> None:
    pothole = make_issue(territory.pothole)
    light = make_issue(
        territory.streetlight, moved((CENTRE_LAT, CENTRE_LON), 500), status=Status.ASSIGNED
    )

    assert [c["id"] for c in viewport(client, 19, category="streetlight")] == [light.pk]
    assert [c["id"] for c in viewport(client, 19, status="open")] == [pothole.pk]
    assert [c["id"] for c in viewport(client, 19, status="under_review")] == [light.pk]
    assert viewport(client, 19, status="") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3", "zoom": "12"}, "bbox"),
        ({"bbox": "25,61,24,60", "zoom": "12"}, "bbox"),
        ({"bbox": BBOX, "zoom": "eleven"}, "zoom"),
        ({"bbox": BBOX, "zoom": "40"}, "zoom"),
        ({"bbox": BBOX, "zoom": "12", "category": "unicorns"}, "category"),
        ({"bbox": BBOX, "zoom": "12", "status": "lost"}, "status"),
    ],
)
def test_bad_viewport_parameters_get_a_400_in_the_users_language(
    territory: Territory, client: Client, params: dict[str, str], field: str
) -> None:
    response = client.get("/map/viewport", params, HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 400
    message = response.json()[field][0]
    english = client.get("/map/viewport", params, HTTP_ACCEPT_LANGUAGE="en").json()[field][0]
    assert message != english, "the Italian message must be translated"


def test_viewport_costs_one_query_then_none_while_nothing_changes(
    territory: Territory, client: Client, django_assert_num_queries: Any
) -> None:
    for metres in range(0, 2000, 100):
        make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), metres_east=metres))
    with django_assert_num_queries(1):
        first = client.get("/map/viewport", {"bbox": BBOX, "zoom": 14})
    with django_assert_num_queries(0):
        again = client.get("/map/viewport", {"bbox": BBOX, "zoom": 14})
    assert first.content == again.content
    # A category filter adds the lookup of the codes.
    with django_assert_num_queries(2):
        client.get("/map/viewport", {"bbox": BBOX, "zoom": 14, "category": "pothole"})


def test_viewport_answers_carry_an_etag_that_changes_when_an_issue_changes(
    territory: Territory, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    issue = make_issue(territory.pothole)
    first = client.get("/map/viewport", {"bbox": BBOX, "zoom": 19})
    etag = first["ETag"]
    assert "max-age" in first["Cache-Control"]
    assert first.json()["cells"][0]["s"] == "open"

    unchanged = client.get("/map/viewport", {"bbox": BBOX, "zoom": 19}, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304

    issue.status = Status.ASSIGNED
    with django_capture_on_commit_callbacks(execute=True):
        refresh_issue(issue)
    changed = client.get("/map/viewport", {"bbox": BBOX, "zoom": 19}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["cells"][0]["s"] == "under_review"


def test_a_storm_of_changes_is_published_at_most_once_per_interval_and_never_lost(
    territory: Territory,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layer, "VERSION_MIN_INTERVAL_S", 1)
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "maps_static.tasks.rebuild_public_snapshot.apply_async", lambda **kw: queued.append(kw)
    )
    issue = make_issue(territory.pothole)
    params = {"bbox": BBOX, "zoom": 19}
    etag = client.get("/map/viewport", params)["ETag"]

    def change(status: str) -> None:
        issue.status = status
        with django_capture_on_commit_callbacks(execute=True):
            refresh_issue(issue)

    change(Status.ASSIGNED)  # the first change after a quiet spell is published at once
    first = client.get("/map/viewport", params, HTTP_IF_NONE_MATCH=etag)
    assert first.status_code == 200
    assert first.json()["cells"][0]["s"] == "under_review"

    change(Status.REOPENED)  # within the interval: the cached answer stays
    stale = client.get("/map/viewport", params, HTTP_IF_NONE_MATCH=first["ETag"])
    assert stale.status_code == 304

    time.sleep(1.2)
    # No other change came: the next request publishes the pending one.
    fresh = client.get("/map/viewport", params, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert fresh.json()["cells"][0]["s"] == "open"
    assert len(queued) == 1  # one snapshot rebuild for the whole storm


def test_the_popup_summary_is_public_and_carries_the_first_thumbnail(
    territory: Territory, client: Client, media_root: Any
) -> None:
    issue = make_issue(territory.pothole, address="Via Garibaldi 3")
    issue.priority_explained = {"people": 4}
    issue.save()
    photo = Photo(report=issue.reports.get(), sha256="0" * 64)
    photo.image.save("x.jpg", ContentFile(jpeg_bytes()), save=False)
    photo.thumbnail.save("t.jpg", ContentFile(jpeg_bytes((32, 24))), save=False)
    photo.save()

    response = client.get(f"/map/issues/{issue.pk}/summary")

    assert response.status_code == 200
    summary = response.json()
    assert summary["category"] == "Pothole"
    assert summary["address"] == "Via Garibaldi 3"
    assert summary["status"] == "open"
    assert summary["people"] == 4
    assert summary["thumbnail_url"] == photo.thumbnail.url
    assert summary["url"] == f"/issues/{issue.pk}/"
    for personal in PERSONAL:
        assert personal not in response.content.decode()
    assert "60.17" not in response.content.decode(), "no exact photo position"


def test_the_popup_of_a_hidden_issue_is_not_found(territory: Territory, client: Client) -> None:
    issue = make_issue(territory.pothole, hidden=True)
    assert client.get(f"/map/issues/{issue.pk}/summary").status_code == 404


def test_the_list_view_shows_the_same_issues_paginated_without_personal_data(
    territory: Territory, client: Client, django_assert_num_queries: Any
) -> None:
    for n in range(55):
        make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), n * 10), address=f"Via {n}")
    light = make_issue(territory.streetlight, address="Via della Luce")

    with django_assert_num_queries(3):  # categories, count, page
        first = client.get("/map/list/")
    content = first.content.decode()
    assert first.status_code == 200
    assert "56 problems found" in content
    assert content.count("<tr>") == 51  # header + 50 rows
    assert "Page 1 of 2" in content
    for personal in PERSONAL:
        assert personal not in content

    second = client.get("/map/list/", {"page": 2})
    assert second.content.decode().count("<tr>") == 7

    filtered = client.get("/map/list/", {"category": "streetlight"}).content.decode()
    assert "1 problem found" in filtered
    assert f"/issues/{light.pk}/" in filtered


def test_the_list_view_refuses_an_unknown_category_with_a_message(
    territory: Territory, client: Client
) -> None:
    response = client.get("/map/list/", {"category": "unicorns"}, HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 400
    assert "unicorns" in response.content.decode()


def test_the_grid_and_the_bare_query_agree_on_the_counts(territory: Territory) -> None:
    for metres in range(0, 1500, 30):
        make_issue(territory.pothole, moved((CENTRE_LAT, CENTRE_LON), metres_east=metres))
    for zoom in (10, 14, 16, 19):
        view = Viewport(
            CENTRE_LON - 0.03, CENTRE_LAT - 0.02, CENTRE_LON + 0.03, CENTRE_LAT + 0.02, zoom
        )
        assert sum(cell.count for cell in viewport_cells(view)) == 50


def test_the_page_offers_the_categories_and_links_to_the_list(
    territory: Territory, client: Client
) -> None:
    content = client.get("/map/").content.decode()
    assert 'href="/map/list/"' in content
    assert "Street light out" in content
    assert "leaflet/leaflet.js" in content
    assert "Licence: CC-BY-4.0." in content  # the snapshot's, beside its download link
    loaded = re.findall(r'(?:src|href)="([^"]+)"', content)
    assets = [url for url in loaded if url.endswith((".js", ".css")) or "jsi18n" in url]
    assert assets, "the page loads scripts and styles"
    assert all(url.startswith("/") for url in assets), assets
