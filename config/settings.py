"""Accord settings, read from the environment.

Defaults give the embedded setup (SQLite, a file-system Celery broker, e-mail to the console).
Production sets DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL and
CELERY_BROKER_URL; see README.md for every variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_base_url, env_bool, env_int, env_list, env_optional, env_str

# Lets the code write ModelForm[Partner], ModelAdmin[Partner] as the type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ACCORD_VAR_DIR", str(BASE_DIR / "var")))

# DJANGO_DEBUG=true (the default) is the embedded development setup: a development secret key,
# local hosts, static files served from the apps. Django's debug pages are a separate choice:
# they show the settings (DATABASE_URL with its password) to whoever meets an error, so even the
# quickstart shows Accord's own error pages unless a developer asks with ACCORD_DEBUG_PAGES=true.
DEVELOPMENT = env_bool("DJANGO_DEBUG", True)
DEBUG = DEVELOPMENT and env_bool("ACCORD_DEBUG_PAGES", False)

_DEV_SECRET_KEY = "accord-embedded-development-key-never-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEVELOPMENT else None)
if not DEVELOPMENT and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a random string of 50+ characters.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "config",
    "agreements",
    "checklists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.accord",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
_SQLITE_DEFAULT = f"sqlite:///{VAR_DIR / 'accord.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _SQLITE_DEFAULT),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # The web server and the Celery worker write to the same file: WAL lets readers go on
        # while one writes, and IMMEDIATE transactions take the write lock up front instead of
        # failing half-way when two writers meet.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so a Celery worker started by a test can open the test database;
    # one per process, so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-accord-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is down or hung answers 503 in seconds instead of holding every worker.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1, maximum=60)
    )
    _statement_timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 30, minimum=0, maximum=3600)
    if _statement_timeout:
        _pg_options["options"] = (
            f"{_pg_options.get('options', '')} -c statement_timeout={_statement_timeout * 1000}"
        ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in failures per username and address within ACCORD_SIGNIN_LOCKOUT_MINUTES before that pair
# is locked out (the sign-in page, the admin's and the API token endpoint alike).
ACCORD_SIGNIN_MAX_FAILURES = env_int("ACCORD_SIGNIN_MAX_FAILURES", 5, minimum=1, maximum=100)
ACCORD_SIGNIN_LOCKOUT_MINUTES = env_int(
    "ACCORD_SIGNIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60
)
# API tokens expire this many hours after they were issued (0: never).
ACCORD_API_TOKEN_TTL_HOURS = env_int(
    "ACCORD_API_TOKEN_TTL_HOURS", 24 * 30, minimum=0, maximum=24 * 366
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("ACCORD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEVELOPMENT
if DEVELOPMENT:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root

# --- E-mail ----------------------------------------------------------------------------------
# Django 6.1's MAILERS: the console by default; ACCORD_SMTP_HOST switches to SMTP.
# The console backend prints decoded headers and the plain-text body (config/mail.py).
_SMTP_HOST = env_optional("ACCORD_SMTP_HOST")
if _SMTP_HOST is None:
    MAILERS: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "config.mail.ReadableConsoleBackend"}
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _SMTP_HOST,
                "port": env_int("ACCORD_SMTP_PORT", 587, minimum=1),
                "username": env_optional("ACCORD_SMTP_USER"),
                "password": env_optional("ACCORD_SMTP_PASSWORD"),
                "use_tls": env_bool("ACCORD_SMTP_USE_TLS", True),
                "timeout": env_int("ACCORD_SMTP_TIMEOUT", 20, minimum=1),
            },
        }
    }
DEFAULT_FROM_EMAIL = env_str("ACCORD_FROM_EMAIL", "Accord <accord@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Reminders -------------------------------------------------------------------------------
# Links in e-mails are absolute: the address people reach Accord at. Required in production,
# where a development default would send every reminder with a link nobody can open.
ACCORD_BASE_URL = env_base_url("ACCORD_BASE_URL", "http://127.0.0.1:8000" if DEVELOPMENT else None)
# A delivery holds a ledger row this long; past it, the sweeper sends the row again (its
# worker died). Above the SMTP timeout, so a slow send is never taken over.
ACCORD_REMINDER_CLAIM_SECONDS = env_int("ACCORD_REMINDER_CLAIM_SECONDS", 600, minimum=1)

# --- Security (production) -------------------------------------------------------------------
if not DEVELOPMENT:
    # Accord is served behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Reverting a record to an old version from the admin's history would write around the
# services (and their rules); the history stays readable there.
SIMPLE_HISTORY_REVERT_DISABLED = True
# A change's reason is a person's note (a send-back, a removal, a return): text of any length,
# not simple_history's default 100 characters (which PostgreSQL enforces).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token first: its `WWW-Authenticate: Token` header makes anonymous calls 401, not 403.
        "config.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Requests per minute and client address to POST /api/v1/auth/token/.
    "DEFAULT_THROTTLE_RATES": {
        "sign-in": f"{env_int('ACCORD_SIGNIN_RATE_PER_MINUTE', 20, minimum=1, maximum=1000)}/min"
    },
    # Reverse proxies in front of Accord that append to X-Forwarded-For; 0 trusts no such
    # header, so a client cannot choose the address its sign-in failures are counted under.
    "NUM_PROXIES": env_int("ACCORD_NUM_PROXIES", 0, minimum=0, maximum=5),
    "DEFAULT_PERMISSION_CLASSES": ["config.permissions.HasAccordRole"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.AccordPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON bodies only; endpoints that take file uploads add the multipart parser themselves.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.AccordJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AccordAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEVELOPMENT else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": (
        "Security-cooperation partnerships: partners, agreements, legal mandates, sovereignty "
        "constraints and interoperability checklists. Authenticate with a session or with "
        "`Authorization: Token <key>` (POST /api/v1/auth/token/). Updates carry the `version` "
        "they were based on; a stale version answers 409 with the current record."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PartnerKindEnum": "agreements.models.partners.Partner.Kind",
        "PartnerStatusEnum": "agreements.models.partners.Partner.Status",
        "AgreementKindEnum": "agreements.models.agreements.Agreement.Kind",
        "AgreementStatusEnum": "agreements.models.agreements.Agreement.Status",
        "DocumentKindEnum": "agreements.models.agreements.AgreementDocument.Kind",
        "MandateKindEnum": "agreements.models.mandates.LegalMandate.Kind",
        "MandateStatusEnum": "agreements.models.mandates.LegalMandate.Status",
        "ConstraintEffectEnum": "agreements.models.constraints.SovereigntyConstraint.Effect",
        "FindingEffectEnum": ["covers", "condition", "blocks", "missing", "note"],
        "AssessmentKindEnum": "checklists.models.Assessment.Kind",
        "AssessmentStatusEnum": "checklists.models.Assessment.Status",
        # queued → running → done | failed: agreement imports and gap reports alike
        "JobStatusEnum": "checklists.gap_reports.models.GapReport.Status",
        "CriticalityEnum": "checklists.models.Criticality",
    },
    # Swagger UI's assets ship with the project (drf-spectacular-sidecar): nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# A task past its soft limit gets SoftTimeLimitExceeded (and can record why it stopped); past
# the hard limit its process is killed. Enforced by the prefork pool, not in eager mode.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be above CELERY_TASK_SOFT_TIME_LIMIT.")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Content Security Policy -----------------------------------------------------------------
# Scripts and styles come from Accord's own static files; the few inline ones carry the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusals_on_one_line": {"()": "config.log_filters.RefusalsOnOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            # Also for django.security.* (a bad Host header), whose records pass only here.
            "filters": ["refusals_on_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("ACCORD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # 4xx answers: one WARNING line each (Django adds a traceback for a 403 it raised).
        "django.request": {"filters": ["refusals_on_one_line"]},
        # WeasyPrint logs each rendering step at INFO; its warnings (a refused URL) stay.
        "weasyprint": {"level": "WARNING"},
    },
}

# --- Accord ----------------------------------------------------------------------------------
ACCORD_API_MAX_PAGE_SIZE = 500
ACCORD_HEARTBEAT_STALE_AFTER_SECONDS = env_int("ACCORD_HEARTBEAT_STALE_AFTER_SECONDS", 180)
ACCORD_DOCUMENT_MAX_BYTES = env_int("ACCORD_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
ACCORD_EVIDENCE_MAX_BYTES = env_int("ACCORD_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
ACCORD_IMPORT_MAX_BYTES = env_int("ACCORD_IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# Register imports: limits checked before any row is read, so a hostile file is refused cheaply.
ACCORD_IMPORT_MAX_ROWS = env_int("ACCORD_IMPORT_MAX_ROWS", 10_000, minimum=1)
ACCORD_IMPORT_MAX_COLUMNS = env_int("ACCORD_IMPORT_MAX_COLUMNS", 100, minimum=1)
ACCORD_IMPORT_MAX_CELL_CHARS = env_int("ACCORD_IMPORT_MAX_CELL_CHARS", 10_000, minimum=1)
ACCORD_IMPORT_MAX_LINE_CHARS = env_int("ACCORD_IMPORT_MAX_LINE_CHARS", 100_000, minimum=1)
ACCORD_IMPORT_MAX_UNZIPPED_BYTES = env_int(
    "ACCORD_IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024, minimum=1
)
ACCORD_IMPORT_MAX_ZIP_RATIO = env_int("ACCORD_IMPORT_MAX_ZIP_RATIO", 200, minimum=1)
# YAML checklist templates: at most this many nodes (mappings, lists, values) and this depth.
ACCORD_TEMPLATE_MAX_NODES = env_int("ACCORD_TEMPLATE_MAX_NODES", 50_000, minimum=1)
ACCORD_TEMPLATE_MAX_DEPTH = env_int("ACCORD_TEMPLATE_MAX_DEPTH", 20, minimum=2)
# An import runs under its own time limits; a running import whose heartbeat is older than
# ACCORD_IMPORT_STALE_AFTER_SECONDS has lost its worker (the hard limit would have stopped it
# by then) and is marked failed.
ACCORD_IMPORT_SOFT_TIME_LIMIT = env_int("ACCORD_IMPORT_SOFT_TIME_LIMIT", 600, minimum=1)
ACCORD_IMPORT_TIME_LIMIT = env_int("ACCORD_IMPORT_TIME_LIMIT", 660, minimum=1)
ACCORD_IMPORT_STALE_AFTER_SECONDS = env_int("ACCORD_IMPORT_STALE_AFTER_SECONDS", 720, minimum=1)
if ACCORD_IMPORT_TIME_LIMIT <= ACCORD_IMPORT_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("ACCORD_IMPORT_TIME_LIMIT must be above its soft limit.")
if ACCORD_IMPORT_STALE_AFTER_SECONDS <= ACCORD_IMPORT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "ACCORD_IMPORT_STALE_AFTER_SECONDS must be above ACCORD_IMPORT_TIME_LIMIT, or a live "
        "import could be called stale."
    )
# A gap report is generated under its own time limits; a running edition whose heartbeat is
# older than ACCORD_GAP_REPORT_STALE_AFTER_SECONDS crashed and is marked failed by the sweep.
ACCORD_GAP_REPORT_SOFT_TIME_LIMIT = env_int("ACCORD_GAP_REPORT_SOFT_TIME_LIMIT", 900, minimum=1)
ACCORD_GAP_REPORT_TIME_LIMIT = env_int("ACCORD_GAP_REPORT_TIME_LIMIT", 960, minimum=1)
ACCORD_GAP_REPORT_STALE_AFTER_SECONDS = env_int(
    "ACCORD_GAP_REPORT_STALE_AFTER_SECONDS", 1020, minimum=1
)
if not (
    ACCORD_GAP_REPORT_SOFT_TIME_LIMIT
    < ACCORD_GAP_REPORT_TIME_LIMIT
    < ACCORD_GAP_REPORT_STALE_AFTER_SECONDS
):
    raise ImproperlyConfigured(
        "Gap reports need ACCORD_GAP_REPORT_SOFT_TIME_LIMIT < ACCORD_GAP_REPORT_TIME_LIMIT < "
        "ACCORD_GAP_REPORT_STALE_AFTER_SECONDS."
    )
# Interoperability level thresholds (overall weighted score, %): 3 interoperable, 2 compatible,
# 1 deconflicted, else 0. An unmet high-criticality item caps the level at
# ACCORD_LEVEL_CAP_WITH_UNMET_HIGH.
ACCORD_LEVEL_THRESHOLDS = {
    3: env_int("ACCORD_LEVEL_3_FROM", 85, minimum=0),
    2: env_int("ACCORD_LEVEL_2_FROM", 60, minimum=0),
    1: env_int("ACCORD_LEVEL_1_FROM", 30, minimum=0),
}
ACCORD_LEVEL_CAP_WITH_UNMET_HIGH = env_int("ACCORD_LEVEL_CAP_WITH_UNMET_HIGH", 1, minimum=0)
# A mandate pending legal review this many days is overdue for a decision (a reminder kind).
ACCORD_LEGAL_REVIEW_DAYS = env_int("ACCORD_LEGAL_REVIEW_DAYS", 14, minimum=1, maximum=365)
# The marking line on the gap report PDF's cover and on every page's header and footer.
ACCORD_REPORT_MARKING = env_str("ACCORD_REPORT_MARKING", "UNCLASSIFIED — FOR OFFICIAL USE")
