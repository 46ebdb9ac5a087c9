"""What staff and crews do to an issue: the one way each change is made.

Every action locks the issue, checks the version the person saw (optimistic locking: two
people editing the same issue cannot silently overwrite each other), bumps it, writes the
timeline (public entries are e-mailed to the issue's followers once committed) and the audit
log. Views, the API, the crew page and tasks call these; none saves an Issue itself.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.audit import record, snapshot
from backoffice.hidden_photos import sync_photo_files
from config.actors import Actor, account
from geo.models import Department
from insights.tasks import republish_soon
from outbox.actions import enqueue
from reports import tasks
from reports.actions import refresh_issue
from reports.models import Category, CloseReason, Issue, Photo, Status, TimelineEntry
from reports.sla import deadlines
from reports.texts import Sentence, entry_fields

# Said when an issue would wait for an external body that nobody asked (backoffice.forwarding
# sets that status, with the request to the body that brings the issue back).
WAITS_FOR_FORWARDING = gettext_lazy(
    "An issue waits for an external body only once it is forwarded to it: forward it from its page."
)

# What the audit log keeps of an issue before and after a change.
AUDITED = ["status", "close_reason", "department_id", "category_id", "hidden", "version"]


class TransitionRefused(ValueError):
    """The issue cannot change that way now; str() says why, in the user's language."""


class StaleIssue(TransitionRefused):
    """Someone else changed the issue since the person loaded it."""


def change_status(
    issue_id: int,
    status: Status,
    *,
    actor: Actor,
    public_text: str | Sentence = "",
    close_reason: CloseReason | None = None,
    internal_note: str | Sentence = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> TimelineEntry:
    """Move an issue to `status` and tell its followers; return the public timeline entry.

    `public_text` and `internal_note` are what a person wrote, or a sentence Segnala writes (a
    function: it is written in every language, reports.texts). Closing needs a close_reason;
    any other status clears it. Raise TransitionRefused for an issue merged into another one
    (its followers follow the other issue now).
    """
    now = now or timezone.now()
    if status == Status.CLOSED and close_reason is None:
        raise TransitionRefused(_("Say why the issue is closed."))
    with transaction.atomic():
        issue, before = lock_issue(issue_id, expected_version)
        if status == Status.WAITING_EXTERNAL and not _awaits_a_body(issue):
            raise TransitionRefused(str(WAITS_FOR_FORWARDING))
        issue.status = status
        if status == Status.CLOSED:
            issue.close_reason = close_reason or ""
            issue.closed_at = now
        else:
            issue.close_reason = ""
            issue.closed_at = None
        fields = ["status", "close_reason", "closed_at", "taken_in_charge_at"]
        if status == Status.REOPENED:
            # Reopened work is new work for the department: it is taken in charge again, and
            # both deadlines count from now (a new deadline lets each escalation level fire
            # once more, care.escalation).
            issue.taken_in_charge_at = None
            issue.take_in_charge_due_at, issue.due_at = deadlines(
                now, issue.category.take_in_charge_working_days, issue.category.sla_working_days
            )
            fields += ["take_in_charge_due_at", "due_at"]
        elif status != Status.NEW and issue.taken_in_charge_at is None:
            issue.taken_in_charge_at = now
        _save(issue, fields)
        if status == Status.REOPENED:
            refresh_issue(issue, now=now)  # the deadline term of the priority starts again
        entry = _public_entry(
            issue,
            TimelineEntry.Kind.STATUS,
            actor,
            now,
            status=status,
            close_reason=issue.close_reason,
            **(
                entry_fields(public_text, data)
                if callable(public_text)
                else {"text": public_text, "data": data or {}}
            ),
        )
        if internal_note:
            _internal_note(issue, actor, internal_note, now)
        record(actor, f"issue.status.{status}", issue, before=before, after=_audited(issue))
    return entry


def _awaits_a_body(issue: Issue) -> bool:
    """Whether a forwarding of the issue is still unanswered (backoffice.forwarding makes it
    before it sets the status): without one, nothing would ever bring the issue back."""
    return issue.forwardings.filter(answered_at__isnull=True).exists()


def take_in_charge(issue_id: int, *, actor: Actor, expected_version: int | None = None) -> None:
    """Acknowledge a new or reopened issue: the department has it in hand (status assigned)."""
    change_status(issue_id, Status.ASSIGNED, actor=actor, expected_version=expected_version)


def close_issue(
    issue_id: int,
    *,
    actor: Actor,
    reason: CloseReason,
    public_text: str,
    expected_version: int | None = None,
) -> None:
    """Close an issue with the reason and the words its reporters will read."""
    if not public_text.strip():
        raise TransitionRefused(_("Write the reply the reporters will read."))
    change_status(
        issue_id,
        Status.CLOSED,
        actor=actor,
        close_reason=reason,
        public_text=public_text,
        expected_version=expected_version,
    )


def reopen_issue(
    issue_id: int, *, actor: Actor, public_text: str, expected_version: int | None = None
) -> None:
    """Reopen a closed issue; it goes back to its department's queue."""
    with transaction.atomic():
        issue, _before = lock_issue(issue_id, expected_version)  # two reopens: one goes through
        if issue.status != Status.CLOSED:
            raise TransitionRefused(_("Only a closed issue can be reopened."))
        change_status(issue_id, Status.REOPENED, actor=actor, public_text=public_text)


def reply_publicly(
    issue_id: int, *, actor: Actor, text: str, expected_version: int | None = None
) -> TimelineEntry:
    """Write to the issue's reporters and followers: on the public page and by e-mail."""
    if not text.strip():
        raise TransitionRefused(_("Write the reply."))
    now = timezone.now()
    with transaction.atomic():
        issue, before = lock_issue(issue_id, expected_version)
        _save(issue, [])
        entry = _public_entry(issue, TimelineEntry.Kind.PUBLIC_REPLY, actor, now, text=text)
        record(actor, "issue.reply", issue, before=before, after={"text": text})
    return entry


def add_internal_note(issue_id: int, *, actor: Actor, text: str) -> TimelineEntry:
    """Write a note only staff see. Notes never conflict, so no version is checked."""
    if not text.strip():
        raise TransitionRefused(_("Write the note."))
    with transaction.atomic():
        issue = Issue.objects.get(pk=issue_id)
        entry = _internal_note(issue, actor, text, timezone.now())
        record(actor, "issue.note", issue, after={"text": text})
    return entry


def reassign(
    issue_id: int,
    *,
    actor: Actor,
    department: Department,
    reason: str,
    expected_version: int | None = None,
) -> None:
    """Give the issue to another department, saying why (the reason stays internal)."""
    if not reason.strip():
        raise TransitionRefused(_("Say why the issue goes to another department."))
    now = timezone.now()
    with transaction.atomic():
        issue, before = lock_issue(issue_id, expected_version)
        if issue.department_id == department.pk:
            raise TransitionRefused(_("The issue is already with that department."))
        issue.department = department
        if issue.status not in (Status.NEW, Status.REOPENED):
            issue.status = Status.ASSIGNED
        _save(issue, ["department", "status"])
        _public_entry(
            issue,
            TimelineEntry.Kind.ASSIGNED,
            actor,
            now,
            status=issue.status,
            data={"department": department.pk},
            notify=False,
        )
        _internal_note(issue, actor, reason, now)
        record(actor, "issue.reassign", issue, before=before, after=_audited(issue))


def recategorise(
    issue_id: int, *, actor: Actor, category: Category, expected_version: int | None = None
) -> None:
    """Change the issue's category; the new category's department takes it.

    Refuse a category the municipality does not handle: no department would take the issue,
    so it would leave every queue and its escalations would have nobody to tell.
    """
    from backoffice.assignment import choose_assignment

    if not category.handled_by_municipality:
        raise TransitionRefused(
            _(
                "The municipality does not handle “%(category)s”, so no department would "
                "take the issue. Forward it to the competent body, or close it as not the "
                "municipality's competence."
            )
            % {"category": category.name}
        )
    now = timezone.now()
    with transaction.atomic():
        issue, before = lock_issue(issue_id, expected_version)
        if issue.category_id == category.pk:
            raise TransitionRefused(_("The issue already has that category."))
        old = issue.category
        issue.category = category
        assignment = choose_assignment(category, issue.area)
        if assignment.department is None:  # a handled category always has one (a constraint)
            raise TransitionRefused(_("No department takes this category: set one first."))
        issue.department = assignment.department
        issue.operator_group_id = assignment.operator_group_id
        fields = ["category", "department", "operator_group"]
        if issue.status != Status.CLOSED and _working_days(category) != _working_days(old):
            # The new category's deadlines, counted from when the present ones started (the
            # first report, or the last reopening): a gas leak filed as graffiti is due as a gas
            # leak. Not when the days are the same (a merge's earlier promise stays, and
            # escalations already sent are not sent again for a moved deadline), nor once
            # closed (whether it was closed in time stays as it was).
            issue.take_in_charge_due_at, issue.due_at = deadlines(
                _deadlines_start(issue), *_working_days(category)
            )
            fields += ["take_in_charge_due_at", "due_at"]
        _save(issue, fields)
        refresh_issue(issue, now=now)  # the new category's base severity and deadline
        _public_entry(
            issue,
            TimelineEntry.Kind.CATEGORY,
            actor,
            now,
            data={"category": category.code, "before": before["category_id"]},
            notify=False,
        )
        record(actor, "issue.recategorise", issue, before=before, after=_audited(issue))


def _working_days(category: Category) -> tuple[int, int]:
    return category.take_in_charge_working_days, category.sla_working_days


def _deadlines_start(issue: Issue) -> dt.datetime:
    """When the issue's deadlines started counting: its last reopening, else its first report."""
    reopened = (
        issue.timeline.filter(kind=TimelineEntry.Kind.STATUS, status=Status.REOPENED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return reopened or issue.first_reported_at


def set_hidden(
    issue_id: int, *, actor: Actor, hidden: bool, reason: str, expected_version: int | None = None
) -> None:
    """Hide an issue from the public (or show it again); the reason stays internal."""
    if not reason.strip():
        raise TransitionRefused(_("Say why."))
    now = timezone.now()
    with transaction.atomic():
        issue, before = lock_issue(issue_id, expected_version)
        issue.hidden = hidden
        _save(issue, ["hidden"])
        _internal_note(issue, actor, reason, now, kind=TimelineEntry.Kind.MODERATED)
        record(actor, "issue.hide" if hidden else "issue.show", issue, before=before)
        # Out of the published files soon, not at the nightly publication; its photos' files
        # out of the public storage at once.
        republish_soon()
        sync_photo_files(Photo.objects.filter(report__issue_id=issue.pk))


def lock_issue(issue_id: int, expected_version: int | None) -> tuple[Issue, dict[str, Any]]:
    """Lock an issue for a change (in a transaction); refuse a stale version or a merged issue.

    Return the issue and its audited fields before the change.
    """
    issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
    if expected_version is not None and issue.version != expected_version:
        raise StaleIssue(
            _(
                "Someone else changed this issue while you were looking at it. "
                "Reload it to see what changed, then try again."
            )
        )
    if issue.merged_into_id is not None:
        raise TransitionRefused(
            _("Issue %(id)s was merged into issue %(into)s: work on that one.")
            % {"id": issue.pk, "into": issue.merged_into_id}
        )
    return issue, _audited(issue)


def _audited(issue: Issue) -> dict[str, Any]:
    return snapshot(issue, AUDITED)


def _save(issue: Issue, fields: list[str]) -> None:
    issue.version += 1
    issue.save(update_fields=[*fields, "version", "updated_at"])


def _public_entry(
    issue: Issue,
    kind: TimelineEntry.Kind,
    actor: Actor,
    now: dt.datetime,
    *,
    notify: bool = True,
    **fields: Any,
) -> TimelineEntry:
    entry = TimelineEntry.objects.create(
        issue=issue,
        kind=kind,
        public=True,
        actor=account(actor),
        created_at=now,
        **fields,
    )
    if notify:
        enqueue(tasks.send_issue_update, entry.pk)
    return entry


def _internal_note(
    issue: Issue,
    actor: Actor,
    text: str | Sentence,
    now: dt.datetime,
    kind: TimelineEntry.Kind = TimelineEntry.Kind.INTERNAL_NOTE,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        issue=issue,
        kind=kind,
        public=False,
        actor=account(actor),
        created_at=now,
        **(entry_fields(text) if callable(text) else {"text": text}),
    )
