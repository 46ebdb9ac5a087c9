"""Segnala settings: every knob is a typed environment variable with a safe development default.

`SEGNALA_ENV=production` turns on the production checks (at the end of this module): the
process refuses to start with a development default where a town must choose its own value.
"""

import datetime as dt
import ipaddress
import re
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
    # Public photo URLs are unsigned, so the photo bucket is readable by everyone (a bucket
    # policy, which no object ACL overrides; MinIO has no ACLs at all). The originals kept by
    # moderation must therefore live in a bucket of their own, readable by nobody, served by
    # signed URLs only to staff. Keys keep their "private/" prefix, so the originals of a
    # deployment that had them in the photo bucket move over with one copy of that prefix.
    AWS_PRIVATE_STORAGE_BUCKET_NAME = env.str("AWS_PRIVATE_STORAGE_BUCKET_NAME", default="")
    if AWS_PRIVATE_STORAGE_BUCKET_NAME in {"", AWS_STORAGE_BUCKET_NAME}:
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=s3 needs AWS_PRIVATE_STORAGE_BUCKET_NAME: a bucket without public "
            "access, other than AWS_STORAGE_BUCKET_NAME (whose photos everyone may read), for "
            "the photo originals that only staff may see"
        )
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_PRIVATE_STORAGE_BUCKET_NAME,
            "location": "private",
            "default_acl": "private",
            "querystring_auth": True,
        },
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
# What Leaflet puts for {s} in TILE_URL: "abc" (Leaflet's way: a, b and c), or a comma list
# for longer names ("tile1,tile2").
_subdomains = env.str("TILE_SUBDOMAINS", default="abc").strip()
TILE_SUBDOMAINS = (
    [s.strip() for s in _subdomains.split(",")] if "," in _subdomains else [*_subdomains]
)
if "{s}" in TILE_URL and not (TILE_SUBDOMAINS and all(TILE_SUBDOMAINS)):
    raise ImproperlyConfigured(
        "TILE_SUBDOMAINS must name the subdomains {s} stands for in TILE_URL"
    )
TILE_ATTRIBUTION = env.str(
    "TILE_ATTRIBUTION",
    default=(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    ),
)
# Where maps open while no municipality boundary is loaded ("lat,lon"); once one is, they open
# on it (geo.querysets.territory_view). Unset: Italy as a whole.
MAP_CENTER = tuple(env.list("MAP_CENTER", cast=float, default=[]))
if MAP_CENTER and not (
    len(MAP_CENTER) == 2 and -90 <= MAP_CENTER[0] <= 90 and -180 <= MAP_CENTER[1] <= 180
):
    raise ImproperlyConfigured(
        "MAP_CENTER must be a latitude and a longitude in degrees, e.g. 44.4806,11.0297"
    )
LEAFLET_CONFIG = {
    "TILES": [
        (
            "OpenStreetMap",
            TILE_URL,
            {"attribution": TILE_ATTRIBUTION, "maxZoom": 19, "subdomains": TILE_SUBDOMAINS},
        )
    ],
    "DEFAULT_CENTER": MAP_CENTER or (42.5, 12.5),
    "DEFAULT_ZOOM": 14 if MAP_CENTER else 6,
    "RESET_VIEW": False,
}
# Duplicates: a report joins an open issue whose latest report is at most this old.
DUPLICATE_WINDOW_DAYS = env.float("DUPLICATE_WINDOW_DAYS", default=60.0)
# "Already reported?" suggestions look this far around the citizen's pin (FixMyStreet: 250 m).
NEARBY_SUGGESTION_RADIUS_M = env.float("NEARBY_SUGGESTION_RADIUS_M", default=250.0)
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="112")
DEMO_MUNICIPALITY_NAME = "Segnala demo"  # refused in production below
MUNICIPALITY_NAME = env.str("MUNICIPALITY_NAME", default=DEMO_MUNICIPALITY_NAME)


def _days_of_the_year(variable: str) -> list[str]:
    """Read a comma list of days of the year as MM-DD; a day that is not one stops the process."""
    days = [day.strip() for day in env.str(variable).split(",") if day.strip()]
    for day in days:
        try:
            if not re.fullmatch(r"\d\d-\d\d", day):
                raise ValueError(day)
            dt.date.fromisoformat(f"2000-{day}")  # a leap year: 02-29 is a day of some years
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable}: {day!r} is not a day as MM-DD, month first (03-20 for 20 March); "
                "separate several days with commas"
            ) from None
    return days


# Working-day calendar (SLA): Italian national holidays plus the local ones (MM-DD): the
# patron saint's day (PATRON_SAINT_DAY, default 24 June) and any other (LOCAL_HOLIDAYS, a
# comma list); either variable takes a comma list, and both together count.
_holiday_variables = [v for v in ("PATRON_SAINT_DAY", "LOCAL_HOLIDAYS") if v in env.ENVIRON]
LOCAL_HOLIDAYS = (
    tuple(sorted({day for v in _holiday_variables for day in _days_of_the_year(v)}))
    if _holiday_variables
    else ("06-24",)
)

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
# Tasks defined outside an app's tasks.py, which autodiscovery would not find.
CELERY_IMPORTS = ["config.health"]
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
# Beat sends a heartbeat this often and a worker stamps it (config/health.py); /healthz says
# which of the two is stale once its stamp is older than HEALTH_HEARTBEAT_STALE_S.
HEARTBEAT_S = 60.0
HEALTH_HEARTBEAT_STALE_S = env.int("HEALTH_HEARTBEAT_STALE_S", default=300)
if HEALTH_HEARTBEAT_STALE_S <= 2 * HEARTBEAT_S:
    raise ImproperlyConfigured(
        f"HEALTH_HEARTBEAT_STALE_S must be more than {2 * HEARTBEAT_S:.0f} seconds (two heartbeats)"
    )
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "config.health.heartbeat", "schedule": HEARTBEAT_S},
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
# Staff password-reset e-mails per client address, and per e-mail address (backoffice/account.py).
PASSWORD_RESETS_PER_HOUR = env.int("PASSWORD_RESETS_PER_HOUR", default=5)
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

# Reverse proxies in front of Segnala that each append to X-Forwarded-For (1 behind one nginx);
# the client is the address the outermost of them saw. With 0 it is REMOTE_ADDR, which behind a
# proxy is the proxy's: every citizen would share one rate limit and one login lockout, so
# production must say how many there are (checked below).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("TRUSTED_PROXIES must be 0 or the number of proxies")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "reports.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The client address of rate limits and of the login lockout (config/client_address.py).
    "NUM_PROXIES": TRUSTED_PROXIES,
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
# A TILE_URL with {s} loads from one host per subdomain: each is a source of its own ("{s}"
# in a source is not valid CSP, and the browser would refuse every tile).
_tiles = urlsplit(TILE_URL)
TILE_ORIGINS = (
    sorted(
        {
            f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', sub)}"
            for sub in (TILE_SUBDOMAINS if "{s}" in _tiles.netloc else [""])
        }
    )
    if _tiles.netloc
    else []
)
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *TILE_ORIGINS],
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
# Axes would ask django-ipware, which is not installed, and fall back to REMOTE_ADDR.
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"
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

# Production refuses what only suits a developer's machine or the demo, all problems at once.
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
    if MUNICIPALITY_NAME.strip() in {"", DEMO_MUNICIPALITY_NAME}:
        problems.append("MUNICIPALITY_NAME must be the town's name, e.g. Comune di Vignola")
    _sender = DEFAULT_FROM_EMAIL.strip().rstrip(">")
    if not _sender or _sender.endswith("@localhost"):
        problems.append(
            "DEFAULT_FROM_EMAIL must be the address mail comes from, e.g. segnala@comune.example.it"
        )
    if "TRUSTED_PROXIES" not in env.ENVIRON:
        problems.append(
            "TRUSTED_PROXIES must be set: the number of reverse proxies in front of Segnala (1 "
            "behind one nginx), or 0 if clients connect directly; with 0 behind a proxy every "
            "citizen shares one rate limit and one login lockout"
        )
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
