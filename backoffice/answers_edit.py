"""Complete or correct a report's answers to its category's questions, from the issue page.

A report taken on the phone may be filed with required answers missing (backoffice.intake
notes them on the timeline); staff complete them here later. The answers go through the API's
validator (reports/answers.py), required ones may still stay empty as at intake, and the issue's
version is checked and bumped as for every change made from the page.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import record
from backoffice.questions import question_field, question_lead, validator_input
from config.actors import Actor, account
from reports import workflow
from reports.answers import AnswersInvalid, validate_answers
from reports.catalogue import question_specs
from reports.models import Question, Report, TimelineEntry
from reports.texts import entry_fields


class AnswersRefused(Exception):
    """The answers were not saved: the validator's message for each question, by code, and
    the same messages each named by its question (in the reader's language), to show."""

    def __init__(self, errors: dict[str, str], lines: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors
        self.lines = lines


def complete_answers(
    issue_id: int,
    report_id: int,
    *,
    actor: Actor,
    typed: Mapping[str, list[str]],
    expected_version: int | None,
) -> list[str]:
    """Save the report's answers as typed; return the codes of the answers that changed.

    An answer left empty is taken away; an answer to a question its category no longer asks
    is kept as it is. Raise workflow.TransitionRefused (stale version, merged issue, a report
    not in the issue, nothing changed) or AnswersRefused; nothing is saved then.
    """
    with transaction.atomic():
        issue, _before = workflow.lock_issue(issue_id, expected_version)
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("category")
            .filter(pk=report_id, issue=issue)
            .first()
        )
        if report is None:
            raise workflow.TransitionRefused(_("That report is not in this issue any more."))
        questions = list(Question.objects.filter(category=report.category_id))
        # Required answers may wait, as at intake: the timeline says which.
        specs = [replace(spec, required=False) for spec in question_specs(report.category)]
        try:
            cleaned = validate_answers(specs, validator_input(typed))
        except AnswersInvalid as exc:
            raise AnswersRefused(exc.errors, _refusal_lines(exc.errors, questions)) from None
        old = report.answers if isinstance(report.answers, dict) else {}
        asked = {q.code for q in questions}
        new = {**{c: v for c, v in old.items() if c not in asked}, **cleaned}
        changed = [q.code for q in questions if old.get(q.code) != new.get(q.code)]
        if not changed:
            raise workflow.TransitionRefused(_("No answer was changed."))
        report.answers = new
        report.save(update_fields=["answers"])
        issue.version += 1  # the page's other forms were drawn with the answers as they were
        issue.save(update_fields=["version", "updated_at"])
        _timeline_entry(issue.pk, report, questions, changed, actor)
        record(
            actor,
            "report.answers",
            report,
            before={code: old.get(code) for code in changed},
            after={code: new.get(code) for code in changed},
        )
    return changed


def _timeline_entry(
    issue_id: int, report: Report, questions: Sequence[Question], changed: list[str], actor: Actor
) -> None:
    named = [q for q in questions if q.code in changed]
    missing = [q.code for q in questions if q.required and q.code not in report.answers]
    TimelineEntry.objects.create(
        issue_id=issue_id,
        kind=TimelineEntry.Kind.INTERNAL_NOTE,
        public=False,
        actor=account(actor),
        created_at=timezone.now(),
        # The questions named in each language: Question.label follows the active one.
        **entry_fields(
            lambda: (
                _("Answers of report %(code)s changed: %(questions)s.")
                % {"code": report.tracking_code, "questions": "; ".join(q.label for q in named)}
            ),
            {
                "report": report.pk,
                "changed_answers": changed,
                "missing_answers": missing,
            },
        ),
    )


def answer_forms(
    reports: Sequence[Report], asked: Sequence[Question], kept: Mapping[str, Any] | None
) -> None:
    """Give each report `answer_questions`: its category's questions as the form draws them.

    Pre-filled with the report's answers, or with what was typed in a refused form (`kept`:
    the report, the typed answers and the validator's messages). Labels and options in the
    reader's language. `asked`: the questions of every category among the reports.
    """
    by_category: dict[int, list[Question]] = {}
    for question in asked:
        by_category.setdefault(question.category_id, []).append(question)
    kept = kept or {}
    for report in reports:
        refused = kept.get("report") == report.pk
        typed: Mapping[str, list[str]] = kept.get("answers", {}) if refused else {}
        errors: Mapping[str, str] = kept.get("errors", {}) if refused else {}
        answers = report.answers if isinstance(report.answers, dict) else {}
        shown = []
        for question in by_category.get(report.category_id, []):
            if refused:
                given = [str(v) for v in typed.get(question.code, [])]
            else:
                value = answers.get(question.code)
                values = value if isinstance(value, list) else [value]
                given = [str(v) for v in values if v is not None]
            field = question_field(
                question,
                f"answers-{report.pk}-{question.code}",
                given,
                str(errors.get(question.code, "")),
            )
            shown.append(field)
        setattr(report, "answer_questions", shown)  # noqa: B010
        setattr(report, "answers_refused", refused)  # noqa: B010
        # Its <details> opens by itself while a required answer waits (a phone report).
        missing = any(q["required"] and not q["value"] for q in shown)
        setattr(report, "answers_missing", missing)  # noqa: B010


def _refusal_lines(errors: Mapping[str, str], questions: Sequence[Question]) -> list[str]:
    labels = {q.code: q.label for q in questions}
    return [f"{question_lead(labels.get(code, code))} {error}" for code, error in errors.items()]
