"""mySociety's servicerequestupdates: public status changes and replies out, citizen updates in."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from open311.actions import create_api_key
from open311.models import ApiKey, hash_key
from reports.models import CloseReason, Issue, Reporter, Status, TimelineEntry
from tests.factories import Territory
from tests.open311_helpers import BASE, post_form, pothole, xml


@pytest.fixture
def key(territory: Territory) -> str:
    return create_api_key(name="FixMyStreet", owner="mySociety")[1]


@pytest.fixture
def issue(client: Client, key: str) -> Issue:
    response = post_form(client, "requests.json", pothole(key))
    assert response.status_code == 201
    return Issue.objects.get(pk=response.json()[0]["service_request_id"])


def test_status_changes_and_replies_are_updates_with_fixmystreet_statuses(
    client: Client, issue: Issue
) -> None:
    issue.timeline.create(kind="status", status=Status.IN_PROGRESS, text="Crew on site")
    issue.timeline.create(kind="note", public=False, text="internal only")
    issue.timeline.create(
        kind="status", status=Status.CLOSED, close_reason=CloseReason.FIXED, text="Filled"
    )
    issue.timeline.create(kind="status", public=False, status=Status.REOPENED)

    updates = client.get(f"{BASE}/servicerequestupdates.json").json()

    assert [(u["status"], u["description"]) for u in updates] == [
        ("in_progress", "Crew on site"),
        ("fixed", "Filled"),
    ]
    assert all(u["service_request_id"] == str(issue.pk) for u in updates)
    assert all(isinstance(u["update_id"], str) for u in updates)
    root = xml(client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert [u.findtext("status") for u in root.iter("request_update")] == ["in_progress", "fixed"]


def test_updates_are_selected_by_date(client: Client, issue: Issue) -> None:
    entry = issue.timeline.create(kind="reply", text="Scheduled for Monday")
    TimelineEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )
    since = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"{BASE}/servicerequestupdates.json?start_date={since}").json() == []
    assert len(client.get(f"{BASE}/servicerequestupdates.json").json()) == 1


def test_a_citizen_update_is_an_internal_note_and_retries_are_idempotent(
    client: Client, key: str, issue: Issue
) -> None:
    update = {
        "api_key": key,
        "service_request_id": str(issue.pk),
        "update_id": "fms-77",
        "status": "CLOSED",
        "description": "It has been fixed, thanks",
        "email": "luca@example.org",
        "first_name": "Luca",
        "updated_datetime": timezone.localtime().isoformat(timespec="seconds"),
    }
    first = post_form(client, "servicerequestupdates.json", update)
    again = post_form(client, "servicerequestupdates.json", update)

    assert first.status_code == 201, first.content
    assert first.json() == again.json()
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.INTERNAL_NOTE)
    assert first.json() == [{"update_id": str(entry.pk)}]
    assert entry.public is False
    assert entry.text == "It has been fixed, thanks"
    assert entry.data["citizen_status"] == "closed"
    issue.refresh_from_db()
    assert issue.status == Status.NEW  # staff decide; the citizen's word is recorded
    reporter = Reporter.objects.get(email="luca@example.org")
    assert issue.subscriptions.filter(reporter=reporter).exists()
    public = client.get(f"{BASE}/servicerequestupdates.json").content.decode()
    assert "luca" not in public.lower() and "thanks" not in public


@pytest.mark.parametrize(
    ("overrides", "status", "fragment"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"service_request_id": "424242"}, 404, "424242"),
        ({"service_request_id": "²"}, 404, "²"),
        ({"service_request_id": ""}, 400, "service_request_id"),
        ({"description": ""}, 400, "description"),
        ({"status": "maybe"}, 400, "status"),
        ({"email": "nope"}, 400, "email"),
        ({"updated_datetime": "soon"}, 400, "updated_datetime"),
        ({"media_url": "https://example.org/a.jpg"}, 400, "media_url"),
    ],
)
def test_bad_citizen_updates_are_refused(
    client: Client, key: str, issue: Issue, overrides: dict, status: int, fragment: str
) -> None:
    update = {"api_key": key, "service_request_id": str(issue.pk), "description": "Still there"}
    update.update(overrides)
    response = post_form(client, "servicerequestupdates.xml", update)

    assert response.status_code == status, response.content
    root = xml(response)
    assert root.tag == "errors"
    assert fragment in root.findtext("error/description")
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.INTERNAL_NOTE).exists()


def w3c_from_now(**delta: float) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(**delta)).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    "updated",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        "days=-366",
        "days=2",
    ],
)
def test_an_update_s_time_far_from_now_is_refused(
    client: Client, key: str, issue: Issue, updated: str
) -> None:
    if updated.startswith("days="):
        updated = w3c_from_now(days=float(updated.removeprefix("days=")))
    update = {
        "api_key": key,
        "service_request_id": str(issue.pk),
        "description": "Still there",
        "updated_datetime": updated,
    }
    response = post_form(client, "servicerequestupdates.json", update)

    assert response.status_code == 400, response.content
    [error] = response.json()
    assert error["description"].startswith("updated_datetime is out of range: give a moment")
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.INTERNAL_NOTE).exists()


@pytest.mark.parametrize("days", [-364, 0, 0.9])
def test_an_update_s_time_within_a_year_before_and_a_day_after_now_is_accepted(
    client: Client, key: str, issue: Issue, days: float
) -> None:
    update = {
        "api_key": key,
        "service_request_id": str(issue.pk),
        "description": "Still there",
        "updated_datetime": w3c_from_now(days=days),
    }
    assert post_form(client, "servicerequestupdates.json", update).status_code == 201


def test_admin_creates_a_key_shown_once_and_revokes_it(client: Client, db: None) -> None:
    admin = User.objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "City app", "owner": "Comune", "contact_email": "", "rate_limit_per_minute": 30},
        follow=True,
    )
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "API key is" in str(m)]
    raw = message.split("The new API key is ")[1].split(". Copy")[0]
    row = ApiKey.objects.get()
    assert row.key_hash == hash_key(raw) and raw not in (row.key_hash, row.key_prefix)
    assert row.rate_limit_per_minute == 30

    client.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [row.pk]},
        follow=True,
    )
    row.refresh_from_db()
    assert row.revoked_at is not None
