"""Escalation chains: which levels are due for which issues, and firing each exactly once.

A level fires `after_working_days` working days after the issue's deadline (its take-in-charge
deadline while nobody has taken it in charge, or its closing deadline while it is open). A
sweep sends each recipient one e-mail listing every escalation due to them, in two steps:

- the claims: per recipient, one short transaction locks the issues, inserts the Escalation
  rows (unique per issue, level and deadline) with their timeline and audit entries, and
  commits; a second beat process blocks on the issues' locks (or the unique index) until the
  first commits, then skips them;
- the e-mail, after that commit: the recipient's claims not yet sent (sent_at empty) are
  locked, listed in one message and marked sent when it has gone. The issues are not locked
  while the mail server answers; when it fails the claims stay unsent and the next sweep
  sends them.
"""

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.audit import record
from care.models import Deadline, Escalation, EscalationLevel
from config.retry import SERVICE_ERRORS
from reports.models import OPEN_STATUSES, Issue, TimelineEntry
from reports.sla import add_working_days, is_working_day
from reports.tasks import alert_emergency_contact
from reports.texts import entry_fields

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
    return add_working_days(deadline_at, level.after_working_days, settings.LOCAL_HOLIDAYS)


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


def _recipient(level: EscalationLevel, department_email: str | None) -> str:
    """Who is told: the level's address, else the issue's department's (empty: nobody)."""
    return level.email or department_email or ""


def by_recipient(dues: list[DueEscalation]) -> dict[str, list[DueEscalation]]:
    """Group due escalations by who is told, each group in the order of `dues` (2 queries).

    A sweep sends each recipient one e-mail for all of theirs (fire_escalations): a go-live
    with a backlog, or the end of an outage, sent management one e-mail per issue.
    """
    levels = EscalationLevel.objects.in_bulk({due.level_id for due in dues})
    departments = dict(
        Issue.objects.filter(pk__any=sorted({due.issue_id for due in dues})).values_list(
            "pk", "department__email"
        )
    )
    groups: dict[str, list[DueEscalation]] = defaultdict(list)
    for due in dues:
        level = levels.get(due.level_id)
        if level is not None:  # deleted since the sweep read it
            groups[_recipient(level, departments.get(due.issue_id))].append(due)
    return dict(groups)


@dataclass(frozen=True)
class Fired:
    """One claimed escalation in its recipient's e-mail: what its line says."""

    issue: Issue
    level: EscalationLevel
    deadline_at: dt.datetime
    late_days: int


def fire_escalation(due: DueEscalation, now: dt.datetime) -> bool:
    """Claim, record and e-mail one escalation on its own; False when it had fired already."""
    fired = False
    for recipient, group in by_recipient([due]).items():
        fired = bool(fire_escalations(recipient, group, now)) or fired
        send_owed(_address(recipient))
    return fired


def _address(recipient: str) -> str:
    """Where an escalation for `recipient` goes: nobody's go to the site's own address."""
    return recipient or settings.DEFAULT_FROM_EMAIL


def fire_escalations(recipient: str, dues: list[DueEscalation], now: dt.datetime) -> int:
    """Claim and record the escalations due to `recipient`; return how many were claimed.

    Those another sweep fired, or that are no longer due, are left out. The claims, timeline
    entries and audit entries commit together, before any e-mail: send_owed sends them.
    """
    levels = EscalationLevel.objects.in_bulk({due.level_id for due in dues})
    fired: list[int] = []
    with transaction.atomic():
        # Every sweep locks its issues in id order, so two sweeps never wait on each other
        # in a circle; a second one waits here for the first to commit, then finds the claims.
        issues = {
            issue.pk: issue
            for issue in Issue.objects.select_for_update(of=("self",))
            .select_related("department")
            .filter(pk__any=sorted({due.issue_id for due in dues}))
            .order_by("pk")
        }
        for due in dues:
            issue, level = issues.get(due.issue_id), levels.get(due.level_id)
            if issue is None or level is None or not _still_due(issue, level, due):
                continue
            department_email = issue.department.email if issue.department else None
            if _recipient(level, department_email) != recipient:
                continue  # the issue changed department since the sweep read it: next sweep
            if _claim(issue, level, due, _address(recipient), now):
                _record(issue, level, due, now)
                fired.append(level.pk)
    if fired and not recipient:
        logger.error("escalation levels %s have no recipient", sorted(set(fired)))
    return len(fired)


def send_owed(address: str) -> int:
    """E-mail `address` every escalation claimed for it and not sent yet, in one message.

    Return how many it listed. Only those Escalation rows are locked while the mail server
    answers, never their issues; rows another sweep is sending are skipped, not waited for.
    The backend's error (OSError) leaves them unsent for the next sweep.
    """
    with transaction.atomic():
        owed = list(
            Escalation.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("issue__category", "issue__department", "level")
            .filter(recipient=address, sent_at__isnull=True)
            .order_by("pk")
        )
        if not owed:
            return 0
        lines = [
            Fired(
                escalation.issue,
                escalation.level,
                escalation.deadline_at,
                working_days_between(escalation.deadline_at, escalation.fired_at),
            )
            for escalation in owed
        ]
        escalations_message(address, lines).send()
        Escalation.objects.filter(pk__any=[escalation.pk for escalation in owed]).update(
            sent_at=timezone.now()
        )
    return len(owed)


def owed_to() -> list[str]:
    """Return the addresses that have escalations claimed and not sent (escalation_unsent)."""
    return list(
        Escalation.objects.filter(sent_at__isnull=True)
        .order_by("recipient")
        .values_list("recipient", flat=True)
        .distinct()
    )


def _still_due(issue: Issue, level: EscalationLevel, due: DueEscalation) -> bool:
    # The sweep read without a lock: the issue may have moved on since (taken in charge,
    # closed, or reopened with new deadlines).
    taking = level.deadline == Deadline.TAKE_IN_CHARGE
    deadline_now = issue.take_in_charge_due_at if taking else issue.due_at
    return (
        issue.status in OPEN_STATUSES
        and not (taking and issue.taken_in_charge_at is not None)
        and deadline_now == due.deadline_at
    )


def _claim(
    issue: Issue, level: EscalationLevel, due: DueEscalation, recipient: str, now: dt.datetime
) -> bool:
    """Insert the escalation's row; False when another sweep has it (the unique index)."""
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
        return False
    return True


def _record(issue: Issue, level: EscalationLevel, due: DueEscalation, now: dt.datetime) -> None:
    """Write the issue's internal timeline entry and the audit entry of a claimed escalation."""
    late_days = working_days_between(due.deadline_at, now)
    TimelineEntry.objects.create(
        issue=issue,
        kind=TimelineEntry.Kind.ESCALATED,
        public=False,
        created_at=now,
        **entry_fields(
            lambda: (
                _("Deadline for %(deadline)s missed: %(who)s told (%(days)s working days late).")
                % {"deadline": level.get_deadline_display(), "who": level.name, "days": late_days}
            ),
            {"level": level.pk, "deadline": level.deadline, "late_working_days": late_days},
        ),
    )
    record(None, "issue.escalated", issue, after={"level": level.pk, "to": level.name})


def recipient_language(recipient: str) -> str:
    """The language to write to `recipient` in.

    Escalations go to staff and offices, whose language Segnala does not record (a staff
    profile and an escalation level have none): the municipality's.
    """
    return settings.LANGUAGE_CODE


def escalations_message(to: str, fired: list[Fired]) -> EmailMessage:
    """Build one e-mail listing every escalation in `fired` for `to`; no personal data."""
    lines = sorted(fired, key=lambda line: (line.issue.pk, line.deadline_at))
    issue_ids = {line.issue.pk for line in lines}
    with translation.override(recipient_language(to)):
        if len(issue_ids) == 1:
            subject = _("Deadline missed: issue #%(id)s, %(category)s") % {
                "id": lines[0].issue.pk,
                "category": lines[0].issue.category.name,
            }
        else:
            subject = ngettext(
                "Deadlines missed: %(count)s issue",
                "Deadlines missed: %(count)s issues",
                len(issue_ids),
            ) % {"count": len(issue_ids)}
        body = render_to_string(
            "care/email/escalations.txt",
            {
                "who": ", ".join(sorted({line.level.name for line in lines})),
                "issue_count": len(issue_ids),
                "lines": [
                    {
                        "fired": line,
                        "url": settings.SITE_URL + reverse("office-issue", args=[line.issue.pk]),
                    }
                    for line in lines
                ],
                "municipality": settings.MUNICIPALITY_NAME,
            },
        )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Return how many working days lie after `start`'s day up to and including `end`'s."""
    day, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    count = 0
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day, settings.LOCAL_HOLIDAYS):
            count += 1
    return count


def run_escalations(now: dt.datetime) -> int:
    """Fire each due level once, send what is owed, re-queue lost emergency alerts.

    Return how many levels fired. Each recipient gets one e-mail for all their escalations
    not yet sent, this sweep's and those an earlier sweep could not send.
    """
    fired = 0
    for recipient, dues in by_recipient(due_escalations(now)).items():
        fired += fire_escalations(recipient, dues, now)
    for address in owed_to():
        try:
            send_owed(address)
        except SERVICE_ERRORS:
            # No address in the log: a coordinator's may be personal data.
            unsent = Escalation.objects.filter(recipient=address, sent_at__isnull=True)
            logger.warning(
                "e-mail of %s escalations (levels %s) left for the next run",
                unsent.count(),
                sorted(set(unsent.values_list("level_id", flat=True))),
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
