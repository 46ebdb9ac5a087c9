"""Signed links in citizens' e-mails: they need no login and cannot be guessed or altered.

Each link is signed with SECRET_KEY and a purpose of its own (a rating link does not open the
reporter's page) and expires: a leaked old e-mail does not open anything for ever.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from care.models import Rater

# [issue id, reporter id]: the e-mail's link, and the tracking page of a reporter's report.
RATE_SALT = "care.rate"
# [issue id, report id]: the tracking page of a report filed without any contact.
RATE_REPORT_SALT = "care.rate.report"
REPORTER_SALT = "care.reporter"
# How long after its closing an issue can be rated (and reopened by a low rating), whichever
# way the citizen comes (care.actions.rating_refusal); a link lives no longer.
RATING_WINDOW = dt.timedelta(days=60)
RATE_LINK_MAX_AGE_S = int(RATING_WINDOW.total_seconds())
REPORTER_LINK_MAX_AGE_S = 365 * 24 * 3600


def rating_token(issue_id: int, rater: Rater) -> str:
    if rater.reporter_id is not None:
        return signing.dumps([issue_id, rater.reporter_id], salt=RATE_SALT)
    return signing.dumps([issue_id, rater.report_id], salt=RATE_REPORT_SALT)


def read_rating_token(token: str) -> tuple[int, Rater] | None:
    """Return (issue id, who rates) of a valid rating link, None for a bad or old one."""
    for salt in (RATE_SALT, RATE_REPORT_SALT):
        try:
            issue_id, rater_id = signing.loads(token, salt=salt, max_age=RATE_LINK_MAX_AGE_S)
        except signing.BadSignature:
            continue
        except (ValueError, TypeError):
            return None
        if not isinstance(issue_id, int) or not isinstance(rater_id, int):
            return None
        if salt == RATE_SALT:
            return issue_id, Rater(reporter_id=rater_id)
        return issue_id, Rater(report_id=rater_id)
    return None


def reporter_token(reporter_id: int) -> str:
    return signing.dumps(reporter_id, salt=REPORTER_SALT)


def read_reporter_token(token: str) -> int | None:
    """Return the reporter id of a valid link to their own page, None for a bad or old one."""
    try:
        reporter_id = signing.loads(token, salt=REPORTER_SALT, max_age=REPORTER_LINK_MAX_AGE_S)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return reporter_id if isinstance(reporter_id, int) else None


def rating_url(issue_id: int, rater: Rater) -> str:
    return settings.SITE_URL + rating_path(issue_id, rater)


def rating_path(issue_id: int, rater: Rater) -> str:
    """The rating page's address on this site (the tracking page links to it)."""
    return reverse("care-rate", args=[rating_token(issue_id, rater)])


def reporter_page_url(reporter_id: int) -> str:
    return settings.SITE_URL + reverse("care-reporter", args=[reporter_token(reporter_id)])
