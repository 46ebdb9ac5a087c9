"""Contact details nobody verified never take over a person; "me too" cannot be inflated."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from care.actions import qualify_report
from care.links import reporter_page_url
from outbox.models import OutboxMessage
from privacy.actions import export_personal_data
from reports import tasks
from reports.models import Issue, Report, Reporter, Subscription, Supporter
from reports.workflow import reply_publicly
from tests.factories import INSIDE, Territory, confirm_addresses, moved
from tests.test_backoffice import report

VICTIM = "citizen4@example.org"


def submit(where: tuple[float, float] = INSIDE, **contact: str) -> Report:
    form = {"lat": where[0], "lon": where[1], "category": "pothole", "answers": {"size": "small"}}
    response = APIClient().post("/api/v1/reports/", {**form, **contact}, format="json")
    assert response.status_code == 201, response.json()
    return Report.objects.get(pk=response.json()["id"])


def support(issue_id: int, client_ip: str = "198.51.100.1", **body: str) -> dict[str, object]:
    response = APIClient().post(
        f"/api/v1/issues/{issue_id}/support/", body, format="json", REMOTE_ADDR=client_ip
    )
    assert response.status_code in (200, 201), response.content
    return dict(response.json())


def test_an_unverified_email_never_changes_or_joins_a_known_person(territory: Territory) -> None:
    own = Report.objects.get(issue_id=report(email=VICTIM))  # confirmed by its owner
    victim = Reporter.objects.get(pk=own.reporter_id)

    junk = submit(
        moved(INSIDE, metres_north=400),
        name="Attaccante",
        email=VICTIM.upper(),
        phone="+39 320 0000000",
    )
    qualify_report(junk.pk, None, "fake")

    victim.refresh_from_db()
    assert (victim.name, victim.phone, victim.reliability) == ("", "", None)
    assert list(victim.reports.values_list("pk", flat=True)) == [own.pk]
    assert junk.reporter_id != victim.pk
    assert not Subscription.objects.get(reporter_id=junk.reporter_id).active
    page = Client().get(reporter_page_url(victim.pk).removeprefix("http://127.0.0.1:8000"))
    assert own.tracking_code in page.content.decode()
    assert junk.tracking_code not in page.content.decode()
    people = export_personal_data(VICTIM)["people"]
    assert [(p["confirmed"], p["name"]) for p in people] == [(True, ""), (False, "Attaccante")]
    assert [r["tracking_code"] for r in people[0]["reports"]] == [own.tracking_code]


def test_an_email_gets_issue_updates_only_after_its_owner_follows_the_link(
    territory: Territory,
) -> None:
    issue_id = report()
    answer = support(issue_id, email="victim@example.com")
    assert answer["confirmation_sent"] is True
    pending = Subscription.objects.get(reporter__email="victim@example.com")
    assert not pending.active
    assert OutboxMessage.objects.filter(task="reports.tasks.send_confirmation").count() == 1
    entry = reply_publicly(issue_id, actor=None, text="Sopralluogo fatto.")
    assert tasks.send_issue_update(entry.pk) == 0

    assert tasks.send_confirmation(pending.reporter_id, issue_id, True)
    [message] = mail.outbox
    assert message.to == ["victim@example.com"]
    link = re.search(r"http://127\.0\.0\.1:8000(/confirm/\S+/)", message.body)
    assert link is not None
    assert Client().get(link.group(1)).status_code == 200  # a mail scanner's GET does nothing
    pending.refresh_from_db()
    assert not pending.active
    assert Client().post(link.group(1)).status_code == 200
    pending.refresh_from_db()
    assert pending.active
    assert Client().post(link.group(1)).status_code == 200  # a second click changes nothing
    assert Client().post("/confirm/not-a-token/").status_code == 404
    later = reply_publicly(issue_id, actor=None, text="Lavori iniziati.")
    assert tasks.send_issue_update(later.pk) == 1


def test_an_address_gets_a_few_confirmation_emails_a_day_at_most(territory: Territory) -> None:
    issue_id = report()
    for i in range(7):
        support(issue_id, client_ip=f"198.51.100.{i}", email="flooded@example.com")
    rows = Reporter.objects.filter(email="flooded@example.com").order_by("pk")

    sent = [tasks.send_confirmation(row.pk, issue_id, True) for row in rows]

    assert sent == [True] * 5 + [False] * 2
    assert len(mail.outbox) == 5


def test_repeated_me_too_from_one_client_counts_once(territory: Territory) -> None:
    issue_id = report()
    before = Issue.objects.get(pk=issue_id)

    answers = [support(issue_id) for _ in range(10)]
    answers += [support(issue_id, email=f"made-up-{i}@example.com") for i in range(15)]

    issue = Issue.objects.get(pk=issue_id)
    assert [a["supporter_count"] for a in answers] == [1] * 25
    assert issue.people == before.people + 1
    stored = Supporter.objects.get(issue_id=issue_id)
    assert len(stored.client_hash) == 64 and "198.51.100.1" not in stored.client_hash
    support(issue_id, client_ip="203.0.113.9")  # another household
    assert Issue.objects.get(pk=issue_id).supporter_count == 2


def test_a_confirmed_email_counts_as_a_person_of_its_own(territory: Territory) -> None:
    issue_id = report()
    support(issue_id)
    support(issue_id, email="neighbour@example.org")  # same address: counted already
    assert Issue.objects.get(pk=issue_id).supporter_count == 1

    confirm_addresses(issue_id)

    issue = Issue.objects.get(pk=issue_id)
    assert issue.supporter_count == 2
    assert Supporter.objects.filter(issue_id=issue_id, reporter__email="neighbour@example.org")
    assert Subscription.objects.get(reporter__email="neighbour@example.org").active


def test_signed_in_accounts_count_once_each_and_follow_at_once(territory: Territory) -> None:
    issue_id = report()
    users = get_user_model().objects
    for name in ("anna", "bruno"):
        client = APIClient()
        client.force_authenticate(users.create_user(name, email=f"{name}@example.org"))
        for _ in range(2):
            response = client.post(
                f"/api/v1/issues/{issue_id}/support/",
                {"email": f"{name}@example.org"},
                format="json",
            )
            assert response.status_code in (200, 201)
            assert response.json()["confirmation_sent"] is False

    assert Issue.objects.get(pk=issue_id).supporter_count == 2
    assert Subscription.objects.filter(issue_id=issue_id, active=True).count() == 2
