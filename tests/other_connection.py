"""Run database work on a second connection, as another process would, while a test holds one."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection, transaction


def on_another_connection(work: Callable[[], Any]) -> Any:
    """Run `work` in a transaction of another connection, waiting at most 1 s for any lock.

    Return what it returned, or the OperationalError of the lock timeout: a row the caller
    holds makes it wait, then fail.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                outcome.append(work())
        except OperationalError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]
