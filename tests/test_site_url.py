"""SITE_URL, the address in e-mails and open data: where `make run` serves in development,
required in production (config/settings.py)."""

import os
import subprocess
import sys

# Variables of the machine running the tests that would change what the settings read.
FROM_THE_SHELL = {"SECRET_KEY", "DEBUG", "SITE_URL", "HOST", "PORT", "ALLOWED_HOSTS"}
PRODUCTION = {
    "SEGNALA_ENV": "production",
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "x.it",
    "MUNICIPALITY_NAME": "Comune di Vignola",
    "DEFAULT_FROM_EMAIL": "segnala@comune.vignola.mo.it",
    "TRUSTED_PROXIES": "1",
}


def settings_site_url(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in FROM_THE_SHELL}
    return subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.SITE_URL)"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_development_links_point_where_make_run_serves() -> None:
    result = settings_site_url(HOST="192.168.1.20", PORT="8123")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://192.168.1.20:8123"


def test_a_wildcard_bind_address_links_to_loopback() -> None:
    """HOST=0.0.0.0 serves the LAN; http://0.0.0.0:8123/ in an e-mail leads nowhere."""
    for wildcard in ("0.0.0.0", "::"):
        assert settings_site_url(HOST=wildcard, PORT="8123").stdout.strip() == (
            "http://127.0.0.1:8123"
        )


def test_development_without_host_and_port_links_to_the_default_address() -> None:
    assert settings_site_url().stdout.strip() == "http://127.0.0.1:8000"


def test_production_refuses_to_start_without_site_url() -> None:
    result = settings_site_url(**PRODUCTION, HOST="0.0.0.0", PORT="80")

    assert result.returncode != 0
    assert "SITE_URL must be the public address" in result.stderr


def test_production_refuses_a_site_url_that_is_not_an_address() -> None:
    result = settings_site_url(**PRODUCTION, SITE_URL="segnala.comune.example")

    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


def test_production_starts_with_site_url_and_keeps_it() -> None:
    result = settings_site_url(**PRODUCTION, SITE_URL="https://segnala.comune.example/")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://segnala.comune.example"
