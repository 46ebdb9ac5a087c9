"""E-mails to the people who follow an issue (its reporters and "me too" supporters).

Each follower gets each public change once, in their own language, with a link to the public
issue page and a one-click unsubscribe (RFC 8058 headers, and a link that needs no login).
Nothing personal about anyone else is in the message.

An address nobody has confirmed gets only the confirmation e-mail (double opt-in): a signed
link that, followed, confirms the address (reports.actions.confirm_reporter). Its
subscriptions wait, inactive, until then.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from care.links import reporter_page_url
from config.ratelimit import count_call
from privacy.actions import email_fingerprint
from reports.models import PUBLIC_STATUS, Issue, Reporter, Status, Subscription, TimelineEntry

# [reporter id, issue id of a "me too" or 0]: the link confirming an address.
CONFIRM_SALT = "reports.confirm"
CONFIRM_LINK_MAX_AGE_S = 14 * 24 * 3600
CONFIRMATIONS_PER_DAY = 5


def followers(entry: TimelineEntry) -> list[Subscription]:
    """Return the active subscriptions of the entry's issue that have an e-mail address."""
    return list(
        Subscription.objects.filter(issue_id=entry.issue_id, active=True)
        .exclude(reporter__email="")
        .select_related("reporter")
        .order_by("id")
    )


def update_message(entry: TimelineEntry, subscription: Subscription) -> EmailMessage:
    """Build the e-mail telling one follower about one public change of an issue."""
    issue = entry.issue
    unsubscribe_url = settings.SITE_URL + reverse("unsubscribe", args=[subscription.token])
    with translation.override(subscription.reporter.language or settings.LANGUAGE_CODE):
        status_label = str(PUBLIC_STATUS[Status(entry.status)].label) if entry.status else ""
        context = {
            "issue_id": issue.pk,
            "category": issue.category.name,
            "address": issue.address,
            "change": str(entry.get_kind_display()),
            "status": status_label,
            "close_reason": entry.get_close_reason_display() if entry.close_reason else "",
            "text": entry.shown_text,  # in the follower's language when Segnala wrote it
            "issue_url": settings.SITE_URL + reverse("issue", args=[issue.pk]),
            "unsubscribe_url": unsubscribe_url,
            "reporter_url": reporter_page_url(subscription.reporter_id),
            "municipality": settings.MUNICIPALITY_NAME,
        }
        subject = _("Issue %(id)s, %(category)s: %(change)s") % {
            "id": issue.pk,
            "category": issue.category.name,
            "change": status_label or context["change"],
        }
        body = render_to_string("reports/email/issue_update.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.reporter.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def confirmation_token(reporter_id: int, issue_id: int, *, support: bool) -> str:
    return signing.dumps([reporter_id, issue_id if support else 0], salt=CONFIRM_SALT)


def read_confirmation_token(token: str) -> tuple[int, int | None] | None:
    """Return (reporter id, the issue a "me too" was for or None) of a valid confirmation
    link; None for a bad or old one."""
    try:
        value = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE_S)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, list) or len(value) != 2:
        return None
    reporter_id, issue_id = value
    if not isinstance(reporter_id, int) or not isinstance(issue_id, int):
        return None
    return reporter_id, issue_id or None


def over_confirmation_limit(email: str) -> bool:
    """Count one confirmation e-mail to an address; True once over today's limit."""
    return count_call(f"confirm:{email_fingerprint(email)}", 24 * 3600) > CONFIRMATIONS_PER_DAY


def confirmation_message(reporter: Reporter, issue: Issue, *, support: bool) -> EmailMessage:
    """Build the e-mail asking an address's owner to confirm it (double opt-in)."""
    token = confirmation_token(reporter.pk, issue.pk, support=support)
    with translation.override(reporter.language or settings.LANGUAGE_CODE):
        context = {
            "issue_id": issue.pk,
            "category": issue.category.name,
            "support": support,
            "confirm_url": settings.SITE_URL + reverse("confirm-email", args=[token]),
            "days": CONFIRM_LINK_MAX_AGE_S // (24 * 3600),
            "municipality": settings.MUNICIPALITY_NAME,
        }
        subject = _("Confirm your e-mail address for issue %(id)s") % {"id": issue.pk}
        body = render_to_string("reports/email/confirm.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [reporter.email])
