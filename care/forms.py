from django import forms
from django.utils.translation import gettext_lazy as _

from care.models import Verdict

STAR_CHOICES = [(n, str(n)) for n in range(1, 6)]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating (1 = bad, 5 = very good)"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("What is still wrong? Your note goes to the office in charge."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class QualifyForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("This report was"),
        choices=Verdict.choices,
        error_messages={"invalid_choice": _("Choose one of the verdicts.")},
    )
