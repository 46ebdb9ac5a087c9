"""Bearer links stay out of the logs: gunicorn's access log wrote every path and Referer.

A tracking code, the e-mailed links to rate, to see and erase one's personal data, to
unsubscribe, an external body's link and a password reset's token are each enough to act as
their owner; the access log held them in full (bin/serve runs gunicorn with --access-logfile -).
"""

import io
import logging
from pathlib import Path

import pytest
from gunicorn.config import Config

from config.gunicorn_logging import MaskedLogger
from privacy.logging import mask_personal_data

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "/t/K7QM-2XPA/": "/t/[secret]/",
    "/t/?code=k7qm2xpa": "/t/?code=[secret]",
    "/care/rate/eyJpIjo0Mn0:1xViHb:abc/reopen/": "/care/rate/[secret]/reopen/",
    "/care/me/eyJyIjoyfQ:1xViHb:def/": "/care/me/[secret]/",
    "/privacy/data/eyJmIjoi:1xViHb:ghi/delete/": "/privacy/data/[secret]/delete/",
    "/unsubscribe/eyJzIjo5fQ:1xV:jkl/": "/unsubscribe/[secret]/",
    "/external/eyJmIjozfQ:1xV:mno/": "/external/[secret]/",
    "/account/reset/Mw/cz5m1k-0123456789abcdef/": "/account/reset/Mw/[secret]/",
}


@pytest.mark.parametrize(("path", "masked"), SECRETS.items())
def test_the_secret_of_a_bearer_link_is_masked(path: str, masked: str) -> None:
    assert mask_personal_data(f'"GET {path} HTTP/1.1" 200') == f'"GET {masked} HTTP/1.1" 200'


@pytest.mark.parametrize(
    "path", ["/issues/17/", "/account/reset/sent/", "/t/", "/static/reports/segnala.css"]
)
def test_paths_without_a_secret_stay_readable(path: str) -> None:
    assert mask_personal_data(f"GET {path}") == f"GET {path}"


def test_gunicorns_access_lines_go_through_the_mask() -> None:
    logger = MaskedLogger(Config())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.addHandler(handler)
    try:
        # What gunicorn's access() does: the format with the request's atoms.
        logger.access_log.info(
            '%(r)s %(s)s "%(f)s"',
            {"r": "GET /t/K7QM-2XPA/ HTTP/1.1", "s": "200", "f": "http://x/privacy/data/tok/"},
        )
    finally:
        logger.access_log.removeHandler(handler)

    line = stream.getvalue()
    assert "K7QM-2XPA" not in line and "/privacy/data/tok/" not in line
    assert "GET /t/[secret]/ HTTP/1.1 200" in line


def test_the_server_of_make_run_uses_the_masked_logger() -> None:
    assert "--logger-class config.gunicorn_logging.MaskedLogger" in (ROOT / "bin/serve").read_text()
