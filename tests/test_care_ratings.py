"""Ratings after closure: the invitation e-mail with its signed link, rating, changing it, and
reopening after a low rating (real PostGIS; e-mails in Django's locmem outbox)."""

import re

from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from care.invitations import send_invitations
from care.links import rating_token, read_rating_token
from care.models import Rater, Rating, RatingInvitation
from reports.models import Issue, Reporter, Status, TimelineEntry
from reports.tasks import send_issue_update
from reports.workflow import close_issue
from tests.factories import Territory, confirm_addresses
from tests.test_backoffice import report

EMAIL, OTHER = "mariangela.esposito@example.org", "giorgio.bassi@example.org"
NOTE = "La buca è ancora lì, anzi è più grande di prima."


def closed_issue() -> Issue:
    issue_id = report(email=EMAIL)
    response = APIClient().post(f"/api/v1/issues/{issue_id}/support/", {"email": OTHER})
    assert response.status_code in (200, 201), response.content
    confirm_addresses(issue_id)
    close_issue(issue_id, actor=None, reason="fixed", public_text="Buca chiusa.")
    mail.outbox.clear()
    return Issue.objects.get(pk=issue_id)


def rate_path(issue: Issue, email: str = EMAIL) -> str:
    reporter = Reporter.objects.get(email=email)
    return f"/care/rate/{rating_token(issue.pk, Rater(reporter_id=reporter.pk))}/"


def test_followers_of_a_closed_issue_are_invited_once_each(territory: Territory) -> None:
    issue = closed_issue()

    assert send_invitations(issue.closed_at) == 2  # type: ignore[arg-type]
    assert send_invitations(issue.closed_at) == 0  # type: ignore[arg-type]

    assert sorted(m.to[0] for m in mail.outbox) == [OTHER, EMAIL]
    assert RatingInvitation.objects.count() == 2
    body = next(m.body for m in mail.outbox if m.to == [EMAIL])
    link = re.search(r"http://127\.0\.0\.1:8000/care/rate/(\S+)/", body)
    # The link's own issue and follower (not its text: a signed token holds the second it was
    # made, so one made a second later differs).
    reporter = Reporter.objects.get(email=EMAIL)
    assert link is not None and read_rating_token(link.group(1)) == (
        issue.pk,
        Rater(reporter_id=reporter.pk),
    )
    assert "/care/me/" in body
    assert OTHER not in body


def test_open_issues_and_duplicates_get_no_invitation(territory: Territory) -> None:
    open_issue = Issue.objects.get(pk=report(email=EMAIL))
    duplicate = closed_issue()
    Issue.objects.filter(pk=duplicate.pk).update(close_reason="duplicate")

    assert send_invitations(duplicate.closed_at) == 0  # type: ignore[arg-type]
    assert open_issue.status == Status.NEW


def test_a_good_rating_is_recorded_internally_and_can_be_changed(territory: Territory) -> None:
    issue = closed_issue()
    client = Client()
    path = rate_path(issue)

    page = client.get(path)
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    saved = client.post(path, {"stars": "4", "comment": "Lavoro fatto bene."}, follow=True)
    assert "you rated the work 4 out of 5" in saved.content.decode()
    assert "Is the problem still there?" not in saved.content.decode()
    client.post(path, {"stars": "5", "comment": ""})

    rating = Rating.objects.get()
    assert (rating.stars, rating.comment) == (5, "")
    notes = TimelineEntry.objects.filter(issue=issue, data__has_key="rating")
    assert notes.count() == 2 and not notes.filter(public=True).exists()
    assert "Lavoro fatto bene." not in Client().get(f"/issues/{issue.pk}/").content.decode()


def test_a_low_rating_reopens_the_issue_with_the_citizens_note(territory: Territory) -> None:
    issue = closed_issue()
    client = Client()
    path = rate_path(issue)

    asked = client.post(path, {"stars": "1"}, follow=True).content.decode()
    assert "Is the problem still there?" in asked
    reopened = client.post(f"{path}reopen/", {"note": NOTE})

    assert reopened.status_code == 200
    issue.refresh_from_db()
    assert issue.status == Status.REOPENED and issue.public_status == "open"
    internal = TimelineEntry.objects.get(
        issue=issue, kind=TimelineEntry.Kind.INTERNAL_NOTE, text__contains=NOTE
    )
    assert internal.public is False
    public = Client().get(f"/issues/{issue.pk}/").content.decode()
    assert "the issue is reopened" in public and NOTE not in public
    # The followers hear about it, through reports.workflow.
    entry = TimelineEntry.objects.filter(issue=issue, public=True, status=Status.REOPENED).get()
    assert send_issue_update(entry.pk) == 2
    again = client.post(f"{path}reopen/", {"note": "ancora"})
    assert again.status_code == 400


def test_bad_links_and_bad_ratings_get_clear_4xx(territory: Territory) -> None:
    issue = closed_issue()
    client = Client()
    path = rate_path(issue)

    tampered = client.get(path.replace("/rate/", "/rate/x"))
    assert tampered.status_code == 404 and "not valid" in tampered.content.decode()
    assert client.get("/care/me/nonsense/").status_code == 404
    bad = client.post(path, {"stars": "9"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    high = client.post(path, {"stars": "4"})
    assert high.status_code == 302
    assert client.post(f"{path}reopen/", {"note": "x"}).status_code == 400  # 4 is not low
    assert Issue.objects.get(pk=issue.pk).status == Status.CLOSED


def test_a_reopened_issue_cannot_be_rated_until_closed_again(territory: Territory) -> None:
    issue = closed_issue()
    Client().post(rate_path(issue), {"stars": "1"})
    Client().post(f"{rate_path(issue)}reopen/", {"note": NOTE})

    response = Client().post(rate_path(issue, OTHER), {"stars": "5"})

    assert response.status_code == 400
    assert "open again" in response.content.decode()
    assert Rating.objects.count() == 1


def test_the_rating_page_and_invitation_speak_the_citizens_language(territory: Territory) -> None:
    issue = closed_issue()
    Reporter.objects.filter(email=EMAIL).update(language="it")

    page = Client().get(rate_path(issue), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    send_invitations(issue.closed_at)  # type: ignore[arg-type]

    assert "intervento sulla segnalazione" in page and "Rate the work" not in page
    italian = next(m for m in mail.outbox if m.to == [EMAIL])
    assert italian.subject == f"La segnalazione {issue.pk} è chiusa: come abbiamo lavorato?"
    assert "Dagli un voto da 1 a 5" in italian.body
