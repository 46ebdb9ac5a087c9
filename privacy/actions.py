"""Personal data: find, export and anonymise what Segnala holds about a person.

Personal data is Reporter's name, e-mail and phone (and a linked account's), a report's exact
photo position (EXIF GPS), a draft's sender, and a description as typed that staff keep after
its contact details were hidden or it was moderated (privacy.descriptions). Anonymising blanks
those fields (the kept descriptions become their hash) and stops the person's e-mails;
reports, issues, supports and statistics stay, only no longer personal.
The Reporter row itself stays (blank), so that the count of distinct people behind an issue,
and so its priority, does not change.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.models import Draft
from inbox.actions import drop_attachments
from privacy.descriptions import forget_descriptions, kept_descriptions
from reports.models import Report, Reporter, Subscription, TimelineEntry

ANONYMISED_USERNAME = "anonymised-{pk}"


@dataclass
class Anonymised:
    """Rows changed by one anonymisation, by kind."""

    reporters: int = 0
    accounts: int = 0
    subscriptions: int = 0
    photo_positions: int = 0
    drafts: int = 0
    kept_descriptions: int = 0

    def __add__(self, other: "Anonymised") -> "Anonymised":
        return Anonymised(
            **{name: getattr(self, name) + getattr(other, name) for name in self.__dict__}
        )

    @property
    def total(self) -> int:
        return sum(self.__dict__.values())


def with_personal_data(reporters: QuerySet[Reporter]) -> QuerySet[Reporter]:
    """Keep the reporters that still hold a name, an e-mail or a phone number."""
    return reporters.filter(~Q(name="") | ~Q(email="") | ~Q(phone=""))


def anonymise_reporters(reporters: QuerySet[Reporter], *, dry_run: bool = False) -> Anonymised:
    """Blank the reporters' contact, their accounts, their photos' GPS; stop their e-mails.

    Idempotent: rows already anonymised are not counted again. Staff accounts are never
    touched (their reporter row is). With dry_run, count what would change and change nothing.
    """
    ids = list(reporters.values_list("pk", flat=True))
    personal = with_personal_data(Reporter.objects.filter(pk__in=ids))
    subscriptions = Subscription.objects.filter(reporter_id__in=ids, active=True)
    photo_positions = Report.objects.filter(reporter_id__in=ids, photo_location__isnull=False)
    accounts = _accounts_with_personal_data().filter(reporter__pk__in=ids)
    originals = kept_descriptions(Report.objects.filter(reporter_id__in=ids))
    if dry_run:
        return Anonymised(
            reporters=personal.count(),
            accounts=accounts.count(),
            subscriptions=subscriptions.count(),
            photo_positions=photo_positions.count(),
            kept_descriptions=originals.count(),
        )
    with transaction.atomic():
        changed = Anonymised(
            reporters=personal.update(name="", email="", phone=""),
            subscriptions=subscriptions.update(active=False),
            photo_positions=photo_positions.update(photo_location=None),
            kept_descriptions=forget_descriptions(originals),
        )
        for user in accounts.select_for_update():
            user.username = ANONYMISED_USERNAME.format(pk=user.pk)
            user.email = user.first_name = user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
            changed.accounts += 1
    return changed


def anonymise_drafts(drafts: QuerySet[Draft], *, dry_run: bool = False) -> Anonymised:
    """Blank the sender of e-mail and phone drafts, and drop their raw attachments (their text
    and report stay)."""
    personal = drafts.filter(~Q(sender_name="") | ~Q(sender_email="") | ~Q(sender_phone=""))
    if dry_run:
        return Anonymised(drafts=personal.count())
    drop_attachments(drafts)  # the sender's original files (inbox.actions)
    return Anonymised(drafts=personal.update(sender_name="", sender_email="", sender_phone=""))


def _accounts_with_personal_data() -> QuerySet[Any]:
    users = get_user_model().objects.filter(is_staff=False, is_superuser=False)
    return users.filter(
        ~Q(email="")
        | ~Q(first_name="")
        | ~Q(last_name="")
        | ~Q(username__startswith=ANONYMISED_USERNAME.format(pk=""))
    )


def reporters_with_email(email: str) -> QuerySet[Reporter]:
    """The reporter rows of an e-mail address (any case), staff accounts left out."""
    return Reporter.objects.filter(email__iexact=email.strip()).exclude(
        Q(user__is_staff=True) | Q(user__is_superuser=True)
    )


def drafts_with_email(email: str) -> QuerySet[Draft]:
    return Draft.objects.filter(sender_email__iexact=email.strip())


def email_fingerprint(email: str) -> str:
    """A keyed hash of an e-mail address: matches rows to a signed link without the address."""
    normal = email.strip().lower()
    return hashlib.sha256(f"{settings.SECRET_KEY}:privacy:{normal}".encode()).hexdigest()[:32]


def erase_personal_data(email: str) -> Anonymised:
    """Anonymise everything held about an e-mail address (the citizen's "delete my data")."""
    with transaction.atomic():
        return anonymise_reporters(reporters_with_email(email)) + anonymise_drafts(
            drafts_with_email(email)
        )


def export_personal_data(email: str) -> dict[str, Any]:
    """Return, as JSON-ready data, everything held about an e-mail address."""
    reporters = list(
        reporters_with_email(email)
        .prefetch_related("reports__issue__category", "supports", "subscriptions")
        .order_by("pk")
    )
    updates = TimelineEntry.objects.filter(
        data__source="open311", data__reporter__in=[r.pk for r in reporters]
    ).order_by("created_at")
    return {
        "email": email.strip().lower(),
        "generated_at": timezone.now().isoformat(),
        "people": [_export_reporter(r) for r in reporters],
        "open311_updates": [
            {"issue": e.issue_id, "text": e.text, "created_at": e.created_at.isoformat()}
            for e in updates
        ],
        "messages_to_the_office": [_export_draft(d) for d in drafts_with_email(email)],
    }


def _export_reporter(reporter: Reporter) -> dict[str, Any]:
    return {
        # False: someone gave this address and never confirmed it (maybe not its owner).
        "confirmed": reporter.confirmed_at is not None,
        "name": reporter.name,
        "email": reporter.email,
        "phone": reporter.phone,
        "language": reporter.language,
        "created_at": reporter.created_at.isoformat(),
        "reports": [_export_report(r) for r in _by_date(reporter.reports.all())],
        "supports": [
            {"issue": s.issue_id, "created_at": s.created_at.isoformat()}
            for s in _by_date(reporter.supports.all())
        ],
        "subscriptions": [
            {"issue": s.issue_id, "active": s.active, "created_at": s.created_at.isoformat()}
            for s in _by_date(reporter.subscriptions.all())
        ],
    }


def _export_report(report: Report) -> dict[str, Any]:
    photo_gps = None
    if report.photo_location is not None:
        photo_gps = {"lat": report.photo_location.y, "lon": report.photo_location.x}
    return {
        "tracking_code": report.tracking_code,
        "issue": report.issue_id,
        "category": report.issue.category.code,
        "status": report.issue.public_status,
        "created_at": report.created_at.isoformat(),
        "lat": report.location.y,
        "lon": report.location.x,
        "address": report.address,
        "description": report.description,
        "answers": report.answers,
        "urgency": report.urgency,
        "emergency": report.emergency,
        "channel": report.channel,
        "photo_gps": photo_gps,
    }


def _export_draft(draft: Draft) -> dict[str, Any]:
    return {
        "received_at": draft.received_at.isoformat(),
        "channel": draft.channel,
        "sender_name": draft.sender_name,
        "sender_email": draft.sender_email,
        "sender_phone": draft.sender_phone,
        "subject": draft.subject,
        "text": draft.text,
    }


def _by_date(rows: Iterable[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: (row.created_at, row.pk))
