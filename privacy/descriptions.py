"""Contact details in a citizen's free text: hidden from the public when it is filed.

A citizen often writes "call me at 347 ..." in the description, which is published at once.
At submission the e-mail addresses and phone numbers are replaced by placeholders in the stored
description and free-text answers; the text as typed is kept for staff the way moderation keeps
an edited description's original (the audit log, as MODERATION_KEEP_ORIGINALS allows), and an
internal timeline entry tells staff it was done automatically. Other free text a citizen sends
that staff without the CONTACTS right read (an Open311 update, a rating's comment) is stored
with the same placeholders (hide_contact_details).
"""

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.conf import settings
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from backoffice.audit import record
from backoffice.models import AuditEntry
from config.actors import Actor
from privacy.logging import EMAIL
from reports.models import Report, TimelineEntry
from reports.texts import entry_fields

# Italian numbers written the Italian way ("347 1234567", "06 6988 1234"); numbers with a
# country prefix ("+41 ...", "0041 ...") are found whatever the region.
PHONE_REGION = "IT"
# VALID, not POSSIBLE: POSSIBLE takes coordinates ("45.4642") and codes ("2025-000123") for
# numbers; VALID asks libphonenumber's per-country plans, so house numbers, dates, times, km
# markers and ids stay as typed.
PHONE_LENIENCY = phonenumbers.Leniency.VALID
AUDIT_ACTION = "report.hide_contact_details"
# The audit entries that keep a report's description as it was before a change.
KEEPING_ACTIONS = ("report.edit_description", AUDIT_ACTION)
SHA256_HEX = r"^[0-9a-f]{64}$"
# An answer as typed, in an audit entry's `before`: ANSWER_KEY + the question's code.
ANSWER_KEY = "answer:"


@dataclass(frozen=True)
class Hidden:
    """A description with its contact details replaced, and how many of each were found."""

    text: str
    emails: int = 0
    phones: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.emails or self.phones)


def hide_contact_details(text: str) -> Hidden:
    """Return text with e-mail addresses and phone numbers replaced by placeholders.

    The placeholders are in the active language. E-mail addresses go first: one may hold
    digits that would otherwise read as a phone number.
    """
    text, emails = EMAIL.subn(_("[e-mail hidden]"), text)
    spans = [
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=PHONE_LENIENCY)
    ]
    for start, end in reversed(spans):  # from the end: earlier offsets stay right
        text = text[:start] + _("[phone hidden]") + text[end:]
    return Hidden(text=text, emails=emails, phones=len(spans))


@dataclass(frozen=True)
class HiddenReport:
    """A report's description and answers with their contact details replaced."""

    description: Hidden
    answers: Mapping[str, Any]  # every answer: the text ones with their placeholders
    # The originals of the text answers that changed, by question code.
    typed_answers: Mapping[str, str] = field(default_factory=dict)
    emails: int = 0
    phones: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.emails or self.phones)


def hide_in_report(description: str, answers: Mapping[str, Any]) -> HiddenReport:
    """Hide contact details in a report's description and in its free-text answers.

    Only a string answer can hold them: the others are numbers or lists of choice keys, and a
    choice key (the catalogue's own word) or a date (YYYY-MM-DD) never reads as one.
    """
    hidden_description = hide_contact_details(description)
    public: dict[str, Any] = {}
    typed: dict[str, str] = {}
    emails, phones = hidden_description.emails, hidden_description.phones
    for code, value in answers.items():
        if not isinstance(value, str):
            public[code] = value
            continue
        hidden = hide_contact_details(value)
        public[code] = hidden.text
        if hidden.changed:
            typed[code] = value
            emails += hidden.emails
            phones += hidden.phones
    return HiddenReport(hidden_description, public, typed, emails, phones)


def original_for_staff(text: str) -> str:
    """The replaced text to keep for staff: itself, or only its hash when the policy says so."""
    if settings.MODERATION_KEEP_ORIGINALS:
        return text
    return hashlib.sha256(text.encode()).hexdigest()


def record_hidden_contact_details(report: Report, original: str, hidden: HiddenReport) -> None:
    """Keep the original texts for staff and tell them, in the report's transaction.

    `original` is the description as typed; the answers as typed are in `hidden`.
    """
    actor: Actor = None  # nobody: done automatically at submission
    # Flat: the audit log keeps plain values only (an answer under "answer:<code>").
    before = {"description": original_for_staff(original)} | {
        ANSWER_KEY + code: original_for_staff(text) for code, text in hidden.typed_answers.items()
    }
    after: dict[str, Any] = {"emails": hidden.emails, "phones": hidden.phones, "automatic": True}
    if hidden.typed_answers:
        after["answers"] = ", ".join(sorted(hidden.typed_answers))
    record(actor, AUDIT_ACTION, report, before=before, after=after)

    def sentence() -> str:
        counts = {"code": report.tracking_code, "emails": hidden.emails, "phones": hidden.phones}
        if hidden.typed_answers:
            return (
                _(
                    "Contact details hidden automatically from the public description and "
                    "answers of report %(code)s (e-mail addresses: %(emails)d, phone numbers: "
                    "%(phones)d)."
                )
                % counts
            )
        return (
            _(
                "Contact details hidden automatically from the public description of report "
                "%(code)s (e-mail addresses: %(emails)d, phone numbers: %(phones)d)."
            )
            % counts
        )

    TimelineEntry.objects.create(
        issue_id=report.issue_id,
        kind=TimelineEntry.Kind.MODERATED,
        public=False,
        **entry_fields(
            sentence,
            {
                "report": report.pk,
                "automatic": True,
                "emails": hidden.emails,
                "phones": hidden.phones,
            },
        ),
    )


def kept_descriptions(reports: QuerySet[Report]) -> QuerySet[AuditEntry]:
    """The audit entries that still keep one of these reports' descriptions as typed."""
    ids = reports.annotate(text_id=Cast("pk", CharField())).values("text_id")
    return AuditEntry.objects.filter(
        action__in=KEEPING_ACTIONS, object_type="reports.report", object_id__in=ids
    ).exclude(before__description__regex=SHA256_HEX)


def typed_descriptions(reports: Sequence[Report]) -> dict[int, str]:
    """Each report's description as the citizen typed it, where staff may still read it.

    The text as typed is the oldest audit entry keeping one of the report's descriptions (the
    contact details hidden at submission, or the first moderation edit). Left out: a report
    whose entry keeps only a hash (MODERATION_KEEP_ORIGINALS off, or the person's data
    erased), whose text is the public one anyway, or with no entry. One query.
    """
    oldest = (
        AuditEntry.objects.filter(
            action__in=KEEPING_ACTIONS,
            object_type="reports.report",
            object_id__in=[str(report.pk) for report in reports],
        )
        .order_by("object_id", "created_at", "pk")
        .distinct("object_id")  # PostgreSQL's DISTINCT ON: the oldest entry of each report
        .values_list("object_id", "before")
    )
    kept = {
        object_id: before.get("description") if isinstance(before, dict) else None
        for object_id, before in oldest
    }
    typed = {}
    for report in reports:
        text = kept.get(str(report.pk))
        if (
            isinstance(text, str)
            and not re.fullmatch(SHA256_HEX, text)
            and text != report.description
        ):
            typed[report.pk] = text
    return typed


def _digest(text: Any) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()


def forget_descriptions(entries: QuerySet[AuditEntry]) -> int:
    """Keep only the hash of each entry's old description and answers (the person asked to be
    forgotten)."""
    forgotten = 0
    for entry in entries.select_for_update():
        entry.before = {
            **entry.before,
            "description": _digest(entry.before.get("description", "")),
            **{
                key: _digest(text)
                for key, text in entry.before.items()
                if key.startswith(ANSWER_KEY)
            },
        }
        entry.save(update_fields=["before"])
        forgotten += 1
    return forgotten
