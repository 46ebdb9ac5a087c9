"""The forms of the back office's issue page and queue."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from config.ids import parse_id
from geo.models import Department, ExternalBody
from reports.models import Category, CloseReason, Status
from reports.workflow import WAITS_FOR_FORWARDING

TEXT_MAX = 4000


class TextForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=CloseReason.choices)
    text = forms.CharField(
        label=_("Reply to the reporters"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    text = forms.CharField(
        label=_("Why it is reopened (public)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.order_by("name"), label=_("Department"))
    reason = forms.CharField(
        label=_("Why (internal)"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecategoriseForm(forms.Form):
    # Only what the municipality handles: another category would leave the issue with no
    # department (reports.workflow.recategorise refuses it too). Such an issue is forwarded
    # to the competent body, or closed as not the municipality's competence.
    category = forms.ModelChoiceField(
        Category.objects.filter(active=True, handled_by_municipality=True)
        .select_related("group")
        .order_by("group__order", "order"),
        label=_("Category"),
        error_messages={
            "invalid_choice": _(
                "Choose a category the municipality handles: forward the issue to the "
                "competent body, or close it as not the municipality's competence."
            )
        },
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Same problem as issue number"), min_value=1)


class SplitForm(forms.Form):
    reports = forms.TypedMultipleChoiceField(
        label=_("Reports about another problem"),
        coerce=int,
        choices=[],
        error_messages={"required": _("Choose the reports that are about another problem.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The action checks that the reports belong to the issue; here only that they are ids.
        raw = self.data.getlist("reports") if hasattr(self.data, "getlist") else []
        field = cast(forms.TypedMultipleChoiceField, self.fields["reports"])
        field.choices = [(r, r) for r in raw if parse_id(str(r)) is not None]


# Not "waiting for the external body": forwarding sets it, with the request that brings the
# issue back; set alone, the issue would wait for nobody.
BULK_STATUSES = [
    (Status.ASSIGNED, Status.ASSIGNED.label),
    (Status.IN_PROGRESS, Status.IN_PROGRESS.label),
    (Status.WAITING_CITIZEN, Status.WAITING_CITIZEN.label),
]


class BulkStatusField(forms.ChoiceField):
    """A status staff may set on many issues at once; refuses one that needs more than that."""

    def validate(self, value: Any) -> None:
        if value == Status.WAITING_EXTERNAL:  # posted anyway: say how it is done
            raise forms.ValidationError(WAITS_FOR_FORWARDING, code="forward")
        super().validate(value)


class BulkForm(forms.Form):
    issues = forms.TypedMultipleChoiceField(label=_("Issues"), coerce=int, choices=[])
    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("assign", _("assign to a department")), ("status", _("set the status"))],
    )
    department = forms.ModelChoiceField(
        Department.objects.none(), required=False, label=_("Department")
    )
    status = BulkStatusField(
        choices=[("", "---"), *BULK_STATUSES], required=False, label=_("Status")
    )
    reason = forms.CharField(required=False, max_length=TEXT_MAX, label=_("Why (internal)"))

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        raw = self.data.getlist("issues") if hasattr(self.data, "getlist") else []
        field = cast(forms.TypedMultipleChoiceField, self.fields["issues"])
        field.choices = [(i, i) for i in raw if parse_id(str(i)) is not None]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "assign" and not data.get("department"):
            self.add_error("department", _("Choose the department."))
        if data.get("action") == "status" and not data.get("status"):
            self.add_error("status", _("Choose the status."))
        return data


class ForwardForm(forms.Form):
    body = forms.ModelChoiceField(ExternalBody.objects.order_by("name"), label=_("External body"))
    message = forms.CharField(
        label=_("Message for the body"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due = forms.DateField(
        label=_("Answer expected by"),
        required=False,
        help_text=_("Empty: the body's usual answer time, in working days."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
