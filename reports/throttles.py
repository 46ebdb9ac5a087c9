"""Rate limits on what anyone can do without an account (DRF throttles on the cache)."""

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from config.ratelimit import count_call, window_left_s


class CitizenThrottle(SimpleRateThrottle):
    """Per client address (per account when logged in), at the rate a setting names.

    Counted in clock-aligned windows of the rate's period by config.ratelimit.count_call, as
    every other limit: one atomic Redis call per request. DRF's own throttle reads the list of
    recent request times and writes it back (two calls, and requests arriving together all
    read the same list, so a burst passed the limit).

    The rate is read when a request comes (not at import), so a deployment or a test can
    change it; behind a reverse proxy REST_FRAMEWORK["NUM_PROXIES"] finds the client address.
    """

    setting = ""

    def get_rate(self) -> str:
        return str(getattr(settings, self.setting))

    def get_cache_key(self, request: Any, view: Any) -> str:
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request: Any, view: Any) -> bool:
        # DRF's __init__ parsed the rate: throttles are made anew for every request.
        return count_call(self.get_cache_key(request, view), self.duration) <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends (the 429's Retry-After)."""
        return window_left_s(self.duration)


class SubmissionThrottle(CitizenThrottle):
    scope = "submissions"
    setting = "SUBMISSIONS_RATE"


class SupportThrottle(CitizenThrottle):
    scope = "support"
    setting = "SUPPORT_RATE"


class GeocodeThrottle(CitizenThrottle):
    """The citizen form's address search and the street read out at the pin."""

    scope = "geocode"
    setting = "GEOCODE_RATE"
