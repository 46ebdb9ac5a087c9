"""Operators' merges and splits, and batch re-clustering that respects them."""

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from backoffice.models import AssignmentRule
from clustering.actions import ClusteringRefused, merge_issues, split_reports
from clustering.models import Separation
from clustering.recluster import load_open_issues, separated_pairs
from geo.models import Department
from reports.models import Category, Issue, Report, Subscription, Supporter, TimelineEntry
from tests import factories
from tests.factories import INSIDE, Territory

ROME = ZoneInfo("Europe/Rome")
LAT, LON = INSIDE[0], INSIDE[1] - 0.005


def moved(metres_north: float = 0.0, metres_east: float = 0.0) -> tuple[float, float]:
    return factories.moved((LAT, LON), metres_north, metres_east)


def send(where: tuple[float, float], **extra: Any) -> dict[str, Any]:
    form = {
        "lat": where[0],
        "lon": where[1],
        "category": "pothole",
        "answers": {"size": "large"},
        "description": "buca profonda",
        **extra,
    }
    response = APIClient().post("/api/v1/reports/", form, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def staff(db: None) -> APIClient:
    user = get_user_model().objects.create_user("operator", password="pw", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def run_recluster(*args: str) -> str:
    out = io.StringIO()
    call_command("recluster", *args, stdout=out)
    return out.getvalue()


def test_merge_moves_reports_supporters_and_subscriptions_and_closes_the_source(
    territory: Territory, staff: APIClient
) -> None:
    first = send(moved(), email="a@example.org")
    second = send(moved(metres_north=100), email="b@example.org")
    APIClient().post(f"/api/v1/issues/{second['issue']}/support/", {}, format="json")
    first_due = Issue.objects.get(pk=first["issue"]).due_at
    earlier = first_due - dt.timedelta(days=2)
    Issue.objects.filter(pk=second["issue"]).update(due_at=earlier)

    response = staff.post(
        f"/api/v1/issues/{second['issue']}/merge/", {"into": first["issue"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"issue": first["issue"], "report_count": 2}
    target = Issue.objects.get(pk=first["issue"])
    source = Issue.objects.get(pk=second["issue"])
    assert (source.status, source.close_reason, source.merged_into) == (
        "closed",
        "duplicate",
        target,
    )
    assert target.report_count == 2 and target.supporter_count == 1
    assert target.due_at == earlier  # the earlier of the two promises, not "now"
    assert Supporter.objects.get().issue == target
    assert set(Subscription.objects.values_list("issue", flat=True)) == {target.pk}
    assert Report.objects.get(pk=second["id"]).placed_by_staff
    assert target.timeline.filter(kind=TimelineEntry.Kind.MERGED).exists()
    assert target.location.y == pytest.approx(moved(metres_north=50)[0], abs=1e-7)


def test_merge_is_refused_for_the_same_or_a_closed_issue(territory: Territory) -> None:
    first = Issue.objects.get(pk=send(moved())["issue"])
    second = Issue.objects.get(pk=send(moved(metres_north=100))["issue"])
    Issue.objects.filter(pk=second.pk).update(status="closed")

    with pytest.raises(ClusteringRefused):
        merge_issues(first, first, actor=None)
    with pytest.raises(ClusteringRefused):
        merge_issues(second, first, actor=None)


def test_split_moves_reports_to_a_new_issue_and_records_the_separation(
    territory: Territory, staff: APIClient
) -> None:
    first = send(moved(), description="buca")
    second = send(moved(metres_east=5), description="tombino rotto")
    assert first["issue"] == second["issue"]

    response = staff.post(
        f"/api/v1/issues/{first['issue']}/split/", {"reports": [second["id"]]}, format="json"
    )

    assert response.status_code == 201, response.json()
    new_id = response.json()["issue"]
    assert Report.objects.get(pk=second["id"]).issue_id == new_id
    assert Issue.objects.get(pk=first["issue"]).report_count == 1
    assert Separation.objects.filter(first=first["issue"], second=new_id).exists()


def test_split_refuses_to_empty_an_issue_or_take_foreign_reports(territory: Territory) -> None:
    first = send(moved())
    other = send(moved(metres_north=100))
    issue = Issue.objects.get(pk=first["issue"])

    with pytest.raises(ClusteringRefused):
        split_reports(issue, [first["id"]], actor=None)
    with pytest.raises(ClusteringRefused):
        split_reports(issue, [other["id"]], actor=None)


def test_a_split_off_issue_is_due_on_the_local_working_day_calendar(
    territory: Territory,
) -> None:
    first = send(moved())
    second = send(moved(metres_east=5))
    # 00:30 on Saturday in Rome is still Friday in UTC: the new issue counts from Saturday.
    saturday = dt.datetime(2026, 12, 19, 0, 30, tzinfo=ROME)
    Report.objects.filter(pk=second["id"]).update(created_at=saturday)

    night_office = Department.objects.create(code="night", name="Night office")
    AssignmentRule.objects.create(category=territory.pothole, department=night_office)

    new = split_reports(Issue.objects.get(pk=first["issue"]), [second["id"]], actor=None)

    # Ten working days: 21, 22, 23, 24, (25, 26, 27 off), 28, 29, 30, 31, (1, 2, 3 off), 4, 5.
    assert new.due_at == dt.datetime(2027, 1, 5, 0, 30, tzinfo=ROME)
    # Taken in charge within two: 21, 22. Routed as a new issue would be.
    assert territory.pothole.take_in_charge_working_days == 2
    assert new.take_in_charge_due_at == dt.datetime(2026, 12, 22, 0, 30, tzinfo=ROME)
    assert new.department == night_office


def test_merge_and_split_need_staff(territory: Territory) -> None:
    first = send(moved())
    second = send(moved(metres_north=100))
    citizen = APIClient()

    merge = citizen.post(
        f"/api/v1/issues/{second['issue']}/merge/", {"into": first["issue"]}, format="json"
    )
    split = citizen.post(
        f"/api/v1/issues/{first['issue']}/split/", {"reports": [first["id"]]}, format="json"
    )

    assert merge.status_code == 403 and split.status_code == 403
    assert Issue.objects.filter(status="closed").count() == 0


def test_bad_merge_and_split_requests_are_400s(territory: Territory, staff: APIClient) -> None:
    first = send(moved())

    cases = [
        (f"/api/v1/issues/{first['issue']}/merge/", {"into": first["issue"]}),
        (f"/api/v1/issues/{first['issue']}/merge/", {"into": 999_999}),
        (f"/api/v1/issues/{first['issue']}/merge/", {"into": "x"}),
        (f"/api/v1/issues/{first['issue']}/split/", {"reports": []}),
        (f"/api/v1/issues/{first['issue']}/split/", {"reports": [first["id"]]}),
    ]
    for url, body in cases:
        assert staff.post(url, body, format="json").status_code == 400, (url, body)
    assert (
        staff.post("/api/v1/issues/999999/split/", {"reports": [1]}, format="json").status_code
        == 404
    )


def test_recluster_merges_issues_after_the_radius_grows_and_a_second_run_does_nothing(
    territory: Territory,
) -> None:
    first = send(moved())
    second = send(moved(metres_north=40))  # beyond the 25 m radius: two issues
    assert first["issue"] != second["issue"]
    Category.objects.filter(code="pothole").update(duplicate_radius_m=60)

    dry = run_recluster("--dry-run")
    assert f"would merge issue #{second['issue']} into #{first['issue']}" in dry
    assert Issue.objects.filter(status="closed").count() == 0

    applied = run_recluster("--category", "pothole")
    assert f"merged issue #{second['issue']} into #{first['issue']}" in applied
    assert Issue.objects.get(pk=second["issue"]).merged_into_id == first["issue"]
    assert "0 merge(s)" in run_recluster()


def test_recluster_never_undoes_a_split(territory: Territory) -> None:
    first = send(moved())
    second = send(moved(metres_east=5))
    split_reports(Issue.objects.get(pk=first["issue"]), [second["id"]], actor=None)

    assert "0 merge(s)" in run_recluster()
    assert Issue.objects.filter(status="closed").count() == 0


def test_recluster_reads_any_number_of_open_issues(territory: Territory) -> None:
    """A big city's re-clustering passes tens of thousands of ids: as many as PostgreSQL's
    protocol takes parameters (65,535) once failed; they go as one array now."""
    first = send(moved())
    second = send(moved(metres_east=5))
    split_reports(Issue.objects.get(pk=first["issue"]), [second["id"]], actor=None)
    real = [first["issue"], Report.objects.get(pk=second["id"]).issue_id]
    ids = real + list(range(10_000_000, 10_070_000))

    assert sorted(issue.issue_id for issue in load_open_issues(ids)) == sorted(real)
    assert separated_pairs(ids) == {tuple(sorted(real))}


def test_recluster_leaves_unrelated_categories_and_far_issues_alone(territory: Territory) -> None:
    send(moved())
    send(moved(metres_north=10), category="streetlight", answers={})
    send(moved(metres_north=300))

    assert "0 merge(s)" in run_recluster()


def test_recluster_refuses_an_unknown_category(db: None) -> None:
    with pytest.raises(CommandError):
        run_recluster("--category", "volcano")
