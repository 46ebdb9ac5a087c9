"""JSON errors for the API: a message per field, in the user's language, never a 500 for input.

Every error under /api/ is JSON of one shape, `{"detail": "..."}` (or a message per field):
those of DRF's views through `exception_handler` (settings.REST_FRAMEWORK), whatever the
view answers when it succeeds (the schema's YAML, Swagger UI's page, a GPX file), and those
Django answers before or without a DRF view (an unknown path, a Host the site does not serve,
a form over DATA_UPLOAD_MAX_NUMBER_FIELDS, a server error) through `django_error`, which the
site's error handlers (config/errors.py) call for /api/ paths.
"""

import math
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"
GET_OBJECT_OR_404 = re.compile(r"^No \w+ matches the given query\.$")


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the REST API (its schema and Swagger UI included)."""
    return request.path_info.startswith(API_PREFIX)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's JSON errors, plus the request-size errors Django raises while parsing, a 429 in
    plain words and get_object_or_404's 404 translated; JSON whatever the view's format."""
    if isinstance(exc, Http404) and GET_OBJECT_OR_404.match(str(exc)):
        # get_object_or_404's "No Department matches the given query." is English and names
        # the model; say it as DRF's own 404 does, translated. A message of ours stays.
        exc = NotFound()
    response = _size_error(exc) or _throttled(exc) or drf_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        # An error is JSON even from a view whose answer is YAML, HTML or GPX.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def _size_error(exc: Exception) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        return Response({"detail": _("Too many files or fields.")}, status=400)
    return None


def _throttled(exc: Exception) -> Response | None:
    if not isinstance(exc, Throttled):
        return None
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


def django_error(
    request: HttpRequest, status_code: int, exc: Exception | None = None
) -> HttpResponse:
    """The JSON answer for an error Django met outside a DRF view, in the request's language.

    `status_code` is the one Django chose (400, 403, 404 or 500); a request body over Django's
    limits keeps the status and message DRF's views give it (413, or 400 for too many fields).
    Nothing of the request (its Host, its path) is echoed.
    """
    # Picked from the request as LocaleMiddleware does: a 400 or a 500 may come before it ran.
    with translation.override(translation.get_language_from_request(request)):
        sized = _size_error(exc) if exc is not None else None
        if sized is not None:
            data, status_code = sized.data, sized.status_code
        else:
            detail = {
                400: ParseError.default_detail,
                403: PermissionDenied.default_detail,
                404: NotFound.default_detail,
            }.get(status_code) or _(
                "Something went wrong on our side, and we have been told about it. "
                "Please try again in a few minutes."
            )
            data = {"detail": str(detail)}
    # Rendered as DRF renders its own errors, byte for byte.
    renderer = JSONRenderer()
    return HttpResponse(renderer.render(data), content_type=renderer.media_type, status=status_code)
