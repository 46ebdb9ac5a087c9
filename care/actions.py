"""What citizens and staff do in the care loop: rate, reopen, qualify. Views call these."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import record
from care import reliability
from care.links import RATING_WINDOW
from care.models import Qualification, Rater, Rating, Verdict
from config.actors import Actor, account
from privacy.descriptions import hide_contact_details
from reports.actions import refresh_issue
from reports.models import (
    OPEN_STATUSES,
    CloseReason,
    Issue,
    Report,
    Reporter,
    Status,
    TimelineEntry,
)
from reports.texts import entry_fields
from reports.workflow import TransitionRefused, change_status

# A rating at or below this asks whether to reopen the issue.
LOW_RATING = 2


class CareRefused(ValueError):
    """The citizen or member of staff cannot do that now; str() says why, in their language."""


def rating_refusal(issue: Issue, now: dt.datetime | None = None) -> str | None:
    """Say why `issue` cannot be rated (nor reopened by a rating) now; None when it can.

    The one rule for the e-mail's link and the tracking page: closed, not as a duplicate
    (its followers follow the issue it was merged into), at most RATING_WINDOW ago.
    """
    if issue.status != Status.CLOSED:
        return _("This issue is open again: you can rate it once it is closed.")
    if issue.merged_into_id is not None or issue.close_reason == CloseReason.DUPLICATE:
        return _("This issue was closed as a duplicate of another one: rate that one instead.")
    now = now or timezone.now()
    if issue.closed_at is None or issue.closed_at < now - RATING_WINDOW:
        return _(
            "This issue was closed more than %(days)s days ago: it can no longer be rated or "
            "reopened. If the problem is back, report it again."
        ) % {"days": RATING_WINDOW.days}
    return None


def rate_issue(issue_id: int, rater: Rater, stars: int, comment: str = "") -> Rating:
    """Record (or change) a citizen's 1-5 rating of the work on a closed issue.

    Staff see it as an internal note, with the comment's e-mail addresses and phone numbers
    hidden (as in a description: staff without the CONTACTS right read notes too); the rating
    keeps the comment as typed for the citizen. The public never sees the comment.
    """
    if not 1 <= stars <= 5:
        raise CareRefused(_("Choose from 1 to 5 stars."))
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        refusal = rating_refusal(issue)
        if refusal:
            raise CareRefused(refusal)
        rating, _created = Rating.objects.update_or_create(
            issue=issue,
            **rater.lookup(),
            defaults={"stars": stars, "comment": comment.strip()},
        )
        TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.INTERNAL_NOTE,
            public=False,
            **entry_fields(
                lambda: (
                    _("A citizen rated the work %(stars)s/5. %(comment)s")
                    % {"stars": stars, "comment": hide_contact_details(rating.comment).text}
                ),
                {"rating": stars},
            ),
        )
    return rating


def reopen_after_rating(issue_id: int, rater: Rater, note: str) -> None:
    """Reopen a closed issue a citizen rated low; the department gets the citizen's note.

    Once per rater and issue: staff who close it again have the last word.
    """
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        rating = Rating.objects.select_for_update().filter(issue=issue, **rater.lookup()).first()
        if rating is None or rating.stars > LOW_RATING:
            raise CareRefused(_("Only a low rating can reopen the issue."))
        if rating.reopened_at is not None:
            raise CareRefused(_("You have already reopened this issue once."))
        if issue.status != Status.CLOSED:
            raise CareRefused(_("This issue is already open again."))
        refusal = rating_refusal(issue)
        if refusal:
            raise CareRefused(refusal)
        try:
            change_status(
                issue.pk,
                Status.REOPENED,
                actor=None,
                public_text=lambda: _(
                    "A citizen says the problem is still there: the issue is reopened."
                ),
                internal_note=lambda: (
                    _("Reopened by a citizen after rating %(stars)s/5: %(note)s")
                    % {
                        "stars": rating.stars,
                        "note": hide_contact_details(note.strip()).text or "-",
                    }
                ),
                data={"reopened_by_citizen": True},
            )
        except TransitionRefused as refused:
            raise CareRefused(str(refused)) from refused
        rating.reopened_at = timezone.now()
        rating.save(update_fields=["reopened_at", "updated_at"])


def qualify_report(report_id: int, actor: Actor, verdict: str) -> Qualification:
    """Record staff's verdict on a report (replacing an earlier one) and rescore its reporter.

    The reporter's reliability (care.reliability) is recomputed from all their verdicts and
    the priority of their open issues follows. The verdict is internal: staff only.
    """
    if verdict not in Verdict.values:
        raise CareRefused(_("Choose one of the verdicts."))
    with transaction.atomic():
        report = Report.objects.select_related("issue").get(pk=report_id)
        before = Qualification.objects.filter(report=report).values_list("verdict", flat=True)
        previous = before.first()
        qualification, _created = Qualification.objects.update_or_create(
            report=report,
            defaults={
                "verdict": verdict,
                "qualified_by": account(actor),
            },
        )
        TimelineEntry.objects.create(
            issue=report.issue,
            kind=TimelineEntry.Kind.INTERNAL_NOTE,
            public=False,
            actor=qualification.qualified_by,
            **entry_fields(
                lambda: (
                    _("Report %(code)s qualified: %(verdict)s.")
                    % {"code": report.tracking_code, "verdict": Verdict(verdict).label}
                ),
                {"report": report.pk, "qualification": verdict},
            ),
        )
        record(
            actor,
            "report.qualify",
            report,
            before={"verdict": previous},
            after={"verdict": verdict},
        )
        if report.reporter_id is not None and previous != verdict:
            rescore_reporter(report.reporter_id)
    return qualification


def rescore_reporter(reporter_id: int, now: dt.datetime | None = None) -> float | None:
    """Recompute a reporter's reliability and the priority of their open issues; return it."""
    reporter = Reporter.objects.select_for_update().get(pk=reporter_id)
    verdicts = Qualification.objects.filter(report__reporter=reporter).values_list(
        "verdict", flat=True
    )
    reporter.reliability = reliability.score(verdicts)
    reporter.save(update_fields=["reliability"])
    issue_ids = (
        Report.objects.filter(reporter=reporter, issue__status__in=OPEN_STATUSES)
        .values_list("issue_id", flat=True)
        .distinct()
    )
    for issue_id in sorted(issue_ids):
        # Locked: refresh_issue saves the whole row, which must not undo a concurrent change.
        issue = (
            Issue.objects.select_for_update(of=("self",))
            .select_related("category")
            .get(pk=issue_id)
        )
        refresh_issue(issue, now=now)
    return reporter.reliability
