"""A category's questions as staff forms draw and read them: the phone intake
(backoffice.intake) and completing a report's answers later (backoffice.answers_edit).

Each question's input is named "answer-<code>"; the forms draw them with the template
backoffice/_question_fields.html, and what comes back goes through the API's validator
(reports/answers.py).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import QueryDict

from reports.answers import MAX_TEXT_ANSWER
from reports.models import Question

ANSWER_PREFIX = "answer-"


def typed_answers(post: QueryDict) -> dict[str, list[str]]:
    """Every answer input of the form by question code, as typed (empty ones included).

    Bounded, as it may be kept in the session after a refusal: no more text than an answer
    may hold (one character more, so that the validator still says it is too long).
    """
    return {
        name.removeprefix(ANSWER_PREFIX): [v[: MAX_TEXT_ANSWER + 1] for v in post.getlist(name)]
        for name in list(post)[:100]
        if name.startswith(ANSWER_PREFIX)
    }


def validator_input(typed: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The validator's input: the empty answers left out, one value as a string, several
    (multiple choice) as a list."""
    raw: dict[str, Any] = {}
    for code, values in typed.items():
        given = [v for v in values if v.strip()]
        if given:
            raw[code] = given[0] if len(given) == 1 else given
    return raw


def question_field(
    question: Question, input_id: str, given: Sequence[str], error: str
) -> dict[str, Any]:
    """One question as _question_fields.html draws it, in the reader's language, with the
    values `given` (typed, or stored) and the validator's message for it."""
    return {
        "code": question.code,
        "id": input_id,
        "name": ANSWER_PREFIX + question.code,
        "label": question.label,
        "kind": question.kind,
        "required": question.required,
        "value": given[0] if given else "",
        "choices": [
            {"key": key, "label": label, "id": f"{input_id}-{n}", "chosen": key in given}
            for n, (key, label) in enumerate(question.choice_labels())
        ],
        "error": error,
    }


def question_lead(label: str) -> str:
    """A question's label before its answer or message: "How big is it? Small", "Depth (cm):
    12". A label that ends as a question or a colon needs no colon."""
    return label if label.endswith(("?", ":")) else f"{label}:"
