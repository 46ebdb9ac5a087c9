"""Rate limits on what anyone can do without an account (DRF throttles on the cache)."""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from config.ratelimit import count_call, uncount_call, window_left_s


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


@dataclass(frozen=True)
class CountedCall:
    key: str
    window_s: int
    at: float


# Where SubmissionThrottle leaves its count on the request, for SubmissionView to take back.
COUNTED = "segnala_counted_submission"


class SubmissionThrottle(CitizenThrottle):
    """Reports filed per client (SUBMISSIONS_RATE): a refused submission does not use one up.

    Every submission is counted on arrival, in one atomic call as every limit, so a burst of
    simultaneous good ones gets exactly the allowance; SubmissionView then takes the count back
    unless the answer is a newly filed report (201). So a citizen told "photo too large" or
    "outside the territory" (a 4xx), or refused by a limit (429), or answered a retry's report
    already filed (200), or hit by our own error (5xx), keeps the whole allowance.
    """

    scope = "submissions"
    setting = "SUBMISSIONS_RATE"

    def allow_request(self, request: Any, view: Any) -> bool:
        counted = CountedCall(self.get_cache_key(request, view), self.duration, time.time())
        setattr(request, COUNTED, counted)
        return count_call(counted.key, counted.window_s, counted.at) <= self.num_requests


class SubmissionAttemptThrottle(CitizenThrottle):
    """Every submission per client, filed or refused (SUBMISSION_ATTEMPTS_RATE, more generous
    than SUBMISSIONS_RATE): what stops a flood of bad requests, which SubmissionThrottle no
    longer counts."""

    scope = "submission-attempts"
    setting = "SUBMISSION_ATTEMPTS_RATE"


class SubmissionView(APIView):
    """A view that files reports: both submission limits, and the count of a report not filed
    given back (see SubmissionThrottle)."""

    throttle_classes = [SubmissionAttemptThrottle, SubmissionThrottle]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = None
        try:
            response = super().dispatch(request, *args, **kwargs)
            return response
        finally:
            # Also when the view raised (a 500): the client is not charged for our failure.
            if response is None or response.status_code != 201:
                _give_back(getattr(self, "request", None))


def _give_back(request: Request | None) -> None:
    counted = getattr(request, COUNTED, None)
    if isinstance(counted, CountedCall):
        uncount_call(counted.key, counted.window_s, counted.at)


class SupportThrottle(CitizenThrottle):
    scope = "support"
    setting = "SUPPORT_RATE"


class GeocodeThrottle(CitizenThrottle):
    """The citizen form's address search and the street read out at the pin."""

    scope = "geocode"
    setting = "GEOCODE_RATE"
