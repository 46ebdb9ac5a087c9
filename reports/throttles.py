"""Rate limits on what anyone can do without an account (DRF throttles on the cache)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class CitizenThrottle(SimpleRateThrottle):
    """Per client address (per account when logged in), at the rate a setting names.

    The rate is read when a request comes (not at import), so a deployment or a test can
    change it; behind a reverse proxy REST_FRAMEWORK["NUM_PROXIES"] finds the client address.
    """

    setting = ""

    def get_rate(self) -> str:
        return str(getattr(settings, self.setting))

    def get_cache_key(self, request, view) -> str:  # type: ignore[no-untyped-def]
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle:{self.scope}:{ident}"


class SubmissionThrottle(CitizenThrottle):
    scope = "submissions"
    setting = "SUBMISSIONS_RATE"


class SupportThrottle(CitizenThrottle):
    scope = "support"
    setting = "SUPPORT_RATE"
