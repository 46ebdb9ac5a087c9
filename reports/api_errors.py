"""JSON errors for the API: a message per field, in the user's language, never a 500 for input."""

import math
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Add the request-size errors Django raises while parsing to DRF's JSON errors."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        return Response({"detail": _("Too many files or fields.")}, status=400)
    if isinstance(exc, Throttled):
        # DRF's own text is half translated; say it plainly, in minutes.
        minutes = max(1, math.ceil((exc.wait or 60) / 60))
        response = Response(
            {
                "detail": ngettext(
                    "Too many requests from here: try again in %(n)d minute.",
                    "Too many requests from here: try again in %(n)d minutes.",
                    minutes,
                )
                % {"n": minutes}
            },
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(math.ceil(exc.wait or 60))
        return response
    return drf_exception_handler(exc, context)
