"""The site's URLs and error handlers plus views that fail, for the error pages' tests
(pytest.mark.urls): a 500 on a page and under /api/ (a plain view and a DRF one), and a plain
view under /api/ that reads its form, so Django refuses the body before any DRF view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.request import Request

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate failure for the 500 page's test")


@api_view(["GET"])
def fail_in_drf(request: Request) -> HttpResponse:
    raise RuntimeError("a deliberate failure in a DRF view")


def read_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.POST)))


urlpatterns = [
    path("test-server-error/", fail),
    path("api/v1/test-server-error/", fail),
    path("api/v1/test-drf-server-error/", fail_in_drf),
    path("api/v1/test-form/", read_form),
    *site_urlpatterns,
]
