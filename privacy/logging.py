"""A logging filter that masks e-mail addresses and phone numbers before any handler writes.

It works on the formatted message (msg % args), so personal data passed as an argument, inside
a dict, in an SQL query logged by django.db.backends, or in an exception's text is masked too.
"""

import logging
import re

EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Digits with the separators people type in phone numbers; dots are left out on purpose, so
# coordinates (60.16985) and decimals are not taken for phone numbers.
PHONE = re.compile(r"(?<![\w.+-])(?:\+|00)?\d(?:[ ()/-]{0,2}\d){6,16}(?![\w.])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone_or_not(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    international = text.startswith(("+", "00"))
    # 9+ digits (8+ with a country prefix) and no date inside: ids and timestamps stay readable.
    if digits > 15 or digits < (8 if international else 9) or ISO_DATE.search(text):
        return text
    return PHONE_MASK


def mask_personal_data(text: str) -> str:
    """Return text with e-mail addresses and phone numbers replaced by placeholders."""
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
