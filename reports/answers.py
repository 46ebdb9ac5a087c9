"""Validate answers to a category's extra questions: pure, questions in, answers out."""

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

MAX_TEXT_ANSWER = 1000


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    kind: str  # text, number, choice, multichoice, date
    required: bool
    choice_keys: tuple[str, ...] = ()


class AnswersInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def validate_answers(questions: Iterable[QuestionSpec], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the cleaned answers keyed by question code, or raise AnswersInvalid.

    `raw` maps a code to a string, or a list of strings for multiple choice; unknown codes
    are refused so that a typo in an API client does not silently lose an answer.
    """
    questions = list(questions)
    known = {q.code for q in questions}
    errors = {code: _("Unknown question.") for code in raw if code not in known}
    cleaned: dict[str, Any] = {}
    for question in questions:
        value = raw.get(question.code)
        if _is_empty(value):
            if question.required:
                errors[question.code] = _("This question needs an answer.")
            continue
        try:
            cleaned[question.code] = _clean(question, value)
        except ValueError as exc:
            errors[question.code] = str(exc)
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not any(str(v).strip() for v in value)
    return False


def _single(value: Any) -> str:
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ValueError(_("Give a single answer."))
        value = value[0]
    return str(value).strip()


def _clean(question: QuestionSpec, value: Any) -> Any:
    if question.kind == "text":
        text = _single(value)
        if "\x00" in text:
            # PostgreSQL cannot store NUL in text or jsonb: without this the insert failed (500).
            raise ValueError(
                _("This answer holds a character that cannot be stored (NUL): type it again.")
            )
        if len(text) > MAX_TEXT_ANSWER:
            raise ValueError(_("Answer in at most %(n)d characters.") % {"n": MAX_TEXT_ANSWER})
        return text
    if question.kind == "number":
        try:
            number = float(_single(value).replace(",", "."))
        except ValueError:
            raise ValueError(_("Give a number.")) from None
        if not math.isfinite(number):
            raise ValueError(_("Give a number."))
        return int(number) if number.is_integer() else number
    if question.kind == "date":
        try:
            return dt.date.fromisoformat(_single(value)).isoformat()
        except ValueError:
            raise ValueError(_("Give a date as YYYY-MM-DD.")) from None
    if question.kind == "choice":
        key = _single(value)
        if key not in question.choice_keys:
            raise ValueError(_("Pick one of the options offered."))
        return key
    if question.kind == "multichoice":
        keys = [str(v).strip() for v in (value if isinstance(value, list | tuple) else [value])]
        keys = [k for k in keys if k]
        if any(k not in question.choice_keys for k in keys):
            raise ValueError(_("Pick only among the options offered."))
        return sorted(set(keys), key=question.choice_keys.index)
    raise ValueError(f"unknown question kind {question.kind!r}")
