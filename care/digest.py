"""The daily report of an office (seed 004): what arrived yesterday and what is late, once a day.

An office is a department. The e-mail goes to the department's address and its coordinators;
it lists issues by number, category and place, never who reported them.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backoffice.models import Forwarding, Role, StaffProfile
from care.models import OfficeDigest
from config.retry import SERVICE_ERRORS
from geo.models import Department
from reports.models import OPEN_STATUSES, Issue

logger = logging.getLogger(__name__)

# Each list in the e-mail shows this many lines, then "and N more" (the queue has them all).
DIGEST_LINES = 50


@dataclass
class Section:
    total: int
    issues: list[Issue] = field(default_factory=list)


@dataclass
class Digest:
    department: Department
    day: dt.date
    arrived: Section
    late_take_in_charge: Section
    late_close: Section
    late_forwardings: list[Forwarding]
    late_forwardings_total: int

    def counts(self) -> dict[str, int]:
        return {
            "arrived": self.arrived.total,
            "late_take_in_charge": self.late_take_in_charge.total,
            "late_close": self.late_close.total,
            "late_forwardings": self.late_forwardings_total,
        }


def _section(issues: QuerySet[Issue]) -> Section:
    return Section(
        total=issues.count(),
        issues=list(issues.select_related("category")[:DIGEST_LINES]),
    )


def late_forwardings(now: dt.datetime) -> QuerySet[Forwarding]:
    """Return forwardings whose external body has not answered by its own deadline.

    Uses the partial index forwarding_waiting (unanswered, by body and deadline).
    """
    return Forwarding.objects.filter(answered_at__isnull=True, resolved=False, due_at__lt=now)


def office_digest(department: Department, now: dt.datetime) -> Digest:
    """Collect the digest of `department` for the local day of `now` (arrivals: the day before)."""
    day = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=1), dt.time()))
    end = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    mine = Issue.objects.filter(department=department, merged_into__isnull=True)
    open_ = mine.filter(status__in=OPEN_STATUSES)
    forwardings = late_forwardings(now).filter(issue__department=department)
    return Digest(
        department=department,
        day=day,
        arrived=_section(mine.filter(first_reported_at__gte=start, first_reported_at__lt=end)),
        late_take_in_charge=_section(
            open_.filter(taken_in_charge_at__isnull=True, take_in_charge_due_at__lt=now).order_by(
                "take_in_charge_due_at"
            )
        ),
        late_close=_section(open_.filter(due_at__lt=now).order_by("due_at")),
        late_forwardings=list(
            forwardings.select_related("body", "issue__category").order_by("due_at")[:DIGEST_LINES]
        ),
        late_forwardings_total=forwardings.count(),
    )


def recipients(department: Department) -> list[str]:
    """Return the department's address and its coordinators' addresses, each once."""
    coordinators = StaffProfile.objects.filter(
        department=department, role=Role.COORDINATOR
    ).exclude(user__email="")
    found = [department.email] if department.email else []
    for email in coordinators.values_list("user__email", flat=True).order_by("user__email"):
        if email not in found:
            found.append(email)
    return found


def digest_message(digest: Digest, to: list[str]) -> EmailMessage:
    """Build the digest e-mail, in the municipality's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(office)s: daily report of %(day)s") % {
            "office": digest.department.name,
            "day": digest.day.strftime("%d/%m/%Y"),
        }
        body = render_to_string(
            "care/email/office_digest.txt",
            {
                "digest": digest,
                "office_url": settings.SITE_URL + reverse("office-queue"),
                "site_url": settings.SITE_URL,
                "municipality": settings.MUNICIPALITY_NAME,
            },
        )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def send_office_digest(department_id: int, now: dt.datetime) -> bool:
    """Send the department's digest of the local day of `now` once; False when already sent.

    Raise the e-mail backend's error (OSError) to leave it for the next run.
    """
    department = Department.objects.get(pk=department_id)
    to = recipients(department)
    if not to:
        return False
    digest = office_digest(department, now)
    try:
        with transaction.atomic():
            OfficeDigest.objects.create(
                department=department, day=digest.day, sent_at=now, summary=digest.counts()
            )
            digest_message(digest, to).send()
    except IntegrityError:
        return False
    return True


def send_office_digests(now: dt.datetime) -> int:
    """Send the day's digest to every office that has not had it; return how many were sent.

    Beat runs this often: nothing goes out before DIGEST_HOUR (local time), and the first run
    after it (or after a restart) sends the day's digests. A failed e-mail waits for the next.
    """
    if timezone.localtime(now).hour < settings.DIGEST_HOUR:
        return 0
    sent = 0
    for department_id in Department.objects.order_by("pk").values_list("pk", flat=True):
        try:
            sent += send_office_digest(department_id, now)
        except SERVICE_ERRORS:
            logger.warning("digest of department %s left for the next run", department_id)
    return sent
