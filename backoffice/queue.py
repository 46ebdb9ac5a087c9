"""The department and URP queues: open issues filtered and sorted from a GET form."""

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.actors import Actor, account
from config.ids import parse_id
from geo.models import Area, Department
from reports.models import OPEN_STATUSES, Category, Issue, Report, Status
from reports.views import normalize_tracking_code

SORTS: dict[str, tuple[Any, ...]] = {
    "priority": ("-priority", "id"),
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "age": ("first_reported_at", "id"),
    "reporters": ("-report_count", "-priority", "id"),
    "recent": ("-last_reported_at", "id"),
}
SORT_CHOICES = [
    ("priority", _("priority (highest first)")),
    ("due", _("deadline (soonest first)")),
    ("age", _("age (oldest first)")),
    ("reporters", _("reports (most first)")),
    ("recent", _("latest report first")),
]


class QueueFilter(forms.Form):
    """The queue's filters, all optional; an empty form shows every open issue in scope."""

    department = forms.ModelChoiceField(
        Department.objects.all(), required=False, label=_("Department"), empty_label=_("All")
    )
    status = forms.MultipleChoiceField(
        choices=Status.choices,
        required=False,
        label=_("Status"),
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ModelChoiceField(
        Category.objects.all(), required=False, label=_("Category"), empty_label=_("All")
    )
    area = forms.ModelChoiceField(
        Area.objects.all(), required=False, label=_("Area"), empty_label=_("All")
    )
    late = forms.BooleanField(required=False, label=_("Past the deadline only"))
    operator_group = forms.ModelChoiceField(
        Group.objects.order_by("name"),
        required=False,
        label=_("Operator group"),
        empty_label=_("All"),
    )
    mine = forms.BooleanField(required=False, label=_("My groups' issues only"))
    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Search"),
        help_text=_("Issue number, tracking code or street"),
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label=_("Sort by"))

    def __init__(self, *args: object, departments: QuerySet[Department], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


def filtered(issues: QuerySet[Issue], form: QueueFilter, user: Actor) -> QuerySet[Issue]:
    """Apply a valid QueueFilter to `issues` (already limited to `user`'s scope)."""
    data = form.cleaned_data
    issues = issues.filter(merged_into__isnull=True)
    issues = issues.filter(status__in=data.get("status") or OPEN_STATUSES)
    if data.get("department"):
        issues = issues.filter(department=data["department"])
    if data.get("category"):
        issues = issues.filter(category=data["category"])
    if data.get("area"):
        issues = issues.filter(area=data["area"])
    if data.get("operator_group"):
        issues = issues.filter(operator_group=data["operator_group"])
    if data.get("mine"):
        member = account(user)
        issues = issues.filter(operator_group__in=member.groups.all() if member else [])
    if data.get("late"):
        issues = issues.filter(due_at__lt=timezone.now())
    query = (data.get("q") or "").strip()
    if query:
        issues = issues.filter(_search(query))
    order = SORTS[data.get("sort") or "priority"]
    return issues.order_by(*order)


def _search(query: str) -> Q:
    condition = Q(address__icontains=query)
    issue_id = parse_id(query.lstrip("#"))
    if issue_id is not None:
        condition |= Q(pk=issue_id)
    code = normalize_tracking_code(query)
    if code:
        condition |= Q(pk__in=Report.objects.filter(tracking_code=code).values("issue_id"))
    return condition
