"""The care jobs: their beat schedule, and the sweep task's body run as beat runs it."""

import datetime as dt

from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from care import tasks
from care.escalation import unalerted_emergencies
from care.models import Escalation, EscalationLevel
from config.celery import app
from reports.models import TimelineEntry
from reports.tasks import alert_emergency_contact
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import report
from tests.test_care_escalation import opened_at


def test_beat_runs_every_care_job() -> None:
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "care.tasks.escalate_overdue",
        "care.tasks.invite_ratings",
        "care.tasks.send_daily_digests",
    } <= scheduled
    app.loader.import_default_modules()  # every app's tasks, as a worker or beat loads them
    assert scheduled <= set(app.tasks)


def test_an_emergency_counts_as_unalerted_only_after_a_grace_period(territory: Territory) -> None:
    form = {"lat": INSIDE[0], "lon": INSIDE[1], "category": "pothole", "emergency": True}
    created = APIClient().post(
        "/api/v1/reports/", {**form, "answers": {"size": "small"}}, format="json"
    )
    issue_id = created.json()["issue"]
    now = timezone.now()

    assert unalerted_emergencies(now) == []  # the alert may still be on its way
    assert unalerted_emergencies(now + dt.timedelta(minutes=6)) == [issue_id]
    alert_emergency_contact(issue_id)
    assert unalerted_emergencies(now + dt.timedelta(minutes=6)) == []
    assert mail.outbox[0].to == ["roads-emergency@comune.example"]


def test_the_sweep_task_escalates_and_recovers_a_lost_emergency_alert(
    territory: Territory,
) -> None:
    EscalationLevel.objects.create(category=territory.pothole, name="Coordinator")
    overdue = opened_at(report(), timezone.now() - dt.timedelta(days=40))
    where = moved(INSIDE, metres_north=400)
    report(where, category="streetlight", emergency=True)
    # The alert queued at submission never ran (here: on_commit does not fire in a test
    # transaction, as if the broker had lost it); the entry is ten minutes old.
    TimelineEntry.objects.filter(kind=TimelineEntry.Kind.EMERGENCY).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )

    assert tasks.escalate_overdue() == 1
    assert tasks.escalate_overdue() == 0

    assert Escalation.objects.get().issue == overdue
    assert TimelineEntry.objects.get(kind=TimelineEntry.Kind.EMERGENCY).data["alerted"] is True
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lighting-emergency@comune.example",
        "roads@comune.example",
    ]
