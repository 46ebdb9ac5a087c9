import os
import subprocess
import sys

import pytest
from django.test import Client


def test_healthz_reports_database_and_broker(client: Client, db: None) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_says_when_the_broker_is_down(client: Client, db: None, settings: object) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
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
        SITE_URL="https://segnala.comune.example",
    )

    assert result.returncode == 0, result.stderr


def test_bad_typed_setting_fails_loudly() -> None:
    result = settings_import(PHOTO_MAX_BYTES="lots")

    assert result.returncode != 0
    assert "PHOTO_MAX_BYTES is malformed" in result.stderr
