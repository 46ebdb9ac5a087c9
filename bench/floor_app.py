"""The framework's floor for bench/scale.py: the bare-SQL submission behind gunicorn and Django.

    gunicorn bench.floor_app:application   (bench/scale.py starts it as it starts the API)

The site as configured (settings, every middleware, Django REST framework with its default
authentication, parsers and renderer) plus one view, `POST /bench/floor/`, that parses the
same JSON body as `POST /api/v1/reports/` and runs bench.bare_submission's hand-written SQL
through Django's connection in one transaction. What it costs beyond the bare SQL is what the
chosen stack costs before any of Segnala's own code runs: if it is already more than the
issue's 1.5x, no tuning of Segnala's code can reach 1.5x on this stack.
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from django.db import connection, transaction  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from bench.bare_submission import CategoryRow, bare_submission  # noqa: E402

_categories: dict[str, CategoryRow] = {}


class FloorView(APIView):
    def post(self, request: Request) -> Response:
        data: Any = request.data
        try:
            lat, lon, code = float(data["lat"]), float(data["lon"]), str(data["category"])
        except (KeyError, TypeError, ValueError):
            return Response({"detail": "lat, lon and category are required"}, status=400)
        try:
            with transaction.atomic(), connection.cursor() as cur:
                issue_id = bare_submission(cur, lat, lon, code, _categories)
        except LookupError:
            return Response({"detail": "unknown category"}, status=400)
        return Response({"issue": issue_id}, status=201)


urlpatterns = [path("bench/floor/", FloorView.as_view()), path("", include("config.urls"))]
# The resolver reads the setting per request: the site's own URLs plus the floor's view.
settings.ROOT_URLCONF = __name__
