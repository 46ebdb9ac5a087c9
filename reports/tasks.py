"""Background work after a submission. Thin tasks: take ids, re-read rows, safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from config.retry import MAIL_RETRY, TRANSIENT_ERRORS
from geo.geocode import reverse_geocode
from maps_static.tasks import public_layer_changed
from reports.models import Delivery, Issue, Photo, Report, Reporter, TimelineEntry
from reports.photos import make_thumbnail

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, max_retries=8)
def after_report_submitted(report_id: int) -> None:
    """Make the photos' thumbnails and find the report's street address."""
    # A photo hidden by moderation meanwhile has no public file to make one from.
    for photo in Photo.objects.filter(report_id=report_id, thumbnail="", hidden_files=None):
        make_photo_thumbnail(photo)
    fill_in_address(report_id)


def make_photo_thumbnail(photo: Photo) -> None:
    with photo.image.open("rb") as stored:
        content = make_thumbnail(stored.read(), side_px=settings.PHOTO_THUMBNAIL_PX)
    photo.thumbnail.save("thumb.jpg", ContentFile(content), save=False)
    # Only the first run writes the column: a duplicate run deletes its own file.
    updated = Photo.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name)
    if not updated:
        photo.thumbnail.storage.delete(str(photo.thumbnail.name))


def fill_in_address(report_id: int) -> None:
    report = Report.objects.filter(pk=report_id).first()
    if report is None or report.address:
        return
    address = reverse_geocode(report.location.y, report.location.x)
    if not address:
        return
    with transaction.atomic():
        Report.objects.filter(pk=report.pk, address="").update(address=address)
        Issue.objects.filter(pk=report.issue_id, address="").update(address=address)
        transaction.on_commit(public_layer_changed, robust=True)


@shared_task(**MAIL_RETRY)
def alert_emergency_contact(issue_id: int) -> None:
    """E-mail the department's emergency contact about an issue flagged as dangerous, once.

    The emergency's timeline entry is locked while the e-mail is sent, not the issue: staff
    can act on the issue meanwhile, and a second run waits and then sees "alerted".
    """
    with transaction.atomic():
        entry = (
            TimelineEntry.objects.select_for_update()
            .filter(issue_id=issue_id, kind=TimelineEntry.Kind.EMERGENCY)
            .order_by("id")
            .first()
        )
        if entry is None or entry.data.get("alerted"):
            return
        issue = Issue.objects.select_related("department", "category").get(pk=issue_id)
        department = issue.department
        recipient = department.emergency_email if department else ""
        if not recipient:
            logger.error("issue %s is an emergency but has no emergency contact", issue.pk)
            recipient = settings.DEFAULT_FROM_EMAIL
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("EMERGENCY: issue #%(id)s, %(category)s") % {
                "id": issue.pk,
                "category": issue.category.name,
            }
            lat, lon = issue.location.y, issue.location.x
            body = _(
                "A citizen reported that someone is hurt or in immediate danger.\n"
                "Issue #%(id)s, %(category)s, at %(address)s (%(lat).6f, %(lon).6f).\n"
                "The citizen was told to call %(number)s."
            ) % {
                "id": issue.pk,
                "category": issue.category.name,
                "address": issue.address or "-",
                "lat": lat,
                "lon": lon,
                "number": settings.EMERGENCY_NUMBER,
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        entry.data = {**entry.data, "alerted": True}
        entry.save(update_fields=["data"])


@shared_task
def refresh_open_priorities() -> int:
    """Move the deadline term of every open issue's priority to now; return how many moved."""
    from reports.actions import refresh_deadline_terms

    return refresh_deadline_terms()


@shared_task(**MAIL_RETRY)
def send_issue_update(entry_id: int) -> int:
    """E-mail a public timeline entry to each follower of its issue, once each; return how many.

    The delivery row and the e-mail go together: when sending fails the row is rolled back
    and the retry sends it; a second run, or a second worker, skips who already has it.
    """
    from reports.notify import followers, update_message

    entry = TimelineEntry.objects.filter(pk=entry_id, public=True).select_related("issue__category")
    found = entry.first()
    if found is None:
        return 0
    sent = 0
    for subscription in followers(found):
        try:
            with transaction.atomic():
                Delivery.objects.create(entry=found, subscription=subscription)
                update_message(found, subscription).send()
        except IntegrityError:
            continue  # already delivered by an earlier run
        sent += 1
    return sent


@shared_task(**MAIL_RETRY)
def send_confirmation(reporter_id: int, issue_id: int, support: bool) -> bool:
    """E-mail an address nobody has confirmed the link that confirms it; False when not sent.

    Not sent when the row was confirmed or erased meanwhile, or when the address already got
    CONFIRMATIONS_PER_DAY of them today (nobody can use Segnala to flood a mailbox).
    """
    from reports.notify import confirmation_message, over_confirmation_limit

    reporter = Reporter.objects.filter(pk=reporter_id, confirmed_at__isnull=True).first()
    issue = Issue.objects.select_related("category").filter(pk=issue_id).first()
    if reporter is None or not reporter.email or issue is None:
        return False
    if over_confirmation_limit(reporter.email):
        logger.info("confirmation e-mail for reporter %s left out: daily limit", reporter_id)
        return False
    confirmation_message(reporter, issue, support=support).send()
    return True
