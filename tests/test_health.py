import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.test import Client

from config.celery import app
from config.health import BEAT_KEY, WORKER_KEY

# What the production refusal asks for, beside SECRET_KEY and ALLOWED_HOSTS.
TOWN = {
    "SITE_URL": "https://segnala.comune.example",
    "MUNICIPALITY_NAME": "Comune di Vignola",
    "DEFAULT_FROM_EMAIL": "segnala@comune.vignola.mo.it",
    "TRUSTED_PROXIES": "1",
}


def healthz() -> dict[str, Any]:
    response = Client().get("/healthz")
    return {"http": response.status_code, **response.json()}


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@contextmanager
def beat(schedule_file: Path, every_s: float) -> Iterator[None]:
    """Celery beat in a thread, sending only the heartbeat, every `every_s` seconds."""
    previous = app.conf.beat_schedule
    app.conf.beat_schedule = {"heartbeat": {"task": "config.health.heartbeat", "schedule": every_s}}
    service = EmbeddedService(app, thread=True, schedule_filename=str(schedule_file))
    service.start()
    try:
        yield
    finally:
        service.stop()
        app.conf.beat_schedule = previous


def test_healthz_reports_database_broker_beat_and_worker(
    transactional_db: None, settings: Any, tmp_path: Path
) -> None:
    """A real beat sends heartbeats through the real broker to a real worker; /healthz tells
    which of them stopped, once its stamp is older than the threshold."""
    settings.HEALTH_HEARTBEAT_STALE_S = 3
    app.control.purge()

    assert healthz() == {
        "http": 503,
        "status": "degraded",
        "database": "ok",
        "broker": "ok",
        "beat": "stale",  # nothing ever stamped: never started
        "worker": "unknown",
    }

    with beat(tmp_path / "beat-schedule", every_s=0.3):
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            wait_for(lambda: healthz()["http"] == 200)
            assert healthz() == {
                "http": 200,
                "status": "ok",
                "database": "ok",
                "broker": "ok",
                "beat": "ok",
                "worker": "ok",
            }
        # The worker is gone; beat goes on sending heartbeats nobody runs.
        wait_for(lambda: healthz()["worker"] != "ok")
        state = healthz()
        assert (state["http"], state["beat"], state["worker"]) == (503, "ok", "stale")
    wait_for(lambda: healthz()["beat"] != "ok")
    assert healthz()["beat"] == "stale" and healthz()["worker"] == "unknown"
    app.control.purge()


def test_healthz_is_ok_with_fresh_stamps_and_says_when_the_broker_is_down(
    client: Client, db: None, settings: Any
) -> None:
    from django.core.cache import cache

    cache.set_many({BEAT_KEY: time.time(), WORKER_KEY: time.time()})
    assert client.get("/healthz").status_code == 200

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", *TOWN}}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-insecure-segnala-key"}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 50, "DEBUG": "true", "ALLOWED_HOSTS": "x.it"}, "DEBUG"),
        ({"SECRET_KEY": "k" * 50}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_development_settings(env: dict[str, str], complaint: str) -> None:
    result = settings_import(SEGNALA_ENV="production", **env)

    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_starts_with_real_settings() -> None:
    result = settings_import(
        SEGNALA_ENV="production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="segnala.comune.example",
        **TOWN,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({"MUNICIPALITY_NAME": ""}, "MUNICIPALITY_NAME must be the town's name"),
        ({"MUNICIPALITY_NAME": "Segnala demo"}, "MUNICIPALITY_NAME must be the town's name"),
        ({"DEFAULT_FROM_EMAIL": ""}, "DEFAULT_FROM_EMAIL must be the address mail comes from"),
        (
            {"DEFAULT_FROM_EMAIL": "Segnala <segnala@localhost>"},
            "DEFAULT_FROM_EMAIL must be the address mail comes from",
        ),
        ({"TRUSTED_PROXIES": ""}, "TRUSTED_PROXIES must be set"),
    ],
)
def test_production_refuses_the_demo_defaults(env: dict[str, str], complaint: str) -> None:
    """Unset (""), a variable takes its development default: the demo's name, mail from
    segnala@localhost, and no proxy, which behind one makes the whole town one client."""
    production = {"SEGNALA_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.it"}
    town = {k: v for k, v in (TOWN | env).items() if v}
    result = settings_import(**production, **town)

    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_takes_a_written_zero_for_trusted_proxies() -> None:
    """Clients that connect directly (no proxy): 0 is a choice, once written."""
    production = {"SEGNALA_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x.it"}
    result = settings_import(**production, **TOWN | {"TRUSTED_PROXIES": "0"})

    assert result.returncode == 0, result.stderr


def test_bad_typed_setting_fails_loudly() -> None:
    result = settings_import(PHOTO_MAX_BYTES="lots")

    assert result.returncode != 0
    assert "PHOTO_MAX_BYTES is malformed" in result.stderr
