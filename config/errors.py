"""The page for a failed CSRF check (settings.CSRF_FAILURE_VIEW), in the site's look.

Django's own view renders 403_csrf.html without the request, so no header, footer or language
switcher; this one renders it with the request, like the 404 and 403 pages. The APIs never get
here: DRF's views check CSRF themselves (JSON), and every Open311 view is CSRF-exempt.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form and how to send it again; `reason` is Django's, already logged."""
    return render(request, "403_csrf.html", status=403)
