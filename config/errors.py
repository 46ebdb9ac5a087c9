"""The site's error pages (settings.CSRF_FAILURE_VIEW and the handlers in config/urls.py).

People get pages in the site's look, translated; the REST API under /api/ gets JSON of the
shape its DRF errors have (reports/api_errors.py), also for what Django refuses before any
view runs: an unknown path, a Host the site does not serve, a body over Django's limits, a
server error. Open311 answers its own errors in its formats (open311/urls.py's catch-all).
With DEBUG on, Django shows its technical pages instead of any of these.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from reports.api_errors import django_error, is_api


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form and how to send it again; `reason` is Django's, already logged.

    Django's own view renders 403_csrf.html without the request, so no header, footer or
    language switcher; this one renders it with the request, like the 404 and 403 pages. The
    APIs never get here: DRF's views check CSRF themselves (JSON), and every Open311 view is
    CSRF-exempt.
    """
    return render(request, "403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: a bad Host, a malformed or oversized body (JSON under /api/, 413 for the size)."""
    if is_api(request):
        return django_error(request, 400, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return django_error(request, 403, exception)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return django_error(request, 404, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return django_error(request, 500)
    return defaults.server_error(request)
