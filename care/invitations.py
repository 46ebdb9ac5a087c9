"""After closure, each follower of an issue is asked once, by e-mail, to rate the work."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from care.links import rating_url, reporter_page_url
from care.models import Rater, RatingInvitation
from config.retry import SERVICE_ERRORS
from reports.models import CloseReason, Issue, Reporter, Status, Subscription

logger = logging.getLogger(__name__)

# Issues closed this long ago or less are swept; a longer outage of beat skips older ones.
INVITATION_WINDOW = dt.timedelta(days=3)


def invitations_due(now: dt.datetime) -> list[tuple[int, int]]:
    """Return (issue id, reporter id) of followers of recently closed issues not yet invited.

    Duplicates are left out: their followers follow the issue they were merged into.
    """
    closed = Issue.objects.filter(
        status=Status.CLOSED,
        closed_at__gte=now - INVITATION_WINDOW,  # partial index issue_closed_at
        closed_at__lte=now,
        merged_into__isnull=True,
    ).exclude(close_reason=CloseReason.DUPLICATE)
    invited = RatingInvitation.objects.filter(issue_id__in=closed.values("pk"))
    subscriptions = (
        Subscription.objects.filter(issue__in=closed, active=True)
        .exclude(reporter__email="")
        .values_list("issue_id", "reporter_id")
        .order_by("issue_id", "reporter_id")
    )
    already = set(invited.values_list("issue_id", "reporter_id"))
    return [pair for pair in subscriptions if pair not in already]


def invite_to_rate(issue_id: int, reporter_id: int, now: dt.datetime) -> bool:
    """E-mail one follower the link to rate a closed issue, once; False when already invited."""
    issue = Issue.objects.select_related("category").get(pk=issue_id)
    reporter = Reporter.objects.get(pk=reporter_id)
    try:
        with transaction.atomic():
            RatingInvitation.objects.create(issue=issue, reporter=reporter, sent_at=now)
            invitation_message(issue, reporter).send()
    except IntegrityError:
        return False
    return True


def invitation_message(issue: Issue, reporter: Reporter) -> EmailMessage:
    """Build the "how did we do?" e-mail in the follower's language."""
    with translation.override(reporter.language or settings.LANGUAGE_CODE):
        context = {
            "issue_id": issue.pk,
            "category": issue.category.name,
            "address": issue.address,
            "close_reason": issue.get_close_reason_display() if issue.close_reason else "",
            "rate_url": rating_url(issue.pk, Rater(reporter_id=reporter.pk)),
            "reporter_url": reporter_page_url(reporter.pk),
            "issue_url": settings.SITE_URL + reverse("issue", args=[issue.pk]),
            "municipality": settings.MUNICIPALITY_NAME,
        }
        subject = _("Issue %(id)s is closed: how did we do?") % {"id": issue.pk}
        body = render_to_string("care/email/rate_invitation.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [reporter.email])


def send_invitations(now: dt.datetime) -> int:
    """Invite every follower of a recently closed issue who has not been; return how many."""
    sent = 0
    for issue_id, reporter_id in invitations_due(now):
        try:
            sent += invite_to_rate(issue_id, reporter_id, now)
        except SERVICE_ERRORS:
            logger.warning("rating invitation for issue %s left for the next run", issue_id)
    return sent
