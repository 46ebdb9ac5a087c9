"""The page for a failed CSRF check (settings.CSRF_FAILURE_VIEW), in the site's look.

Django's own view renders 403_csrf.html without the request, so no header, footer or language
switcher; this one renders it with the request, like the 404 and 403 pages. The API answers in
its own formats: DRF's views check CSRF themselves (JSON), and any other view under /api/ or
/open311/ that fails the middleware's check gets JSON or Open311's error list, never HTML.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from open311.render import errors as open311_errors


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form and how to send it again; `reason` is Django's, already logged."""
    path = request.path_info
    if path.startswith(("/api/", "/open311/")):
        message = _("CSRF check failed: send the CSRF token with a session, or use no session.")
        if path.startswith("/open311/"):
            return open311_errors("xml" if path.endswith(".xml") else "json", 403, message)
        return JsonResponse({"detail": message}, status=403)
    return render(request, "403_csrf.html", status=403)
