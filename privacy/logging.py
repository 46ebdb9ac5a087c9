"""A logging filter that masks e-mail addresses and phone numbers before any handler writes.

It works on the formatted message (msg % args), so personal data passed as an argument, inside
a dict, in an SQL query logged by django.db.backends, or in an exception's text is masked too.

Any run of 9 to 15 digits (8 with a country prefix) reads as a phone number here, whatever the
numbering plan says: a number typed with a digit missing, or a foreign one without its prefix,
is still a person's, and a log line must err toward masking. privacy/descriptions.py, which
edits what the public reads, asks libphonenumber for valid numbers instead; in a log that
would let such numbers through. What is known not to be a number stays readable: dates,
coordinates, short ids and compact timestamps (20261124-034230).

The secret part of a bearer link (/t/<code>/, /care/rate/<token>/, /privacy/data/<token>/...)
is masked too: gunicorn's access log writes every path and Referer (config/gunicorn_logging.py
puts this filter on it).
"""

import datetime as dt
import logging
import re

EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Digits with the separators people type in phone numbers; dots are left out on purpose, so
# coordinates (60.16985) and decimals are not taken for phone numbers.
PHONE = re.compile(r"(?<![\w.+-])(?:\+|00)?\d(?:[ ()/-]{0,2}\d){6,16}(?![\w.])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A compact timestamp, as in file and folder names ("opendata/20261124-034230-fece4280/").
COMPACT_MOMENT = re.compile(r"(\d{8})[-_T ]?(\d{6})")


def _is_moment(text: str) -> bool:
    """Whether text is a compact timestamp: YYYYMMDD, an optional separator, HHMMSS.

    No phone number is one: a number would have to start with a year 1900-2199 and go on with
    a real month, day, hour, minute and second, and numbers with a country prefix never do.
    """
    found = COMPACT_MOMENT.fullmatch(text)
    if not found:
        return False
    try:
        moment = dt.datetime.strptime("".join(found.groups()), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return 1900 <= moment.year < 2200


def _phone_or_not(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    international = text.startswith(("+", "00"))
    # 9+ digits (8+ with a country prefix) and no date inside: ids and timestamps stay readable.
    if digits > 15 or digits < (8 if international else 9) or ISO_DATE.search(text):
        return text
    if _is_moment(text):
        return text
    return PHONE_MASK


SECRET_MASK = "[secret]"  # noqa: S105 (a placeholder, not a password)
# Paths whose next segment is a bearer secret: whoever has the link sees or acts as its owner
# (a tracking code, the links e-mailed for rating, personal data, unsubscribing, an external
# body's answer, a password reset). Access logs and Referer headers carry them.
BEARER_PATH = re.compile(
    r"(/(?:t|care/rate|care/me|privacy/data|unsubscribe|external|account/reset/[^/\s]+)/)"
    r"[^/\s?#\"']+"
)
# ... and the "Follow your report" form's code in a query string (/t/?code=K7QM-2XPA).
CODE_PARAMETER = re.compile(r"([?&]code=)[^&\s#\"']+")


def mask_personal_data(text: str) -> str:
    """Return text with e-mail addresses, phone numbers and links' secrets masked."""
    text = BEARER_PATH.sub(lambda m: m.group(1) + SECRET_MASK, text)
    text = CODE_PARAMETER.sub(lambda m: m.group(1) + SECRET_MASK, text)
    return PHONE.sub(_phone_or_not, EMAIL.sub(EMAIL_MASK, text))


class MaskPersonalData(logging.Filter):
    """Rewrite each record's message (and exception text) with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: mask what we have
            message = f"{record.msg} {record.args}"
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
