"""Signed links in citizens' e-mails: they need no login and cannot be guessed or altered.

Each link is signed with SECRET_KEY and a purpose of its own (a rating link does not open the
reporter's page) and expires: a leaked old e-mail does not open anything for ever.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

RATE_SALT = "care.rate"
REPORTER_SALT = "care.reporter"
RATE_LINK_MAX_AGE_S = 60 * 24 * 3600
REPORTER_LINK_MAX_AGE_S = 365 * 24 * 3600


def rating_token(issue_id: int, reporter_id: int) -> str:
    return signing.dumps([issue_id, reporter_id], salt=RATE_SALT)


def read_rating_token(token: str) -> tuple[int, int] | None:
    """Return (issue id, reporter id) of a valid rating link, None for a bad or old one."""
    try:
        issue_id, reporter_id = signing.loads(token, salt=RATE_SALT, max_age=RATE_LINK_MAX_AGE_S)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(issue_id), int(reporter_id)


def reporter_token(reporter_id: int) -> str:
    return signing.dumps(reporter_id, salt=REPORTER_SALT)


def read_reporter_token(token: str) -> int | None:
    """Return the reporter id of a valid link to their own page, None for a bad or old one."""
    try:
        reporter_id = signing.loads(token, salt=REPORTER_SALT, max_age=REPORTER_LINK_MAX_AGE_S)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return reporter_id if isinstance(reporter_id, int) else None


def rating_url(issue_id: int, reporter_id: int) -> str:
    return settings.SITE_URL + reverse("care-rate", args=[rating_token(issue_id, reporter_id)])


def reporter_page_url(reporter_id: int) -> str:
    return settings.SITE_URL + reverse("care-reporter", args=[reporter_token(reporter_id)])
