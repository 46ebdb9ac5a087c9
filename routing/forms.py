"""The coordinator's form to plan a day's crew routes from the crew routes page."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.models import Crew

OBJECTIVES = [
    ("urgency", _("Most urgent issues first")),
    ("distance", _("Shortest drive")),
]


class PlanForm(forms.Form):
    """The API's plan request (routing.api.PlanRequestSerializer) as an HTML form.

    The page shows the date and the objective; time_limit_s keeps the API's bounds and
    default, for scripts and tests that want a quicker search.
    """

    date = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    objective = forms.ChoiceField(label=_("Plan for"), choices=OBJECTIVES, required=False)
    time_limit_s = forms.FloatField(
        min_value=0.2, max_value=30.0, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate(), "objective": "urgency"})
        super().__init__(*args, **kwargs)

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"] or timezone.localdate()
        # A past day's plan records what the crews did: planning it again would hide that.
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    def clean_objective(self) -> str:
        return self.cleaned_data["objective"] or "urgency"

    def clean_time_limit_s(self) -> float:
        return self.cleaned_data["time_limit_s"] or 5.0


class CrewAdminForm(forms.ModelForm):
    """The admin's crew form, which says how a night shift is entered."""

    class Meta:
        model = Crew
        fields = ["department", "name", "depot", "shift_start", "shift_end", "active", "members"]
        help_texts = {
            "shift_end": _(
                "An end before the start means the next day: 22:00 to 06:00 is a night shift, "
                "planned with the day it starts."
            )
        }
