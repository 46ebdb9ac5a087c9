"""Which of a report's answers the public sees: choices, numbers and dates, never free text.

A free-text answer (a number plate, a pole's code, what a machine's display said) may hold
personal data, a plate above all (GDPR), even with its contact details hidden at submission
(privacy.descriptions). Staff read every answer; the public outputs (the API, Open311's
extended attributes) show only the answers to published questions. An answer whose question
is gone, or whose kind is unknown, is not published either.
"""

from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef

from reports.models import Question

PUBLISHED_KINDS = (
    Question.Kind.CHOICE,
    Question.Kind.MULTICHOICE,
    Question.Kind.NUMBER,
    Question.Kind.DATE,
)


def public_answers(answers: Mapping[str, Any] | None, codes: Collection[str]) -> dict[str, Any]:
    """The answers to the published questions `codes`, in their stored order."""
    return {code: value for code, value in (answers or {}).items() if code in codes}


def published_codes(category: str = "category_id") -> ArraySubquery:
    """The codes of the published questions of the row's category, for an annotation.

    `category` names the row's category id (an Issue's or a Report's): a list's page reads
    them in its own query.
    """
    return ArraySubquery(
        Question.objects.filter(category_id=OuterRef(category), kind__in=PUBLISHED_KINDS).values(
            "code"
        )
    )


class PublishedQuestions:
    """The codes of each category's published questions, read once per category."""

    def __init__(self) -> None:
        self._codes: dict[int, frozenset[str]] = {}

    def codes(self, category_id: int) -> frozenset[str]:
        if category_id not in self._codes:
            self._codes[category_id] = frozenset(
                Question.objects.filter(
                    category_id=category_id, kind__in=PUBLISHED_KINDS
                ).values_list("code", flat=True)
            )
        return self._codes[category_id]

    def answers(self, category_id: int, answers: Mapping[str, Any] | None) -> dict[str, Any]:
        """The answers the public may see, in their stored order."""
        return public_answers(answers, self.codes(category_id))
