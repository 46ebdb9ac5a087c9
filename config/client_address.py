"""The client's address, as every per-address limit of Segnala reads it."""

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """Return the address the request came from, behind settings.TRUSTED_PROXIES proxies.

    DRF's rule (REST_FRAMEWORK["NUM_PROXIES"], which is TRUSTED_PROXIES): the throttles use
    it, and so do the login lockout (django-axes) and the personal-data link requests, so one
    citizen is one address for all of them.
    """
    return str(BaseThrottle().get_ident(request) or "")
