"""The citizen's rating and reporter pages (signed links, no login) and staff's qualify form.

The rating page's link comes in the e-mail after closure, or from the tracking page of a
report (reports.views.track_page), which makes one for the person behind the report.

No page here shows a name, an e-mail or a phone: the links travel in e-mails that may be
forwarded. Pages behind a signed link are neither cached nor indexed.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from backoffice.models import Role
from backoffice.roles import Verb, allowed, role_of, visible_issues
from care import reliability
from care.actions import LOW_RATING, CareRefused, qualify_report, rate_issue, reopen_after_rating
from care.forms import QualifyForm, RatingForm, ReopenForm
from care.links import read_rating_token, read_reporter_token
from care.models import Qualification, Rating, Verdict
from reports.models import Issue, PublicStatus, Report, Reporter

PAGE_REPORTS = 100


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "care/bad_link.html", status=404))


@never_cache
@require_http_methods(["GET", "POST"])
def rate_page(request: HttpRequest, token: str) -> HttpResponse:
    """Rate a closed issue from the e-mail's link; a low rating offers to reopen it."""
    found = read_rating_token(token)
    if found is None:
        return _bad_link(request)
    issue_id, rater = found
    issue = Issue.objects.select_related("category").filter(pk=issue_id).first()
    if issue is None or not rater.exists():
        return _bad_link(request)
    rating = Rating.objects.filter(issue=issue, **rater.lookup()).first()
    form = RatingForm(
        initial={"stars": rating.stars, "comment": rating.comment} if rating else None
    )
    status = 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                rate_issue(
                    issue.pk, rater, form.cleaned_data["stars"], form.cleaned_data["comment"]
                )
            except CareRefused as refused:
                form.add_error(None, str(refused))
            else:
                return redirect(reverse("care-rate", args=[token]) + "?saved=1")
        status = 400
    context: dict[str, Any] = {
        "issue": issue,
        "rating": rating,
        "form": form,
        "saved": request.GET.get("saved") == "1" and rating is not None,
        "ask_reopen": rating is not None and rating.stars <= LOW_RATING,
        "reopen_form": ReopenForm(),
        "token": token,
    }
    return _private(render(request, "care/rate.html", context, status=status))


@never_cache
@require_POST
def reopen_page(request: HttpRequest, token: str) -> HttpResponse:
    """Reopen the issue the citizen rated low, with their note for the department."""
    found = read_rating_token(token)
    if found is None:
        return _bad_link(request)
    issue_id, rater = found
    issue = get_object_or_404(Issue, pk=issue_id)
    form = ReopenForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            reopen_after_rating(issue.pk, rater, form.cleaned_data["note"])
        except CareRefused as refused:
            error = str(refused)
    else:
        error = _("Your note is too long (at most 2000 characters).")
    if error:
        context = {"issue": issue, "error": error, "token": token}
        return _private(render(request, "care/reopened.html", context, status=400))
    return _private(render(request, "care/reopened.html", {"issue": issue, "token": token}))


@never_cache
def reporter_page(request: HttpRequest, token: str) -> HttpResponse:
    """The reporter's own page: their reports and how reliable staff found them."""
    reporter_id = read_reporter_token(token)
    reporter = Reporter.objects.filter(pk=reporter_id).first() if reporter_id else None
    if reporter is None:
        return _bad_link(request)
    reports = [
        (report, PublicStatus(report.issue.public_status).label)
        for report in Report.objects.filter(reporter=reporter)
        .select_related("issue", "category")
        .order_by("-created_at")[:PAGE_REPORTS]
    ]
    counts = dict(
        Qualification.objects.filter(report__reporter=reporter)
        .values_list("verdict")
        .annotate(n=Count("id"))
        .values_list("verdict", "n")
    )
    verdicts = [(Verdict(value).label, counts.get(value, 0)) for value in Verdict.values]
    context = {
        "reports": reports,
        "verdicts": verdicts,
        "qualified": sum(counts.values()),
        "score_percent": round(reporter.reliability * 100)
        if reporter.reliability is not None
        else None,
        "weight": round(reliability.weight(reporter.reliability), 2),
    }
    return _private(render(request, "care/reporter.html", context))


def may_qualify(user: Any, issue: Issue) -> bool:
    """Operators and coordinators who may act on the issue, or a crew that has it on a route."""
    if allowed(user, Verb.ACT, issue):
        return True
    return role_of(user) == Role.CREW and allowed(user, Verb.VIEW, issue)


def _back(request: HttpRequest, report: Report) -> HttpResponse:
    """Go back to the page the form was on (its `next`), else to the report's issue page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("office-issue", args=[report.issue_id])
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def qualify(request: HttpRequest, report_id: int) -> HttpResponse:
    """Record a verdict on a report from the partial care/_qualify_form.html.

    Whatever happens, the person is back on the page the form was on with a message, or
    sees the site's 404 or 403 page: never a bare text page.
    """
    # Outside the user's scope the report is not found, as everywhere in the back office.
    report = get_object_or_404(
        Report.objects.select_related("issue").filter(issue__in=visible_issues(request.user)),
        pk=report_id,
    )
    if request.method == "GET":
        # A form sent after the session expired comes back here from the login page as a GET:
        # nothing was recorded, so show the issue again rather than a blank 405.
        return redirect("office-issue", report.issue_id)
    if not may_qualify(request.user, report.issue):
        reason = _("You may not qualify reports of this issue.")
        return render(request, "403.html", {"reason": reason}, status=403)
    form = QualifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the verdicts."))
        return _back(request, report)
    try:
        qualify_report(report.pk, request.user, form.cleaned_data["verdict"])
    except CareRefused as refused:
        messages.error(request, str(refused))
        return _back(request, report)
    messages.success(
        request,
        _("Report %(code)s qualified: %(verdict)s.")
        % {"code": report.tracking_code, "verdict": Verdict(form.cleaned_data["verdict"]).label},
    )
    return _back(request, report)
