"""Segnala settings: every knob is a typed environment variable with a safe development default.

`SEGNALA_ENV=production` turns on the production checks: the process refuses to start with the
development secret key, with DEBUG on, without ALLOWED_HOSTS or without SITE_URL.
"""

import datetime as dt
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-segnala-key"  # noqa: S105 - refused in production below


class Env(environ.Env):
    """django-environ, but a malformed value names its variable instead of a bare ValueError."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):  # type: ignore[no-untyped-def]
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Environment variable {var} is malformed: {exc}") from exc


env = Env()

SEGNALA_ENV = env.str("SEGNALA_ENV", default="development")
if SEGNALA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"SEGNALA_ENV must be 'development' or 'production', not {SEGNALA_ENV!r}"
    )
PRODUCTION = SEGNALA_ENV == "production"

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address people reach the site at, for links in e-mails and open data (no request to read
# it from). In development, where `make run` serves (bin/serve binds HOST:PORT); in production
# nothing can guess it, so it must be given.
# A wildcard bind address (HOST=0.0.0.0 to serve the LAN) is no address to link to.
_dev_host = env.str("HOST", default="127.0.0.1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")  # noqa: S104 - compared with, never bound
_dev_host = "127.0.0.1" if _dev_host in WILDCARD_HOSTS else _dev_host
DEV_SITE_URL = f"http://{_dev_host}:{env.int('PORT', default=8000)}"
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else DEV_SITE_URL).rstrip("/")

if PRODUCTION:
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("SECRET_KEY must be set to a random value of at least 40 characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the public host names")
    site = urlsplit(SITE_URL)
    if site.scheme not in {"http", "https"} or not site.netloc:
        problems.append("SITE_URL must be the public address, e.g. https://segnala.example.org")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "csp",
    "axes",
    "geo",
    "reports",
    "clustering",
    "routing",
    "maps_static",
    "backoffice",
    "outbox",
    "open311",
    "care",
    "inbox",
    "insights",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.limits.RequestSizeLimit",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.segnala",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgis://postgres@127.0.0.1:5432/segnala",
        engine="django.contrib.gis.db.backends.postgis",
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Statements run this many times on a connection become server-side prepared statements:
# PostgreSQL plans them once per connection instead of every time (bench/scale.py: planning
# was most of the database's work per submission; 6.7 -> 5.2 ms of its CPU). 0 turns it off
# (client-side binding, Django's default): needed behind PgBouncer in transaction mode.
# (psycopg's own 0 means "prepare at once"; here 0 means never.)
DB_PREPARE_THRESHOLD = env.int("DB_PREPARE_THRESHOLD", default=3)
if DB_PREPARE_THRESHOLD < 0:
    raise ImproperlyConfigured("DB_PREPARE_THRESHOLD must be 0 (off) or a positive count.")
if DB_PREPARE_THRESHOLD > 0:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": DB_PREPARE_THRESHOLD}
    )
# A streaming read replica for public reads (config/db_router.py, docs/scaling.md).
REPLICA_DATABASE_URL = env.str("REPLICA_DATABASE_URL", default="")
REPLICA_MAX_LAG_S = env.float("REPLICA_MAX_LAG_S", default=5.0)
REPLICA_CHECK_S = env.float("REPLICA_CHECK_S", default=2.0)
REPLICA_PUBLIC_PATHS = ["/map/", "/issues/", "/api/v1/issues/", "/open311/v2/"]
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = env.db_url_config(
        REPLICA_DATABASE_URL, engine="django.contrib.gis.db.backends.postgis"
    )
    DATABASES["replica"].update(
        {"CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": True}
    )
    DATABASE_ROUTERS = ["config.db_router.PublicReadsToReplica"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": env.cache_url("CACHE_URL", default="rediscache://127.0.0.1:6379/1"),
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis outage costs speed, not requests (config/cache.py); fail fast when it is down.
    CACHES["default"]["BACKEND"] = "config.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="it")
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Media are served by Django only where no web server or object store does it (development).
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=not PRODUCTION)

# Files only staff may fetch, through a view that checks who asks (photo originals kept by
# moderation): never under MEDIA_ROOT, which is served to everyone.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
# Moderation keeps a redacted photo's original and an edited description's old text (staff
# only) when the municipality's privacy policy allows it.
MODERATION_KEEP_ORIGINALS = env.bool("MODERATION_KEEP_ORIGINALS", default=True)

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    }
elif STORAGE_BACKEND == "s3":
    # S3-compatible object storage (AWS, MinIO, Ceph...); django-storages reads AWS_* below.
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
    AWS_DEFAULT_ACL = None
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "private", "default_acl": "private", "querystring_auth": True},
    }
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'filesystem' or 's3'")
STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: the web form downsizes photos in the browser; API clients may send originals.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
PHOTO_MAX_SIDE_PX = env.int("PHOTO_MAX_SIDE_PX", default=2560)
PHOTO_THUMBNAIL_PX = env.int("PHOTO_THUMBNAIL_PX", default=320)
PHOTOS_PER_REPORT = 5
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Room for five photos at the configured size plus the form.
DATA_UPLOAD_MAX_NUMBER_FILES = PHOTOS_PER_REPORT + 1

# Map and territory.
TILE_URL = env.str("TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = env.str(
    "TILE_ATTRIBUTION",
    default=(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
)
LEAFLET_CONFIG = {
    "TILES": [("OpenStreetMap", TILE_URL, {"attribution": TILE_ATTRIBUTION, "maxZoom": 19})],
    "DEFAULT_CENTER": (60.1699, 24.9384),
    "DEFAULT_ZOOM": 14,
    "RESET_VIEW": False,
}
# Duplicates: a report joins an open issue whose latest report is at most this old.
DUPLICATE_WINDOW_DAYS = env.float("DUPLICATE_WINDOW_DAYS", default=60.0)
# "Already reported?" suggestions look this far around the citizen's pin (FixMyStreet: 250 m).
NEARBY_SUGGESTION_RADIUS_M = env.float("NEARBY_SUGGESTION_RADIUS_M", default=250.0)
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="112")
MUNICIPALITY_NAME = env.str("MUNICIPALITY_NAME", default="Segnala demo")

# Working-day calendar (SLA): Italian national holidays plus the patron saint's day (MM-DD).
PATRON_SAINT_DAY = env.str("PATRON_SAINT_DAY", default="06-24")

# Reverse geocoding: "offline" uses the nearest street of the loaded territory; "nominatim"
# asks NOMINATIM_URL and falls back to the offline answer when it fails.
GEOCODER = env.str("GEOCODER", default="offline")
if GEOCODER not in {"offline", "nominatim"}:
    raise ImproperlyConfigured("GEOCODER must be 'offline' or 'nominatim'")
NOMINATIM_DOMAIN = env.str("NOMINATIM_DOMAIN", default="nominatim.openstreetmap.org")
NOMINATIM_USER_AGENT = env.str("NOMINATIM_USER_AGENT", default="segnala")
GEOCODER_TIMEOUT_S = env.float("GEOCODER_TIMEOUT_S", default=5.0)

# Open311 GeoReport v2 (/open311/v2/): see open311/ and the README.
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="")
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")
OPEN311_MEDIA_CONNECT_TIMEOUT_S = env.float("OPEN311_MEDIA_CONNECT_TIMEOUT_S", default=3.0)
OPEN311_MEDIA_READ_TIMEOUT_S = env.float("OPEN311_MEDIA_READ_TIMEOUT_S", default=5.0)
OPEN311_MEDIA_TOTAL_TIMEOUT_S = env.float("OPEN311_MEDIA_TOTAL_TIMEOUT_S", default=15.0)
# Networks media_url may reach although private or local (CIDR list; tests allow 127.0.0.1).
OPEN311_MEDIA_ALLOWED_NETWORKS = env.list("OPEN311_MEDIA_ALLOWED_NETWORKS", default=[])
for _network in OPEN311_MEDIA_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"OPEN311_MEDIA_ALLOWED_NETWORKS: {_exc}") from _exc

# Crew routes: the price of lateness. A stop of priority p reached an hour late costs as much
# as p x this many minutes of driving (priorities run ~40-200). 0.05 meets the routing targets
# (30% less driving than most-urgent-first when the day's work fits); 0.1 keeps more SLA
# deadlines at the cost of driving about as much as dispatching by hand (README, Crew routes).
ROUTING_WEIGHT_PER_PRIORITY_POINT = env.float("ROUTING_WEIGHT_PER_PRIORITY_POINT", default=0.05)
if ROUTING_WEIGHT_PER_PRIORITY_POINT <= 0:
    raise ImproperlyConfigured("ROUTING_WEIGHT_PER_PRIORITY_POINT must be positive")

# Celery.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Celery closes the database connection around every task unless told to reuse it: a new
# PostgreSQL session per task, whose first PostGIS query costs ~40 ms of database CPU
# (bench/scale.py). Reused instead, as the web does (CONN_MAX_AGE), and closed after a task
# that failed or will retry (config/celery.py), so a dropped connection is replaced.
CELERY_DB_REUSE_MAX = 1000
# Publishing must not hang a request when the broker is down: the outbox keeps the message.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A task taken by a worker that died unacknowledged goes back to the queue after this long
    # (acks_late): longer than the longest task.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_S", default=3600),
    # Look for such tasks every 10 s (kombu's default looks every 100 s).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {
        "task": "outbox.tasks.relay_outbox",
        "schedule": env.float("OUTBOX_RELAY_S", default=15.0),
    },
    "refresh-open-priorities": {
        "task": "reports.tasks.refresh_open_priorities",
        "schedule": env.float("PRIORITY_REFRESH_S", default=900.0),
    },
    "escalate-overdue": {
        "task": "care.tasks.escalate_overdue",
        "schedule": env.float("ESCALATION_SWEEP_S", default=300.0),
    },
    "invite-ratings": {
        "task": "care.tasks.invite_ratings",
        "schedule": env.float("RATING_INVITATION_SWEEP_S", default=600.0),
    },
    "send-office-digests": {
        "task": "care.tasks.send_daily_digests",
        "schedule": 900.0,
    },
    "poll-inbox": {
        "task": "inbox.tasks.poll_mailbox",
        "schedule": env.float("INBOX_POLL_S", default=120.0),
    },
    "publish-open-data": {
        "task": "insights.tasks.publish_open_data",
        "schedule": crontab(hour=3, minute=30),
    },
    "apply-retention": {
        "task": "privacy.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=15),
    },
}
# The offices' daily report goes out at this local hour (0-23), or at the first run after it.
DIGEST_HOUR = env.int("DIGEST_HOUR", default=7)
if not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("DIGEST_HOUR must be an hour from 0 to 23")
BROKER_HEALTH_TIMEOUT_S = 2.0
# The worker logs through LOGGING below (config/celery.py), so its records are masked too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Personal data (privacy/): retention periods and the citizen's own access without an account.
PRIVACY_RETENTION_CLOSED_MONTHS = env.int("PRIVACY_RETENTION_CLOSED_MONTHS", default=24)
PRIVACY_RETENTION_INACTIVE_MONTHS = env.int("PRIVACY_RETENTION_INACTIVE_MONTHS", default=36)
PRIVACY_LINK_MAX_AGE_S = env.int("PRIVACY_LINK_MAX_AGE_S", default=24 * 3600)
PRIVACY_REQUESTS_PER_HOUR = env.int("PRIVACY_REQUESTS_PER_HOUR", default=5)
for _name in ("PRIVACY_RETENTION_CLOSED_MONTHS", "PRIVACY_RETENTION_INACTIVE_MONTHS"):
    if not 1 <= globals()[_name] <= 1200:
        raise ImproperlyConfigured(f"{_name} must be a number of months between 1 and 1200")

# E-mail and PEC intake (inbox): an IMAP mailbox polled by Celery beat; off without a host.
INBOX_IMAP_HOST = env.str("INBOX_IMAP_HOST", default="")
INBOX_IMAP_PORT = env.int("INBOX_IMAP_PORT", default=993)
INBOX_IMAP_SSL = env.bool("INBOX_IMAP_SSL", default=True)
INBOX_IMAP_USER = env.str("INBOX_IMAP_USER", default="")
INBOX_IMAP_PASSWORD = env.str("INBOX_IMAP_PASSWORD", default="")
INBOX_IMAP_FOLDER = env.str("INBOX_IMAP_FOLDER", default="INBOX")
# Where filed messages go (empty: they stay in INBOX_IMAP_FOLDER, marked seen).
INBOX_PROCESSED_FOLDER = env.str("INBOX_PROCESSED_FOLDER", default="")
INBOX_IMAP_TIMEOUT_S = env.float("INBOX_IMAP_TIMEOUT_S", default=30.0)
# An attachment larger than this is not kept (the draft says so); a message larger than
# INBOX_MESSAGE_MAX_BYTES is filed from its headers alone.
INBOX_ATTACHMENT_MAX_BYTES = env.int("INBOX_ATTACHMENT_MAX_BYTES", default=PHOTO_MAX_BYTES)
INBOX_MESSAGE_MAX_BYTES = env.int("INBOX_MESSAGE_MAX_BYTES", default=50 * 1024 * 1024)

# Statistics and open data (insights).
# A new issue of the same category within this distance of a closed one is a recurrence.
RECURRENCE_RADIUS_M = env.float("RECURRENCE_RADIUS_M", default=30.0)
# The licence written into every open-data file (an SPDX identifier).
OPEN_DATA_LICENCE = env.str("OPEN_DATA_LICENCE", default="CC-BY-4.0")

# E-mail.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds a mail server may take to answer. smtplib waits for ever by default, and some sends
# happen under row locks (an escalation sweep holds its recipient's issues while it sends).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="segnala@localhost")
# Staff pages (the back office, the crew's route page...) send people without a session here.
LOGIN_URL = "login"
# Without a `next`, backoffice.views.StaffLoginView sends crews to their route instead.
LOGIN_REDIRECT_URL = "office-queue"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "reports.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Reverse proxies in front of the application (for the client address of rate limits).
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
}
# Anonymous submissions, "me too" and address look-ups per client address
# (reports/throttles.py): reports filed, and every submission attempt, refused ones included
# (the cap on a flood of bad requests).
SUBMISSIONS_RATE = env.str("SUBMISSIONS_RATE", default="30/hour")
SUBMISSION_ATTEMPTS_RATE = env.str("SUBMISSION_ATTEMPTS_RATE", default="120/hour")
SUPPORT_RATE = env.str("SUPPORT_RATE", default="60/hour")
# The citizen form's address search and the street read out each time the pin moves.
GEOCODE_RATE = env.str("GEOCODE_RATE", default="600/hour")
SPECTACULAR_SETTINGS = {
    "TITLE": "Segnala API",
    "DESCRIPTION": "Citizen reports, issues and categories of the municipality.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Security. Cookies are HTTPS-only in production; HSTS and the HTTPS redirect are for the
# deployment to turn on once HTTPS works end to end (they are hard to take back).
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# A refused form gets the site's page in the person's language (Django's is bare English).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
X_FRAME_OPTIONS = "DENY"
# Content security policy (django-csp): our own scripts, styles and fonts only; images also
# from the tile server. The admin (django-leaflet's widgets) and the Swagger UI need inline
# scripts and are left out; they are for staff.
_tiles = urlsplit(TILE_URL)
TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc}" if _tiles.netloc else ""
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *([TILE_ORIGIN] if TILE_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Brute force on the login (django-axes): an account and address are locked for a while after
# a few failures.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXIES", default=0)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Requests larger than this are refused before their body is read (config/limits.py): five
# photos at their largest and the form around them.
MAX_REQUEST_BYTES = env.int(
    "MAX_REQUEST_BYTES", default=PHOTOS_PER_REPORT * PHOTO_MAX_BYTES + 1024 * 1024
)

# Every handler masks e-mail addresses and phone numbers (privacy/logging.py). Django's own
# loggers lose their default handlers and propagate here: those have no filter, and
# mail_admins would mail a failed request's POST data (contacts) to the administrators.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "privacy.logging.MaskPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        # redis-py gives this logger a stderr handler of its own unless it already exists.
        "push_response": {"handlers": [], "propagate": True},
        # Pillow's DEBUG output dumps every EXIF tag it reads, the GPS position included.
        "PIL": {"level": "INFO"},
        # Axes logs a banner at every start and a line per failed login (with the username).
        "axes": {"level": "WARNING"},
    },
}

# GDAL 3.6 (Debian 12) cannot sandbox spatial-reference look-ups; Segnala never parses an SRS
# supplied by a user (every geometry it accepts is built as SRID 4326 in geo.units).
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
