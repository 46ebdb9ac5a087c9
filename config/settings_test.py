"""Test settings: only what must differ from config.settings for the suite."""

import os
import tempfile

os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
# Photo originals kept by moderation: a throw-away folder per test run, not var/private.
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="segnala-private-"))

from config.settings import *  # noqa: F403

# Per-process cache, emptied before each test (tests/conftest.py): cached geocoding answers
# must not leak between tests or between parallel workers' databases.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests must not reach the internet: tiles come from a local stub in browser tests.
TILE_URL = "/static/test-tiles/{z}/{x}/{y}.png"
GEOCODER = "offline"
LANGUAGE_CODE = "en"
# Links in e-mails and exports, whatever HOST and PORT the Makefile exports to the suite.
SITE_URL = "http://127.0.0.1:8000"

# Parallel test processes share one broker: each sends to and consumes its own queue, so a
# worker started by one process never takes another's tasks (with another test database).
CELERY_TASK_DEFAULT_QUEUE = f"segnala-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Tests file many reports from one address; tests/test_security.py lowers these itself.
SUBMISSIONS_RATE = "100000/hour"
SUBMISSION_ATTEMPTS_RATE = "100000/hour"
SUPPORT_RATE = "100000/hour"
GEOCODE_RATE = "100000/hour"
