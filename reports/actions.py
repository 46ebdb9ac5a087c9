"""Domain operations on reports and issues. Views, API, admin and tasks call these."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from geo.querysets import area_at
from geo.units import make_point
from reports import tasks
from reports.models import (
    Category,
    Channel,
    Issue,
    Photo,
    Report,
    Reporter,
    Status,
    TimelineEntry,
)
from reports.photos import ProcessedPhoto
from reports.priority import PriorityInputs, compute_priority
from reports.sla import add_working_days

logger = logging.getLogger(__name__)


class PhotoStorageError(Exception):
    """The photo store failed (disk, object store): nothing was saved, the citizen may retry."""


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.email or self.phone)


@dataclass(frozen=True)
class NewReport:
    """A validated submission: coordinates in degrees, answers already cleaned."""

    lat: float
    lon: float
    category: Category
    description: str = ""
    answers: Mapping[str, Any] = field(default_factory=dict)
    urgency: int = 3
    emergency: bool = False
    channel: str = Channel.WEB
    contact: Contact = field(default_factory=Contact)
    language: str = "it"
    photos: Sequence[ProcessedPhoto] = ()
    user: AbstractBaseUser | None = None


def submit_report(new: NewReport) -> Report:
    """File a citizen's report: store it with its photos and attach it to an issue.

    All or nothing: on any error no row and no stored photo file is left behind. Background
    work (thumbnails, address, emergency alert) is queued only once the transaction commits.
    """
    point = make_point(new.lat, new.lon)
    area = area_at(point)
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            issue = _open_issue(new, point, area, now)
            report = Report.objects.create(
                issue=issue,
                category=new.category,
                location=point,
                area=area,
                description=new.description,
                answers=dict(new.answers),
                urgency=new.urgency,
                emergency=new.emergency,
                channel=new.channel,
                reporter=_find_or_create_reporter(new),
                photo_location=_first_photo_location(new.photos),
                language=new.language,
            )
            for position, photo in enumerate(new.photos):
                _store_photo(report, photo, position, stored_files)
            _record_report(issue, report)
            report_id, issue_id = report.pk, issue.pk
            transaction.on_commit(lambda: tasks.after_report_submitted.delay(report_id))
            if new.emergency:
                transaction.on_commit(lambda: tasks.alert_emergency_contact.delay(issue_id))
    except Exception:
        for name in stored_files:
            default_storage.delete(name)
        raise
    return report


def _open_issue(new: NewReport, point: Any, area: Any, now: Any) -> Issue:
    category = new.category
    due_at = add_working_days(now, category.sla_working_days, settings.PATRON_SAINT_DAY)
    issue = Issue.objects.create(
        category=category,
        department=category.department,
        area=area,
        location=point,
        status=Status.NEW,
        emergency=new.emergency,
        first_reported_at=now,
        last_reported_at=now,
        due_at=due_at,
    )
    TimelineEntry.objects.create(issue=issue, kind=TimelineEntry.Kind.CREATED, status=Status.NEW)
    return issue


def _record_report(issue: Issue, report: Report) -> None:
    """Count the new report into its issue and recompute the priority."""
    issue.last_reported_at = report.created_at
    issue.emergency = issue.emergency or report.emergency
    if report.emergency:
        # Internal: the public page must not read as an alarm; staff see the escalation.
        TimelineEntry.objects.create(
            issue=issue,
            kind=TimelineEntry.Kind.EMERGENCY,
            public=False,
            data={"report": report.pk},
        )
    refresh_priority(issue)


def refresh_priority(issue: Issue, *, now: Any = None) -> None:
    """Recompute and save an issue's counters and priority from its reports."""
    now = now or timezone.now()
    stats = issue.reports.aggregate(reports=Count("id"), reporters=Count("reporter", distinct=True))
    anonymous = issue.reports.filter(reporter__isnull=True).count()
    urgencies = list(issue.reports.values_list("urgency", flat=True))
    issue.report_count = stats["reports"]
    people = stats["reporters"] + anonymous + issue.supporter_count
    sla_fraction = None
    if issue.due_at:
        sla_s = (issue.due_at - issue.first_reported_at).total_seconds()
        if sla_s > 0:
            sla_fraction = (now - issue.first_reported_at).total_seconds() / sla_s
    priority, terms = compute_priority(
        PriorityInputs(
            base_severity=issue.category.base_severity,
            urgencies=urgencies,
            emergency=issue.emergency,
            people=people,
            sla_elapsed_fraction=sla_fraction,
        )
    )
    issue.priority = priority
    issue.priority_explained = {
        "terms": [
            {"factor": t.factor, "points": round(t.points, 2), "value": t.value} for t in terms
        ]
    }
    issue.save()


def _find_or_create_reporter(new: NewReport) -> Reporter | None:
    contact = new.contact
    if new.user is not None and new.user.is_authenticated:
        account, _created = Reporter.objects.get_or_create(
            user_id=new.user.pk, defaults={"email": getattr(new.user, "email", "")}
        )
        return account
    if not contact:
        return None
    reporter: Reporter | None = None
    if contact.email:
        reporter = Reporter.objects.filter(email__iexact=contact.email, user=None).first()
    elif contact.phone:
        reporter = Reporter.objects.filter(phone=contact.phone, user=None).first()
    if reporter is None:
        reporter = Reporter(email=contact.email.lower(), phone=contact.phone)
    reporter.name = contact.name or reporter.name
    reporter.phone = contact.phone or reporter.phone
    reporter.language = new.language
    reporter.save()
    return reporter


def _first_photo_location(photos: Sequence[ProcessedPhoto]) -> Any:
    for photo in photos:
        if photo.gps is not None:
            return make_point(*photo.gps)
    return None


def _store_photo(
    report: Report, photo: ProcessedPhoto, position: int, stored_files: list[str]
) -> None:
    row = Photo(
        report=report,
        width=photo.width,
        height=photo.height,
        size_bytes=len(photo.content),
        sha256=photo.sha256,
        phash=photo.phash,
        position=position,
    )
    try:
        row.image.save("photo.jpg", ContentFile(photo.content), save=False)
    except OSError as exc:
        logger.exception("storing a photo of report %s failed", report.pk)
        raise PhotoStorageError from exc
    stored_files.append(str(row.image.name))
    row.save()
