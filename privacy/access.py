"""The citizen's own access to their personal data, without an account.

They give an e-mail address; the address receives a signed link valid for
PRIVACY_LINK_MAX_AGE_S. The page never says whether the address is known: the answer, the
work done and the e-mail's arrival are the same either way (an unknown address is told that
nothing is held). The link carries a keyed hash of the address and the ids of the rows
found, never the address itself, so it leaks nothing through logs or browser history.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from backoffice.models import Draft
from config.ratelimit import count_call
from privacy.actions import drafts_with_email, email_fingerprint, reporters_with_email
from reports.models import Reporter

SALT = "privacy.access"
RATE_WINDOW_S = 3600


def access_token(email: str) -> str:
    """Sign the ids of the rows held for an address, with the address's keyed hash."""
    payload = {
        "f": email_fingerprint(email),
        "r": list(reporters_with_email(email).values_list("pk", flat=True)),
        "d": list(drafts_with_email(email).values_list("pk", flat=True)),
    }
    return signing.dumps(payload, salt=SALT, compress=True)


class LinkExpired(Exception):
    """A genuine link, but older than PRIVACY_LINK_MAX_AGE_S."""


class LinkInvalid(Exception):
    """Not a link we signed (mistyped, truncated, forged)."""


def email_from_token(token: str) -> str | None:
    """Return the address a valid link was made for, or None when nothing is held any more.

    Raise LinkExpired or LinkInvalid for a link that must not be used.
    """
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.PRIVACY_LINK_MAX_AGE_S)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("f"), str):
        raise LinkInvalid
    candidates = list(
        Reporter.objects.filter(pk__in=_ids(payload.get("r"))).values_list("email", flat=True)
    )

    candidates += Draft.objects.filter(pk__in=_ids(payload.get("d"))).values_list(
        "sender_email", flat=True
    )
    for email in candidates:
        if email and email_fingerprint(email) == payload["f"]:
            return email.strip().lower()
    return None


def _ids(value: object) -> list[int]:
    if not isinstance(value, list):
        raise LinkInvalid
    return [v for v in value if isinstance(v, int)]


def over_rate_limit(client: str, email: str) -> bool:
    """Count one request per client address and per e-mail address; True when over the limit."""
    limit = settings.PRIVACY_REQUESTS_PER_HOUR
    counts = [
        count_call(f"privacy:client:{client}", RATE_WINDOW_S),
        count_call(f"privacy:email:{email_fingerprint(email)}", RATE_WINDOW_S),
    ]
    return max(counts) > limit


@dataclass(frozen=True)
class AccessMail:
    subject: str
    body: str


def access_mail(email: str, language: str) -> AccessMail:
    """The e-mail answering a request: the link when something is held, else a plain notice."""
    held = reporters_with_email(email).exists() or drafts_with_email(email).exists()
    with translation.override(language):
        context = {
            "municipality": settings.MUNICIPALITY_NAME,
            "hours": max(1, settings.PRIVACY_LINK_MAX_AGE_S // 3600),
            "url": settings.SITE_URL + reverse("privacy-data", args=[access_token(email)])
            if held
            else "",
        }
        return AccessMail(
            subject=_("Your personal data at %(municipality)s") % context,
            body=render_to_string("privacy/email/access.txt", context),
        )


def send_access_mail(email: str, language: str) -> None:
    """Send the answer to a request at once (no queue: the address is never stored)."""
    mail = access_mail(email, language)
    send_mail(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [email])
