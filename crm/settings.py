"""Settings for Broker CRM, read from the environment (see README.md, "Configuration").

DATABASE_URL is always required (`make demo` and `make test` point it at an embedded PostgreSQL
server). With nothing else set the product runs for development: DEBUG on, Celery tasks run
in-process. Production sets DEBUG=0 and must then provide SECRET_KEY and FIELD_ENCRYPTION_KEY;
the development fallbacks below are refused outside DEBUG. DEBUG is refused when ALLOWED_HOSTS
names anything but this machine (a debug page shows settings and code to whoever reaches it),
unless ALLOW_DEBUG=1 says so explicitly. `make demo` runs with DEBUG off in DEMO_MODE: this
machine only, plain HTTP, the public development keys — the product's real error pages.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
# The demo (`make demo`): DEBUG off, so people trying the product see its own error pages, yet
# served from this machine over plain HTTP with the public development keys below (the demo's
# data is encrypted with them). Refused unless ALLOWED_HOSTS names only this machine.
DEMO_MODE = env_bool("DEMO_MODE", False)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "testserver"}
# Development or the demo: run on this machine, so the development keys and plain HTTP are allowed.
_LOCAL_RUN = DEBUG or DEMO_MODE

# Development-only keys. They are public (they are in this file), so production refuses them.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
_DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5ldmVyLXVzZS0wMDA="

SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
# Fernet keys, newest first, comma-separated: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY", _DEV_FIELD_ENCRYPTION_KEY)
# Key for the keyed hashes that make encrypted PII searchable by exact match. Kept apart from
# the encryption keys so that rotating those does not invalidate every hash.
PII_HASH_KEY = env_str("PII_HASH_KEY", SECRET_KEY if _LOCAL_RUN else "")

if not _LOCAL_RUN:
    if SECRET_KEY == _DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    if _DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEY:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off")
    if not PII_HASH_KEY:
        raise ImproperlyConfigured("PII_HASH_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if _LOCAL_RUN else "")
# Hosts other than this machine ("*" and ".example.com" included): DEBUG or the demo's public
# keys there would be served to the network.
_REMOTE_HOSTS = [host for host in ALLOWED_HOSTS if host.lower() not in _LOCAL_HOSTS]
if DEMO_MODE and _REMOTE_HOSTS:
    raise ImproperlyConfigured(
        f"DEMO_MODE serves public keys over plain HTTP: ALLOWED_HOSTS may name only this machine, not {_REMOTE_HOSTS}"
    )
if DEBUG and _REMOTE_HOSTS and not env_bool("ALLOW_DEBUG", False):
    raise ImproperlyConfigured(
        f"DEBUG is on while ALLOWED_HOSTS names {_REMOTE_HOSTS}: debug pages would show settings and code "
        "to the network. Set DEBUG=0 (production), or ALLOW_DEBUG=1 if this is really wanted."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "core.vendor_apps.KnoxConfig",  # knox: API tokens, stored hashed, with idle and absolute expiry (core.tokens)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "treebeard",
    "django_celery_beat",
    "auditlog",
    "core.vendor_apps.AxesConfig",  # axes: sign-in throttling (see "Sign-in, sessions and security headers")
    "csp",
    "core",
    "advisors",
    "alerts",
    "imports",
    "clients",
    "products",
    "suitability",
    "campaigns",
    "tickets",
    "reports",
    "compliance",
    "workbench",
    "nightly",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files answered here, cacheable
    "core.no_store.NoStoreMiddleware",  # everything below carries user data: Cache-Control no-store
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.input_guard.InputGuardMiddleware",  # NUL and control characters: 400/404 before any view
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.sessions.SessionTimeoutMiddleware",  # after auth and messages, before the audit actor
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lockout into the lockout page
    "core.signin_throttle.SignInThrottleMiddleware",  # after axes: axes' page wins when both apply
]

ROOT_URLCONF = "crm.urls"
# A form posted with a missing or stale CSRF token: a styled page in the user's language (the
# handlers for 400/403/404/500 are in crm/urls.py; both in crm/error_views.py).
CSRF_FAILURE_VIEW = "crm.error_views.csrf_failure"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workbench.context_processors.workbench",
            ],
        },
    },
]

# Django's form renderer with a select written in one template (core.forms_renderer).
FORM_RENDERER = "core.forms_renderer.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user:pass@host:5432/crm. PostgreSQL is the only database: the
# nightly, the imports and the reports speak its SQL (COPY, partitions, DISTINCT ON).
# Outside DEBUG connections persist (CONN_MAX_AGE) with health checks, so a request does not
# pay for a new PostgreSQL connection.
_database_url = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or "postgres:///crm",
        conn_max_age=env_int("CONN_MAX_AGE", 0 if DEBUG else 600),
        conn_health_checks=True,
    )
}
if not _database_url:
    # No server given: commands that need none (check, makemigrations --check) still run; a
    # connection fails at once saying how to get one (crm/db_unset).
    DATABASES["default"]["ENGINE"] = "crm.db_unset"
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "crm.db_unset"):
    raise ImproperlyConfigured(f"DATABASE_URL must point at PostgreSQL, not {DATABASES['default']['ENGINE']}")
# PostgreSQL's default random_page_cost (4) assumes spinning disks: on SSDs it makes the
# planner scan all 200,000 clients instead of reading a branch's 5,000 through the index
# (measured: a branch manager's scope 170 ms → 29 ms at 1.1). Set PG_RANDOM_PAGE_COST=""
# to keep the server's own setting (e.g. when the DBA already tuned it).
_page_cost = env_str("PG_RANDOM_PAGE_COST", "1.1")
if _page_cost:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={float(_page_cost)}"
# A SELECT a connection runs a second time is prepared and keeps its plan (core/prepared.py):
# planning the scoped queries cost as much as running them. Off (0) behind a pooler in
# transaction mode, which shares connections between clients.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    # core.redis_cache: Django's Redis cache, with one client per pool instead of one per call
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# No broker configured: run every task in-process, synchronously, so the product works alone.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = env_str("TIME_ZONE", "Asia/Shanghai")
# Reliability: a task is acknowledged only after it ran, and redelivered if its worker dies;
# each worker takes one task at a time so a long chunk does not hold others hostage.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 20 * 60)
# A task running longer than the visibility timeout would be delivered twice; keep every task
# well under a quarter of it (see the nightly run's chunking).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuse throttled addresses and accounts, then locked-out username+address pairs,
    # before any password is checked.
    "core.signin_throttle.SignInThrottleBackend",
    "axes.backends.AxesStandaloneBackend",
    "core.backends.CachedModelBackend",  # ModelBackend, its permissions cached (core/authz_cache.py)
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.passwords.NoUsernameInPasswordValidator"},  # "alicealice" for alice
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = None  # show registration/logged_out.html: a clear end on shared desks
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users see nothing

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Number formats that differ from Django's for a language (crm/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["crm.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if _LOCAL_RUN
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if DEMO_MODE:
    # WhiteNoise serves the files from where they are (no collectstatic), as it does in DEBUG.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# --- REST API -------------------------------------------------------------------------------
# A filter left empty reads "Any" (不限) in the user's language, not django-filter's "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

REST_FRAMEWORK = {
    # The token class first: DRF answers an unauthenticated request with the first class's
    # challenge, so a missing, wrong or expired token is a 401 (WWW-Authenticate: Token).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Signed in *and* holding the role's model permission (reads included); rows are then
    # scoped by the access layer in each viewset (core/api/viewsets.py).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.RoleModelPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CrmPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # Every operation lists its error statuses in the one error shape (core/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.CrmAutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Broker CRM API",
    "DESCRIPTION": "Clients, advisors, products, suitability, alerts and tickets of a securities brokerage.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from our own static files (no CDN at run time).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set, so clients generated from the schema get stable types.
    "ENUM_NAME_OVERRIDES": {
        "RiskToleranceEnum": "core.choices.RiskTolerance",
        "ProductRiskEnum": "core.choices.ProductRisk",
        "HorizonEnum": "core.choices.Horizon",
        "VarietyEnum": "core.choices.Variety",
        "TierEnum": "core.choices.Tier",
        "InvestorTypeEnum": "core.choices.InvestorType",
        "ContactChannelEnum": "core.choices.ContactChannel",
        "OrgUnitKindEnum": "advisors.models.OrgUnit.Kind",
        "AlertKindEnum": "alerts.models.Alert.Kind",
        "RelationshipKindEnum": "clients.models.Relationship.Kind",
        "TradeChannelEnum": "clients.models.Transaction.Channel",
        "TicketChannelEnum": "tickets.models.Ticket.Channel",
        "TicketEventKindEnum": "tickets.models.TicketEvent.Kind",
        "SuitabilityStepKindEnum": "suitability.models.SuitabilityStep.Kind",
        "SaleChannelEnum": "suitability.models.SuitabilityCheck.Channel",
        "ClientStatusEnum": "clients.models.Client.Status",  # the client and the client search's filter
        "ProductTypeEnum": "products.models.Product.ProductType",  # the products API and the segment filters
    },
}

# --- Sign-in, sessions and security headers ------------------------------------------------
# (README.md, "Configuration".) Everything that decides who may sign
# in, for how long, and what the browser is told to enforce.

# Sessions. SESSION_COOKIE_AGE is the absolute lifetime of a sign-in, SESSION_IDLE_TIMEOUT the
# time without a request after which it ends; core.sessions.SessionTimeoutMiddleware enforces
# both from timestamps kept in the session (SESSION_SAVE_EVERY_REQUEST would slide the
# absolute lifetime along with every request, so it is not used).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
# Kept in PostgreSQL and read through the cache: every signed-in request reads its session, and
# with Redis that read is not a database round trip (docs/performance.md, "Under load"). Written
# through to both, so a Redis restart signs nobody out. Without Redis (tests, a bare demo) the
# database alone, as the per-process memory cache would not be shared between workers.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_COOKIE_SAMESITE = "Lax"  # Strict would drop the session on links from mail and chat
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads the cookie; forms carry the token
CSRF_COOKIE_SAMESITE = "Lax"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for the same
# username from the same address, that pair is refused, even with the right password, for
# AXES_COOLOFF_MINUTES; operations unlock earlier by deleting the attempt in the admin
# (Axes > Access attempts). Applies to the sign-in page, the admin and the API token endpoint.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a good sign-in before the limit forgives the earlier typos
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The client address: REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT hops from the right of
# X-Forwarded-For when that many proxies we run append to it (core.security.client_ip).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts are still logged

# Throttling across usernames and addresses (core.signin_throttle), which axes' single limit
# cannot express: more than SIGNIN_ADDRESS_FAILURE_LIMIT failed sign-ins from one address (any
# usernames: password spraying), or SIGNIN_ACCOUNT_FAILURE_LIMIT for one username (any
# addresses: a distributed guess), within a sliding SIGNIN_THROTTLE_WINDOW_MINUTES, refuse every
# sign-in from that address or for that account until failures age out. A successful sign-in
# forgives that username's failures from that address, so a branch behind one NAT address
# making typos is not locked. Counted in the cache: Redis (REDIS_URL) in production, so that all
# web processes share the counts. Same three entry points as axes; `manage.py unlock_signin`
# lifts a throttle early.
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 30)
SIGNIN_ACCOUNT_FAILURE_LIMIT = env_int("SIGNIN_ACCOUNT_FAILURE_LIMIT", 10)
SIGNIN_THROTTLE_WINDOW_MINUTES = env_int("SIGNIN_THROTTLE_WINDOW_MINUTES", 15)
if min(SIGNIN_ADDRESS_FAILURE_LIMIT, SIGNIN_ACCOUNT_FAILURE_LIMIT, SIGNIN_THROTTLE_WINDOW_MINUTES) < 1:
    raise ImproperlyConfigured("SIGNIN_*_FAILURE_LIMIT and SIGNIN_THROTTLE_WINDOW_MINUTES must be at least 1")

# API tokens (django-rest-knox, core.tokens): stored as SHA-512 digests, several per user. A
# token ends API_TOKEN_IDLE_DAYS after its last use (each use moves the expiry on, written at
# most once a minute) and API_TOKEN_LIFETIME_DAYS after it was issued, however much it is used.
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 30)
API_TOKEN_IDLE_DAYS = env_int("API_TOKEN_IDLE_DAYS", 7)
if min(API_TOKEN_LIFETIME_DAYS, API_TOKEN_IDLE_DAYS) < 1:
    raise ImproperlyConfigured("API_TOKEN_LIFETIME_DAYS and API_TOKEN_IDLE_DAYS must be at least 1")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_IDLE_DAYS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=API_TOKEN_LIFETIME_DAYS),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}

# Headers. Also in development, so a page that breaks under them breaks before production.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (django-csp 4). Scripts only from our own origin: no inline scripts
# or handlers anywhere (the admin and the API docs' split view need none). Styles allow
# 'unsafe-inline' because the admin's change lists and Swagger UI use style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if not _LOCAL_RUN:  # production: HTTPS only (the demo runs on this machine over HTTP)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
# --- end of sign-in, sessions and security headers ------------------------------------------

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if _LOCAL_RUN else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "crm@localhost")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Domain settings ------------------------------------------------------------------------
# Password given to the demo users that seed_demo creates (printed by the command).
CRM_DEMO_PASSWORD = env_str("CRM_DEMO_PASSWORD", "demo-pass-2026")

# Labels reused in the admin site header.
CRM_SITE_TITLE = _("Broker CRM")


# --- Suitability ----------------------------------------------------------------------------
# An assessment's validity, the "expiring" window, the level from which art. 20 duties apply,
# the elderly age and the consideration period are thresholds ops edit in the admin
# (core/thresholds.py: assessment_valid_months, risk_profile_expiring_days, high_risk_from_level,
# elderly_age, consideration_hours).
# Assessments a client may take per channel, per calendar day / per calendar year, e.g.
# "api=2/10,workbench=3/0" (0 = no limit on that count). Default empty: no limits.
SUITABILITY_ASSESSMENT_LIMITS = env_str("SUITABILITY_ASSESSMENT_LIMITS", "")

# --- Nightly run ----------------------------------------------------------------------------
# The nightly pipeline (docs/nightly.md defines every segment, stage and alert). Amounts in yuan.
# Clients per Celery chunk task of the segmentation step. Default 5000: at least ~1,000 a task
# (each task has a fixed cost: 200 chunks of 1,000 took 10.5 s of a 200,000-client rerun, 40 of
# 5,000 took 4.2 s), small enough that a chunk takes about a second and a redelivered one
# redoes little, and enough chunks to keep every worker busy.
NIGHTLY_CHUNK_CLIENTS = env_int("NIGHTLY_CHUNK_CLIENTS", 5000)
# A run holds its date this long without progress before another run may take it over. Default 120.
NIGHTLY_LEASE_MINUTES = env_int("NIGHTLY_LEASE_MINUTES", 120)
# Where the scheduled run finds extracts: <NIGHTLY_EXTRACT_ROOT>/<YYYY-MM-DD>/. Default empty: no import.
NIGHTLY_EXTRACT_ROOT = env_str("NIGHTLY_EXTRACT_ROOT", "")
# Extract uploads in the browser (/imports/, imports.uploads): the most one upload may hold, in
# MB (the files are kept in PostgreSQL until imported), and the Celery queue their dry run and
# import go to (empty: the default queue).
EXTRACT_UPLOAD_MAX_MB = env_int("EXTRACT_UPLOAD_MAX_MB", 500)
EXTRACT_UPLOAD_QUEUE = env_str("EXTRACT_UPLOAD_QUEUE", "")
# Business thresholds (tier averaging, lifecycle, behaviour, churn, maturity reminders, large
# outflows, birthdays, cool-downs …) are rows operations edit in the admin (*Thresholds*,
# core/thresholds.py), read by each run; they are not environment settings.
# The beat schedule (the nightly run at 22:30, ticket escalation every 5 minutes, the share
# cleanup at 01:15) is declared in core/schedule.py and edited by ops in the admin (Periodic tasks).

# --- Tickets --------------------------------------------------------------------------------
# Service tickets (docs/tickets.md explains the SLA calendar, routing and escalation).
# Business hours on trading days (weekdays not in the TradingHoliday table), "HH:MM-HH:MM",
# in TICKETS_BUSINESS_TIMEZONE. Defaults 09:00-17:00 and TIME_ZONE (Asia/Shanghai).
TICKETS_BUSINESS_HOURS = env_str("TICKETS_BUSINESS_HOURS", "09:00-17:00")
TICKETS_BUSINESS_TIMEZONE = env_str("TICKETS_BUSINESS_TIMEZONE", TIME_ZONE)
# Complaints run on calendar time (24 hours a day, every day) instead of business hours. Default 1.
TICKETS_COMPLAINTS_CALENDAR_TIME = env_bool("TICKETS_COMPLAINTS_CALENDAR_TIME", True)
# The SLA hours when no SlaPolicy matches, and the escalation clock (level 2 after the due time,
# high-net-worth complaints), are thresholds operations edit in the admin (core/thresholds.py).
# Attachments: largest file in bytes (default 10 MB) and the allowed file extensions (default
# pdf,png,jpg,jpeg,txt,csv,docx,xlsx; the content must match the extension).
TICKETS_ATTACHMENT_MAX_BYTES = env_int("TICKETS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
TICKETS_ATTACHMENT_TYPES = env_list("TICKETS_ATTACHMENT_TYPES", "pdf,png,jpg,jpeg,txt,csv,docx,xlsx")
# Where attachments are kept: a private folder that no URL serves (files leave only through the
# scoped download view). Default <MEDIA_ROOT>/private/tickets.
TICKETS_ATTACHMENT_ROOT = Path(env_str("TICKETS_ATTACHMENT_ROOT", str(MEDIA_ROOT / "private" / "tickets")))
STORAGES["ticket_attachments"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": TICKETS_ATTACHMENT_ROOT, "base_url": "/no-public-url/", "file_permissions_mode": 0o640},
}
# One schema name for the ticket status and priority choice sets (used by several API fields).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    TicketStatusEnum="tickets.models.Ticket.Status",
    TicketPriorityEnum="tickets.models.Priority",
)
