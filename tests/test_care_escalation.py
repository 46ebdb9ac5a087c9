"""SLA deadlines on working days and escalation chains, on a fake clock moved hour by hour
through Christmas and New Year (real PostGIS; e-mails in Django's locmem outbox)."""

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from care.escalation import DueEscalation, due_escalations, fire_escalation, run_escalations
from care.models import Deadline, Escalation, EscalationLevel
from reports.actions import refresh_issue
from reports.models import CloseReason, Issue, Status, TimelineEntry
from reports.sla import deadlines
from reports.workflow import change_status, take_in_charge
from tests.factories import INSIDE, Territory, moved
from tests.test_backoffice import report

ROME = ZoneInfo("Europe/Rome")
# Monday 21 December 2026, 10:00 in Rome: Christmas (Fri 25), St Stephen (Sat 26), New Year
# (Fri 1) and Epiphany (Wed 6) fall in the weeks that follow.
MONDAY = dt.datetime(2026, 12, 21, 10, 0, tzinfo=ROME)


def opened_at(issue_id: int, moment: dt.datetime) -> Issue:
    """Move an issue's opening (and its deadlines, as submit_report computes them) to `moment`."""
    issue = Issue.objects.select_related("category").get(pk=issue_id)
    take_due, close_due = deadlines(
        moment, issue.category.take_in_charge_working_days, issue.category.sla_working_days
    )
    Issue.objects.filter(pk=issue_id).update(
        first_reported_at=moment,
        last_reported_at=moment,
        take_in_charge_due_at=take_due,
        due_at=close_due,
    )
    return Issue.objects.get(pk=issue_id)


def chain(territory: Territory) -> dict[str, EscalationLevel]:
    pothole = territory.pothole
    pothole.take_in_charge_working_days, pothole.sla_working_days = 2, 3
    pothole.save()
    levels = {
        "untaken": EscalationLevel(deadline=Deadline.TAKE_IN_CHARGE, name="Coordinator (intake)"),
        "coordinator": EscalationLevel(name="Department coordinator"),
        "control": EscalationLevel(
            name="Control body", after_working_days=2, email="controllo@comune.example"
        ),
        "management": EscalationLevel(
            name="Management", after_working_days=5, email="direzione@comune.example"
        ),
    }
    for level in levels.values():
        level.category = pothole
        level.save()
    return levels


def hours(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    return [
        start + dt.timedelta(hours=h) for h in range(int((end - start).total_seconds() // 3600))
    ]


def test_deadlines_count_working_days_in_the_local_calendar(settings: object) -> None:
    take_due, close_due = deadlines(MONDAY, 2, 10)

    assert take_due == dt.datetime(2026, 12, 23, 10, 0, tzinfo=ROME)
    # 22, 23, 24, (25, 26, 27 off), 28, 29, 30, 31, (1, 2, 3 off), 4, 5, (6 off), 7.
    assert close_due == dt.datetime(2027, 1, 7, 10, 0, tzinfo=ROME)
    # 00:30 on Saturday in Rome is still Friday night in UTC: the local day counts.
    saturday = dt.datetime(2026, 12, 19, 0, 30, tzinfo=ROME)
    assert deadlines(saturday, 1, 1)[0].date() == dt.date(2026, 12, 21)


def test_new_issue_gets_both_deadlines(territory: Territory) -> None:
    issue = Issue.objects.get(pk=report())

    assert issue.take_in_charge_due_at is not None and issue.due_at is not None
    assert issue.first_reported_at < issue.take_in_charge_due_at < issue.due_at


def test_each_level_fires_once_at_its_working_day_through_the_holidays(
    territory: Territory,
) -> None:
    levels = chain(territory)
    issue = opened_at(report(), MONDAY)
    first_fired: dict[int, dt.datetime] = {}

    for now in hours(MONDAY, dt.datetime(2027, 1, 12, tzinfo=ROME)):
        run_escalations(now)
        for level_id in Escalation.objects.values_list("level_id", flat=True):
            first_fired.setdefault(level_id, now)

    def when(name: str) -> dt.datetime:
        return first_fired[levels[name].pk].astimezone(ROME)

    assert when("untaken") == dt.datetime(2026, 12, 23, 10, 0, tzinfo=ROME)
    assert when("coordinator") == dt.datetime(2026, 12, 24, 10, 0, tzinfo=ROME)
    # Two working days after Christmas Eve: Monday 28 and Tuesday 29 (25-27 are off).
    assert when("control") == dt.datetime(2026, 12, 29, 10, 0, tzinfo=ROME)
    # Five: 28, 29, 30, 31 and (1-3 off) Monday 4 January.
    assert when("management") == dt.datetime(2027, 1, 4, 10, 0, tzinfo=ROME)
    assert Escalation.objects.filter(issue=issue).count() == 4
    escalations = TimelineEntry.objects.filter(issue=issue, kind=TimelineEntry.Kind.ESCALATED)
    assert escalations.count() == 4 and not escalations.filter(public=True).exists()
    recipients = Counter(address for message in mail.outbox for address in message.to)
    assert recipients == {
        "roads@comune.example": 2,  # the department: intake and closing deadline
        "controllo@comune.example": 1,
        "direzione@comune.example": 1,
    }
    assert all(f"#{issue.pk}" in message.subject for message in mail.outbox)
    assert "Control body" in next(m.body for m in mail.outbox if "controllo" in m.to[0])


def test_taking_in_charge_in_time_stops_the_intake_level_only(territory: Territory) -> None:
    levels = chain(territory)
    issue = opened_at(report(email="cittadina@example.org"), MONDAY)
    take_in_charge(issue.pk, actor=None)
    mail.outbox.clear()

    run_escalations(dt.datetime(2026, 12, 24, 10, 0, tzinfo=ROME))

    assert list(Escalation.objects.values_list("level_id", flat=True)) == [levels["coordinator"].pk]
    # The escalation is internal: nothing reaches the citizen who follows the issue.
    assert [m.to for m in mail.outbox] == [["roads@comune.example"]]


def test_closed_issues_and_issues_of_other_categories_do_not_escalate(
    territory: Territory,
) -> None:
    chain(territory)
    closed = opened_at(report(), MONDAY)
    Issue.objects.filter(pk=closed.pk).update(status=Status.CLOSED, close_reason="fixed")
    light = opened_at(report(moved(INSIDE, metres_north=300), category="streetlight"), MONDAY)

    run_escalations(dt.datetime(2027, 2, 1, tzinfo=ROME))

    assert not Escalation.objects.filter(issue__in=[closed, light]).exists()
    assert mail.outbox == []


def test_a_category_without_a_chain_uses_its_group_chain(territory: Territory) -> None:
    group_level = EscalationLevel.objects.create(
        group=territory.streetlight.group, name="Group coordinator", email="g@comune.example"
    )
    issue = opened_at(report(category="streetlight"), MONDAY)

    fired = run_escalations(issue.due_at + dt.timedelta(minutes=1))

    assert fired == 1
    assert Escalation.objects.get().level == group_level


def test_a_restart_or_a_second_sweep_fires_nothing_again(territory: Territory) -> None:
    chain(territory)
    opened_at(report(), MONDAY)
    later = dt.datetime(2027, 1, 11, tzinfo=ROME)

    assert run_escalations(later) == 4
    assert run_escalations(later) == 0
    assert due_escalations(later) == []
    # The department is told of both deadlines in one e-mail; control and management one each.
    assert len(mail.outbox) == 3


def test_a_failed_email_keeps_the_claim_and_the_next_sweep_sends_it(
    territory: Territory, settings: object
) -> None:
    chain(territory)
    opened_at(report(), MONDAY)
    now = dt.datetime(2026, 12, 23, 11, 0, tzinfo=ROME)
    # Nothing listens on port 9: the real SMTP backend fails with ConnectionRefusedError.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # type: ignore[attr-defined]

    assert run_escalations(now) == 1
    [claim] = Escalation.objects.all()
    assert claim.sent_at is None
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED).count() == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    assert run_escalations(now) == 0  # nothing fires again...
    [message] = mail.outbox  # ...but the e-mail owed goes
    assert "This issue missed a deadline:" in message.body
    claim.refresh_from_db()
    assert claim.sent_at is not None
    run_escalations(now)
    assert len(mail.outbox) == 1
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_fire_a_level_once(territory: Territory) -> None:
    levels = chain(territory)
    issue = opened_at(report(), MONDAY)
    due = DueEscalation(issue.pk, levels["coordinator"].pk, issue.due_at)  # type: ignore[arg-type]
    now = dt.datetime(2026, 12, 24, 12, 0, tzinfo=ROME)
    start = threading.Barrier(2)
    results: list[bool] = []

    def beat() -> None:
        try:
            start.wait()
            results.append(fire_escalation(due, now))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert Escalation.objects.filter(issue=issue).count() == 1
    assert len(mail.outbox) == 1


def test_escalations_stay_off_the_public_page(territory: Territory) -> None:
    chain(territory)
    issue = opened_at(report(), MONDAY)
    run_escalations(dt.datetime(2027, 1, 11, tzinfo=ROME))

    page = Client().get(f"/issues/{issue.pk}/").content.decode()

    assert "Control body" not in page and "escalat" not in page.lower()


def test_a_reopened_issue_gets_new_deadlines_and_escalates_again(territory: Territory) -> None:
    levels = chain(territory)
    issue = opened_at(report(), MONDAY)
    take_in_charge(issue.pk, actor=None)
    reopened_at = dt.datetime(2027, 1, 11, 10, 0, tzinfo=ROME)
    assert run_escalations(reopened_at) == 3  # every closing level; it was taken in charge
    refresh_issue(Issue.objects.get(pk=issue.pk), now=reopened_at)
    overdue_priority = Issue.objects.get(pk=issue.pk).priority
    change_status(issue.pk, Status.CLOSED, actor=None, close_reason=CloseReason.FIXED)

    change_status(issue.pk, Status.REOPENED, actor=None, now=reopened_at)

    issue.refresh_from_db()
    assert issue.taken_in_charge_at is None  # the department acknowledges it again
    assert (issue.take_in_charge_due_at, issue.due_at) == deadlines(reopened_at, 2, 3)
    assert issue.priority < overdue_priority  # the deadline term counts to the new due date
    assert run_escalations(reopened_at + dt.timedelta(hours=1)) == 0
    run_escalations(issue.take_in_charge_due_at)
    untaken = Escalation.objects.filter(issue=issue, level=levels["untaken"])
    assert [e.deadline_at for e in untaken] == [issue.take_in_charge_due_at]
    assert run_escalations(dt.datetime(2027, 2, 1, tzinfo=ROME)) == 3  # the closing levels again
    assert Escalation.objects.filter(issue=issue).count() == 7
