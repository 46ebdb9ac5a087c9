"""The site's URLs plus one view that fails, for the 500 page's tests (pytest.mark.urls)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate failure for the 500 page's test")


urlpatterns = [path("test-server-error/", fail), *site_urlpatterns]
