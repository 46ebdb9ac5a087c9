"""Personal data: retention, the citizen's own download and deletion (real PostGIS, Redis-free
per-process cache as in every test)."""

import datetime as dt
import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import Draft
from privacy.access import SALT
from privacy.retention import apply_retention, months_before
from privacy.tasks import apply_retention as retention_task
from reports.models import Issue, Report, Reporter, Status, Subscription, Supporter
from tests.factories import INSIDE, Territory, confirm_addresses, moved

MARIA = {"name": "Maria Rossi", "email": "maria.rossi@example.org", "phone": "+39 333 1234567"}


def submit(api: APIClient, where: tuple[float, float] = INSIDE, **contact: str) -> Report:
    form = {"lat": where[0], "lon": where[1], "category": "pothole", **contact}
    form["answers"] = {"size": "large"}
    response = api.post("/api/v1/reports/", form, format="json")
    assert response.status_code == 201, response.json()
    confirm_addresses()  # the citizen follows the confirmation link, if they left an e-mail
    return Report.objects.get(pk=response.json()["id"])


def close(issue_id: int, *, months_ago: int) -> None:
    closed_at = months_before(timezone.now(), months_ago)
    Issue.objects.filter(pk=issue_id).update(status=Status.CLOSED, closed_at=closed_at)


def age(reporter: Reporter, *, months: int) -> None:
    Reporter.objects.filter(pk=reporter.pk).update(created_at=months_before(timezone.now(), months))


def test_months_before_clamps_to_the_end_of_a_shorter_month() -> None:
    moment = dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 10, 0, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2024, 12, 31, 10, 0, tzinfo=dt.UTC)


def test_retention_anonymises_reporters_of_long_closed_issues_and_keeps_the_reports(
    api: APIClient, territory: Territory, settings: Any
) -> None:
    settings.PRIVACY_RETENTION_CLOSED_MONTHS = 12
    old = submit(api, **MARIA)
    recent = submit(api, where=moved(INSIDE, metres_north=400), email="luca@example.org")
    Report.objects.filter(pk=old.pk).update(photo_location=old.location)
    age(old.reporter, months=30)
    age(recent.reporter, months=30)
    close(old.issue_id, months_ago=13)
    close(recent.issue_id, months_ago=11)
    people_before = Issue.objects.get(pk=old.issue_id).priority_explained["people"]

    dry = apply_retention(dry_run=True)
    assert (dry.reporters, dry.subscriptions, dry.photo_positions) == (1, 1, 1)
    assert Reporter.objects.get(pk=old.reporter_id).email == MARIA["email"]

    changed = apply_retention()

    assert (changed.reporters, changed.subscriptions, changed.photo_positions) == (1, 1, 1)
    gone = Reporter.objects.get(pk=old.reporter_id)
    assert (gone.name, gone.email, gone.phone) == ("", "", "")
    assert not Subscription.objects.get(reporter=gone).active
    kept = Report.objects.get(pk=old.pk)
    assert kept.reporter_id == gone.pk and kept.photo_location is None
    assert kept.tracking_code == old.tracking_code
    assert Issue.objects.get(pk=old.issue_id).priority_explained["people"] == people_before
    assert Reporter.objects.get(pk=recent.reporter_id).email == "luca@example.org"
    assert apply_retention().total == 0  # idempotent


def test_a_reporter_who_supports_an_open_issue_keeps_their_contact(
    api: APIClient, territory: Territory
) -> None:
    old = submit(api, **MARIA)
    age(old.reporter, months=40)
    close(old.issue_id, months_ago=30)
    other = submit(api, where=moved(INSIDE, metres_north=400))
    supported = api.post(f"/api/v1/issues/{other.issue_id}/support/", {"email": MARIA["email"]})
    assert supported.status_code == 201
    confirm_addresses(other.issue_id)

    assert apply_retention().reporters == 0
    close(other.issue_id, months_ago=25)
    assert apply_retention().reporters == 1


def test_accounts_are_anonymised_after_inactivity_and_staff_never(
    api: APIClient, territory: Territory, settings: Any
) -> None:
    settings.PRIVACY_RETENTION_INACTIVE_MONTHS = 6
    users = get_user_model().objects
    idle = users.create_user("idle", email="idle@example.org", first_name="Ida")
    active = users.create_user("active", email="active@example.org")
    staff = users.create_user("staff", email="staff@example.org", is_staff=True)
    for user, months in ((idle, 7), (active, 1), (staff, 7)):
        users.filter(pk=user.pk).update(last_login=months_before(timezone.now(), months))
        reporter = Reporter.objects.create(user=user, email=user.email)
        age(reporter, months=30)

    changed = apply_retention()

    assert changed.accounts == 1 and changed.reporters == 1
    idle.refresh_from_db()
    assert (idle.username, idle.email, idle.first_name) == (f"anonymised-{idle.pk}", "", "")
    assert not idle.is_active and not idle.has_usable_password()
    assert users.get(pk=active.pk).email == "active@example.org"
    assert users.get(pk=staff.pk).email == "staff@example.org"
    assert apply_retention().total == 0


def test_retention_blanks_senders_of_old_discarded_drafts_only(territory: Territory) -> None:
    long_ago = months_before(timezone.now(), 30)
    sender = {"sender_name": "Anna", "sender_email": "anna@example.org", "sender_phone": "333"}
    discarded = Draft.objects.create(
        channel="email", discarded=True, received_at=long_ago, **sender
    )
    pending = Draft.objects.create(channel="email", received_at=long_ago, **sender)

    assert apply_retention().drafts == 1
    assert Draft.objects.get(pk=discarded.pk).sender_email == ""
    assert Draft.objects.get(pk=pending.pk).sender_email == "anna@example.org"


def test_the_command_and_the_task_report_what_they_changed(
    api: APIClient, territory: Territory, capsys: Any
) -> None:
    old = submit(api, **MARIA)
    age(old.reporter, months=40)
    close(old.issue_id, months_ago=30)

    call_command("apply_retention", "--dry-run")
    assert "would change 2 rows" in capsys.readouterr().out  # the reporter, their subscription
    assert Reporter.objects.get(pk=old.reporter_id).email == MARIA["email"]
    call_command("apply_retention")
    assert "changed 2 rows" in capsys.readouterr().out
    assert retention_task() == 0


def link_from(message: Any) -> str | None:
    found = re.search(r"http://[^\s]+/privacy/data/[^\s]+/", message.body)
    return found.group(0).removeprefix("http://127.0.0.1:8000") if found else None


def ask(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/privacy/", {"email": email}, **extra)


def test_known_and_unknown_addresses_get_the_same_answer(
    api: APIClient, territory: Territory
) -> None:
    submit(api, **MARIA)
    known = ask(Client(), "Maria.Rossi@example.org")
    unknown = ask(Client(), "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r"[\w.]+@example\.org|csrfmiddlewaretoken\" value=\"\w+")
    assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())
    assert [m.to for m in mail.outbox] == [["Maria.Rossi@example.org"], ["nobody@example.org"]]
    assert link_from(mail.outbox[0]) is not None
    assert link_from(mail.outbox[1]) is None
    assert "no personal data" in mail.outbox[1].body
    assert MARIA["email"] not in link_from(mail.outbox[0])  # the link never carries the address


def test_the_link_shows_downloads_and_deletes_the_data_and_reports_stay(
    api: APIClient, territory: Territory
) -> None:
    report = submit(api, description="Buca davanti al civico 3", **MARIA)
    other = submit(api, where=moved(INSIDE, metres_north=400))
    api.post(f"/api/v1/issues/{other.issue_id}/support/", {"email": MARIA["email"]})
    confirm_addresses(other.issue_id)
    Draft.objects.create(channel="email", sender_email=MARIA["email"], subject="Lampione")
    ask(Client(), MARIA["email"])
    link = link_from(mail.outbox[0])
    assert link is not None
    client = Client()

    page = client.get(link)
    assert page.status_code == 200 and report.tracking_code in page.content.decode()
    download = client.get(link + "download/")
    assert download["Content-Disposition"].startswith("attachment")
    data = json.loads(download.content)
    [person] = data["people"]
    assert (person["name"], person["email"], person["phone"]) == tuple(MARIA.values())
    [exported] = person["reports"]
    assert exported["tracking_code"] == report.tracking_code
    assert exported["description"] == "Buca davanti al civico 3"
    assert exported["answers"] == {"size": "large"}
    assert [s["issue"] for s in person["supports"]] == [other.issue_id]
    assert {s["issue"] for s in person["subscriptions"]} == {report.issue_id, other.issue_id}
    assert [d["subject"] for d in data["messages_to_the_office"]] == ["Lampione"]

    erased = client.post(link + "delete/")

    assert erased.status_code == 200
    reporter = Reporter.objects.get(pk=report.reporter_id)
    assert (reporter.name, reporter.email, reporter.phone) == ("", "", "")
    assert not Subscription.objects.filter(reporter=reporter, active=True).exists()
    assert Draft.objects.get().sender_email == ""
    assert Report.objects.get(pk=report.pk).description == "Buca davanti al civico 3"
    assert Supporter.objects.get(issue_id=other.issue_id).reporter_id == reporter.pk
    again = client.get(link)
    assert "We hold no personal data" in again.content.decode()
    assert json.loads(client.get(link + "download/").content)["people"] == []


def test_expired_forged_and_truncated_links_are_refused_with_a_message(
    api: APIClient, territory: Territory, settings: Any
) -> None:
    submit(api, **MARIA)
    ask(Client(), MARIA["email"])
    link = link_from(mail.outbox[0])
    assert link is not None
    forged = signing.dumps({"f": "x", "r": [1], "d": []}, salt=SALT + "-other")

    assert Client().get(link[:-6] + "/").status_code == 400
    assert Client().get(f"/privacy/data/{forged}/").status_code == 400
    assert Client().post(f"/privacy/data/{forged}/delete/").status_code == 400
    settings.PRIVACY_LINK_MAX_AGE_S = -1
    expired = Client().get(link, HTTP_ACCEPT_LANGUAGE="it")
    assert expired.status_code == 410 and "scaduto" in expired.content.decode()
    assert Reporter.objects.get().email == MARIA["email"]


def test_a_link_signed_for_one_address_does_not_open_another_persons_rows(
    api: APIClient, territory: Territory
) -> None:
    victim = submit(api, **MARIA)
    token = signing.dumps({"f": "0" * 32, "r": [victim.reporter_id], "d": []}, salt=SALT)

    page = Client().get(f"/privacy/data/{token}/")

    assert page.status_code == 200 and MARIA["name"] not in page.content.decode()
    Client().post(f"/privacy/data/{token}/delete/")
    assert Reporter.objects.get().email == MARIA["email"]


def test_the_request_form_is_rate_limited_and_checks_the_address(settings: Any, db: None) -> None:
    settings.PRIVACY_REQUESTS_PER_HOUR = 2
    client = Client()
    assert ask(client, "a@example.org").status_code == 200
    assert ask(client, "b@example.org").status_code == 200
    over = ask(client, "c@example.org", HTTP_ACCEPT_LANGUAGE="it")
    assert over.status_code == 429 and "Troppe richieste" in over.content.decode()
    assert len(mail.outbox) == 2
    bad = Client().post("/privacy/", {"email": "not an address"})
    assert bad.status_code == 400
    assert Client().get("/privacy/").status_code == 200
