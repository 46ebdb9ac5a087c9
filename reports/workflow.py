"""Status changes of an issue: the one way its workflow moves.

Each change locks the issue, bumps its version (optimistic locking for staff forms), writes a
public timeline entry (plus an internal note when staff add one) and, once committed, queues
the e-mail to the people who follow the issue.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import tasks
from reports.models import CloseReason, Issue, Status, TimelineEntry


class TransitionRefused(ValueError):
    """The issue cannot move to that status now; str() says why, in the user's language."""


def change_status(
    issue_id: int,
    status: Status,
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    public_text: str = "",
    close_reason: CloseReason | None = None,
    internal_note: str = "",
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> TimelineEntry:
    """Move an issue to `status` and tell its followers; return the public timeline entry.

    Closing needs a close_reason; any other status clears it. Raise TransitionRefused for an
    issue merged into another one (its followers follow the other issue now).
    """
    now = now or timezone.now()
    if status == Status.CLOSED and close_reason is None:
        raise TransitionRefused(_("Say why the issue is closed."))
    actor_row = actor if isinstance(actor, AbstractBaseUser) else None
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        if issue.merged_into_id is not None:
            raise TransitionRefused(
                _("Issue %(id)s was merged into issue %(into)s: work on that one.")
                % {"id": issue.pk, "into": issue.merged_into_id}
            )
        issue.status = status
        if status == Status.CLOSED:
            issue.close_reason = close_reason or ""
            issue.closed_at = now
        else:
            issue.close_reason = ""
            issue.closed_at = None
        if status != Status.NEW and issue.taken_in_charge_at is None:
            issue.taken_in_charge_at = now
        issue.version += 1
        issue.save(
            update_fields=[
                "status",
                "close_reason",
                "closed_at",
                "taken_in_charge_at",
                "version",
                "updated_at",
            ]
        )
        entry = TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.STATUS,
            public=True,
            actor=actor_row,
            status=status,
            close_reason=issue.close_reason,
            text=public_text,
            data=data or {},
            created_at=now,
        )
        if internal_note:
            TimelineEntry.objects.create(
                issue=issue,
                kind=TimelineEntry.Kind.INTERNAL_NOTE,
                public=False,
                actor=actor_row,
                text=internal_note,
                created_at=now,
            )
        entry_id = entry.pk
        transaction.on_commit(lambda: tasks.send_issue_update.delay(entry_id))
    return entry
