"""JSON errors for the API: a message per field, in the user's language, never a 500 for input."""

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from rest_framework import status
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
    return drf_exception_handler(exc, context)
