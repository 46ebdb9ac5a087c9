"""E-mails to the people who follow an issue (its reporters and "me too" supporters).

Each follower gets each public change once, in their own language, with a link to the public
issue page and a one-click unsubscribe (RFC 8058 headers, and a link that needs no login).
Nothing personal about anyone else is in the message.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from care.links import reporter_page_url
from reports.models import PUBLIC_STATUS, Status, Subscription, TimelineEntry


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
