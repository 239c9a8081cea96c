"""One settings module, read from the environment.

The embedded default (no variables set) is what `make run` uses: SQLite, tasks run
in-process after commit, files on local disk, mail to the console.
`DJANGO_ENV=production` turns on every deploy hardening and refuses to start without
a real secret key and explicit hosts.
"""

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


# Typed helpers: a malformed value stops start-up with the variable's name in the message.
def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_keys(name: str, default: str = "") -> dict[str, bytes]:
    """ "id:base64,id:base64" → {id: 32-byte key}, in the order given (the first is current)."""
    import base64
    import binascii

    keys: dict[str, bytes] = {}
    for item in os.environ.get(name, default).split(","):
        key_id, sep, encoded = item.strip().partition(":")
        if not item.strip():
            continue
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            key = b""
        if not sep or not key_id or len(key) != 32:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated id:base64 pairs of 32-byte keys "
                f"(problem with the entry named {key_id!r})"
            )
        keys[key_id] = key
    return keys


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET = "dev-only-secret-key-not-for-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters")

# The audit trail's hash chain is keyed (records.audit): whoever can write the database but
# does not hold this key cannot rewrite the trail so that it still verifies.
_DEV_AUDIT_KEY = "dev-only-audit-chain-key-not-for-production"
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY", "" if PRODUCTION else _DEV_AUDIT_KEY)
if PRODUCTION and (len(AUDIT_CHAIN_KEY) < 32 or AUDIT_CHAIN_KEY == _DEV_AUDIT_KEY):
    raise ImproperlyConfigured(
        "AUDIT_CHAIN_KEY must be set to a random value of 32+ characters, kept outside the "
        "database"
    )
# The chain's head is anchored outside the database once a day: appended to this file (put
# it on storage the database's administrators cannot rewrite) and mailed to these addresses.
AUDIT_ANCHOR_PATH = Path(env_str("AUDIT_ANCHOR_PATH", str(BASE_DIR / "var" / "audit-anchors.log")))
AUDIT_ANCHOR_EMAILS = env_list("AUDIT_ANCHOR_EMAILS", [])

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host names in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Where the site is reached from outside, for links in emails and canonical URLs.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not PRODUCTION and "ALLOWED_HOSTS" not in os.environ:
    # Development: the address the site is served on (make run HOST=… sets SITE_URL) is
    # one it answers to.
    _site_host = urlparse(SITE_URL).hostname
    if _site_host and _site_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_site_host)

INSTALLED_APPS = [
    # The admin site itself requires a verified second factor (cancerfax/admin_site.py).
    "cancerfax.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Trigram search and its GIN index on PostgreSQL; inert on SQLite.
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "simple_history",
    "content",
    "records",
    "navigation",
    "cancerfax",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETags and 304s for every page that may be kept (not those sent with no-store).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cancerfax.security.SessionSecurityMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cancerfax.urls"
WSGI_APPLICATION = "cancerfax.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cancerfax.context_processors.service_contact",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A dead database must give fast 503s, not hung workers.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 3
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several requests at once (files chosen together upload
    # side by side). SQLite allows one writer: IMMEDIATE takes the write lock when a
    # transaction starts, so a second writer waits for it (up to the busy timeout) instead
    # of failing with "database is locked" half-way through; WAL lets readers go on while
    # someone writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# The app runs as a database role that does not own the tables; the owner role runs the
# migrations, and after each `migrate` grants this role what it needs: no UPDATE, DELETE or
# TRUNCATE on the audit trail (records.apps). Empty: no grants (one role, as in development).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses locked-out sign-ins before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: Bootstrap comes from the django-bootstrap-static package, served by
# WhiteNoise from the collected, compressed and fingerprinted copies.
STATIC_URL = "/static/"
# Overridable so a throw-away copy (the benchmark's) never touches the collected tree.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_MAX_AGE = 31536000 if PRODUCTION else 0

# Patient documents live in private storage: a directory outside every served URL
# (no MEDIA_URL is published), or an S3-compatible bucket via STORAGE_BACKEND=s3.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))
_private_storage: dict = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": str(PRIVATE_STORAGE_ROOT),
        "base_url": None,
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    },
}
if env_str("STORAGE_BACKEND") == "s3":
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _private_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads stream to disk in chunks; nothing large is held in memory.
# records.uploads hashes each file and enforces the upload limits while it streams.
FILE_UPLOAD_HANDLERS = ["records.uploads.StreamingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR") or None
# Upload temporary files older than this are left behind by a request that died (the
# longest upload we accept, 1 GB, takes under an hour at 2.5 Mbit/s).
UPLOAD_TEMP_MAX_AGE = env_int("UPLOAD_TEMP_MAX_AGE", 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Documents are encrypted at rest (records/encryption.py): a data key per file, wrapped by
# the first of DOCUMENT_ENCRYPTION_KEYS ("id:base64 of 32 random bytes", comma-separated;
# later ones are still read, until `manage.py rotate_document_keys` re-wraps their files'
# data keys). Development and tests use a fixed, public key; production refuses it.
# DOCUMENT_ENCRYPTION=0 exists to measure what encryption costs (`make bench`); the deploy
# check warns about it (records/checks.py), and production still needs its key.
DOCUMENT_ENCRYPTION = env_bool("DOCUMENT_ENCRYPTION", True)
_DEV_DOCUMENT_KEY = "dev:Y2FuY2VyZmF4LWRldmVsb3BtZW50LWtleS0wMDAwMDA="
DOCUMENT_ENCRYPTION_KEYS = env_keys(
    "DOCUMENT_ENCRYPTION_KEYS", "" if PRODUCTION else _DEV_DOCUMENT_KEY
)
if PRODUCTION and (not DOCUMENT_ENCRYPTION_KEYS or "dev" in DOCUMENT_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "DOCUMENT_ENCRYPTION_KEYS must hold this site's own key in production "
        "(id:base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
    )
if DOCUMENT_ENCRYPTION and not DOCUMENT_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("DOCUMENT_ENCRYPTION is on but DOCUMENT_ENCRYPTION_KEYS is empty")
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_BYTES", 200 * 1024 * 1024)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 40)
UPLOAD_MAX_SUBMISSION_BYTES = env_int("UPLOAD_MAX_SUBMISSION_BYTES", 1024 * 1024 * 1024)
# Anonymous uploads cannot fill private storage: bytes one client (address) may upload
# per hour, counted while the file streams; the total all unsubmitted drafts may hold
# (new draft uploads are refused and coordinators told once when reached); and how long
# a draft nobody submitted is kept, with its files.
UPLOAD_CLIENT_BYTES_PER_HOUR = env_int("UPLOAD_CLIENT_BYTES_PER_HOUR", 2 * 1024**3)
UPLOAD_DRAFTS_MAX_BYTES = env_int("UPLOAD_DRAFTS_MAX_BYTES", 50 * 1024**3)
UPLOAD_DRAFT_MAX_AGE_HOURS = env_int("UPLOAD_DRAFT_MAX_AGE_HOURS", 24)
# Resumable uploads (the tus protocol, records/tus.py). The largest PATCH body (one piece of
# a file) the app takes: the front server's request body limit for the upload URLs
# (nginx client_max_body_size) must be at least this. And how long a half-sent file waits
# for its next piece (renewed by each piece) before its bytes are removed.
UPLOAD_RESUMABLE_MAX_PATCH_BYTES = env_int("UPLOAD_RESUMABLE_MAX_PATCH_BYTES", 16 * 1024 * 1024)
UPLOAD_RESUMABLE_LIFETIME = env_int("UPLOAD_RESUMABLE_LIFETIME", 24 * 3600)
# Where half-sent files wait (encrypted). The pieces of one file may reach any web node, so
# with more than one node this must be a directory they all share (docker-compose.yml: a
# volume), as private storage is; by default the upload temporary directory.
UPLOAD_RESUMABLE_DIR = env_str("UPLOAD_RESUMABLE_DIR") or None
# A ZIP of DICOM images (an imaging CD) is opened only within these limits, so that an
# archive bomb is refused before it is unpacked: at most this many entries; this many bytes
# unpacked in all, and never more than RATIO times the archive's size (overall and per
# entry); entry paths at most DEPTH folders deep (a CD nests five or six) and PATH bytes long.
UPLOAD_ZIP_MAX_ENTRIES = env_int("UPLOAD_ZIP_MAX_ENTRIES", 5000)
UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_ZIP_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
UPLOAD_ZIP_MAX_RATIO = env_int("UPLOAD_ZIP_MAX_RATIO", 100)
UPLOAD_ZIP_MAX_DEPTH = env_int("UPLOAD_ZIP_MAX_DEPTH", 12)
UPLOAD_ZIP_MAX_PATH = env_int("UPLOAD_ZIP_MAX_PATH", 255)

# ClamAV: "tcp://host:port" or "unix:///path/to/clamd.ctl". Production refuses to start
# without one. Empty in development: files are marked "not scanned (no scanner in
# development)" and can be downloaded with that warning, so `make run` works end to end.
CLAMD_ADDRESS = env_str("CLAMD_ADDRESS", "")
if PRODUCTION and not CLAMD_ADDRESS:
    raise ImproperlyConfigured("CLAMD_ADDRESS must name the ClamAV daemon in production")
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 60)

# Cache: Redis when configured (shared by all web processes: rate limits, page cache),
# else process-local memory.
REDIS_URL = env_str("REDIS_URL", "")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
CACHES: dict[str, dict[str, Any]]
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cancerfax"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered public pages, in each web process's memory: their keys carry the content version,
# which every request reads from the shared cache above (content.caching), so an edit reaches
# every process at once while a cached page costs one round trip to Redis, not three.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "pages",
    "TIMEOUT": 24 * 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# Celery. No broker configured: tasks run eagerly, in-process (the embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Only the prefork pool (the worker's default) enforces these limits and keeps a crash in a
# file parser to one child, so the worker stays on it: a threads or solo pool would start a
# review task only ~0.5-1 ms sooner (bench measure 5).
#
# Time limits and the visibility timeout are chosen together. A task is acknowledged only
# when it finishes (acks late), so a SIGKILLed worker's task stays "unacknowledged" in Redis
# and is handed to another worker once it is older than the visibility timeout; the worker
# looks for such tasks every `unacked_restore_interval` seconds. So a killed review resumes
# within visibility timeout + restore interval (3 min + 10 s by default). The visibility
# timeout must stay longer than the hard time limit (or a slow task still running would be
# handed out a second time) and longer than the longest retry countdown (a task waiting for
# its retry is held unacknowledged too). Every task is also idempotent, so an early
# redelivery costs work, never a duplicate.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 180)
CELERY_UNACKED_RESTORE_INTERVAL = env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10)
# Infrastructure errors (database, broker, storage, mail, scanner) are retried with
# exponential backoff and jitter up to this many seconds apart, this many times (about
# six minutes in all), then alerted (cancerfax.tasking.ResilientTask).
TASK_RETRY_BACKOFF_MAX = env_int("TASK_RETRY_BACKOFF_MAX", 60)
TASK_MAX_RETRIES = env_int("TASK_MAX_RETRIES", 10)
# A task is acknowledged only when it finishes, and given back when its worker dies, so a
# killed worker never loses one; tasks are idempotent so a redelivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": CELERY_UNACKED_RESTORE_INTERVAL,
    # Scan for unacknowledged tasks on every interval, not on every tenth.
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# The worker and beat reconnect to the broker forever: a Redis restart must never stop
# them. Publishing from a web request fails fast through its own connections instead
# (cancerfax.tasking.publish: one attempt, 1 s timeouts); the outbox and the periodic
# rescans keep what was not taken.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# A web process that found the broker down skips it for this many seconds.
BROKER_FAILURE_PAUSE = env_int("BROKER_FAILURE_PAUSE", 5)
# Beat stamps its heartbeat on its own ticks (cancerfax.tasking.HeartbeatScheduler) and
# sends the worker's every HEARTBEAT_INTERVAL_SECONDS; /readyz/worker calls one older than
# HEARTBEAT_STALE_SECONDS stale.
CELERY_BEAT_SCHEDULER = "cancerfax.tasking:HeartbeatScheduler"
HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 30)
HEARTBEAT_STALE_SECONDS = env_int("HEARTBEAT_STALE_SECONDS", 120)
# The reconciler (navigation.services.reconcile): re-sends reviews sent but not done after the
# grace period, and finds open cases without a review whatever the outbox says.
RECONCILE_INTERVAL_SECONDS = env_int("RECONCILE_INTERVAL_SECONDS", 60)
RECONCILE_GRACE_SECONDS = env_int("RECONCILE_GRACE_SECONDS", 300)
# Periodic work (celery beat). Every task is idempotent, so an overlap is harmless.
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "cancerfax.heartbeat", "schedule": float(HEARTBEAT_INTERVAL_SECONDS)},
    "reconcile-reviews": {
        "task": "navigation.reconcile_reviews",
        "schedule": float(RECONCILE_INTERVAL_SECONDS),
    },
    "remind-overdue-reviews": {"task": "navigation.remind_overdue_reviews", "schedule": 900.0},
    "rescan-pending-documents": {"task": "records.rescan_pending_documents", "schedule": 300.0},
    "expire-upload-drafts": {"task": "records.expire_upload_drafts", "schedule": 3600.0},
    "clean-upload-temp": {"task": "records.clean_upload_temp", "schedule": 900.0},
    "rescreen-open-cases": {"task": "navigation.rescreen_open_cases", "schedule": 3600.0},
    "rebuild-stale-summaries": {"task": "navigation.rebuild_stale_summaries", "schedule": 600.0},
    "refresh-missing-records": {"task": "navigation.refresh_missing_records", "schedule": 300.0},
    "purge-expired-cases": {"task": "navigation.purge_expired_cases", "schedule": 86400.0},
    "verify-stored-files": {"task": "records.verify_stored_files", "schedule": 86400.0},
    "purge-portal-links": {"task": "navigation.purge_portal_links", "schedule": 3600.0},
    "clear-expired-sessions": {"task": "cancerfax.clear_expired_sessions", "schedule": 3600.0},
    "anchor-audit-chain": {"task": "records.anchor_audit_chain", "schedule": 86400.0},
}
# Closed cases (not suitable, withdrawn, completed) are erased this many days after their
# last event.
RETENTION_DAYS = env_int("RETENTION_DAYS", 730)

# Mail. Development prints messages to the console; production sends through SMTP.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CancerFax navigator <care@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Team addresses that receive every coordinator mail, besides each active coordinator with an
# email address (cancerfax.roles.coordinator_addresses).
COORDINATOR_EMAILS = env_list("COORDINATOR_EMAILS", [])
_mail_backend = env_str("EMAIL_BACKEND", "smtp" if PRODUCTION else "console")
if _mail_backend == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
elif _mail_backend == "console":
    # Decoded, so a link in a message is one line that opens (cancerfax/mail.py).
    MAILERS = {"default": {"BACKEND": "cancerfax.mail.EmailBackend"}}
else:
    raise ImproperlyConfigured("EMAIL_BACKEND must be 'smtp' or 'console'")

# What patients are told after they submit and in the portal: when to expect an answer and
# how to reach us. Empty contact values are left out of the pages.
SERVICE_RESPONSE_TIME = env_str("SERVICE_RESPONSE_TIME", "within 2 working days")
CONTACT_EMAIL = env_str("CONTACT_EMAIL", parseaddr(DEFAULT_FROM_EMAIL)[1])
CONTACT_PHONE = env_str("CONTACT_PHONE", "")
# A messaging number, with the service named: e.g. "WhatsApp +44 7700 900123".
CONTACT_MESSAGING = env_str("CONTACT_MESSAGING", "")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Rate limits (requests per minute per client), enforced through the cache.
PRESCREEN_API_RATE_LIMIT = env_int("PRESCREEN_API_RATE_LIMIT", 60)
# Portal sign-in links asked for, per 15 minutes per client. An address is never refused
# (anyone could block it); it is mailed at most one link per interval, silently.
PORTAL_SIGNIN_MAIL_INTERVAL_SECONDS = env_int("PORTAL_SIGNIN_MAIL_INTERVAL_SECONDS", 5 * 60)
PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT = env_int("PORTAL_SIGNIN_RATE_LIMIT_PER_CLIENT", 20)
# Complete /submit/ submissions per hour per client.
SUBMIT_RATE_LIMIT = env_int("SUBMIT_RATE_LIMIT", 10)
# Files sent to the upload endpoint per minute per client (40 files fit in one minute).
UPLOAD_RATE_LIMIT = env_int("UPLOAD_RATE_LIMIT", 60)

# How long the shared cache in front (nginx) may keep a public information page before it
# revalidates it by its ETag, and how much longer it may serve it while it revalidates in
# the background. Browsers revalidate on every visit; Django's own copy changes at once
# with the content (content.caching). So an edit reaches everyone within about a second.
PUBLIC_PAGE_SHARED_MAX_AGE = env_int("PUBLIC_PAGE_SHARED_MAX_AGE", 1)
PUBLIC_PAGE_STALE_SECONDS = env_int("PUBLIC_PAGE_STALE_SECONDS", 60)

# Security headers. Content Security Policy uses Django's built-in support with nonces.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Sessions: in the database, indexed by user so deactivating someone ends their sessions
# with one DELETE (cancerfax/models.py). Staff sessions also end after 15 idle minutes and
# after 10 hours whatever happens, patients' portal sessions after 30 idle minutes and 4
# hours (cancerfax.security.SessionSecurityMiddleware).
SESSION_ENGINE = "cancerfax.session_store"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 15 * 60)
STAFF_SESSION_MAX_SECONDS = env_int("STAFF_SESSION_MAX_SECONDS", 10 * 3600)
PORTAL_SESSION_IDLE_SECONDS = env_int("PORTAL_SESSION_IDLE_SECONDS", 30 * 60)
PORTAL_SESSION_MAX_SECONDS = env_int("PORTAL_SESSION_MAX_SECONDS", 4 * 3600)
# Proxies in front of the app that append to X-Forwarded-For (0: use the socket address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ADMIN_LOGIN_RATE_LIMIT = env_int("ADMIN_LOGIN_RATE_LIMIT", 20)

# Two-factor admin sign-in (django-otp): TOTP apps, plus single-use backup codes.
OTP_TOTP_ISSUER = "CancerFax navigator"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-axes: five wrong passwords for one username from one address lock that pair for
# 15 minutes; the answer is the same whether the account exists or not.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/login_locked_out.html"
# One rule for the client's address everywhere (rate limits and lockouts).
AXES_CLIENT_IP_CALLABLE = "cancerfax.security.client_ip"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^readyz/worker$"]
    # __Host- cookies: HTTPS only, this host only, whole site; no subdomain can plant one.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No sign-in token or query string (search terms, health answers) in any line.
    "filters": {"redact": {"()": "cancerfax.logredact.RedactFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (on when DEBUG) would print past the filter: every
        # django.* record goes through the root's filtered handler instead.
        "django": {"handlers": [], "propagate": True},
        # Request logs would carry query strings and form fields: keep them at warning level.
        "django.request": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
        # django-axes reports every sign-in at INFO; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}
