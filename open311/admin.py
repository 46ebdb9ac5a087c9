"""API keys: created here (the key is shown once), revoked with an action, never edited back."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from open311.actions import revoke_api_keys
from open311.models import ApiKey, new_key


@admin.action(description=gettext_lazy("Revoke the selected keys"))
def revoke(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    count = revoke_api_keys(queryset)
    model_admin.message_user(request, _("%(n)d key(s) revoked.") % {"n": count}, messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "key_prefix",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "owner", "contact_email", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    fields = [
        "name",
        "owner",
        "contact_email",
        "rate_limit_per_minute",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = [revoke]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            key = new_key()
            obj.set_key(key)
            super().save_model(request, obj, form, change)
            self.message_user(
                request,
                _(
                    "The new API key is %(key)s. Copy it now: it is not stored "
                    "and will not be shown again."
                )
                % {"key": key},
                messages.WARNING,
            )
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked keys stay, so that what a key did can still be traced to its owner.
        return False
