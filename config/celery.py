import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("segnala")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Log through settings.LOGGING, whose handlers mask personal data, not Celery's own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@task_postrun.connect
def close_spoilt_connections(task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    """Keep a healthy database connection for the next task; drop one a task may have spoilt.

    Celery reuses connections (CELERY_DB_REUSE_MAX). After a task that failed or will retry,
    every connection is closed, so the retry starts on a new one (a restarted or failed-over
    database); after a success, Django's own rule closes what is unusable or older than
    CONN_MAX_AGE, as after a web request.
    """
    from django.db import close_old_connections, connections

    if task is not None and task.request.is_eager:
        return  # run in the caller's process (the demo loader, tests): its connection
    if state == "SUCCESS":
        close_old_connections()
    else:
        connections.close_all()
