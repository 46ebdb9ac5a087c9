"""Refuse oversized requests before reading their body (a 413 in the user's language)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _


class RequestSizeLimit:
    """A request announcing more than MAX_REQUEST_BYTES is answered at once with 413.

    Runs before the session and the body parsers: nothing of the body is read or stored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            # LocaleMiddleware has not run yet: pick the language from the request here.
            with translation.override(translation.get_language_from_request(request)):
                message = _("This request is too large: at most %(mb)d MB.") % {
                    "mb": settings.MAX_REQUEST_BYTES // (1024 * 1024)
                }
            response = JsonResponse({"detail": message}, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)
