"""E-mails wait out a mail server's outage of hours: the tasks that send them retry for a day.

They retried 8 times from 1 s, doubling: about 4 minutes, after which a citizen's update, a
caller's tracking code, an external body's request or an emergency alert was lost for good.
"""

import pytest
from celery.utils.time import get_exponential_backoff_interval

from backoffice.tasks import send_forwarding, send_tracking_code
from config.retry import TRANSIENT_ERRORS
from reports.tasks import alert_emergency_contact, send_issue_update

HOUR_S = 3600
VISIBILITY_TIMEOUT_S = 3600  # the broker redelivers a task held longer than this


@pytest.mark.parametrize(
    "task", [send_issue_update, send_tracking_code, send_forwarding, alert_emergency_contact]
)
def test_a_mail_task_keeps_trying_for_a_day_within_the_visibility_timeout(task) -> None:  # type: ignore[no-untyped-def]
    waits = [
        get_exponential_backoff_interval(
            factor=int(task.retry_backoff),
            retries=attempt,
            maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        for attempt in range(task.max_retries)
    ]

    assert sum(waits) >= 24 * HOUR_S
    assert max(waits) < VISIBILITY_TIMEOUT_S
    assert set(task.autoretry_for) >= set(TRANSIENT_ERRORS)
