"""Ready replies: written once per language in the admin, picked by staff on the issue page.

Staff choose one by its title in their own language; the text put in the reply box is the one
in the language the issue's reports were made in (the reply is e-mailed to those citizens as
typed), one paragraph per language when the reporters used more than one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from backoffice.forms import TEXT_MAX
from backoffice.models import ResponseTemplate
from reports.models import Report

TITLE_MAX = 120


@dataclass(frozen=True)
class ReadyReply:
    title: str  # in the staff member's language
    text: str  # in the reporters'


def reporters_languages(reports: Iterable[Report]) -> list[str]:
    """Return the languages `reports` were made in, in settings.LANGUAGES order."""
    used = {report.language for report in reports}
    return [code for code, _name in settings.LANGUAGES if code in used]


def language_names(codes: list[str]) -> str:
    """The names of the languages `codes`, in the active language ("English, Italian")."""
    return ", ".join(str(name) for code, name in settings.LANGUAGES if code in codes)


def ready_replies(category_id: int | None, languages: list[str]) -> list[ReadyReply]:
    """Return the active ready replies for a category, by title in the active language.

    Each text is in `languages` (the reporters', reporters_languages), one paragraph each;
    in the active language when there is none.
    """
    staff = get_language() or settings.LANGUAGE_CODE
    replies = [
        ReadyReply(template.title_in(staff), reply_text(template, languages or [staff]))
        for template in ResponseTemplate.objects.filter(active=True).filter(
            Q(category__isnull=True) | Q(category=category_id)
        )
    ]
    return sorted(replies, key=lambda reply: reply.title.casefold())


def reply_text(template: ResponseTemplate, languages: list[str]) -> str:
    """The template's text in each of `languages`, once each (a missing one falls back)."""
    return "\n\n".join(dict.fromkeys(template.text_in(code) for code in languages))


def _field_names() -> list[str]:
    return [f"{kind}_{code}" for code, _name in settings.LANGUAGES for kind in ("title", "text")]


def _language_fields() -> dict[str, forms.Field]:
    """A title and a text field per language (_TemplateForm says which are required)."""
    fields: dict[str, forms.Field] = {}
    for code, name in settings.LANGUAGES:
        fields[f"title_{code}"] = forms.CharField(
            label=format_lazy("{} ({})", _("title"), name), max_length=TITLE_MAX, required=False
        )
        fields[f"text_{code}"] = forms.CharField(
            label=format_lazy("{} ({})", _("text"), name),
            max_length=TEXT_MAX,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    return fields


class _TemplateForm(forms.ModelForm):
    """Reads the language fields (_language_fields) from and into the JSON fields."""

    instance: ResponseTemplate

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, _name in settings.LANGUAGES:
            # The default language's are required: the others fall back to it.
            self.fields[f"title_{code}"].required = code == settings.LANGUAGE_CODE
            self.fields[f"text_{code}"].required = code == settings.LANGUAGE_CODE
            for kind, values in (("title", self.instance.titles), ("text", self.instance.texts)):
                if isinstance(values, dict):
                    self.initial.setdefault(f"{kind}_{code}", values.get(code, ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.instance.titles = _by_language(cleaned, "title")
        self.instance.texts = _by_language(cleaned, "text")
        return cleaned


def _by_language(cleaned: dict[str, Any], kind: str) -> dict[str, str]:
    """The form's non-empty `kind` fields as JSON: {"it": ..., "en": ...}."""
    typed = {code: cleaned.get(f"{kind}_{code}") for code, _name in settings.LANGUAGES}
    return {code: value for code, value in typed.items() if value}


def _template_form() -> type[_TemplateForm]:
    meta = type(
        "Meta",
        (),
        {"model": ResponseTemplate, "fields": [*_field_names(), "category", "status", "active"]},
    )
    return cast(
        type[_TemplateForm],
        type("ResponseTemplateForm", (_TemplateForm,), {"Meta": meta, **_language_fields()}),
    )


# The admin's form: a title and a text field for each language of settings.LANGUAGES
# (title_it, text_it, title_en, text_en), first in the form.
ResponseTemplateForm = _template_form()
