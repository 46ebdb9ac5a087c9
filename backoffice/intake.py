"""Phone and counter intake: the switchboard files a report in a few seconds, and completes
e-mail drafts into reports.

The report goes through the same checks, clustering and notifications as a citizen's
(reports.actions.submit_report); only the category's required answers may wait, and the
issue's timeline says which ones are missing. The caller gets the tracking code read out
on the phone, and by e-mail when they give an address.
"""

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework import serializers

from backoffice import tasks
from backoffice.audit import record
from backoffice.models import Draft, DraftAttachment
from backoffice.questions import ANSWER_PREFIX, question_field, typed_answers, validator_input
from backoffice.roles import Verb
from backoffice.views import staff_required
from config.actors import account
from config.ids import parse_id
from geo.querysets import map_start
from inbox.actions import drop_attachments
from outbox.actions import enqueue
from reports import catalogue
from reports.actions import PhotoStorageError, submit_report
from reports.answers import MAX_TEXT_ANSWER
from reports.models import Category, Channel, Report, SubmissionKey, TimelineEntry
from reports.photos import PhotoError, ProcessedPhoto, process_upload
from reports.serializers import FiniteFloatField, ReportSubmissionSerializer
from reports.texts import entry_fields

# The hidden one-time key each intake form carries (made when the form is shown): a retry of
# the same form, a double click or a browser resending it, lands on the report the first one
# filed. Stored as a SubmissionKey, prefixed so that it never meets a citizen app's key.
FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
KEY_PREFIX = "intake:"

# The form's labels (intake.html), for the error summary: the operator reads "Latitude",
# not the field's name "lat".
FIELD_LABELS = {
    "lat": gettext_lazy("Latitude"),
    "lon": gettext_lazy("Longitude"),
    "location": gettext_lazy("Where"),
    "category": gettext_lazy("Category"),
    "answers": gettext_lazy("Answers to the category's questions"),
    "description": gettext_lazy("What the caller says"),
    "urgency": gettext_lazy("Urgency (1-5)"),
    "photo": gettext_lazy("Photos (optional)"),
    "channel": gettext_lazy("Channel"),
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail (the tracking code is sent there)"),
    "language": gettext_lazy("Language for the e-mails"),
}
# Where the summary's link for an error takes the operator: the input of the same name,
# except for these two, which have none of their own.
FIELD_ANCHORS = {"location": "intake-map", "answers": "category"}

# The questions' inputs are backoffice.questions'; the hidden "questions_for" names the
# category whose questions the form showed (intake.js keeps it in step with the category).


class DegreesField(FiniteFloatField):
    """Degrees as an Italian types them too: "60,1709" is 60.1709, not an error."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, str) and data.count(",") == 1 and "." not in data:
            data = data.replace(",", ".")
        return super().to_internal_value(data)


class IntakeSerializer(ReportSubmissionSerializer):
    """The citizen's submission, as staff take it: other channels, answers may come later."""

    answers_required = False
    lat = DegreesField(min_value=-90, max_value=90)
    lon = DegreesField(min_value=-180, max_value=180)
    channel = serializers.ChoiceField(
        choices=[Channel.PHONE, Channel.COUNTER, Channel.EMAIL], default=Channel.PHONE
    )
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], default=settings.LANGUAGE_CODE
    )


class DraftNotOpen(Exception):
    """The e-mail draft was filed or set aside while the operator was completing it."""


@staff_required(Verb.INTAKE)
def intake_page(request: HttpRequest) -> HttpResponse:
    """The quick form: where, what, who called; with ?draft=<id>, an e-mail draft to complete."""
    raw_draft = request.GET.get("draft", "").strip()
    draft = _open_draft(raw_draft)
    initial: dict[str, Any] = {"channel": Channel.PHONE}
    if draft is not None:
        initial = {
            "channel": Channel.EMAIL,
            "description": "\n".join(p for p in (draft.subject, draft.text) if p)[:4000],
            "name": draft.sender_name,
            "email": draft.sender_email,
            "phone": draft.sender_phone,
        }
    elif raw_draft:
        # Filed by a colleague since the list was loaded, or set aside: say so, on a blank form.
        return _render_form(request, None, initial, errors={}, closed_draft=raw_draft)
    return _render_form(request, draft, initial, errors={})


@staff_required(Verb.INTAKE)
@require_POST
def intake_submit(request: HttpRequest) -> HttpResponse:
    """File the report; show the tracking code to read out, or the form again with errors.

    The same form sent twice (its hidden key) files one report; a draft files at most one.
    """
    raw_key = request.POST.get("key", "").strip()
    # Without a key (a script), nothing to recognise a retry by: filed as before.
    key = KEY_PREFIX + raw_key if FORM_KEY.fullmatch(raw_key) else ""
    if key and (earlier := _report_for_key(key)) is not None:
        return redirect("office-intake-done", pk=earlier.pk)  # a retry of a filed form
    raw_draft = request.POST.get("draft", "").strip()
    draft = _open_draft(raw_draft)
    if raw_draft and draft is None:
        # Never filed as a plain report instead: the form is shown blank, with the reason.
        return _render_form(request, None, {}, errors={}, closed_draft=raw_draft, status=409)
    if raw_key and not key:
        errors = {"key": [_("The form was out of date and nothing was filed: file it again.")]}
        return _render_form(request, draft, request.POST.dict(), errors=errors, status=400)
    shown_for = request.POST.get("questions_for")
    category_code = request.POST.get("category", "")
    if "show_questions" in request.POST or (
        shown_for is not None and shown_for != category_code and _has_questions(category_code)
    ):
        # Without JavaScript the questions shown are those of the category the page was drawn
        # with: the operator chose another, so its questions are shown before anything is filed.
        if "show_questions" not in request.POST:
            messages.info(request, _("Ask the caller the questions of this category, then file."))
        if request.FILES:  # a browser cannot put them back in the form
            messages.info(request, _("The photos were not kept: choose them again."))
        return _render_form(request, draft, request.POST.dict(), errors={})
    data = request.POST.copy()
    data.setlist("photo", cast(list[Any], request.FILES.getlist("photo")))
    if shown_for is not None:
        # The form's own fields; those of another category's questions are never sent as its.
        typed = typed_answers(request.POST) if shown_for == category_code else {}
        data["answers"] = json.dumps(validator_input(typed))
    form = IntakeSerializer(data=data)
    if not form.is_valid():
        return _render_form(request, draft, request.POST.dict(), errors=form.errors, status=400)
    photos = list(form.validated_data["photo"])
    try:
        photos += _draft_photos(draft, request.POST.getlist("attachment"), len(photos))
    except PhotoError as exc:
        errors = {"photo": [_("Attachment: %(error)s") % {"error": exc}]}
        return _render_form(request, draft, request.POST.dict(), errors=errors, status=400)
    # The caller, not the operator, is the reporter: no user account is linked.
    new = replace(
        form.to_new_report(language=form.validated_data["language"], user=None),
        photos=photos,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            if draft is not None:
                _lock_open_draft(draft.pk)
            report = submit_report(new)
            _after_intake(request, report, draft)
    except PhotoStorageError:
        messages.error(request, _("The photos could not be stored just now. Try again."))
        return _render_form(request, draft, request.POST.dict(), errors={}, status=503)
    except (DraftNotOpen, IntegrityError) as exc:
        # A request running at the same time filed first. The same form (its key): this is
        # its retry, so show what it filed. Another operator's form for the same draft: refused.
        earlier = _report_for_key(key) if key else None
        if earlier is not None:
            return redirect("office-intake-done", pk=earlier.pk)
        if isinstance(exc, IntegrityError):
            raise
        return _render_form(request, None, {}, errors={}, closed_draft=raw_draft, status=409)
    return redirect("office-intake-done", pk=report.pk)


@staff_required(Verb.INTAKE)
def intake_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The tracking code, big, to read out; and where the report went."""
    report = get_object_or_404(Report.objects.select_related("issue", "reporter"), pk=pk)
    return render(request, "backoffice/intake_done.html", {"report": report})


@staff_required(Verb.INTAKE)
def drafts_page(request: HttpRequest) -> HttpResponse:
    """E-mail and PEC messages waiting to become reports, oldest first."""
    drafts = Draft.objects.filter(report__isnull=True, discarded=False).prefetch_related(
        "attachments"
    )
    return render(request, "backoffice/drafts.html", {"drafts": drafts})


@staff_required(Verb.INTAKE)
@require_POST
def discard_draft(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Set aside a message that is not a report (spam, a question for another office)."""
    draft = get_object_or_404(Draft, pk=pk)
    with transaction.atomic():
        # Only a draft still waiting: one filed meanwhile (a colleague's form committing
        # between the read above and this update) stays a report, never marked set aside.
        updated = Draft.objects.filter(pk=draft.pk, report__isnull=True, discarded=False).update(
            discarded=True
        )
        if updated:
            record(request.user, "draft.discard", draft)
            drop_attachments(Draft.objects.filter(pk=draft.pk))
    if updated:
        messages.success(request, _("Message set aside."))
        return redirect("office-drafts")
    draft.refresh_from_db()
    if draft.report_id is not None:
        messages.error(
            request,
            _("This e-mail was filed meanwhile, as report %(code)s: it was not set aside.")
            % {"code": Report.objects.get(pk=draft.report_id).tracking_code},
        )
    else:
        messages.info(request, _("This e-mail was already set aside."))
    return redirect("office-drafts")


@staff_required(Verb.INTAKE)
def draft_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A waiting draft's photo, to look at before filing it: cleaned, never the sender's bytes."""
    attachment = get_object_or_404(
        DraftAttachment, pk=pk, draft__report__isnull=True, draft__discarded=False
    )
    try:
        with attachment.file.open("rb") as stored:
            photo = process_upload(stored.read())
    except (PhotoError, OSError) as exc:
        raise Http404("Not a photo that can be shown.") from exc
    response = HttpResponse(photo.content, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _open_draft(raw: str | None) -> Draft | None:
    draft_id = parse_id(raw)
    if draft_id is None:
        return None
    return (
        Draft.objects.filter(pk=draft_id, report__isnull=True, discarded=False)
        .prefetch_related("attachments")
        .first()
    )


def _lock_open_draft(draft_id: int) -> None:
    """Lock the draft's row until the report is filed; raise DraftNotOpen if it is not open.

    Two operators filing the same e-mail: the second waits here for the first to commit, and
    PostgreSQL then checks the row as the first left it, filed.
    """
    still_open = (
        Draft.objects.select_for_update()
        .filter(pk=draft_id, report__isnull=True, discarded=False)
        .values_list("pk", flat=True)
        .first()
    )
    if still_open is None:
        raise DraftNotOpen(draft_id)


def _draft_notice(raw: str) -> tuple[str, int | None]:
    """Why a draft cannot be filed (in the user's language), and the issue it is in, if any."""
    draft_id = parse_id(raw)
    draft = (
        Draft.objects.filter(pk=draft_id).select_related("report").first()
        if draft_id is not None
        else None
    )
    if draft is not None and draft.report is not None:
        notice = _(
            "This e-mail was already filed: it is report %(code)s, in issue %(issue)s. "
            "It was not filed again."
        ) % {"code": draft.report.tracking_code, "issue": draft.report.issue_id}
        return notice, draft.report.issue_id
    if draft is not None and draft.discarded:
        return _("This e-mail was set aside as not a report: nothing was filed."), None
    return _("This e-mail is not among those waiting: nothing was filed."), None


def _has_questions(category_code: str) -> bool:
    found = catalogue.offer(category_code)  # any text: never a query with a NUL in it
    return found is not None and bool(found.questions)


def _report_for_key(key: str) -> Report | None:
    found = SubmissionKey.objects.filter(key=key).select_related("report").first()
    return found.report if found else None


def _draft_photos(draft: Draft | None, chosen: list[str], already: int) -> list[ProcessedPhoto]:
    if draft is None:
        return []
    photos: list[ProcessedPhoto] = []
    wanted = [i for i in map(parse_id, chosen) if i is not None]
    for attachment in draft.attachments.filter(pk__in=wanted):
        if already + len(photos) >= settings.PHOTOS_PER_REPORT:
            break
        with attachment.file.open("rb") as stored:
            photos.append(process_upload(stored.read()))
    return photos


def _after_intake(request: HttpRequest, report: Report, draft: Draft | None) -> None:
    missing = [
        q.code
        for q in report.category.questions.all()
        if q.required and q.code not in report.answers
    ]
    if missing:
        TimelineEntry.objects.create(
            issue=report.issue,
            kind=TimelineEntry.Kind.INTERNAL_NOTE,
            public=False,
            actor=account(request.user),
            **entry_fields(
                lambda: (
                    _("Taken on the phone: answers to complete (%(codes)s).")
                    % {"codes": ", ".join(missing)}
                ),
                {"report": report.pk, "missing_answers": missing},
            ),
        )
    if draft is not None:
        Draft.objects.filter(pk=draft.pk, report__isnull=True).update(report=report)
        # The chosen ones are the report's photos now (cleaned): the raw files go.
        drop_attachments(Draft.objects.filter(pk=draft.pk))
    record(request.user, "report.intake", report, after={"channel": report.channel})
    if report.reporter is not None and report.reporter.email:
        enqueue(tasks.send_tracking_code, report.pk)


def _render_form(
    request: HttpRequest,
    draft: Draft | None,
    values: dict[str, Any],
    *,
    errors: Any,
    closed_draft: str = "",
    status: int = 200,
) -> HttpResponse:
    categories = (
        Category.objects.filter(active=True, handled_by_municipality=True)
        .select_related("group")
        .prefetch_related("questions")
        .order_by("group__order", "order")
    )
    notice, notice_issue = _draft_notice(closed_draft) if closed_draft else ("", None)
    chosen = str(values.get("category", ""))
    # What was typed is kept only for the category the form showed it for.
    typed = request.POST if request.POST.get("questions_for") == chosen else QueryDict()
    answer_errors = _answer_errors(errors)
    blocks = [
        _question_block(category, chosen, typed, answer_errors)
        for category in categories
        if category.questions.all()
    ]
    shown = next((b for b in blocks if b["shown"]), None)
    anchors = {q["code"]: (q["id"], q["label"]) for q in (shown["questions"] if shown else [])}
    return render(
        request,
        "backoffice/intake.html",
        {
            "draft": draft,
            "draft_notice": notice,
            "draft_notice_issue": notice_issue,
            # A fresh key for each form shown: it files at most once.
            "form_key": uuid.uuid4().hex,
            "values": values,
            "errors": list(_error_lines(errors, questions=anchors)),
            "categories": categories,
            "question_blocks": blocks,
            "questions_shown": shown is not None,
            "answer_max": MAX_TEXT_ANSWER,
            "channels": [
                (Channel.PHONE, Channel.PHONE.label),
                (Channel.COUNTER, Channel.COUNTER.label),
                (Channel.EMAIL, Channel.EMAIL.label),
            ],
            "config": {**map_start(), "categoriesUrl": reverse("api-category-list")},
            "submit_url": reverse("office-intake-submit"),
        },
        status=status,
    )


def _question_block(
    category: Category, chosen: str, typed: QueryDict, errors: Mapping[str, str]
) -> dict[str, Any]:
    """A category's questions as the form draws them, in the operator's language."""
    shown = category.code == chosen
    questions = [
        question_field(
            question,
            f"answer-{category.code}-{question.code}",
            typed.getlist(ANSWER_PREFIX + question.code) if shown else [],
            errors.get(question.code, "") if shown else "",
        )
        for question in category.questions.all()
    ]
    return {"code": category.code, "shown": shown, "questions": questions}


def _answer_errors(errors: Any) -> dict[str, str]:
    """The validator's message for each question it refused, by question code."""
    nested = errors.get("answers") if isinstance(errors, dict) else None
    if not isinstance(nested, dict):
        return {}
    return {str(code): " ".join(_messages(found)) for code, found in nested.items()}


def _messages(errors: Any) -> Iterable[str]:
    if isinstance(errors, list | tuple):
        return [str(e) for e in errors]
    return [str(errors)]


def _error_lines(
    errors: Any, field: str = "", questions: Mapping[str, tuple[str, str]] | None = None
) -> Iterator[tuple[str, str, str]]:
    """Flatten the serializer's errors into (input id, field label, message) lines.

    A field's errors can nest: the answers by question (named by the question the form
    shows, `questions`: code to input id and label), the photos by position.
    """
    if isinstance(errors, dict):
        for name, nested in errors.items():
            if field == "answers" and questions and str(name) in questions:
                input_id, question = questions[str(name)]
                yield from ((input_id, question, message) for message in _messages(nested))
            else:
                yield from _error_lines(nested, field or str(name), questions)
    elif isinstance(errors, list | tuple):
        for nested in errors:
            yield from _error_lines(nested, field, questions)
    else:
        label = FIELD_LABELS.get(field, "")
        anchor = FIELD_ANCHORS.get(field, field) if label else ""
        yield anchor, str(label), str(errors)
