"""The audit log: every staff action, with the fields it changed before and after."""

from typing import Any

from django.db import models

from backoffice.models import AuditEntry
from config.actors import Actor, account


def record(
    actor: Actor,
    action: str,
    target: models.Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry for `action` by `actor` on `target`, in the action's transaction."""
    return AuditEntry.objects.create(
        actor=account(actor),
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        before=_plain(before or {}),
        after=_plain(after or {}),
    )


def snapshot(target: models.Model, fields: list[str]) -> dict[str, Any]:
    """Return the values of `fields` of `target`, for the before/after of an audit entry."""
    return {name: getattr(target, name) for name in fields}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    # JSON columns take str, numbers, booleans and None; dates and models become text.
    return {
        key: value if value is None or isinstance(value, str | int | float | bool) else str(value)
        for key, value in values.items()
    }
