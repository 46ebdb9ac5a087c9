"""Background work of the back office. Thin tasks: take ids, re-read rows, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.models import Forwarding
from config.retry import MAIL_RETRY
from reports.models import Report, TimelineEntry
from reports.texts import entry_fields


@shared_task(**MAIL_RETRY)
def send_tracking_code(report_id: int) -> bool:
    """E-mail a caller the tracking code of the report taken for them, once."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("reporter", "category")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.reporter is None or not report.reporter.email:
            return False
        sent = TimelineEntry.objects.filter(
            issue_id=report.issue_id, data__tracking_code_sent=report.pk
        )
        if sent.exists():
            return False
        with translation.override(report.reporter.language or settings.LANGUAGE_CODE):
            subject = _("Your report %(code)s") % {"code": report.tracking_code}
            body = render_to_string(
                "backoffice/email/tracking_code.txt",
                {
                    "code": report.tracking_code,
                    "category": report.category.name,
                    "url": settings.SITE_URL + reverse("track", args=[report.tracking_code]),
                    "municipality": settings.MUNICIPALITY_NAME,
                },
            )
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [report.reporter.email])
        # Staff see that the caller got the code; the row also makes a second run do nothing.
        TimelineEntry.objects.create(
            issue_id=report.issue_id,
            kind=TimelineEntry.Kind.INTERNAL_NOTE,
            public=False,
            **entry_fields(
                lambda: (
                    _("Tracking code %(code)s sent by e-mail.") % {"code": report.tracking_code}
                ),
                {"tracking_code_sent": report.pk},
            ),
        )
    return True


@shared_task(**MAIL_RETRY)
def send_forwarding(forwarding_id: int) -> bool:
    """E-mail the external body its request with the signed link, once."""
    from backoffice.forwarding import signed_link as forwarding_link

    with transaction.atomic():
        forwarding = (
            Forwarding.objects.select_for_update(of=("self",))
            .select_related("body", "issue__category")
            .filter(pk=forwarding_id)
            .first()
        )
        if forwarding is None or forwarding.sent_at is not None:
            return False
        issue = forwarding.issue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Request from %(municipality)s: issue %(id)s, %(category)s") % {
                "municipality": settings.MUNICIPALITY_NAME,
                "id": issue.pk,
                "category": issue.category.name,
            }
            body = render_to_string(
                "backoffice/email/forwarding.txt",
                {
                    "forwarding": forwarding,
                    "issue": issue,
                    "link": forwarding_link(forwarding),
                    "municipality": settings.MUNICIPALITY_NAME,
                },
            )
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [forwarding.body.email])
        Forwarding.objects.filter(pk=forwarding.pk).update(sent_at=timezone.now())
    return True
