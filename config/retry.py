"""What a Celery task retries on: failures of services that come back by themselves."""

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
