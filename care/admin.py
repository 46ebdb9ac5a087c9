"""Configuration of the escalation chains; a read-only record of what fired and of ratings."""

from django.contrib import admin

from care.models import Escalation, EscalationLevel, Rating


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "deadline", "after_working_days", "name", "email", "active"]
    list_filter = ["deadline", "active", "group"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["issue", "level", "deadline_at", "fired_at", "sent_at"]
    readonly_fields = ["issue", "level", "deadline_at", "recipient", "fired_at", "sent_at"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["issue", "stars", "created_at", "reopened_at"]
    readonly_fields = [
        "issue",
        "reporter",
        "report",
        "stars",
        "comment",
        "created_at",
        "reopened_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False
