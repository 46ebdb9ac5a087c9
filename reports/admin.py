"""Configuration (groups, categories, questions) and a read-mostly view of reports and issues.

Issues and reports change state only through reports.actions and reports.workflow (the back
office); the admin here lets administrators inspect them and edit configuration. An issue's
category and department are read only in its change form for that reason.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
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

    def get_readonly_fields(self, request: HttpRequest, obj: Issue | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A changed category or department must go through reports.workflow (recategorise,
            # reassign): deadlines, assignment rules, the categories the municipality handles,
            # the timeline and the audit log. A bare save here skipped all of them.
            fields += WORKFLOW_FIELDS
        return fields

    def get_form(
        self, request: HttpRequest, obj: Issue | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is not None:
            kwargs["help_texts"] = {**kwargs.get("help_texts", {}), **workflow_help(obj)}
        return super().get_form(request, obj, change, **kwargs)


# Read only in the admin's change form: the back office's actions change them.
WORKFLOW_FIELDS = ["category", "department"]


def workflow_help(issue: Issue) -> dict[str, str]:
    """The help texts of WORKFLOW_FIELDS: which back-office action changes each, and a link."""
    page = reverse("office-issue", args=[issue.pk])
    return {
        "category": format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Change it with “Change the category” on the issue's back-office page: the "
                "assignment rules choose the department, the deadline follows, and the "
                "timeline and audit log record it."
            ),
            page,
            _("Open the issue in the back office"),
        ),
        "department": format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Change it with “Another department” on the issue's back-office page: the "
                "reason is noted, and the timeline and audit log record it."
            ),
            page,
            _("Open the issue in the back office"),
        ),
    }
