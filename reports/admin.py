"""Configuration (groups, categories, questions) and a read-mostly view of reports and issues.

Issues and reports change state only through reports.actions (the back office); the admin here
lets administrators inspect them and edit configuration.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from leaflet.admin import LeafletGeoAdmin

from clustering.actions import ClusteringRefused, merge_issues, split_reports
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


@admin.action(description=gettext_lazy("Split the selected reports into a new issue"))
def split_into_new_issue(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    issue_ids = set(queryset.values_list("issue_id", flat=True))
    if len(issue_ids) != 1:
        model_admin.message_user(
            request, _("Pick reports of one issue only."), level=messages.ERROR
        )
        return
    issue = Issue.objects.get(pk=issue_ids.pop())
    try:
        new = split_reports(issue, list(queryset.values_list("pk", flat=True)), actor=request.user)
    except ClusteringRefused as exc:
        model_admin.message_user(request, str(exc), level=messages.ERROR)
        return
    model_admin.message_user(request, _("The reports now form issue #%(id)s.") % {"id": new.pk})


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
    readonly_fields = [
        "issue",
        "tracking_code",
        "reporter",
        "channel",
        "created_at",
        "location_accuracy_m",
        "match",
    ]
    inlines = [PhotoInline]
    actions = [split_into_new_issue]


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


@admin.action(description=gettext_lazy("Merge the selected issues into the oldest one"))
def merge_into_oldest(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    issues = list(queryset.order_by("first_reported_at", "pk"))
    if len(issues) < 2:
        model_admin.message_user(request, _("Pick at least two issues."), level=messages.ERROR)
        return
    target, *sources = issues
    try:
        for source in sources:
            target = merge_issues(source, target, actor=request.user)
    except ClusteringRefused as exc:
        model_admin.message_user(request, str(exc), level=messages.ERROR)
        return
    model_admin.message_user(request, _("Merged into issue #%(id)s.") % {"id": target.pk})


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
        "merged_into",
        "version",
    ]
    inlines = [TimelineInline]
    actions = [merge_into_oldest]
