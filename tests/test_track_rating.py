"""Rating and reopening from the tracking page (/t/<code>/), for reporters who left no e-mail
address: the same rating page and rules as the e-mail's link (real PostGIS)."""

import datetime as dt
import re
from typing import Any

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from care.links import rating_token, read_rating_token
from care.models import Rater, Rating
from reports.models import CloseReason, Issue, Report, Reporter, Status, TimelineEntry
from reports.workflow import close_issue
from tests.factories import INSIDE, Territory

NOTE = "Il lampione è ancora spento."
EMAIL, SUPPORTER = "lucia.ferri@example.org", "bruno.conti@example.org"


def file_report(**contact: str) -> Report:
    """File a pothole report through the API (anonymous without `contact`); return it."""
    form: dict[str, Any] = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole"}
    form["answers"] = {"size": "small"}
    response = APIClient().post("/api/v1/reports/", {**form, **contact}, format="json")
    assert response.status_code == 201, response.json()
    return Report.objects.get(tracking_code=response.json()["tracking_code"])


def close(report: Report, reason: str = "fixed") -> Issue:
    close_issue(report.issue_id, actor=None, reason=CloseReason(reason), public_text="Riparato.")
    return Issue.objects.get(pk=report.issue_id)


def rate_link(client: Client, report: Report) -> str | None:
    """The rating link the tracking page offers, or None when it offers none."""
    page = client.get(f"/t/{report.tracking_code}/")
    assert page.status_code == 200
    found = re.search(r'id="rate-link" href="([^"]+)"', page.content.decode())
    return found.group(1) if found else None


def test_an_anonymous_reporter_rates_and_reopens_from_the_tracking_page(
    territory: Territory,
) -> None:
    report = file_report()
    assert report.reporter_id is None
    client = Client(enforce_csrf_checks=True)
    assert rate_link(client, report) is None  # open: nothing to rate yet
    issue = close(report)

    page = client.get(f"/t/{report.tracking_code}/")
    link = rate_link(client, report)

    assert link is not None and report.tracking_code not in link
    # The code stays on the tracking page: no Referer carries it to the rating page, and
    # neither page is kept by a cache.
    assert 'rel="nofollow noreferrer"' in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    form = client.get(link)
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    csrf = client.cookies["csrftoken"].value
    assert client.post(link, {"stars": "1"}).status_code == 403  # no CSRF token
    asked = client.post(link, {"stars": "1", "csrfmiddlewaretoken": csrf}, follow=True)
    assert "Is the problem still there?" in asked.content.decode()
    reopened = client.post(f"{link}reopen/", {"note": NOTE, "csrfmiddlewaretoken": csrf})

    assert reopened.status_code == 200
    rating = Rating.objects.get()
    assert (rating.issue_id, rating.report_id, rating.reporter_id) == (issue.pk, report.pk, None)
    assert rating.reopened_at is not None
    issue.refresh_from_db()
    assert issue.status == Status.REOPENED
    assert TimelineEntry.objects.filter(issue=issue, public=False, text__contains=NOTE).exists()
    assert rate_link(client, report) is None  # open again


def test_a_reporter_without_e_mail_rates_as_themselves(territory: Territory) -> None:
    report = file_report(name="Carla Neri", phone="+39 333 123 4567")
    close(report)
    link = rate_link(Client(), report)
    assert link is not None

    Client().post(link, {"stars": "4", "comment": "Bene."})
    page = Client().get(f"/t/{report.tracking_code}/").content.decode()

    rating = Rating.objects.get()
    assert (rating.reporter_id, rating.report_id, rating.stars) == (report.reporter_id, None, 4)
    assert "You rated the work 4 out of 5." in page and "Change my rating" in page


def test_the_tracking_page_and_the_e_mail_link_give_one_rating_per_person(
    territory: Territory,
) -> None:
    report = file_report(email=EMAIL)
    issue = close(report)
    reporter = Reporter.objects.get(email=EMAIL)
    e_mail_link = f"/care/rate/{rating_token(issue.pk, Rater(reporter_id=reporter.pk))}/"
    link = rate_link(Client(), report)
    assert link is not None

    Client().post(e_mail_link, {"stars": "2"})
    Client().post(link, {"stars": "1"})
    Client().post(f"{link}reopen/", {"note": NOTE})
    again = Client().post(f"{e_mail_link}reopen/", {"note": NOTE})

    rating = Rating.objects.get()
    assert (rating.reporter_id, rating.stars) == (reporter.pk, 1)
    assert again.status_code == 400
    assert "You have already reopened this issue once." in again.content.decode()


def test_a_rating_twice_from_the_tracking_page_changes_the_one_rating(
    territory: Territory,
) -> None:
    report = file_report()
    close(report)
    link = rate_link(Client(), report)
    assert link is not None

    Client().post(link, {"stars": "5"})
    Client().post(link, {"stars": "3", "comment": "Così così."})
    high = Client().post(f"{link}reopen/", {"note": NOTE})

    assert list(Rating.objects.values_list("stars", "comment")) == [(3, "Così così.")]
    assert high.status_code == 400 and Issue.objects.get().status == Status.CLOSED


def test_reopening_once_then_staff_close_it_again_for_good(territory: Territory) -> None:
    report = file_report()
    close(report)
    link = rate_link(Client(), report)
    assert link is not None
    Client().post(link, {"stars": "1"})
    Client().post(f"{link}reopen/", {"note": NOTE})
    close(report)

    again_link = rate_link(Client(), report)
    assert again_link is not None
    asked = Client().get(again_link).content.decode()
    refused = Client().post(f"{again_link}reopen/", {"note": NOTE})

    assert "Is the problem still there?" not in asked
    assert refused.status_code == 400
    assert "You have already reopened this issue once." in refused.content.decode()
    assert Issue.objects.get().status == Status.CLOSED


def test_no_rating_once_the_window_has_passed(territory: Territory) -> None:
    report = file_report()
    issue = close(report)
    link = rate_link(Client(), report)
    assert link is not None
    Client().post(link, {"stars": "1"})
    Issue.objects.filter(pk=issue.pk).update(closed_at=timezone.now() - dt.timedelta(days=61))

    offered = rate_link(Client(), report)
    late = Client().post(link, {"stars": "2"})
    late_reopen = Client().post(f"{link}reopen/", {"note": NOTE})

    assert offered is None
    assert late.status_code == 400 and "can no longer be rated" in late.content.decode()
    assert late_reopen.status_code == 400
    assert "can no longer be rated or reopened" in late_reopen.content.decode()
    assert Rating.objects.get().stars == 1
    assert Issue.objects.get().status == Status.CLOSED


def test_an_issue_closed_as_a_duplicate_is_not_rated(territory: Territory) -> None:
    report = file_report()
    issue = close(report, reason=CloseReason.DUPLICATE)
    token = rating_token(issue.pk, Rater.of_report(report))

    offered = rate_link(Client(), report)
    refused = Client().post(f"/care/rate/{token}/", {"stars": "3"})

    assert offered is None
    assert refused.status_code == 400 and "closed as a duplicate" in refused.content.decode()
    assert not Rating.objects.exists()


def test_only_the_code_holder_rates_as_the_report(territory: Territory) -> None:
    report = file_report()
    issue = Issue.objects.get(pk=report.issue_id)
    supported = APIClient().post(f"/api/v1/issues/{issue.pk}/support/", {"email": SUPPORTER})
    assert supported.status_code in (200, 201), supported.content
    close(report)
    supporter = Reporter.objects.get(email=SUPPORTER)

    wrong = Client().get("/t/ZZZZ-9999/")
    made = rating_token(issue.pk, Rater(report_id=report.pk))
    forged = Client().post(f"/care/rate/{made[:-1]}x/", {"stars": "1"})
    # The supporter's own (e-mail) link rates as the supporter, never as the report.
    Client().post(
        f"/care/rate/{rating_token(issue.pk, Rater(reporter_id=supporter.pk))}/", {"stars": "1"}
    )
    page = Client().get(f"/t/{report.tracking_code}/").content.decode()

    assert wrong.status_code == 404 and "rate-link" not in wrong.content.decode()
    assert forged.status_code == 404 and "not valid" in forged.content.decode()
    assert list(Rating.objects.values_list("reporter_id", "report_id")) == [(supporter.pk, None)]
    assert "You rated the work" not in page and "Rate the work" in page
    link = rate_link(Client(), report)
    assert link is not None
    assert read_rating_token(link.split("/")[-2]) == (issue.pk, Rater(report_id=report.pk))
