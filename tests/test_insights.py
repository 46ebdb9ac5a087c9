"""Statistics: the figures, recurring places, the staff and public pages and their scope."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from backoffice.models import Forwarding, Role, StaffProfile
from geo.models import ExternalBody
from insights.charts import weekly_chart, weeks_since
from insights.querysets import city_figures, department_figures, recurring_issues
from reports.models import Category, CloseReason, Issue, Reporter, Status, TimelineEntry
from reports.models import Report as ReportRow
from reports.querysets import public_issues
from tests.factories import INSIDE, Territory, moved

DAY = dt.timedelta(days=1)


def make_issue(
    category: Category,
    *,
    opened_days_ago: float,
    taken_after_days: float | None = None,
    closed_after_days: float | None = None,
    due_after_days: float = 5,
    where: tuple[float, float] = INSIDE,
    close_reason: str = CloseReason.FIXED,
    hidden: bool = False,
    reporter_name: str = "",
) -> Issue:
    opened = timezone.now() - opened_days_ago * DAY
    closed = opened + closed_after_days * DAY if closed_after_days is not None else None
    issue = Issue.objects.create(
        category=category,
        department=category.department,
        location=f"SRID=4326;POINT({where[1]} {where[0]})",
        address="Via Roma 1",
        status=Status.CLOSED if closed else Status.ASSIGNED,
        close_reason=close_reason if closed else "",
        first_reported_at=opened,
        last_reported_at=opened,
        taken_in_charge_at=opened + taken_after_days * DAY if taken_after_days else None,
        closed_at=closed,
        due_at=opened + due_after_days * DAY,
        hidden=hidden,
        report_count=1,
    )
    if reporter_name:
        reporter = Reporter.objects.create(name=reporter_name, email="x@example.org")
        ReportRow.objects.create(
            issue=issue, category=category, location=issue.location, reporter=reporter
        )
    return issue


@pytest.fixture
def history(territory: Territory) -> dict[str, Issue]:
    """Roads: one closed in time, one closed late, one open, late, forwarded, an emergency.
    Lighting: one open issue, not late."""
    in_time = make_issue(
        territory.pothole, opened_days_ago=10, taken_after_days=1, closed_after_days=3
    )
    late_close = make_issue(
        territory.pothole,
        opened_days_ago=8,
        taken_after_days=3,
        closed_after_days=7,
        where=moved(INSIDE, 500),
    )
    open_late = make_issue(territory.pothole, opened_days_ago=6, where=moved(INSIDE, 900))
    body = ExternalBody.objects.get(code="gas-co")
    Forwarding.objects.create(
        issue=open_late, body=body, message="Please look", due_at=timezone.now() + DAY
    )
    TimelineEntry.objects.create(issue=open_late, kind=TimelineEntry.Kind.EMERGENCY)
    # A level of an SLA escalation chain that fired on the late close.
    TimelineEntry.objects.create(issue=late_close, kind=TimelineEntry.Kind.ESCALATED, public=False)
    light = make_issue(territory.streetlight, opened_days_ago=1, due_after_days=30)
    return {"in_time": in_time, "late_close": late_close, "open_late": open_late, "light": light}


def figures(issues: Any = None) -> tuple[dict[int | None, Any], Any]:
    issues = Issue.objects.all() if issues is None else issues
    now = timezone.now()
    since = now - 84 * DAY
    recurring = recurring_issues(issues, since)
    per_department = department_figures(issues, since, now, recurring)
    return per_department, city_figures(issues, since, now, per_department)


def test_department_figures_count_backlog_medians_sla_forwarding_and_escalations(
    territory: Territory, history: dict[str, Issue]
) -> None:
    per_department, city = figures()

    roads = per_department[territory.roads.pk]
    assert (roads.backlog, roads.late, roads.opened, roads.closed) == (1, 1, 3, 2)
    assert roads.median_take_s == pytest.approx(2 * 86400)  # taken after 1 and 3 days
    assert roads.median_close_s == pytest.approx(5 * 86400)  # closed after 3 and 7 days
    assert (roads.closed_in_time, roads.closed_with_due) == (1, 2)
    assert roads.sla_compliance == pytest.approx(0.5)
    assert roads.forwarding_rate == pytest.approx(1 / 3)
    assert roads.escalations == 2
    lighting = per_department[territory.lighting.pk]
    assert (lighting.backlog, lighting.late, lighting.closed, lighting.escalations) == (1, 0, 0, 0)
    assert lighting.sla_compliance is None and lighting.median_close_s is None
    assert (city.backlog, city.late, city.opened, city.closed, city.escalations) == (2, 1, 4, 2, 2)
    assert city.median_close_s == pytest.approx(5 * 86400)


def test_issues_outside_the_period_count_only_in_the_backlog(territory: Territory) -> None:
    make_issue(territory.pothole, opened_days_ago=400, closed_after_days=2)
    make_issue(territory.pothole, opened_days_ago=300, where=moved(INSIDE, 500))

    _, city = figures()

    assert (city.backlog, city.opened, city.closed) == (1, 0, 0)
    assert city.median_close_s is None


def test_an_issue_of_the_same_category_near_a_closed_one_is_a_recurrence(
    territory: Territory,
) -> None:
    make_issue(territory.pothole, opened_days_ago=60, closed_after_days=5)
    again = make_issue(territory.pothole, opened_days_ago=20, where=moved(INSIDE, 10))
    make_issue(territory.streetlight, opened_days_ago=20, where=moved(INSIDE, 5))  # other kind
    make_issue(territory.pothole, opened_days_ago=20, where=moved(INSIDE, 100))  # too far
    make_issue(
        territory.pothole, opened_days_ago=70, closed_after_days=69, where=moved(INSIDE, 0, 300)
    )  # closed after the next one opened
    make_issue(territory.pothole, opened_days_ago=5, where=moved(INSIDE, 0, 310))
    make_issue(
        territory.pothole,
        opened_days_ago=60,
        closed_after_days=1,
        where=moved(INSIDE, 0, 600),
        close_reason=CloseReason.DUPLICATE,
    )
    make_issue(territory.pothole, opened_days_ago=5, where=moved(INSIDE, 0, 605))

    found = recurring_issues(Issue.objects.all(), timezone.now() - 84 * DAY, radius_m=30)

    assert found == {again.pk: (territory.roads.pk, 1)}


def test_weekly_chart_pairs_opened_and_closed_bars_scaled_to_the_largest() -> None:
    weeks = weeks_since(dt.date(2026, 11, 4), dt.date(2026, 11, 23))
    assert weeks == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
    ]

    chart = weekly_chart(weeks, {weeks[0]: 4, weeks[2]: 2}, {weeks[2]: 1})

    assert chart.top == 4
    tallest, _ = chart.columns[0].bars
    assert tallest.y == 0 and tallest.height == chart.baseline_y
    opened, closed = chart.columns[2].bars
    assert opened.height == pytest.approx(chart.baseline_y / 2)
    assert closed.height == pytest.approx(chart.baseline_y / 4)
    assert closed.x > opened.x and [c.bars[0].value for c in chart.columns] == [4, 0, 2, 0]


def staff(role: Role, **profile: Any) -> Client:
    user = get_user_model().objects.create_user(f"{role}-stats", password="pw", is_staff=True)
    StaffProfile.objects.create(user=user, role=role, **profile)
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_sees_every_department_and_the_city(
    territory: Territory, history: dict[str, Issue], django_assert_num_queries: Any
) -> None:
    client = staff(Role.MANAGER)

    # session, user, role, recurrences, figures, escalations, ratings, verdicts, departments
    # (2), city, weeks (2); no recurrence here, so no query lists them
    with django_assert_num_queries(13):
        response = client.get("/office/stats/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Roads" in html and "Lighting" in html and "Whole city" in html
    assert "<svg" in html and "No ratings yet in this period." in html


def test_a_coordinator_sees_only_their_department(
    territory: Territory, history: dict[str, Issue]
) -> None:
    client = staff(Role.COORDINATOR, department=territory.lighting)

    html = client.get("/office/stats/").content.decode()

    assert "Lighting" in html
    assert "Roads" not in html and "Whole city" not in html
    refused = client.get(f"/office/stats/?department={territory.roads.pk}")
    assert refused.status_code == 400


def test_statistics_need_the_stats_right(territory: Territory) -> None:
    assert staff(Role.OPERATOR).get("/office/stats/").status_code == 403
    assert Client().get("/office/stats/").status_code == 302  # to the login page


@pytest.mark.parametrize("weeks", ["0", "105", "abc", "-3", "1e3"])
def test_a_bad_period_is_a_400_that_says_why(territory: Territory, weeks: str) -> None:
    response = Client().get("/stats/", {"weeks": weeks})

    assert response.status_code == 400
    assert "whole number of weeks from 1 to 104" in response.content.decode()


def test_a_bad_period_is_explained_in_italian(territory: Territory) -> None:
    response = Client().get("/stats/", {"weeks": "0"}, HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 400
    assert "numero intero di settimane da 1 a 104" in response.content.decode()


def test_the_public_page_counts_public_issues_and_shows_no_person(
    territory: Territory, history: dict[str, Issue], django_assert_num_queries: Any
) -> None:
    make_issue(
        territory.pothole,
        opened_days_ago=3,
        hidden=True,
        reporter_name="Gianna Nascosta",
        where=moved(INSIDE, 0, 800),
    )
    make_issue(
        territory.pothole,
        opened_days_ago=3,
        reporter_name="Mario Visibile",
        where=moved(INSIDE, 0, 900),
    )

    # recurrences, figures, escalations, ratings, departments (2), city, weeks (2), release
    with django_assert_num_queries(10):
        response = Client().get("/stats/?weeks=4")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Gianna" not in html and "Mario" not in html and "x@example.org" not in html
    _, city = figures(public_issues())
    assert city.backlog == 3  # the hidden one is not counted
    assert f"<td>{city.backlog}</td>" in html
