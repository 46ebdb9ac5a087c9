"""Validate answers to a category's extra questions: pure, questions in, answers out."""

import contextlib
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MAX_TEXT_ANSWER = 1000
# Every number question asks for a size, a depth or a count on the street: never below zero,
# and a million (m², cm, lights) is already more than any one report can describe. Without a
# bound, 1e308 was stored and published as a 309-digit number.
MIN_NUMBER_ANSWER = 0
MAX_NUMBER_ANSWER = 1_000_000
# Date questions ask when something was seen or began: not in the future, not before 1900.
EARLIEST_DATE_ANSWER = dt.date(1900, 1, 1)


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


def validate_answers(
    questions: Iterable[QuestionSpec], raw: Mapping[str, Any], *, today: dt.date | None = None
) -> dict[str, Any]:
    """Return the cleaned answers keyed by question code, or raise AnswersInvalid.

    `raw` maps a code to a string, or a list of strings for multiple choice; unknown codes
    are refused so that a typo in an API client does not silently lose an answer. `today`
    (default: the site's local date) is the latest date a date answer may give.
    """
    today = today or timezone.localdate()
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
            cleaned[question.code] = _clean(question, value, today)
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


def _clean(question: QuestionSpec, value: Any, today: dt.date) -> Any:
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
        return _number(_single(value))
    if question.kind == "date":
        return _date(_single(value), today).isoformat()
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


def _number(text: str) -> int | float:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(_("Give a number.")) from None
    if not math.isfinite(number):
        raise ValueError(_("Give a number."))
    if not MIN_NUMBER_ANSWER <= number <= MAX_NUMBER_ANSWER:
        raise ValueError(
            _("Give a number from %(min)s to %(max)s.")
            % {
                "min": number_format(MIN_NUMBER_ANSWER, force_grouping=True),
                "max": number_format(MAX_NUMBER_ANSWER, force_grouping=True),
            }
        )
    return int(number) if number.is_integer() else number


def _date(text: str, today: dt.date) -> dt.date:
    """A date as YYYY-MM-DD, or a W3C date-time (Open311's datetime): its date, in our zone."""
    day: dt.date | None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = _date_of_moment(text)
    if day is None:
        raise ValueError(_("Give a date as YYYY-MM-DD."))
    if not EARLIEST_DATE_ANSWER <= day <= today:
        raise ValueError(
            _("Give a date from %(earliest)s to today.")
            % {"earliest": EARLIEST_DATE_ANSWER.isoformat()}
        )
    return day


def _date_of_moment(text: str) -> dt.date | None:
    try:
        moment = parse_datetime(text)
    except ValueError:  # no such day or hour
        return None
    if moment is None:
        return None
    if timezone.is_aware(moment):
        # 9999-12-31 or 0001-01-01 with an offset cannot move: its own date is out of range.
        with contextlib.suppress(OverflowError):
            moment = timezone.localtime(moment)
    return moment.date()
