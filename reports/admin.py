"""Configuration (groups, categories, questions) and a read-mostly view of reports and issues.

Issues and reports change state only through reports.actions (the back office); the admin here
lets administrators inspect them and edit configuration.
"""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from reports.models import Category, CategoryGroup, Issue, Photo, Question, Report, TimelineEntry


@admin.register(CategoryGroup)
class CategoryGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name_it", "name_en", "color", "order"]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_it",
        "group",
        "department",
        "base_severity",
        "sla_working_days",
        "duplicate_radius_m",
        "handled_by_municipality",
        "active",
    ]
    list_filter = ["group", "department", "active", "handled_by_municipality"]
    search_fields = ["code", "name_it", "name_en", "keywords"]
    filter_horizontal = ["areas"]
    inlines = [QuestionInline]


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = readonly_fields = ("image", "thumbnail", "width", "height", "size_bytes", "phash")
    can_delete = False


@admin.register(Report)
class ReportAdmin(LeafletGeoAdmin):
    list_display = [
        "tracking_code",
        "issue",
        "category",
        "channel",
        "urgency",
        "emergency",
        "created_at",
    ]
    list_filter = ["channel", "emergency", "category__group"]
    search_fields = ["tracking_code", "description"]
    readonly_fields = ["issue", "tracking_code", "reporter", "channel", "created_at"]
    inlines = [PhotoInline]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = readonly_fields = (
        "created_at",
        "kind",
        "status",
        "close_reason",
        "public",
        "actor",
        "text",
    )
    can_delete = False


@admin.register(Issue)
class IssueAdmin(LeafletGeoAdmin):
    list_display = [
        "id",
        "category",
        "department",
        "status",
        "priority",
        "report_count",
        "emergency",
        "due_at",
    ]
    list_filter = ["status", "emergency", "department", "category__group"]
    search_fields = ["id", "address"]
    readonly_fields = [
        "status",
        "close_reason",
        "report_count",
        "supporter_count",
        "priority",
        "priority_explained",
        "first_reported_at",
        "last_reported_at",
        "due_at",
        "taken_in_charge_at",
        "closed_at",
        "version",
    ]
    inlines = [TimelineInline]
