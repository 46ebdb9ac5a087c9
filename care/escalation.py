"""Escalation chains: which levels are due for which issues, and firing each exactly once.

A level fires `after_working_days` working days after the issue's deadline (its take-in-charge
deadline while nobody has taken it in charge, or its closing deadline while it is open). The
Escalation row, inserted in the same transaction as the timeline entry and the e-mail, is the
claim: a second beat process blocks on the unique index until the first commits, then skips;
when the e-mail fails the claim rolls back and the next sweep tries again.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.audit import record
from care.models import Deadline, Escalation, EscalationLevel
from config.retry import SERVICE_ERRORS
from reports.models import OPEN_STATUSES, Issue, TimelineEntry
from reports.sla import add_working_days, is_working_day
from reports.tasks import alert_emergency_contact

logger = logging.getLogger(__name__)

# An emergency alert not sent this long after the report is queued again, for this long.
EMERGENCY_GRACE = dt.timedelta(minutes=5)
EMERGENCY_LOOKBACK = dt.timedelta(days=2)


@dataclass(frozen=True)
class DueEscalation:
    issue_id: int
    level_id: int
    deadline_at: dt.datetime


def chains() -> tuple[dict[int, list[EscalationLevel]], dict[int, list[EscalationLevel]]]:
    """Return the active levels by category id and by group id, each in firing order."""
    by_category: dict[int, list[EscalationLevel]] = defaultdict(list)
    by_group: dict[int, list[EscalationLevel]] = defaultdict(list)
    for level in EscalationLevel.objects.filter(active=True):
        if level.category_id is not None:
            by_category[level.category_id].append(level)
        elif level.group_id is not None:
            by_group[level.group_id].append(level)
    return by_category, by_group


def fire_at(deadline_at: dt.datetime, level: EscalationLevel) -> dt.datetime:
    """Return when `level` fires for a deadline: that many working days after it."""
    return add_working_days(deadline_at, level.after_working_days, settings.PATRON_SAINT_DAY)


def due_escalations(now: dt.datetime) -> list[DueEscalation]:
    """Return the levels that should have fired by `now` and have not, oldest deadline first.

    Reads only open issues past one of their deadlines (partial indexes issue_open_due and
    issue_untaken_due) and the escalations they already had.
    """
    by_category, by_group = chains()
    if not by_category and not by_group:
        return []
    overdue = Issue.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True).filter(
        Q(due_at__lte=now) | Q(taken_in_charge_at__isnull=True, take_in_charge_due_at__lte=now)
    )
    fired = set(
        Escalation.objects.filter(issue__in=overdue.values("pk")).values_list(
            "issue_id", "level_id", "deadline_at"
        )
    )
    due: list[DueEscalation] = []
    rows = overdue.values_list(
        "pk",
        "category_id",
        "category__group_id",
        "due_at",
        "take_in_charge_due_at",
        "taken_in_charge_at",
    )
    for issue_id, category_id, group_id, due_at, take_due_at, taken_at in rows.iterator():
        chain = by_category.get(category_id) or by_group.get(group_id, [])
        for level in chain:
            deadline_at = due_at if level.deadline == Deadline.CLOSE else take_due_at
            if level.deadline == Deadline.TAKE_IN_CHARGE and taken_at is not None:
                continue
            if deadline_at is None or (issue_id, level.pk, deadline_at) in fired:
                continue
            if fire_at(deadline_at, level) > now:
                continue
            due.append(DueEscalation(issue_id, level.pk, deadline_at))
    due.sort(key=lambda d: d.deadline_at)
    return due


def fire_escalation(due: DueEscalation, now: dt.datetime) -> bool:
    """Claim, record and e-mail one escalation; return False when it had fired already.

    Raise the e-mail backend's error (OSError) to leave the escalation for the next sweep.
    """
    level = EscalationLevel.objects.get(pk=due.level_id)
    with transaction.atomic():
        issue = (
            Issue.objects.select_for_update(of=("self",))
            .select_related("category", "department")
            .get(pk=due.issue_id)
        )
        # The sweep read without a lock: the issue may have moved on since (taken in charge,
        # closed, or reopened with new deadlines).
        taking = level.deadline == Deadline.TAKE_IN_CHARGE
        deadline_now = issue.take_in_charge_due_at if taking else issue.due_at
        if (
            issue.status not in OPEN_STATUSES
            or (taking and issue.taken_in_charge_at is not None)
            or deadline_now != due.deadline_at
        ):
            return False
        recipient = level.email or (issue.department.email if issue.department else "")
        if not recipient:
            logger.error("escalation level %s of issue %s has no recipient", level.pk, issue.pk)
            recipient = settings.DEFAULT_FROM_EMAIL
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    issue=issue,
                    level=level,
                    deadline_at=due.deadline_at,
                    recipient=recipient,
                    fired_at=now,
                )
        except IntegrityError:
            return False  # another sweep fired it
        late_days = working_days_between(due.deadline_at, now)
        with translation.override(settings.LANGUAGE_CODE):
            message = escalation_message(issue, level, due.deadline_at, late_days, recipient)
            note = _(
                "Deadline for %(deadline)s missed: %(who)s told (%(days)s working days late)."
            ) % {
                "deadline": level.get_deadline_display(),
                "who": level.name,
                "days": late_days,
            }
        TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.ESCALATED,
            public=False,
            text=note,
            data={"level": level.pk, "deadline": level.deadline, "late_working_days": late_days},
            created_at=now,
        )
        record(None, "issue.escalated", issue, after={"level": level.pk, "to": level.name})
        message.send()
    return True


def escalation_message(
    issue: Issue, level: EscalationLevel, deadline_at: dt.datetime, late_days: int, to: str
) -> EmailMessage:
    """Build the e-mail of one escalation (in the active language); no personal data."""
    office_url = settings.SITE_URL + reverse("office-issue", args=[issue.pk])
    subject = _("Deadline missed: issue #%(id)s, %(category)s") % {
        "id": issue.pk,
        "category": issue.category.name,
    }
    body = _(
        "To: %(who)s\n\n"
        "Issue #%(id)s (%(category)s, %(address)s) missed its deadline for %(deadline)s "
        "on %(due)s and is %(days)s working days late.\n"
        "Department: %(department)s. Status: %(status)s.\n\n"
        "Open it in the back office: %(url)s\n"
    ) % {
        "who": level.name,
        "id": issue.pk,
        "category": issue.category.name,
        "address": issue.address or "-",
        "deadline": level.get_deadline_display(),
        "due": timezone.localtime(deadline_at).strftime("%d/%m/%Y %H:%M"),
        "days": late_days,
        "department": issue.department.name if issue.department else "-",
        "status": issue.get_status_display(),
        "url": office_url,
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Return how many working days lie after `start`'s day up to and including `end`'s."""
    day, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    count = 0
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day, settings.PATRON_SAINT_DAY):
            count += 1
    return count


def run_escalations(now: dt.datetime) -> int:
    """Fire each due level once and re-queue lost emergency alerts; return how many fired.

    A level whose e-mail fails with a transient error is left for the next run.
    """
    fired = 0
    for due in due_escalations(now):
        try:
            fired += fire_escalation(due, now)
        except SERVICE_ERRORS:
            logger.warning(
                "escalation %s of issue %s left for the next run",
                due.level_id,
                due.issue_id,
                exc_info=True,
            )
    for issue_id in unalerted_emergencies(now):
        try:
            alert_emergency_contact(issue_id)  # idempotent; inline, as beat's worker runs this
        except SERVICE_ERRORS:
            logger.warning("emergency alert of issue %s left for the next run", issue_id)
    return fired


def unalerted_emergencies(now: dt.datetime) -> list[int]:
    """Return recent open emergencies whose alert has not gone out minutes after the report.

    A safety net: submit_report queues the alert once the report is committed; if the broker
    lost it, the sweep runs the idempotent reports.tasks.alert_emergency_contact itself.
    """
    return list(
        TimelineEntry.objects.filter(
            kind=TimelineEntry.Kind.EMERGENCY,
            issue__status__in=OPEN_STATUSES,
            issue__last_reported_at__gte=now - EMERGENCY_LOOKBACK,
            created_at__lte=now - EMERGENCY_GRACE,
        )
        .exclude(data__contains={"alerted": True})  # a missing key must count as not alerted
        .values_list("issue_id", flat=True)
        .distinct()
    )
