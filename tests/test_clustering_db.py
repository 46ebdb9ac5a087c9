"""Duplicates at submission, "me too", suggestions: against the real PostGIS database."""

import datetime as dt
import json
import math
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

import reports.actions
from clustering.candidates import find_candidates, match_params
from reports.actions import NewReport, refresh_issue, submit_report
from reports.models import (
    Issue,
    Photo,
    Report,
    Reporter,
    Subscription,
    Supporter,
    TimelineEntry,
)
from tests import factories
from tests.factories import INSIDE, Territory, confirm_addresses, make_territory

LAT, LON = INSIDE[0], INSIDE[1] - 0.005


def moved(metres_north: float = 0.0, metres_east: float = 0.0) -> tuple[float, float]:
    return factories.moved((LAT, LON), metres_north, metres_east)


def send(api: APIClient, where: tuple[float, float], **extra: Any) -> dict[str, Any]:
    form = {
        "lat": where[0],
        "lon": where[1],
        "category": "pothole",
        "answers": {"size": "large"},
        "description": "Buca profonda sulla carreggiata",
        **extra,
    }
    response = api.post("/api/v1/reports/", form, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_second_report_8m_away_joins_the_issue_and_moves_its_centre(
    api: APIClient, territory: Territory
) -> None:
    first = send(api, moved())
    second = send(api, moved(metres_east=8), description="Una buca profonda, pericolosa")

    assert second["issue"] == first["issue"]
    assert second["report_count"] == 2
    assert (first["joined"], second["joined"]) == (False, True)
    page = api.get(second["tracking_url"]).content.decode()
    assert f"your report joined issue #{first['issue']}, now reported by 2 people" in page
    issue = Issue.objects.get()
    assert issue.location.x == pytest.approx(moved(metres_east=4)[1], abs=1e-7)
    kinds = list(issue.timeline.values_list("kind", flat=True))
    assert kinds == [TimelineEntry.Kind.CREATED, TimelineEntry.Kind.REPORT_ADDED]
    assert Report.objects.get(pk=second["id"]).match["joined"] is True
    assert Report.objects.get(pk=first["id"]).match["joined"] is False


def test_distinct_reporters_raise_the_priority(api: APIClient, territory: Territory) -> None:
    send(api, moved(), email="a@example.org")
    alone = Issue.objects.get().priority
    send(api, moved(metres_north=3), email="b@example.org")
    send(api, moved(metres_north=-3), email="b@example.org")
    confirm_addresses()  # b's two reports are one person once b confirms both

    issue = Issue.objects.get()
    assert issue.report_count == 3
    assert issue.priority_explained["people"] == 2
    assert issue.priority == alone + 10  # log2(2 people) x 10


def test_a_new_issue_is_stored_as_recomputing_it_from_its_rows_gives(
    api: APIClient, territory: Territory
) -> None:
    """A report that opens an issue sets its counters and priority in the one INSERT; they
    must be what refresh_issue computes from the stored rows (urgency, emergency, the
    reporter's reliability)."""
    user = get_user_model().objects.create_user("known", email="known@example.org")
    Reporter.objects.create(user=user, email="known@example.org", reliability=0.25)
    api.force_authenticate(user)
    send(api, moved(), urgency=5, emergency=True)
    stored = Issue.objects.get()

    recomputed = Issue.objects.get()
    refresh_issue(recomputed, now=stored.first_reported_at)

    fields = ["report_count", "supporter_count", "emergency", "priority", "priority_explained"]
    assert [getattr(stored, f) for f in fields] == [getattr(recomputed, f) for f in fields]
    assert stored.priority_explained["reliability"]["qualified_reports"] == 1
    assert stored.priority_explained["reliability"]["lowest_weight"] < 1
    assert (stored.report_count, stored.emergency) == (1, True)


def test_a_report_joining_an_issue_of_another_category_keeps_that_issues_severity(
    api: APIClient, territory: Territory
) -> None:
    """A category matching its whole group joins a sibling category's issue: the issue's
    priority stays computed from its own category (the submitted one is reused only when it
    is the issue's)."""
    factories.CategoryFactory(
        code="pavement", group=territory.pothole.group, match_whole_group=True, base_severity=5
    )
    first = send(api, moved())
    response = api.post(
        "/api/v1/reports/",
        {
            "lat": moved()[0],
            "lon": moved()[1],
            "category": "pavement",
            "description": "Buca profonda sulla carreggiata",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["issue"] == first["issue"]
    stored = Issue.objects.get()

    recomputed = Issue.objects.get()
    refresh_issue(recomputed, now=stored.last_reported_at)

    assert stored.category_id == territory.pothole.pk
    assert (stored.priority, stored.priority_explained) == (
        recomputed.priority,
        recomputed.priority_explained,
    )


def test_another_category_at_the_same_place_opens_its_own_issue(
    api: APIClient, territory: Territory
) -> None:
    pothole = send(api, moved())
    light = send(api, moved(), category="streetlight", answers={})

    assert pothole["issue"] != light["issue"]


def test_a_report_outside_the_radius_opens_a_new_issue(
    api: APIClient, territory: Territory
) -> None:
    first = send(api, moved())
    far = send(api, moved(metres_north=40))  # pothole radius: 25 m

    assert far["issue"] != first["issue"]


def test_closed_and_stale_issues_take_no_new_reports(api: APIClient, territory: Territory) -> None:
    closed = send(api, moved())
    Issue.objects.filter(pk=closed["issue"]).update(status="closed", close_reason="fixed")
    stale = send(api, moved(metres_north=60))
    Issue.objects.filter(pk=stale["issue"]).update(
        last_reported_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=61)
    )

    after_closed = send(api, moved(metres_east=2))
    after_stale = send(api, moved(metres_north=61))

    assert after_closed["issue"] != closed["issue"]
    assert after_stale["issue"] != stale["issue"]


def test_an_issue_closed_between_the_candidates_and_the_lock_takes_no_report(
    api: APIClient, territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = send(api, moved())
    calls: list[int] = []

    def closed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        found = find_candidates(*args, **kwargs)
        if not calls:  # staff close it just after the submission read it as a candidate
            Issue.objects.filter(pk=first["issue"]).update(status="closed", close_reason="fixed")
        calls.append(len(found))
        return found

    monkeypatch.setattr(reports.actions, "find_candidates", closed_meanwhile)

    second = send(api, moved(metres_east=2))

    assert calls == [1, 0]  # chosen, found closed once locked, chosen again from the rows now
    assert second["issue"] != first["issue"]
    assert Report.objects.filter(issue_id=first["issue"]).count() == 1
    assert second["joined"] is False


def test_reporters_with_an_email_are_subscribed_once(api: APIClient, territory: Territory) -> None:
    send(api, moved(), email="a@example.org")
    send(api, moved(metres_east=2), email="A@example.org")
    send(api, moved(metres_east=4))
    confirm_addresses()

    assert Subscription.objects.count() == 1
    assert Subscription.objects.get().reporter.email == "a@example.org"


def test_twenty_citizens_sending_the_same_pothole_at_once_make_one_issue(
    transactional_db: None,
) -> None:
    territory = make_territory()
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def citizen(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            submit_report(
                NewReport(
                    lat=moved(metres_east=number % 5)[0],
                    lon=moved(metres_east=number % 5)[1],
                    category=territory.pothole,
                    description=f"buca {number}",
                    answers={"size": "large"},
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=citizen, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Report.objects.count() == 20
    issue = Issue.objects.get()
    assert issue.report_count == 20


def test_nearby_suggests_open_issues_of_the_category_nearest_first(
    api: APIClient, territory: Territory
) -> None:
    near = send(api, moved(metres_north=30))
    nearer = send(api, moved(metres_north=-5), description="buca")
    send(api, moved(metres_north=10), category="streetlight", answers={})
    closed = send(api, moved(metres_east=60))
    Issue.objects.filter(pk=closed["issue"]).update(status="closed")
    hidden = send(api, moved(metres_east=-60))
    Issue.objects.filter(pk=hidden["issue"]).update(hidden=True)
    send(api, moved(metres_north=400))  # beyond the 250 m suggestion radius

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/issues/nearby/?lat={LAT}&lon={LON}&category=pothole")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [nearer["issue"], near["issue"]]
    assert results[0]["distance_m"] == pytest.approx(5, abs=0.5)
    assert results[0]["description"] == "buca"
    assert results[0]["url"] == f"/issues/{nearer['issue']}/"
    assert len(queries) <= 4


def test_nearby_shows_only_what_the_public_may_see_of_each_issue(
    api: APIClient, territory: Territory
) -> None:
    """The summary's photo and description come from public reports only: reports hidden by
    moderation give neither, however early their photo or late their words. The first photo
    is the first report's first (by position, not by when it was stored)."""
    early = send(api, moved(), description="Buca profonda")
    shown = send(api, moved(), description="Buca profonda davanti al civico 12")
    late = send(api, moved(), description="Buca profonda, numero di telefono 333 1234567")
    assert early["issue"] == shown["issue"] == late["issue"]
    Report.objects.filter(pk__in=[early["id"], late["id"]]).update(hidden=True)
    Photo.objects.create(report_id=early["id"], image="photos/hidden.jpg", sha256="1" * 64)
    Photo.objects.create(report_id=shown["id"], image="photos/b.jpg", sha256="3" * 64, position=1)
    Photo.objects.create(
        report_id=shown["id"], image="photos/a.jpg", thumbnail="thumbs/a.jpg", sha256="2" * 64
    )
    issue = Issue.objects.get()

    with CaptureQueriesContext(connection) as queries:
        response = api.get(
            f"/api/v1/issues/nearby/?lat={LAT}&lon={LON}&category=pothole",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["description"] == "Buca profonda davanti al civico 12"
    assert result["thumbnail_url"].endswith("/thumbs/a.jpg")
    assert result["category_name"] == territory.pothole.name_en
    assert (result["status"], result["report_count"], result["people"]) == (
        "open",
        3,
        issue.priority_explained["people"],
    )
    assert dt.datetime.fromisoformat(result["first_reported_at"]) == issue.first_reported_at
    # The place check, the candidates, their summaries (and the category catalogue's version).
    assert len(queries) <= 4

    # People come from the priority's count (reporters and supporters, each once), falling back
    # to the reports; a photo without a thumbnail shows its image.
    Photo.objects.filter(image="photos/a.jpg").update(thumbnail="")
    for explained, people in (({"people": 7}, 7), ({}, 3)):
        Issue.objects.filter(pk=issue.pk).update(priority_explained=explained)
        response = api.get(f"/api/v1/issues/nearby/?lat={LAT}&lon={LON}&category=pothole")
        [result] = response.json()["results"]
        assert result["people"] == people
        assert result["thumbnail_url"].endswith("/photos/a.jpg")


def test_nearby_is_nearest_first_in_metres_not_in_degrees(
    api: APIClient, territory: Territory
) -> None:
    """At the demo's 60 degrees north a degree of longitude is half a degree of latitude's
    metres: ordered by distance in degrees, an issue 100 m east came after six issues 105-195 m
    north and south, and so was left out of the five."""
    east = send(api, moved(metres_east=100))
    others = [send(api, moved(metres_north=m))["issue"] for m in (105, 135, 165, 195, -120, -150)]

    response = api.get(f"/api/v1/issues/nearby/?lat={LAT}&lon={LON}&category=pothole")

    results = response.json()["results"]
    assert [r["id"] for r in results] == [east["issue"], others[0], others[4], others[1], others[5]]
    assert [r["distance_m"] for r in results] == sorted(r["distance_m"] for r in results)


def test_the_matcher_reads_its_candidates_nearest_first_in_metres(
    api: APIClient, territory: Territory
) -> None:
    """The candidates' LIMIT keeps the nearest: by metres, as the pure core measures."""
    east = send(api, moved(metres_east=12), description="buca")
    north = send(api, moved(metres_north=20), description="tombino rotto")
    assert east["issue"] != north["issue"]

    found = find_candidates(
        LAT, LON, territory.pothole, match_params(False), timezone.now(), accuracy_m=None
    )

    assert [c.issue_id for c in found] == [east["issue"], north["issue"]]
    assert [round(math.hypot(c.x_m, c.y_m)) for c in found] == [12, 20]


def test_nearby_returns_at_most_five(api: APIClient, territory: Territory) -> None:
    for step in range(7):
        send(api, moved(metres_north=30 * step))

    response = api.get(f"/api/v1/issues/nearby/?lat={LAT}&lon={LON}&category=pothole")

    assert len(response.json()["results"]) == 5


@pytest.mark.parametrize(
    "query, field",
    [
        ("lat=95&lon=24.9&category=pothole", "lat"),
        (f"lat={LAT}&lon={LON}&category=volcano", "category"),
        ("lat=60.30&lon=25.20&category=pothole", "location"),
        (f"lat={LAT}&lon={LON}", "category"),
    ],
)
def test_nearby_refuses_bad_queries(
    query: str, field: str, api: APIClient, territory: Territory
) -> None:
    response = api.get(f"/api/v1/issues/nearby/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_me_too_counts_once_per_session_and_subscribes_an_email(
    api: APIClient, territory: Territory
) -> None:
    created = send(api, moved())
    before = Issue.objects.get().priority
    url = f"/api/v1/issues/{created['issue']}/support/"

    first = api.post(url, {"email": "neighbour@example.org"}, format="json")
    again = api.post(url, {}, format="json")
    other_person = APIClient().post(url, {}, format="json", REMOTE_ADDR="192.0.2.7")
    confirm_addresses(created["issue"])

    assert first.status_code == 201
    assert first.json()["subscribed"] is True
    assert again.status_code == 200
    assert other_person.status_code == 201
    issue = Issue.objects.get()
    assert issue.supporter_count == 2
    assert issue.report_count == 1
    assert issue.priority_explained["people"] == 3
    assert issue.priority > before
    assert Supporter.objects.count() == 2
    assert Subscription.objects.get().reporter.email == "neighbour@example.org"
    assert issue.timeline.filter(kind=TimelineEntry.Kind.SUPPORTED).count() == 2


def test_me_too_is_refused_on_closed_and_hidden_issues(
    api: APIClient, territory: Territory
) -> None:
    closed = send(api, moved())
    Issue.objects.filter(pk=closed["issue"]).update(status="closed")
    hidden = send(api, moved(metres_north=100))
    Issue.objects.filter(pk=hidden["issue"]).update(hidden=True)

    on_closed = api.post(f"/api/v1/issues/{closed['issue']}/support/", {}, format="json")
    on_hidden = api.post(f"/api/v1/issues/{hidden['issue']}/support/", {}, format="json")
    bad_email = api.post(
        f"/api/v1/issues/{hidden['issue']}/support/", {"email": "x"}, format="json"
    )

    assert on_closed.status_code == 400
    assert "closed" in json.dumps(on_closed.json())
    assert on_hidden.status_code == 404
    assert bad_email.status_code == 404
    assert Supporter.objects.count() == 0


def test_a_poor_gps_fix_may_join_from_beyond_the_radius_a_good_one_may_not(
    api: APIClient, territory: Territory
) -> None:
    first = send(api, moved(), description="Buca profonda davanti alla scuola Vittorino")
    precise = send(
        api,
        moved(metres_north=35),
        accuracy_m=5,
        description="Buca profonda davanti alla scuola Vittorino",
    )
    blurred = send(
        api,
        moved(metres_north=-35),
        accuracy_m=30,
        description="Buca profonda davanti alla scuola Vittorino",
    )

    assert precise["issue"] != first["issue"]
    assert blurred["issue"] == first["issue"]
    assert Report.objects.get(pk=blurred["id"]).match["accuracy_m"] == 30
