"""Open311 domain operations: API keys and their rate limit, citizens' updates to requests."""

import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from backoffice.models import private_storage
from config.ratelimit import count_call
from open311.models import ApiKey, hash_key, new_key
from privacy.descriptions import hide_contact_details
from reports.actions import Contact, PhotoStorageError, reporter_for, subscribe
from reports.models import Issue, TimelineEntry
from reports.photos import ProcessedPhoto

RATE_WINDOW_S = 60


def create_api_key(
    *, name: str, owner: str, contact_email: str = "", per_minute: int = 60
) -> tuple[ApiKey, str]:
    """Create a key; return the row and the key itself, which is not stored and shown once."""
    key = new_key()
    row = ApiKey(
        name=name, owner=owner, contact_email=contact_email, rate_limit_per_minute=per_minute
    )
    row.set_key(key)
    row.save()
    return row, key


def revoke_api_keys(keys: Any) -> int:
    """Revoke the keys of a queryset that are still active; return how many were revoked."""
    return int(keys.filter(revoked_at=None).update(revoked_at=timezone.now()))


def authenticate(raw_key: str) -> ApiKey | None:
    """Return the active key matching `raw_key`, or None (unknown, revoked or empty)."""
    if not raw_key:
        return None
    key = ApiKey.objects.filter(key_hash=hash_key(raw_key), revoked_at=None).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def within_rate_limit(key: ApiKey) -> bool:
    """Count one call with `key` in the current minute; False once over its limit."""
    return count_call(f"open311:{key.pk}", RATE_WINDOW_S) <= key.rate_limit_per_minute


def record_citizen_update(
    issue: Issue,
    *,
    text: str,
    citizen_status: str,
    contact: Contact,
    key: ApiKey,
    client_update_id: str,
    language: str,
    photo: ProcessedPhoto | None = None,
) -> TimelineEntry:
    """Record a citizen's update to a request (mySociety's POST servicerequestupdates).

    It becomes an internal timeline note for staff, who decide on the issue: a citizen saying
    "closed" or "open" does not change its status by itself. Idempotent per key and the
    client's update_id, so a client that retries does not file the update twice. A photo
    (already checked and stripped by process_photo) is stored, like the note, for staff only
    (private storage, backoffice.views.update_photo). Every role that sees the issue reads the
    note, so its e-mail addresses and phone numbers are hidden as in a description
    (privacy.descriptions); the contact is the reporter's.
    """
    storage = private_storage()
    with translation.override(language):
        text = hide_contact_details(text).text
    stored = ""
    try:
        with transaction.atomic():
            if client_update_id:
                earlier = TimelineEntry.objects.filter(
                    issue=issue,
                    data__open311_key=key.pk,
                    data__client_update_id=client_update_id,
                ).first()
                if earlier is not None:
                    return earlier
            reporter = reporter_for(contact, language, None)
            if photo is not None:
                try:
                    stored = storage.save(
                        f"updates/{secrets.token_hex(2)}/{secrets.token_hex(12)}.jpg",
                        ContentFile(photo.content),
                    )
                except OSError as exc:
                    raise PhotoStorageError from exc
            entry = TimelineEntry.objects.create(
                issue=issue,
                kind=TimelineEntry.Kind.INTERNAL_NOTE,
                public=False,
                text=text,
                data={
                    "source": "open311",
                    "open311_key": key.pk,
                    "client_update_id": client_update_id,
                    "citizen_status": citizen_status,
                    "reporter": reporter.pk if reporter else None,
                    **({"photo": stored} if stored else {}),
                },
            )
            subscribe(issue, reporter)
            # An internal note: staff read it on the issue page; followers are e-mailed
            # only public changes (reports.notify), such as the reply staff give to it.
    except BaseException:
        if stored:
            storage.delete(stored)  # no photo without its update
        raise
    return entry
