"""A question's choices are checked when saved: one typo used to take the whole catalogue down.

A choice question saved in the admin with its choices typed as ["off", "blinking"] made every
GET /api/v1/categories/ answer 500, so the citizen form offered no category anywhere.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from reports.demo.categories import CATEGORIES
from reports.models import Question, choices_problem
from tests.factories import Territory

GOOD = [{"key": "off", "it": "Spento", "en": "Off"}, {"key": "blinking", "it": "Lampeggia"}]


@pytest.mark.parametrize(
    "choices",
    [
        ["off", "blinking"],
        [],
        {"off": "Spento"},
        [{"key": "off"}],
        [{"key": "off", "it": ""}],
        [{"key": "o f", "it": "Spento"}],
        [{"key": "off", "it": "Spento"}, {"key": "off", "it": "Ancora"}],
        [{"key": "off", "it": "Spento", "en": 3}],
        [{"key": "off", "it": "Spento", "colour": "red"}],
    ],
)
def test_malformed_choices_are_refused_with_a_reason(choices: object) -> None:
    assert choices_problem(Question.Kind.CHOICE, choices)
    assert choices_problem(Question.Kind.MULTICHOICE, choices)


def test_well_formed_choices_pass_and_other_kinds_take_none() -> None:
    assert choices_problem(Question.Kind.CHOICE, GOOD) is None
    assert choices_problem(Question.Kind.TEXT, []) is None
    assert choices_problem(Question.Kind.NUMBER, GOOD)


def test_the_demo_catalogue_is_well_formed() -> None:
    questions = [(q.kind, q.choices) for spec in CATEGORIES for q in spec.questions]
    assert questions
    for kind, choices in questions:
        listed = [{"key": key, "it": it, "en": en} for key, it, en in choices]
        assert choices_problem(kind, listed) is None


def test_the_admin_refuses_a_mistyped_choice_list_and_the_catalogue_stays_up(
    territory: Territory,
) -> None:
    question = Question.objects.filter(kind=Question.Kind.CHOICE).first()
    assert question is not None
    before = question.choices
    question.choices = ["off", "blinking"]
    with pytest.raises(ValidationError) as refused:
        question.full_clean()
    assert "choices" in refused.value.message_dict

    admin = get_user_model().objects.create_superuser("boss", "boss@comune.example", "pw")
    client = Client()
    client.force_login(admin)
    category = question.category
    url = reverse("admin:reports_category_change", args=[category.pk])
    form = client.get(url).context["adminform"].form
    data = {name: _posted(form[name].value()) for name in form.fields}
    inline = client.get(url).context["inline_admin_formsets"][0].formset
    data.update(_management(inline))
    for index, sub in enumerate(inline.forms):
        for name in sub.fields:
            value = sub[name].value()
            if sub.instance.pk == question.pk and name == "choices":
                value = '["off", "blinking"]'
            data[f"{inline.prefix}-{index}-{name}"] = _posted(value)
    answer = client.post(url, data)

    assert answer.status_code == 200  # the form again, with the error
    assert "Each choice is an object" in answer.content.decode()
    question.refresh_from_db()
    assert question.choices == before
    assert client.get("/api/v1/categories/").status_code == 200


def _management(formset) -> dict[str, object]:  # type: ignore[no-untyped-def]
    form = formset.management_form
    return {f"{formset.prefix}-{name}": form[name].value() for name in form.fields}


def _posted(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list):
        return [str(v) for v in value]
    return value
