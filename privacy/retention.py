"""Retention: personal data is anonymised once it is no longer needed to handle the issue.

- A reporter (no account) is anonymised when every issue they reported, supported or follow
  was closed more than PRIVACY_RETENTION_CLOSED_MONTHS ago.
- An account is anonymised after PRIVACY_RETENTION_INACTIVE_MONTHS without a login, once the
  same holds for its issues (an open issue still needs a way to reach the person).
- A draft's sender is blanked PRIVACY_RETENTION_CLOSED_MONTHS after its report's issue
  closed, or after it was received when it was discarded.
Reports, issues, supports and statistics stay.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from backoffice.models import Draft
from privacy.actions import Anonymised, anonymise_drafts, anonymise_reporters
from reports.models import Issue, Reporter, Status


@dataclass(frozen=True)
class Cutoffs:
    closed_before: dt.datetime
    inactive_since: dt.datetime


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """Return the same day and time `months` calendar months earlier (clamped to month end)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def cutoffs(now: dt.datetime | None = None) -> Cutoffs:
    now = now or timezone.now()
    return Cutoffs(
        closed_before=months_before(now, settings.PRIVACY_RETENTION_CLOSED_MONTHS),
        inactive_since=months_before(now, settings.PRIVACY_RETENTION_INACTIVE_MONTHS),
    )


def _still_needed(closed_before: dt.datetime) -> QuerySet[Issue]:
    """Issues whose people must stay reachable: not closed, or closed after the cutoff."""
    return Issue.objects.filter(
        ~Q(status=Status.CLOSED) | Q(closed_at__isnull=True) | Q(closed_at__gte=closed_before)
    )


def reporters_due(limits: Cutoffs) -> QuerySet[Reporter]:
    """Reporters whose personal data the retention rules say to anonymise now."""
    needed = _still_needed(limits.closed_before)
    busy = (
        Exists(needed.filter(reports__reporter=OuterRef("pk")))
        | Exists(needed.filter(supporters__reporter=OuterRef("pk")))
        | Exists(needed.filter(subscriptions__reporter=OuterRef("pk"), subscriptions__active=True))
    )
    inactive_account = Q(user__last_login__lt=limits.inactive_since) | Q(
        user__last_login__isnull=True, user__date_joined__lt=limits.inactive_since
    )
    reporters = Reporter.objects.filter(created_at__lt=limits.closed_before).exclude(busy)
    return reporters.filter(Q(user__isnull=True) | inactive_account).exclude(
        Q(user__is_staff=True) | Q(user__is_superuser=True)
    )


def drafts_due(limits: Cutoffs) -> QuerySet[Draft]:
    old = Q(received_at__lt=limits.closed_before)
    closed_long_ago = Q(
        report__issue__status=Status.CLOSED, report__issue__closed_at__lt=limits.closed_before
    )
    return Draft.objects.filter(old & (Q(discarded=True) | closed_long_ago))


def apply_retention(*, now: dt.datetime | None = None, dry_run: bool = False) -> Anonymised:
    """Anonymise what the retention periods say is due; return the rows changed (or due).

    Idempotent: a second run changes nothing. Staff accounts are never anonymised.
    """
    limits = cutoffs(now)
    reporters = reporters_due(limits)
    return anonymise_reporters(reporters, dry_run=dry_run) + anonymise_drafts(
        drafts_due(limits), dry_run=dry_run
    )
