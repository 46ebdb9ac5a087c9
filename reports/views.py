"""The citizen's pages: the report form, the tracking page and the public issue page.

Thin views: they read through reports.querysets and render templates. The form itself talks
to the REST API (/api/v1/) from reports/static/reports/submit.js. No page here reads Reporter
or photo_location: they are personal data.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from care.actions import rating_refusal
from care.links import rating_path
from care.models import Rater, Rating
from geo.querysets import map_start
from reports.actions import confirm_reporter
from reports.models import (
    PUBLIC_STATUS,
    CloseReason,
    Issue,
    Photo,
    PublicStatus,
    Report,
    Status,
    Subscription,
    TimelineEntry,
)
from reports.notify import read_confirmation_token
from reports.querysets import public_issues, public_photos, public_timeline
from routing.models import RouteStop

# What the citizen form offers for the urgency (1-5), in words.
URGENCY_CHOICES: list[tuple[int, Promise]] = [
    (1, _("Not urgent")),
    (2, _("Low")),
    (3, _("Normal")),
    (4, _("High")),
    (5, _("Very high")),
]
# The longest side of a photo after the browser shrinks it (the server allows more).
BROWSER_PHOTO_MAX_SIDE_PX = 2048
# An issue may gather hundreds of reports: the pages show the first ones only.
PAGE_PHOTOS = 12
PAGE_DESCRIPTIONS = 20
PAGE_TIMELINE = 100

_TRACKING_SEPARATORS = re.compile(r"[\s\-_.]+")


@ensure_csrf_cookie
def submit_page(request: HttpRequest) -> HttpResponse:
    """The citizen's report form; the map starts on the municipality's territory."""
    config: dict[str, Any] = {
        **map_start(),
        "categoriesUrl": reverse("api-category-list"),
        "addressSearchUrl": reverse("api-address-search"),
        "addressAtUrl": reverse("api-address-at"),
        "reportsUrl": reverse("api-report-create"),
        "maxPhotos": settings.PHOTOS_PER_REPORT,
        "maxSidePx": BROWSER_PHOTO_MAX_SIDE_PX,
    }
    return render(
        request,
        "reports/submit.html",
        {"config": config, "urgency_choices": URGENCY_CHOICES, "default_urgency": 3},
    )


def normalize_tracking_code(raw: str) -> str | None:
    """Return a tracking code as stored ('K7QM-2XPA') from what a person typed, or None.

    Case, spaces and a missing or different separator are forgiven: codes are read out on
    the phone and copied from paper.
    """
    compact = _TRACKING_SEPARATORS.sub("", raw).upper()
    if len(compact) != 8 or not compact.isalnum():
        return None
    return f"{compact[:4]}-{compact[4:]}"


@require_http_methods(["GET"])
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The "Follow your report" form: go to the tracking page of the code typed (?code=)."""
    code = request.GET.get("code", "")[:100]
    normalized = normalize_tracking_code(code)
    if normalized is None:
        # The tracking page's own "no report with this code" message, with what was typed.
        return render(request, "reports/track.html", {"code": code, "issue": None}, status=400)
    return redirect("track", normalized)


@never_cache
def track_page(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter's page: their tracking code and the public state of the issue.

    Once the issue is closed it links to the rating page (care) with a link signed for the
    person behind the report: the code is the reporter's secret, so whoever holds it rates
    as the reporter, whether or not they left an e-mail address. Not cached: the page holds
    that link.
    """
    normalized = normalize_tracking_code(code)
    report = None
    if normalized:
        report = (
            Report.objects.filter(tracking_code=normalized)
            .only("id", "tracking_code", "emergency", "issue_id", "reporter_id", "match")
            .annotate(issue_hidden=F("issue__hidden"))
            .first()
        )
    if report is None:
        return render(request, "reports/track.html", {"code": code, "issue": None}, status=404)
    if report.issue_hidden:
        # Hidden by moderation: its reporter is told so (the code is their secret), nothing of
        # the issue is shown.
        withdrawn = {"code": report.tracking_code, "issue": None, "withdrawn": True}
        return render(request, "reports/track.html", withdrawn)
    context = issue_context(report.issue_id)
    # "Call 112 now" is for the moments after the report: once the issue is closed it would
    # only alarm (and role="alert" reads it out on every visit).
    emergency = report.emergency and context["issue"].status != Status.CLOSED
    context.update(
        {
            "report": report,
            "joined": bool(report.match.get("joined")),
            "emergency_number": settings.EMERGENCY_NUMBER if emergency else None,
        }
    )
    if rating_refusal(context["issue"]) is None:
        rater = Rater.of_report(report)
        context["rate_path"] = rating_path(report.issue_id, rater)
        context["rating"] = Rating.objects.filter(
            issue_id=report.issue_id, **rater.lookup()
        ).first()
    return render(request, "reports/track.html", context)


def issue_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The public page of an issue: status, timeline, photos; no personal data."""
    return render(request, "reports/issue.html", issue_context(pk))


@dataclass(frozen=True)
class TimelineItem:
    label: str
    status_label: str
    close_reason_label: str
    text: str
    created_at: datetime
    # The other issue of a merge, when the public may see it: its page is linked.
    other_issue: int | None = None


@dataclass(frozen=True)
class ReportSummary:
    description: str
    created_at: datetime
    language: str  # what the description was written in: its HTML lang


def issue_context(pk: int) -> dict[str, Any]:
    """Read what the public may see of an issue, in a fixed number of queries; 404 if hidden."""
    issue = public_issues().select_related("category__group", "merged_into").filter(pk=pk).first()
    if issue is None:
        raise Http404("No such issue.")
    entries = list(public_timeline().filter(issue=issue)[:PAGE_TIMELINE])
    photos: list[Photo] = list(
        public_photos().filter(report__issue=issue).only("image", "thumbnail")[:PAGE_PHOTOS]
    )
    descriptions = [
        ReportSummary(*row)
        for row in issue.reports.filter(hidden=False)
        .exclude(description="")
        .order_by("created_at")
        .values_list("description", "created_at", "language")[:PAGE_DESCRIPTIONS]
    ]
    # The crew's photo of the finished work (routing.actions.finish_stop): closed issues only.
    after_photos = []
    if issue.status == Status.CLOSED:
        after_photos = list(
            RouteStop.objects.filter(issue=issue, state=RouteStop.State.DONE)
            .exclude(after_photo="")
            .order_by("-state_changed_at")
            .only("after_photo")[:PAGE_PHOTOS]
        )
    return {
        "issue": issue,
        "after_photos": after_photos,
        "public_status": PublicStatus(issue.public_status),
        "close_reason_label": CloseReason(issue.close_reason).label if issue.close_reason else "",
        "timeline": timeline_items(issue, entries),
        "photos": photos,
        "descriptions": descriptions,
        # Distinct people (reporters and "me too"), as the priority counts them.
        "people": issue.people,
        # A merged issue's people and reports are counted on the issue it went into.
        "merged": issue.merged_into_id is not None,
        "merged_into": (
            issue.merged_into if issue.merged_into and not issue.merged_into.hidden else None
        ),
    }


def timeline_items(issue: Issue, entries: list[TimelineEntry]) -> list[TimelineItem]:
    """Public timeline lines, each merge linked to the other issue when that one is public."""
    others = {entry.pk: merge_partner(issue, entry) for entry in entries}
    # Hidden issues are not linked (their page is a 404). The issue this one went into was
    # read with it; others take one query, on pages that have a merge only.
    public: set[int] = set()
    if issue.merged_into and not issue.merged_into.hidden:
        public.add(issue.merged_into.pk)
    unknown = {other for other in others.values() if other is not None} - {issue.merged_into_id}
    if unknown:
        public |= set(public_issues().filter(pk__in=unknown).values_list("pk", flat=True))
    return [
        timeline_item(entry, others[entry.pk] if others[entry.pk] in public else None)
        for entry in entries
    ]


def merge_partner(issue: Issue, entry: TimelineEntry) -> int | None:
    # clustering.actions.merge_issues writes {"source": id, "target": id} on both issues.
    if entry.kind != TimelineEntry.Kind.MERGED:
        return None
    source, target = entry.data.get("source"), entry.data.get("target")
    other = target if source == issue.pk else source
    return other if isinstance(other, int) and other != issue.pk else None


def timeline_item(entry: TimelineEntry, other_issue: int | None = None) -> TimelineItem:
    # The public sees its three statuses, never the internal workflow ("new, to triage").
    status_label = str(PUBLIC_STATUS[Status(entry.status)].label) if entry.status else ""
    return TimelineItem(
        label=str(entry.get_kind_display()),
        status_label=status_label,
        close_reason_label=entry.get_close_reason_display() if entry.close_reason else "",
        text=entry.shown_text,
        created_at=entry.created_at,
        other_issue=other_issue,
    )


# The secret token is the only credential: mail providers' one-click unsubscribe (RFC 8058)
# POSTs without a CSRF token, and a forged POST would need the token anyway.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """Stop a follower's e-mails about one issue: GET asks to confirm, POST does it."""
    subscription = Subscription.objects.filter(token=token).select_related("issue").first()
    if subscription is None:
        return render(request, "reports/unsubscribe.html", {"subscription": None}, status=404)
    if request.method == "POST" and subscription.active:
        Subscription.objects.filter(pk=subscription.pk).update(active=False)
        subscription.active = False
    return render(request, "reports/unsubscribe.html", {"subscription": subscription})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_email_page(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm an e-mail address from the link we mailed it: GET asks, POST confirms.

    A GET changes nothing: mail scanners open links, and only the owner's click counts.
    """
    found = read_confirmation_token(token)
    if found is None:
        return render(request, "reports/confirm.html", {"invalid": True}, status=404)
    reporter_id, issue_id = found
    context: dict[str, Any] = {"issue_id": issue_id}
    if request.method == "POST":
        person = confirm_reporter(reporter_id, issue_id)
        if person is None:
            return render(request, "reports/confirm.html", {"invalid": True}, status=404)
        context["person"] = person
    return render(request, "reports/confirm.html", context)


# Browsers ask for /favicon.ico on pages that link no icon (the admin, the API's JSON) and
# log a 404 otherwise. A redirect, not the file: static() gives the hashed name in production.
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Redirect to the site's icon among the static files."""
    return redirect(static("reports/favicon.ico"))
