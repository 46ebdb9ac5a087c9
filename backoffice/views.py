"""The back office's pages: the queue (with saved filters and bulk changes) and the issue page
with every action staff take on an issue.

Each view asks backoffice.roles: issues outside the user's scope are 404 (their existence is
not revealed), actions outside the user's role are 403. Changes go through reports.workflow
and clustering.actions, which check the version the person saw and write the audit log.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from backoffice import answers_edit, roles
from backoffice.forms import (
    TEXT_MAX,
    BulkForm,
    CloseForm,
    ForwardForm,
    MergeForm,
    ReassignForm,
    RecategoriseForm,
    ReopenForm,
    SplitForm,
    TextForm,
)
from backoffice.forwarding import forward_issue
from backoffice.hidden_photos import staff_urls
from backoffice.models import Role, SavedFilter, private_storage
from backoffice.questions import question_lead, typed_answers
from backoffice.queue import QueueFilter, filtered
from backoffice.replies import language_names, ready_replies, reporters_languages
from backoffice.roles import Verb
from care.models import Qualification
from clustering.actions import ClusteringRefused, merge_issues, split_reports
from config.actors import account
from config.ids import parse_id
from geo.models import Department
from geo.querysets import map_start
from maps_static.views import priority_colour
from privacy.descriptions import typed_descriptions
from reports import workflow
from reports.answers import MAX_TEXT_ANSWER
from reports.models import (
    OPEN_STATUSES,
    Issue,
    Photo,
    Question,
    Report,
    Status,
    TimelineEntry,
)
from reports.serializers import PRIORITY_FACTOR_LABELS
from reports.workflow import TransitionRefused

PAGE_SIZE = 50


def staff_required(verb: Verb):  # type: ignore[no-untyped-def]
    """Let in only users whose role includes `verb`; others get 403, visitors the login page."""

    def decorate(view):  # type: ignore[no-untyped-def]
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not roles.can(request.user, verb):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def scoped_departments(request: HttpRequest):  # type: ignore[no-untyped-def]
    own = roles.department_scope(request.user)
    departments = Department.objects.order_by("name")
    return departments.filter(pk=own) if own else departments


class StaffLoginView(LoginView):
    """The staff's login; without a `next`, each role lands where it works."""

    template_name = "backoffice/login.html"

    def get_default_redirect_url(self) -> str:
        # A crew member logs in on a phone in the street: today's route, not the desktop queue.
        if roles.role_of(self.request.user) == Role.CREW:
            return reverse("crew-home")
        return reverse("office-queue")


@staff_required(Verb.VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    """Open issues in the user's scope, filtered, sorted and paginated, with bulk changes."""
    departments = scoped_departments(request)
    form = QueueFilter(request.GET or None, departments=departments)
    issues = roles.visible_issues(request.user)
    if form.is_bound and not form.is_valid():
        issues = issues.none()
    else:
        if not form.is_bound:
            form.cleaned_data = {}
        issues = filtered(issues, form, request.user)
    # Fetched apart, not joined: PostgreSQL joins before it sorts, so a join made every sort
    # but the indexed ones order all open issues with their rows (bench/scale.py, 50,000
    # open: ~130 ms a page, ~30 ms without the join).
    issues = issues.prefetch_related("category", "department", "area")
    page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    # The same page of issues on a map beside the list (maps_static's colours for priority).
    map_config = {
        **map_start(),
        "issues": [
            {
                "id": issue.pk,
                "lat": issue.location.y,
                "lon": issue.location.x,
                "colour": priority_colour(issue.priority),
                "late": bool(issue.due_at and issue.due_at < now),
                "label": f"{issue.pk} · {issue.category.name} · {issue.priority:.0f}",
                "url": reverse("office-issue", args=[issue.pk]),
            }
            for issue in page
        ],
    }
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/queue.html",
        {
            "form": form,
            "page": page,
            "now": now,
            "map_config": map_config,
            "query": query.urlencode(),
            "saved_filters": SavedFilter.objects.filter(owner=account(request.user)),
            "bulk_form": BulkForm(departments=Department.objects.order_by("name")),
            "can_act": roles.can(request.user, Verb.ACT),
            "can_intake": roles.can(request.user, Verb.INTAKE),
            "can_stats": roles.can(request.user, Verb.STATS),
            # The reports' CSV (insights.views.staff_export) asks for this verb; operators may
            # not open the statistics page, its only other link.
            "map_departments": [
                d
                for d in departments
                if roles.allowed_for_department(request.user, Verb.VIEW, d.pk)
            ],
        },
    )


@staff_required(Verb.VIEW)
@require_POST
def save_filter(request: HttpRequest) -> HttpResponseRedirect:
    """Name the current queue filter to come back to it."""
    name = request.POST.get("name", "").strip()[:80]
    query = request.POST.get("query", "")[:1000]
    if not name:
        messages.error(request, _("Give the filter a name."))
    else:
        SavedFilter.objects.update_or_create(
            owner=account(request.user), name=name, defaults={"query": query}
        )
        messages.success(request, _("Filter saved."))
    return HttpResponseRedirect(reverse("office-queue") + (f"?{query}" if query else ""))


@staff_required(Verb.VIEW)
@require_POST
def delete_filter(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    SavedFilter.objects.filter(owner=account(request.user), pk=pk).delete()
    return redirect("office-queue")


@staff_required(Verb.ACT)
@require_POST
def bulk(request: HttpRequest) -> HttpResponseRedirect:
    """Assign or change the status of the selected issues, each checked on its own."""
    form = BulkForm(request.POST, departments=Department.objects.all())
    back = reverse("office-queue") + "?" + request.POST.get("query", "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    changed, refused = 0, []
    # Open issues only: a closed one is reopened from its page, with a public reason.
    chosen = roles.visible_issues(request.user).filter(
        pk__in=data["issues"], status__in=OPEN_STATUSES, merged_into__isnull=True
    )
    for issue in chosen:
        try:
            if data["action"] == "assign":
                if not roles.allowed(request.user, Verb.REASSIGN, issue):
                    raise TransitionRefused(_("not allowed"))
                workflow.reassign(
                    issue.pk,
                    actor=request.user,
                    department=data["department"],
                    reason=data["reason"] or _("Assigned from the queue."),
                )
            else:
                workflow.change_status(issue.pk, Status(data["status"]), actor=request.user)
            changed += 1
        except TransitionRefused as exc:
            refused.append(f"#{issue.pk}: {exc}")
    if changed:
        messages.success(
            request,
            ngettext("%(n)s issue changed.", "%(n)s issues changed.", changed) % {"n": changed},
        )
    for message in refused:
        messages.error(request, message)
    return HttpResponseRedirect(back)


@staff_required(Verb.VIEW)
def update_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The photo a citizen sent with an Open311 update, for staff who may see its issue."""
    entry = get_object_or_404(
        TimelineEntry.objects.filter(issue__in=roles.visible_issues(request.user)), pk=pk
    )
    name = entry.data.get("photo") if isinstance(entry.data, dict) else None
    if not isinstance(name, str) or not name:
        raise Http404("No photo with this entry.")
    response = FileResponse(private_storage().open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(Verb.VIEW)
def issue_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one issue for staff, with the actions the user's role allows."""
    issue = get_object_or_404(
        roles.visible_issues(request.user).select_related(
            "category__group", "department", "area", "merged_into", "operator_group"
        ),
        pk=pk,
    )
    contacts = roles.allowed(request.user, Verb.CONTACTS, issue)
    verdict = Qualification.objects.filter(report=OuterRef("pk")).values("verdict")[:1]
    reports = (
        Report.objects.filter(issue=issue)
        .annotate(verdict=Subquery(verdict))
        .order_by("created_at")
    )
    reports = reports.prefetch_related(
        Prefetch(
            "photos",
            queryset=Photo.objects.select_related("hidden_files").only(
                "id",
                "report_id",
                "image",
                "thumbnail",
                "hidden_files__image_name",
                "hidden_files__thumbnail_name",
            ),
        )
    )
    if contacts:
        reports = reports.select_related("reporter")
    listed = list(reports)
    # The questions of every category among the reports, once: for the answers in words
    # and for the forms completing them.
    questions = list(Question.objects.filter(category_id__in={r.category_id for r in listed}))
    label_answers(listed, questions)
    # The same right as the reporter's contact: the text as typed may hold them.
    typed_texts = typed_descriptions(listed) if contacts else {}
    for report in listed:
        setattr(report, "typed_description", typed_texts.get(report.pk, ""))  # noqa: B010
        for photo in report.photos.all():
            # A hidden photo's files are in the private storage: staff open them through a view.
            setattr(photo, "staff_urls", staff_urls(photo))  # noqa: B010
    timeline = list(TimelineEntry.objects.filter(issue=issue).select_related("actor"))
    for entry in timeline:
        # A photo a citizen sent with an Open311 update (open311.actions), for staff only.
        photo = entry.data.get("photo")
        url = reverse("office-update-photo", args=[entry.pk]) if photo else ""
        setattr(entry, "photo_url", url)  # noqa: B010
    user = request.user
    refused, typed = take_typed(request, issue.pk)
    answer_forms_for = roles.allowed(user, ANSWERS_VERB, issue)
    if answer_forms_for:
        answers_edit.answer_forms(listed, questions, typed if refused == "answers" else None)

    reply_languages = reporters_languages(listed)

    def again(*actions: str) -> dict[str, Any] | None:
        return typed if refused in actions else None

    return render(
        request,
        "backoffice/issue.html",
        {
            "issue": issue,
            "reports": listed,
            "timeline": timeline,
            "contacts": contacts,
            "late": issue.due_at is not None and issue.due_at < timezone.now(),
            "priority_terms": priority_terms(issue),
            "reliability": reliability_line(issue.priority_explained),
            "forwardings": issue.forwardings.select_related("body"),
            # The issue came through visible_issues: only the role's verbs are left to ask.
            "may": {verb.value: roles.can(user, verb) for verb in Verb},
            "reply_form": TextForm(prefix="reply", initial=again("reply")),
            "note_form": TextForm(prefix="note", initial=again("note")),
            "close_form": CloseForm(initial=again("close")),
            "reopen_form": ReopenForm(initial=again("reopen")),
            "reassign_form": ReassignForm(initial=again("reassign")),
            "recategorise_form": RecategoriseForm(initial=again("recategorise")),
            "merge_form": MergeForm(initial=again("merge")),
            "forward_form": ForwardForm(initial=again("forward")),
            "moderation_text": (again("hide", "show") or {}).get("text", ""),
            "refused": refused,  # its <details> opens again
            "may_answer": answer_forms_for,
            "answer_max": MAX_TEXT_ANSWER,
            "ready_replies": ready_replies(issue.category_id, reply_languages),
            "reply_languages": language_names(reply_languages),
        },
    )


def priority_terms(issue: Issue) -> list[dict[str, Any]]:
    """The terms of the issue's priority as staff read them: label, value in words, points."""
    explained = issue.priority_explained if isinstance(issue.priority_explained, dict) else {}
    return [
        {
            "label": PRIORITY_FACTOR_LABELS[term["factor"]]()
            if term.get("factor") in PRIORITY_FACTOR_LABELS
            else term.get("factor", ""),
            "value": _term_value(issue, term),
            "points": term.get("points", 0),
        }
        for term in explained.get("terms", [])
    ]


def _term_value(issue: Issue, term: dict[str, Any]) -> Any:
    value = term.get("value", 0)
    if term.get("factor") == "deadline":
        # The value is the fraction of the SLA spent when the priority was last computed.
        if issue.due_at is None:
            return _("no service level")
        return _("%(percent)s%% of the service level used") % {
            "percent": number_format(round(100 * float(value)))
        }
    if term.get("factor") == "emergency":
        return _("yes") if value else _("no")
    return value


def reliability_line(explained: Any) -> str:
    """How the reporters' reliability weighed in the priority, in a sentence ("" if unknown)."""
    found = explained.get("reliability") if isinstance(explained, dict) else None
    if not isinstance(found, dict):
        return ""  # computed before reliability entered the priority
    qualified = int(found.get("qualified_reports", 0))
    if not qualified:
        return _(
            "Reporters' reliability: none of them has been assessed yet, so their urgency "
            "and alarms count as given."
        )
    return ngettext(
        "Reporters' reliability: %(n)s report comes from a reporter already assessed; the "
        "lowest weight is %(weight)s (1: counted as given, less: counts less).",
        "Reporters' reliability: %(n)s reports come from reporters already assessed; the "
        "lowest weight is %(weight)s (1: counted as given, less: counts less).",
        qualified,
    ) % {"n": qualified, "weight": number_format(float(found.get("lowest_weight", 1)), 2)}


def label_answers(reports: Sequence[Report], asked: Sequence[Question]) -> None:
    """Give each report `shown_answers`: (question, answer) in the reader's language.

    `asked`: the questions of every category among the reports (a report keeps the answers
    to its own category's questions, even after the issue changed category). A code no
    question knows any more is shown as it is.
    """
    questions = {(q.category_id, q.code): q for q in asked}
    for report in reports:
        answers = report.answers if isinstance(report.answers, dict) else {}
        # In the form's order: jsonb keeps its keys sorted by length, not as they were given.
        ordered = sorted(answers, key=lambda code: _form_order(questions, report, code))
        shown = [
            _answer(questions.get((report.category_id, code)), code, answers[code])
            for code in ordered
        ]
        setattr(report, "shown_answers", shown)  # noqa: B010


def _form_order(
    questions: dict[tuple[int, str], Question], report: Report, code: str
) -> tuple[int, int, str]:
    question = questions.get((report.category_id, code))
    return (question.order, question.pk, code) if question else (2**31, 0, code)


def _answer(question: Question | None, code: str, value: Any) -> tuple[str, str]:
    options = dict(question.choice_labels()) if question else {}
    keys = value if isinstance(value, list) else [value]
    shown = ", ".join(options.get(str(key), str(key)) for key in keys)
    return question_lead(question.label if question else code), shown


# Each action: the verb the role needs, and what it does with the posted form.
ACTIONS = {
    "reply": Verb.ACT,
    "note": Verb.NOTE,
    "take": Verb.ACT,
    "close": Verb.ACT,
    "reopen": Verb.ACT,
    "reassign": Verb.REASSIGN,
    "recategorise": Verb.REASSIGN,
    "merge": Verb.MERGE,
    "split": Verb.MERGE,
    "hide": Verb.MODERATE,
    "show": Verb.MODERATE,
    "forward": Verb.FORWARD,
    "answers": Verb.ACT,
}
# Completing a report's answers is editing the issue: the roles that reply and close it.
ANSWERS_VERB = ACTIONS["answers"]


@staff_required(Verb.VIEW)
@require_POST
def issue_action(request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
    """Do one action on an issue from its page, then show the page again with the outcome."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    issue = get_object_or_404(roles.visible_issues(request.user), pk=pk)
    if not roles.allowed(request.user, ACTIONS[action], issue):
        raise PermissionDenied
    target = issue.pk
    try:
        target = _do(request, issue, action)
    except (TransitionRefused, ClusteringRefused) as exc:
        messages.error(request, str(exc))
        keep_typed(request, issue.pk, action)
    except FormInvalid as exc:
        for error in exc.errors:
            messages.error(request, error)
        keep_typed(request, issue.pk, action)
    except answers_edit.AnswersRefused as exc:
        for error in exc.lines:
            messages.error(request, error)
        keep_typed(request, issue.pk, action, errors=exc.errors)
    else:
        messages.success(request, _("Done."))
        if not roles.visible_issues(request.user).filter(pk=target).exists():
            return redirect("office-queue")  # e.g. reassigned out of a coordinator's scope
    return redirect("office-issue", pk=target)


# What a person types in each action's form: the form's prefix and its fields. A refused action
# (someone else changed the issue meanwhile, a field missing) shows the page again with them.
TYPED_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reply": ("reply", ("text",)),
    "note": ("note", ("text",)),
    "close": ("", ("reason", "text")),
    "reopen": ("", ("text",)),
    "reassign": ("", ("department", "reason")),
    "recategorise": ("", ("category",)),
    "merge": ("", ("into",)),
    "forward": ("", ("body", "message", "due")),
    "hide": ("moderation", ("text",)),
    "show": ("moderation", ("text",)),
}


def _typed_key(issue_id: int) -> str:
    return f"office-typed-{issue_id}"


def keep_typed(
    request: HttpRequest, issue_id: int, action: str, errors: dict[str, str] | None = None
) -> None:
    """Keep the fields typed in a refused action's form for the next showing of the issue."""
    if action == "answers":
        # One report's answers, named by their questions' codes, and the validator's messages
        # to show next to them.
        kept = {
            "report": parse_id(request.POST.get("report")),
            "answers": typed_answers(request.POST),
            "errors": errors or {},
        }
        request.session[_typed_key(issue_id)] = {"action": action, "typed": kept}
        return
    if action not in TYPED_FIELDS:
        return
    prefix, fields = TYPED_FIELDS[action]
    typed = {
        field: request.POST.get(f"{prefix}-{field}" if prefix else field, "")[:TEXT_MAX]
        for field in fields
    }
    request.session[_typed_key(issue_id)] = {"action": action, "typed": typed}


def take_typed(request: HttpRequest, issue_id: int) -> tuple[str, dict[str, Any]]:
    """The refused action and its typed fields, once (then forgotten); ("", {}) if none."""
    kept = request.session.pop(_typed_key(issue_id), None)
    if not isinstance(kept, dict) or kept.get("action") not in [*TYPED_FIELDS, "answers"]:
        return "", {}
    return kept["action"], dict(kept.get("typed") or {})


class FormInvalid(Exception):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise FormInvalid([str(e) for errors in form.errors.values() for e in errors])
    return form.cleaned_data  # type: ignore[no-any-return]


def _do(request: HttpRequest, issue: Issue, action: str) -> int:
    post, user = request.POST, request.user
    version = _version(post.get("version"))
    if action == "reply":
        text = _valid(TextForm(post, prefix="reply"))["text"]
        workflow.reply_publicly(issue.pk, actor=user, text=text, expected_version=version)
    elif action == "note":
        workflow.add_internal_note(
            issue.pk, actor=user, text=_valid(TextForm(post, prefix="note"))["text"]
        )
    elif action == "take":
        workflow.take_in_charge(issue.pk, actor=user, expected_version=version)
    elif action == "close":
        data = _valid(CloseForm(post))
        workflow.close_issue(
            issue.pk,
            actor=user,
            reason=data["reason"],
            public_text=data["text"],
            expected_version=version,
        )
    elif action == "reopen":
        text = _valid(ReopenForm(post))["text"]
        workflow.reopen_issue(issue.pk, actor=user, public_text=text, expected_version=version)
    elif action == "reassign":
        data = _valid(ReassignForm(post))
        workflow.reassign(
            issue.pk,
            actor=user,
            department=data["department"],
            reason=data["reason"],
            expected_version=version,
        )
    elif action == "recategorise":
        category = _valid(RecategoriseForm(post))["category"]
        workflow.recategorise(issue.pk, actor=user, category=category, expected_version=version)
    elif action == "merge":
        into = _valid(MergeForm(post))["into"]
        target = roles.visible_issues(user).filter(pk=into).first()
        if target is None or not roles.allowed(user, Verb.MERGE, target):
            raise FormInvalid([_("Issue %(id)s does not exist or is not yours.") % {"id": into}])
        with transaction.atomic():
            # Both rows in id order first, as merge_issues and the escalation sweep lock
            # theirs: the source alone first could deadlock with a sweep holding the target.
            list(
                Issue.objects.select_for_update()
                .filter(pk__in=[issue.pk, target.pk])
                .order_by("pk")
            )
            workflow.lock_issue(issue.pk, version)
            merge_issues(issue, target, actor=user)
        return target.pk
    elif action == "split":
        ids = _valid(SplitForm(post))["reports"]
        with transaction.atomic():
            workflow.lock_issue(issue.pk, version)
            return split_reports(issue, ids, actor=user).pk
    elif action == "forward":
        data = _valid(ForwardForm(post))
        due_at = None
        if data["due"]:
            end_of_day = dt.datetime.combine(data["due"], dt.time(23, 59))
            due_at = timezone.make_aware(end_of_day)
        forward_issue(
            issue.pk,
            actor=user,
            body=data["body"],
            message=data["message"],
            due_at=due_at,
            expected_version=version,
        )
    elif action == "answers":
        report_id = parse_id(post.get("report"))
        if report_id is None:
            raise FormInvalid([_("That report is not in this issue any more.")])
        answers_edit.complete_answers(
            issue.pk,
            report_id,
            actor=user,
            typed=typed_answers(post),
            expected_version=version,
        )
    elif action in ("hide", "show"):
        reason = _valid(TextForm(post, prefix="moderation"))["text"]
        workflow.set_hidden(
            issue.pk, actor=user, hidden=action == "hide", reason=reason, expected_version=version
        )
    return issue.pk


def _version(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    version = parse_id(raw)
    if version is None:
        raise FormInvalid([_("The page is out of date: reload it.")])
    return version
