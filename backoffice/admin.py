from django.contrib import admin
from django.http import HttpRequest

from backoffice.models import (
    AssignmentRule,
    AuditEntry,
    Draft,
    Forwarding,
    ResponseTemplate,
    StaffProfile,
)
from backoffice.replies import ResponseTemplateForm


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "department", "external_body"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "group", "area", "department", "order"]
    list_filter = ["department", "group"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    form = ResponseTemplateForm
    list_display = ["__str__", "category", "status", "active"]
    list_filter = ["active", "status"]


@admin.register(Forwarding)
class ForwardingAdmin(admin.ModelAdmin):
    list_display = ["issue", "body", "due_at", "answered_at", "resolved"]
    list_filter = ["body", "resolved"]
    raw_id_fields = ["issue"]
    readonly_fields = ["created_by", "created_at", "sent_at", "answered_at"]


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ["subject", "channel", "received_at", "report", "discarded"]
    list_filter = ["channel", "discarded"]
    raw_id_fields = ["report"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log: read-only, for administrators (superusers)."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username"]
    readonly_fields = [
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
