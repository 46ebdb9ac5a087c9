"""Open311 API keys: who may submit through /open311/v2/, at what rate, until revoked.

Only a hash of each key is stored: the key itself is shown once, when the admin creates it.
"""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    """Return the stored form of an API key (SHA-256 hex; keys are random, no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """Return a fresh random API key, about 190 bits, URL-safe."""
    return secrets.token_urlsafe(24)


class ApiKey(models.Model):
    """A third-party application allowed to submit service requests and updates."""

    name = models.CharField(_("application"), max_length=200)
    owner = models.CharField(
        _("owner"), max_length=200, help_text=_("The organisation or person responsible.")
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    key_prefix = models.CharField(
        _("key starts with"), max_length=KEY_PREFIX_LENGTH, editable=False
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=60,
        help_text=_("Calls with this key allowed in each minute; more get 429."),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def set_key(self, key: str) -> None:
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        self.key_hash = hash_key(key)
