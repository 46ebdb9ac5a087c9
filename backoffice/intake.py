"""Phone and counter intake: the switchboard files a report in a few seconds, and completes
e-mail drafts into reports.

The report goes through the same checks, clustering and notifications as a citizen's
(reports.actions.submit_report); only the category's required answers may wait, and the
issue's timeline says which ones are missing. The caller gets the tracking code read out
on the phone, and by e-mail when they give an address.
"""

from dataclasses import replace
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework import serializers

from backoffice import tasks
from backoffice.audit import record
from backoffice.models import Draft
from backoffice.roles import Verb
from backoffice.views import staff_required
from config.actors import account
from config.ids import parse_id
from geo.querysets import map_start
from outbox.actions import enqueue
from reports.actions import PhotoStorageError, submit_report
from reports.models import Category, Channel, Report, TimelineEntry
from reports.photos import PhotoError, ProcessedPhoto, process_upload
from reports.serializers import ReportSubmissionSerializer


class IntakeSerializer(ReportSubmissionSerializer):
    """The citizen's submission, as staff take it: other channels, answers may come later."""

    answers_required = False
    channel = serializers.ChoiceField(
        choices=[Channel.PHONE, Channel.COUNTER, Channel.EMAIL], default=Channel.PHONE
    )
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], default=settings.LANGUAGE_CODE
    )


@staff_required(Verb.INTAKE)
def intake_page(request: HttpRequest) -> HttpResponse:
    """The quick form: where, what, who called; with ?draft=<id>, an e-mail draft to complete."""
    draft = _open_draft(request.GET.get("draft"))
    initial: dict[str, Any] = {"channel": Channel.PHONE}
    if draft is not None:
        initial = {
            "channel": Channel.EMAIL,
            "description": "\n".join(p for p in (draft.subject, draft.text) if p)[:4000],
            "name": draft.sender_name,
            "email": draft.sender_email,
            "phone": draft.sender_phone,
        }
    return _render_form(request, draft, initial, errors={})


@staff_required(Verb.INTAKE)
@require_POST
def intake_submit(request: HttpRequest) -> HttpResponse:
    """File the report; show the tracking code to read out, or the form again with errors."""
    draft = _open_draft(request.POST.get("draft"))
    data = request.POST.copy()
    data.setlist("photo", cast(list[Any], request.FILES.getlist("photo")))
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
        form.to_new_report(language=form.validated_data["language"], user=None), photos=photos
    )
    try:
        with transaction.atomic():
            report = submit_report(new)
            _after_intake(request, report, draft)
    except PhotoStorageError:
        messages.error(request, _("The photos could not be stored just now. Try again."))
        return _render_form(request, draft, request.POST.dict(), errors={}, status=503)
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
    draft = get_object_or_404(Draft, pk=pk, report__isnull=True)
    with transaction.atomic():
        Draft.objects.filter(pk=draft.pk).update(discarded=True)
        record(request.user, "draft.discard", draft)
    messages.success(request, _("Message set aside."))
    return redirect("office-drafts")


def _open_draft(raw: str | None) -> Draft | None:
    draft_id = parse_id(raw)
    if draft_id is None:
        return None
    return (
        Draft.objects.filter(pk=draft_id, report__isnull=True, discarded=False)
        .prefetch_related("attachments")
        .first()
    )


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
        with translation.override(settings.LANGUAGE_CODE):
            text = _("Taken on the phone: answers to complete (%(codes)s).") % {
                "codes": ", ".join(missing)
            }
        TimelineEntry.objects.create(
            issue=report.issue,
            kind=TimelineEntry.Kind.INTERNAL_NOTE,
            public=False,
            actor=account(request.user),
            text=text,
            data={"report": report.pk, "missing_answers": missing},
        )
    if draft is not None:
        Draft.objects.filter(pk=draft.pk, report__isnull=True).update(report=report)
    record(request.user, "report.intake", report, after={"channel": report.channel})
    if report.reporter is not None and report.reporter.email:
        enqueue(tasks.send_tracking_code, report.pk)


def _render_form(
    request: HttpRequest,
    draft: Draft | None,
    values: dict[str, Any],
    *,
    errors: Any,
    status: int = 200,
) -> HttpResponse:
    categories = (
        Category.objects.filter(active=True, handled_by_municipality=True)
        .select_related("group")
        .order_by("group__order", "order")
    )
    return render(
        request,
        "backoffice/intake.html",
        {
            "draft": draft,
            "values": values,
            "errors": errors,
            "categories": categories,
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
