"""Statistics of the care loop: citizens' ratings and staff's verdicts on reports, per department
and for the city, on the staff and public pages; numbers in the page's language."""

import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from backoffice.models import Role
from care.actions import qualify_report, rate_issue
from care.models import Qualification, Rater, Rating
from insights.templatetags.insights import days
from reports.models import Category, Issue, Report, Reporter
from tests.factories import INSIDE, Territory, moved
from tests.test_insights import DAY, figures, make_issue, staff

COMMENT = "Lavoro fatto male, dice Gianna Rossi"


def closed_with_reports(category: Category, metres_east: float, people: int) -> list[Report]:
    """A closed issue of `category` with one report from each of `people` new reporters."""
    issue = make_issue(
        category,
        opened_days_ago=10,
        taken_after_days=1,
        closed_after_days=2,
        where=moved(INSIDE, 0, metres_east),
    )
    reports = []
    for n in range(people):
        reporter = Reporter.objects.create(name=f"Persona {n}", email=f"p{n}@example.org")
        reports.append(
            Report.objects.create(
                issue=issue, category=category, location=issue.location, reporter=reporter
            )
        )
    return reports


def rate(report: Report, stars: int, comment: str = "") -> None:
    rate_issue(report.issue_id, Rater.of_report(report), stars, comment)


@pytest.fixture
def care_history(territory: Territory) -> dict[str, list[Report]]:
    """Roads: ratings 5 and 2 (and 1 long ago), verdicts accurate x2 and fake (and one long ago).
    Lighting: a rating of 4 and a wrong category. Nothing rated or qualified elsewhere."""
    roads = closed_with_reports(territory.pothole, 0, 4)
    old_roads = closed_with_reports(territory.pothole, 600, 1)
    lighting = closed_with_reports(territory.streetlight, 300, 1)
    rate(roads[0], 5)
    rate(roads[1], 2, COMMENT)
    rate(old_roads[0], 1)
    rate(lighting[0], 4)
    for report, verdict in [
        (roads[0], "accurate"),
        (roads[1], "accurate"),
        (roads[2], "fake"),
        (old_roads[0], "fake"),
        (lighting[0], "wrong_category"),
    ]:
        qualify_report(report.pk, None, verdict)
    # Given before the period the pages show (12 weeks), so counted in none of it.
    long_ago = timezone.now() - 200 * DAY
    Rating.objects.filter(issue=old_roads[0].issue_id).update(created_at=long_ago)
    Qualification.objects.filter(report=old_roads[0]).update(created_at=long_ago)
    return {"roads": roads, "lighting": lighting}


def test_ratings_and_verdicts_are_counted_per_department_and_for_the_city(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    per_department, city = figures()
    roads, lighting = per_department[territory.roads.pk], per_department[territory.lighting.pk]

    assert (roads.ratings, roads.average_rating) == (2, pytest.approx(3.5))
    assert (lighting.ratings, lighting.average_rating) == (1, pytest.approx(4.0))
    assert (city.ratings, city.average_rating) == (3, pytest.approx(11 / 3))
    # The public page does not ask for the verdicts: they stay at zero without with_verdicts.
    assert (roads.qualified, city.qualified) == (0, 0)


def test_a_changed_rating_counts_once_with_its_latest_stars(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    rate(care_history["roads"][1], 4)

    per_department, _ = figures()

    assert per_department[territory.roads.pk].ratings == 2
    assert per_department[territory.roads.pk].average_rating == pytest.approx(4.5)


def verdict_cells(html: str, row: str) -> list[str]:
    """The cells of the reliability table's row named `row` (the second table of that name)."""
    section = html.split("Reports qualified by crews and operators in this period")[1]
    found = re.search(rf"<th scope=\"row\">{row}</th>(.*?)</tr>", section, re.S)
    assert found, row
    return re.findall(r"<td>(.*?)</td>", found.group(1))


def figure_cells(html: str, row: str) -> list[str]:
    found = re.search(rf"<th scope=\"row\">{row}</th>(.*?)</tr>", html, re.S)
    assert found, row
    return [cell.strip() for cell in re.findall(r"<td>(.*?)</td>", found.group(1), re.S)]


def test_the_staff_page_shows_ratings_and_verdicts_per_department_and_city(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    html = staff(Role.MANAGER).get("/office/stats/").content.decode()

    # The last two columns: how many ratings, their average.
    assert figure_cells(html, "Roads")[-2:] == ["2", "3.5"]
    assert figure_cells(html, "Lighting")[-2:] == ["1", "4.0"]
    assert figure_cells(html, "Whole city")[-2:] == ["3", "3.7"]
    # qualified, accurate, wrong category, exaggerated, fake
    assert verdict_cells(html, "Roads") == ["3", "2", "0", "0", "1"]
    assert verdict_cells(html, "Lighting") == ["1", "0", "1", "0", "0"]
    assert verdict_cells(html, "Whole city") == ["4", "2", "1", "0", "1"]
    assert "No ratings yet in this period." not in html and "not available yet" not in html
    assert "not qualified by crews" not in html
    assert COMMENT not in html and "Persona" not in html  # aggregates only


def test_a_coordinator_sees_their_own_departments_ratings_only(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    html = staff(Role.COORDINATOR, department=territory.lighting).get("/office/stats/")

    page = html.content.decode()
    assert figure_cells(page, "Lighting")[-2:] == ["1", "4.0"]
    assert verdict_cells(page, "Lighting") == ["1", "0", "1", "0", "0"]
    assert "Roads" not in page and "Whole city" not in page


def test_a_period_without_ratings_or_verdicts_says_so(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    Rating.objects.update(created_at=timezone.now() - 200 * DAY)
    Qualification.objects.update(created_at=timezone.now() - 200 * DAY)

    manager = staff(Role.MANAGER)
    html = manager.get("/office/stats/").content.decode()

    assert "No ratings yet in this period." in html
    assert "No report was qualified in this period." in html
    assert figure_cells(html, "Roads")[-2:] == ["0", "\N{EN DASH}"]
    # A year back, the old ones count.
    longer = manager.get("/office/stats/?weeks=52").content.decode()
    assert figure_cells(longer, "Roads")[-2:] == ["3", "2.7"]
    assert verdict_cells(longer, "Roads") == ["4", "2", "0", "0", "2"]


def test_the_public_page_shows_ratings_but_no_verdict_and_no_person(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    html = Client().get("/stats/").content.decode()

    assert figure_cells(html, "Roads")[-2:] == ["2", "3.5"]
    assert figure_cells(html, "Whole city")[-2:] == ["3", "3.7"]
    assert "Reports qualified" not in html
    assert COMMENT not in html and "Persona" not in html and "example.org" not in html


def test_ratings_of_hidden_issues_stay_off_the_public_page(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    Issue.objects.filter(pk=care_history["lighting"][0].issue_id).update(hidden=True)

    html = Client().get("/stats/").content.decode()

    assert figure_cells(html, "Lighting")[-2:] == ["0", "\N{EN DASH}"]
    assert figure_cells(html, "Whole city")[-2:] == ["2", "3.5"]


def test_days_and_averages_use_the_languages_decimal_separator(
    territory: Territory, care_history: dict[str, list[Report]]
) -> None:
    with translation.override("it"):
        assert days(1.5 * 86400).startswith("1,5")
    with translation.override("en"):
        assert days(1.5 * 86400) == "1.5 d"
        assert days(3.67 * 86400) == "3.7 d"  # rounded, not cut

    html = staff(Role.MANAGER).get("/office/stats/", HTTP_ACCEPT_LANGUAGE="it").content.decode()

    roads = figure_cells(html, "Roads")
    assert roads[4].startswith("1,0") and roads[5].startswith("2,0")  # taken after 1, closed 2
    assert roads[-2:] == ["2", "3,5"]


def test_the_closed_count_has_its_own_translation_not_the_closing_dates(
    territory: Territory,
) -> None:
    # "Closed" alone is the public issue page's closing date ("Chiusura"); the count of
    # closed issues reads "Chiuse" under its own context.
    for path in ("/stats/", "/office/stats/"):
        client = staff(Role.MANAGER) if path.startswith("/office") else Client()
        html = client.get(path, HTTP_ACCEPT_LANGUAGE="it").content.decode()
        assert "Chiusura" not in html
        assert "chiusa<" not in html  # the chart's legend


def test_the_office_stats_page_keeps_its_query_count_with_ratings(
    territory: Territory, care_history: dict[str, list[Report]], django_assert_num_queries: object
) -> None:
    client = staff(Role.MANAGER)
    # session, user, role, recurrences, figures, escalations, ratings, verdicts, departments
    # (2), city, weeks (2): the ratings and verdicts are one query each, however many rows.
    with django_assert_num_queries(13):  # type: ignore[operator]
        assert client.get("/office/stats/").status_code == 200
