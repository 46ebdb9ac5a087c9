"""What a Celery task retries on: failures of services that come back by themselves."""

from typing import Any

from django.db import InterfaceError, OperationalError

# The SMTP server, the geocoder, the object store may be down for a while (smtplib's errors
# are OSErrors too).
SERVICE_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError)
# ... and a database connection dropped under a task (a restart, a failover) is replaced
# before the retry.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    *SERVICE_ERRORS,
    OperationalError,
    InterfaceError,
)

# Every task that sends e-mail retries this way. A mail server can be down for hours (the
# provider's incident, a weekend's maintenance), and an e-mail given up is lost: nothing sends it
# again. The wait doubles from 1 s to 30 minutes, then stays there: about a day in all
# (tests/test_mail_retry.py), always under the broker's visibility timeout (an hour).
MAIL_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": False,
    "max_retries": 60,
}
