"""Forwarding to external bodies (utilities, the waste company, other authorities).

Staff forward an issue with a message and a deadline; the body gets an e-mail with a signed
link to a page where it answers, and closes its part, without an account. Its lateness is the
forwarding's own (`due_at` against `answered_at`), apart from the department's SLA.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backoffice import tasks
from backoffice.audit import record
from backoffice.models import Forwarding
from config.actors import Actor, account
from geo.models import ExternalBody
from outbox.actions import enqueue
from reports.models import Status, TimelineEntry
from reports.querysets import public_photos
from reports.sla import add_working_days
from reports.workflow import TransitionRefused, change_status, lock_issue

SALT = "segnala.forwarding"
# The body's link works for this long; a forwarding is rarely open longer.
LINK_MAX_AGE_S = 180 * 24 * 3600


def forward_issue(
    issue_id: int,
    *,
    actor: Actor,
    body: ExternalBody,
    message: str,
    due_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Forwarding:
    """Send the issue to an external body; it waits for the body (public: under review).

    Without `due_at`, the body's own answer time in working days. The e-mail with the signed
    link leaves once the transaction commits.
    """
    if not message.strip():
        raise TransitionRefused(_("Write the message for the external body."))
    if not body.email:
        raise TransitionRefused(
            _("%(body)s has no e-mail address: add it in the configuration first.")
            % {"body": body.name}
        )
    now = timezone.now()
    due_at = due_at or add_working_days(now, body.response_days, settings.LOCAL_HOLIDAYS)
    if due_at <= now:
        raise TransitionRefused(_("The deadline must be in the future."))
    with transaction.atomic():
        lock_issue(issue_id, expected_version)
        waiting = Forwarding.objects.filter(issue_id=issue_id, body=body, resolved=False).first()
        if waiting is not None:
            raise TransitionRefused(
                _(
                    "%(body)s already has this issue and has not closed its part: it answers"
                    " through the link it received on %(date)s."
                )
                % {"body": body.name, "date": formats.date_format(waiting.created_at)}
            )
        forwarding = Forwarding.objects.create(
            issue_id=issue_id, body=body, message=message, due_at=due_at, created_by=account(actor)
        )
        change_status(
            issue_id,
            Status.WAITING_EXTERNAL,
            actor=actor,
            public_text=lambda: (
                _("Forwarded to %(body)s, the competent body.") % {"body": body.name}
            ),
            data={"forwarding": forwarding.pk, "body": body.pk},
        )
        record(
            actor, "issue.forward", forwarding.issue, after={"body": body.code, "due_at": due_at}
        )
        enqueue(tasks.send_forwarding, forwarding.pk)
    return forwarding


def answer_forwarding(forwarding_id: int, *, answer: str, resolved: bool) -> Forwarding:
    """Record the body's answer; the issue goes back to its department to follow up.

    A body may answer more than once (a first reply, then "done"); each answer is kept on
    the timeline, for staff only.
    """
    if not answer.strip():
        raise TransitionRefused(_("Write your answer."))
    now = timezone.now()
    with transaction.atomic():
        forwarding = (
            Forwarding.objects.select_for_update().select_related("body").get(pk=forwarding_id)
        )
        if forwarding.resolved:
            raise TransitionRefused(_("This request is already closed. Thank you."))
        first = forwarding.answered_at is None
        forwarding.answer = answer
        forwarding.answered_at = forwarding.answered_at or now
        forwarding.resolved = resolved
        forwarding.save(update_fields=["answer", "answered_at", "resolved"])
        TimelineEntry.objects.create(
            issue_id=forwarding.issue_id,
            kind=TimelineEntry.Kind.EXTERNAL_ANSWER,
            public=False,
            text=answer,
            data={"forwarding": forwarding.pk, "resolved": resolved, "late": forwarding.late},
            created_at=now,
        )
        issue, _before = lock_issue(forwarding.issue_id, None)
        if (resolved or first) and issue.status == Status.WAITING_EXTERNAL:
            change_status(issue.pk, Status.ASSIGNED, actor=None)
        record(None, "forwarding.answer", forwarding, after={"resolved": resolved})
    return forwarding


def signed_link(forwarding: Forwarding) -> str:
    """The body's answer page, signed: the link is the only credential."""
    token = signing.dumps({"f": forwarding.pk}, salt=SALT)
    return settings.SITE_URL + reverse("external-answer", args=[token])


def forwarding_for(token: str) -> Forwarding | None:
    """Return the forwarding a link was made for, or None for a forged or expired link."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE_S)
    except signing.BadSignature:
        return None
    return (
        Forwarding.objects.select_related("body", "issue__category")
        .filter(pk=data.get("f"))
        .first()
    )


@require_http_methods(["GET", "POST"])
def external_page(request: HttpRequest, token: str) -> HttpResponse:
    """The external body's page: the request, the issue's public facts, and the answer form."""
    forwarding = forwarding_for(token)
    if forwarding is None:
        return render(request, "backoffice/external.html", {"forwarding": None}, status=404)
    if request.method == "POST":
        try:
            answer_forwarding(
                forwarding.pk,
                answer=request.POST.get("answer", "")[:4000],
                resolved=request.POST.get("resolved") == "1",
            )
        except TransitionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you: the municipality has your answer."))
        return redirect("external-answer", token=token)
    issue = forwarding.issue
    return render(
        request,
        "backoffice/external.html",
        {
            "forwarding": forwarding,
            "issue": issue,
            "descriptions": list(
                issue.reports.filter(hidden=False)
                .exclude(description="")
                .values_list("description", flat=True)[:20]
            ),
            "photos": list(public_photos().filter(report__issue=issue)[:12]),
        },
    )
