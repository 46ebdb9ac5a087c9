"""Segnala's rows as Open311 resources: services, service definitions, requests, updates.

A service is an active category; a service request is a public issue (the physical problem,
which owns status, department and SLA), so several citizens' reports of one pothole are one
request. Only public columns are read: never Reporter, never photo_location.
"""

from collections.abc import Iterable
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext as _

from reports.answers import EARLIEST_DATE_ANSWER, MAX_NUMBER_ANSWER, MIN_NUMBER_ANSWER
from reports.models import (
    Category,
    CloseReason,
    Issue,
    Photo,
    Question,
    Report,
    Status,
    TimelineEntry,
)
from reports.public_answers import public_answers, published_codes
from reports.querysets import public_issues

DATATYPES = {
    Question.Kind.TEXT: "string",
    Question.Kind.NUMBER: "number",
    Question.Kind.DATE: "datetime",
    Question.Kind.CHOICE: "singlevaluelist",
    Question.Kind.MULTICHOICE: "multivaluelist",
}


def datatype_description(kind: str) -> str | None:
    """What reports.answers accepts for a question of `kind`, in the request's language."""
    if kind == Question.Kind.DATE:
        return _(
            "A date, YYYY-MM-DD, from %(earliest)s to today; of a W3C date-time, only the date "
            "is kept."
        ) % {"earliest": EARLIEST_DATE_ANSWER.isoformat()}
    if kind == Question.Kind.NUMBER:
        return _("A number from %(min)d to %(max)d.") % {
            "min": MIN_NUMBER_ANSWER,
            "max": MAX_NUMBER_ANSWER,
        }
    return None


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.questions.all()),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group.name,
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": question.code,
                "datatype": DATATYPES[Question.Kind(question.kind)],
                "required": question.required,
                "datatype_description": datatype_description(question.kind),
                "order": order,
                "description": question.label,
                "values": [{"key": key, "name": name} for key, name in question.choice_labels()],
            }
            for order, question in enumerate(category.questions.all(), start=1)
        ],
    }


def requests_queryset() -> QuerySet[Issue]:
    """Public issues with what a request shows, in one query: first public report and photo."""
    first_report = Report.objects.filter(issue=OuterRef("pk"), hidden=False).order_by(
        "created_at", "id"
    )
    first_photo = Photo.objects.filter(report__issue=OuterRef("pk"), report__hidden=False).order_by(
        "report__created_at", "report_id", "position"
    )
    # The latest public change, not Issue.updated_at: the periodic priority refresh saves
    # every open issue, which is no update a client should see (timeline_issue_time index).
    last_change = TimelineEntry.objects.filter(issue=OuterRef("pk"), public=True).order_by(
        "-created_at"
    )
    return (
        public_issues()
        .select_related("category__group", "category__redirect_body", "department")
        .annotate(
            first_description=Subquery(first_report.values("description")[:1]),
            first_answers=Subquery(first_report.values("answers")[:1]),
            published_codes=published_codes(),
            first_photo=Subquery(first_photo.values("image")[:1]),
            last_change=Subquery(last_change.values("created_at")[:1]),
        )
    )


def service_requests(
    issues: Iterable[Any], request: HttpRequest, *, extensions: bool = False
) -> list[dict[str, Any]]:
    """Represent issues from requests_queryset(); each category's name is translated once.

    (Looking up the active language costs ~70 µs; once per row it was 40% of a 1000-row page.)
    """
    names: dict[int, str] = {}
    result = []
    for issue in issues:
        if issue.category_id not in names:
            names[issue.category_id] = issue.category.name
        result.append(
            service_request(
                issue, request, service_name=names[issue.category_id], extensions=extensions
            )
        )
    return result


def service_request(
    issue: Any, request: HttpRequest, *, service_name: str = "", extensions: bool = False
) -> dict[str, Any]:
    """Represent an issue from requests_queryset() as an Open311 request.

    `issue` is an Issue annotated by requests_queryset (first_description, first_answers,
    published_codes, first_photo, last_change). The extended attributes hold only the answers
    the public may see (reports.public_answers): never a free-text one such as a plate.
    """
    closed = issue.status == Status.CLOSED
    category = issue.category
    agency = issue.department or category.redirect_body
    data: dict[str, Any] = {
        "service_request_id": str(issue.pk),
        "status": "closed" if closed else "open",
        "status_notes": issue.get_close_reason_display() if closed else None,
        "service_name": service_name or category.name,
        "service_code": category.code,
        "description": issue.first_description or "",
        "agency_responsible": agency.name if agency else None,
        "service_notice": None,
        "requested_datetime": issue.first_reported_at,
        "updated_datetime": issue.last_change or issue.first_reported_at,
        "expected_datetime": issue.due_at,
        "address": issue.address,
        "address_id": None,
        "zipcode": None,
        "lat": issue.location.y,
        "long": issue.location.x,
        "media_url": (
            request.build_absolute_uri(default_storage.url(issue.first_photo))
            if issue.first_photo
            else None
        ),
    }
    if extensions:
        answers = public_answers(issue.first_answers, issue.published_codes)
        data["extended_attributes"] = {
            "attributes": [
                {"code": code, "value": _answer_text(value)} for code, value in answers.items()
            ],
            "notes": [_note(entry) for entry in issue.timeline.all()],
        }
    return data


def _answer_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _note(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "datetime": entry.created_at,
        "type": entry.kind,
        "summary": entry.get_kind_display(),
        "status": entry.status or None,
        "description": entry.shown_text,
    }


# mySociety's servicerequestupdates statuses (FixMyStreet's Open311 back-end vocabulary).
CLOSED_UPDATE_STATUS = {
    CloseReason.FIXED: "fixed",
    CloseReason.SCHEDULED: "action_scheduled",
    CloseReason.FORWARDED: "internal_referral",
    CloseReason.NOT_COMPETENT: "not_councils_responsibility",
    CloseReason.DUPLICATE: "duplicate",
    CloseReason.NOT_REPRODUCIBLE: "unable_to_fix",
}
OPEN_UPDATE_STATUS = {
    Status.NEW: "open",
    Status.REOPENED: "open",
    Status.ASSIGNED: "investigating",
    Status.IN_PROGRESS: "in_progress",
    Status.WAITING_CITIZEN: "investigating",
    Status.WAITING_EXTERNAL: "internal_referral",
}


def update_status(status: str, close_reason: str) -> str:
    """Map a status (and close reason) to mySociety's update status vocabulary."""
    if status == Status.CLOSED:
        return (
            CLOSED_UPDATE_STATUS.get(CloseReason(close_reason), "closed")
            if close_reason
            else "closed"
        )
    return OPEN_UPDATE_STATUS.get(Status(status), "open")


def request_update(entry: TimelineEntry) -> dict[str, Any]:
    """Represent a public timeline entry (status change or reply) as a request update."""
    status = entry.status or entry.issue.status
    close_reason = entry.close_reason or (
        entry.issue.close_reason if status == Status.CLOSED else ""
    )
    return {
        "update_id": str(entry.pk),
        "service_request_id": str(entry.issue_id),
        "status": update_status(status, close_reason),
        "updated_datetime": entry.created_at,
        "description": entry.shown_text or entry.get_kind_display(),
        "media_url": None,
    }
