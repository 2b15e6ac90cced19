"""Settings shared by every environment.

Every value an operator may change is read from the environment here, in one place
(see `.env.example` and the README's configuration table). Each external service is
switched on by its variable: no `DATABASE_URL` means SQLite under `var/`, no
`CELERY_BROKER_URL` means tasks run eagerly in-process, no `ELASTICSEARCH_URL` means
Wagtail's database search backend.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    DATABASE_URL=(str, ""),
    CELERY_BROKER_URL=(str, ""),
    CELERY_RESULT_BACKEND=(str, ""),
    REDIS_URL=(str, ""),
    ELASTICSEARCH_URL=(str, ""),
    ELASTICSEARCH_INDEX_PREFIX=(str, "qn_"),
    EMAIL_URL=(str, "consolemail://"),
    DEFAULT_FROM_EMAIL=(str, "Questions Numériques <noreply@localhost>"),
    SERVER_EMAIL=(str, "noreply@localhost"),
    WAGTAILADMIN_BASE_URL=(str, "http://127.0.0.1:8000"),
    MEDIA_ROOT=(str, str(BASE_DIR / "var" / "media")),
    PRIVATE_MEDIA_ROOT=(str, str(BASE_DIR / "var" / "private")),
    STATIC_ROOT=(str, str(BASE_DIR / "var" / "static")),
)
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal",
    "home",
    "editions",
    "membership",
    "search",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_filters",
    "django_countries",
    "django_celery_beat",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
]

MIDDLEWARE = [
    # Anonymous visitors' public pages from the page cache, kept with the headers the
    # middleware below gave them, and answered before any of it runs (portal/cache.py).
    "portal.middleware.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # ETag on every answer that may be stored, 304 to a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "portal.db_errors.DatabaseUnavailableMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.PortalCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.RejectNulBytesMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.AdminTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: PostgreSQL (or any backend) from DATABASE_URL, else a SQLite file under var/.
if env("DATABASE_URL"):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, else per-process memory. A Redis that stops answering
# makes cache calls fail after 2 s instead of hanging the request.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": env.cache("REDIS_URL")}
    CACHES["default"].setdefault("OPTIONS", {}).update(socket_connect_timeout=2, socket_timeout=2)
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # The same, without a new Redis client object per call (portal/redis_cache.py).
        CACHES["default"]["BACKEND"] = "portal.redis_cache.RedisCache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The anonymous page cache (portal/cache.py): whole public pages for visitors without a
# session, purged on every publication. PAGE_CACHE_TIMEOUT is how long a page is kept (0: off);
# on by default with Redis only, since a process's own memory cannot be purged by another.
# PAGE_CACHE_MAX_AGE is how long browsers and proxies may keep it (they are never purged).
PAGE_CACHE_TIMEOUT = env.int("PAGE_CACHE_TIMEOUT", default=300 if REDIS_URL else 0)
PAGE_CACHE_MAX_AGE = env.int("PAGE_CACHE_MAX_AGE", default=60)
if REDIS_URL:
    CACHES["pages"] = {**CACHES["default"], "KEY_PREFIX": "pages"}
else:
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
# Never looked up nor stored: the admin, documents (restricted ones are served per visitor),
# the API, the probes, webhooks, the partner space, static and media files.
PAGE_CACHE_EXCLUDED_PATHS = (
    r"/(admin|django-admin|documents|api|health|stripe|static|media)/",
    r"/[a-z]{2}(-[a-z]+)?/espace-partenaire/",
)
# Besides pages, images, documents, sites and settings, whose models purge the cache when
# saved or deleted: snippets and inline models of these apps, search entries.
PAGE_CACHE_CONTENT_APPS = ("home", "editions", "search", "taggit")

# django-axes counts failed logins (see "Admin login" below) before the real backend runs.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: French is the source language, English is translated with
# wagtail-localize. Public URLs carry the language prefix (/fr/…, /en/…).
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT")
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT")
# Invoice PDFs and registry CSV imports: outside MEDIA_ROOT, never served by URL
# (membership/storage.py); back them up with the database.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: console by default; set EMAIL_URL (smtp://user:pass@host:587/?tls=True) to send.
vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = env("SERVER_EMAIL")

# Celery: a real broker when CELERY_BROKER_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Queues: e-mail, payments (Stripe events) and search each have their own, so that a slow
# mail server never delays a payment; everything else goes to "celery". A worker consumes
# them all: `celery -A portal worker -Q celery,email,payments,search`.
CELERY_TASK_ROUTES = {
    "membership.tasks.mail.*": {"queue": "email"},
    "membership.tasks.enquiries.notify_contact": {"queue": "email"},
    "membership.tasks.enquiries.acknowledge_enquiry": {"queue": "email"},
    "membership.tasks.enquiries.send_pending_enquiries": {"queue": "email"},
    "membership.tasks.payments.*": {"queue": "payments"},
    "search.tasks.*": {"queue": "search"},
}
CELERY_TASK_QUEUES_CONSUMED = ("celery", "email", "payments", "search")
# A task is acknowledged once it has run, and given back to the queue when its worker dies:
# every task is written to be run twice without doing its effect twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis gives an unacknowledged task (its worker died) to another worker after this many
# seconds; keep it above the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # A broker that accepts connections but never answers must not hang a request.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Keep Celery's own log lines (worker ready, task received/succeeded) in the worker's output.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat keeps its schedule in the database (django-celery-beat; editable in the Django admin);
# the entries below are written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "publish-scheduled-pages": {
        "task": "portal.tasks.publish_scheduled_pages",
        "schedule": 60.0,
    },
}

# Search: Elasticsearch when ELASTICSEARCH_URL is set, else the database backend
# (PostgreSQL full text search, SQLite FTS5).
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
ELASTICSEARCH_INDEX_PREFIX = env("ELASTICSEARCH_INDEX_PREFIX")
if ELASTICSEARCH_URL:
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.elasticsearch8",
            "URLS": [ELASTICSEARCH_URL],
            "INDEX_PREFIX": ELASTICSEARCH_INDEX_PREFIX,
        }
    }
else:
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "wagtail.search.backends.database",
            "SEARCH_CONFIG": "french",
        }
    }

# The public archive's search service (search/services): Elasticsearch when configured.
SEARCH_SERVICE = (
    "search.services.elastic.ElasticsearchSearchService"
    if ELASTICSEARCH_URL
    else "search.services.database.DatabaseSearchService"
)
ELASTICSEARCH_TIMEOUT = env.float("ELASTICSEARCH_TIMEOUT", default=5.0)

# Wagtail's own background work (django-tasks): through Celery when a broker is configured.
TASKS = {
    "default": {
        "BACKEND": "portal.task_backend.CeleryBackend"
        if CELERY_BROKER_URL
        else "django_tasks.backends.immediate.ImmediateBackend",
    }
}

# Wagtail
WAGTAIL_SITE_NAME = "Questions Numériques"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL")
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
# Uploads: Wagtail refuses other extensions and larger files with a message in its forms.
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000  # decoding one takes ~200 MB of memory
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAILAPI_LIMIT_MAX = 100
# A request body (fields, not files) is read into memory up to this size, then refused (400);
# uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Any request announcing a larger body is refused (413) before it is read, so that no
# form, public or not, can be used to fill the disk with spooled uploads. Above the
# largest upload Wagtail accepts, which it refuses itself with a clearer message.
REQUEST_MAX_BODY_SIZE = env.int("REQUEST_MAX_BODY_SIZE", default=100 * 1024 * 1024)

LOGIN_URL = "wagtailadmin_login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        app: {"handlers": ["console"], "level": "INFO", "propagate": False}
        for app in ("portal", "home", "editions", "membership", "search", "celery")
    },
}

# Partnerships and payments (membership app)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only for tests against a local Stripe double (localstripe); empty means api.stripe.com.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
MEMBERSHIP_VAT_RATE = Decimal(env("MEMBERSHIP_VAT_RATE", default="20.00"))
MEMBERSHIP_PRICES_INCLUDE_VAT = env.bool("MEMBERSHIP_PRICES_INCLUDE_VAT", default=False)
MEMBERSHIP_BANK_HOLDER = env("MEMBERSHIP_BANK_HOLDER", default="Fing")
MEMBERSHIP_BANK_IBAN = env("MEMBERSHIP_BANK_IBAN", default="")
MEMBERSHIP_BANK_BIC = env("MEMBERSHIP_BANK_BIC", default="")
MEMBERSHIP_INVOICE_ISSUER = env(
    "MEMBERSHIP_INVOICE_ISSUER",
    default="Fing, association loi 1901\n8, passage Brulon\n75012 Paris\nFrance",
)
MEMBERSHIP_MAGIC_LINK_MAX_AGE = env.int("MEMBERSHIP_MAGIC_LINK_MAX_AGE", default=7 * 24 * 3600)

# Enquiries (membership app): the contact form's limits, and how long enquiries are kept.
# A rate is "<attempts>/<s|m|h|d>", counted per fixed window in the cache (Redis when
# REDIS_URL is set); an empty rate switches that limit off. Behind a reverse proxy, set
# ENQUIRY_TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For, or every
# visitor shares the proxy's address and its limit.
ENQUIRY_RETENTION_DAYS = env.int("ENQUIRY_RETENTION_DAYS", default=3 * 365)
ENQUIRY_RATE_LIMIT_PER_IP = env("ENQUIRY_RATE_LIMIT_PER_IP", default="5/h")
ENQUIRY_RATE_LIMIT_PER_EMAIL = env("ENQUIRY_RATE_LIMIT_PER_EMAIL", default="3/h")
ENQUIRY_MAX_MESSAGE_LENGTH = env.int("ENQUIRY_MAX_MESSAGE_LENGTH", default=5000)
ENQUIRY_TRUSTED_PROXIES = env.int("ENQUIRY_TRUSTED_PROXIES", default=0)
CELERY_BEAT_SCHEDULE["purge-expired-enquiries"] = {
    "task": "membership.tasks.enquiries.purge_expired_enquiries",
    "schedule": crontab(hour=3, minute=17),
}
CELERY_BEAT_SCHEDULE["send-pending-enquiries"] = {
    "task": "membership.tasks.enquiries.send_pending_enquiries",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["process-pending-webhook-events"] = {
    "task": "membership.tasks.payments.process_pending_webhook_events",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["remind-unpaid-invoices"] = {
    "task": "membership.tasks.mail.remind_unpaid_invoices",
    "schedule": crontab(hour=9, minute=5),
}
CELERY_BEAT_SCHEDULE["check-search-index"] = {
    "task": "search.tasks.check_consistency",
    "schedule": crontab(hour=2, minute=40),
}

# Security ----------------------------------------------------------------------------------
# Production adds HTTPS-only cookies, HSTS and the redirect to HTTPS (production.py); what is
# below holds everywhere, so that development and the tests run under the same policy.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # Lax, not Strict: the return from Stripe Checkout keeps it
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views set SAMEORIGIN on their own responses
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4). The public site runs no inline script or style:
# everything comes from our own origin. Forms post to us; the sign-up's payment step then
# redirects to Stripe Checkout, which Chromium checks against form-action too.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF, STRIPE_CHECKOUT_ORIGIN],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}
# Wagtail's admin writes inline scripts and style attributes: under these prefixes,
# portal.middleware.PortalCSPMiddleware sends this policy instead, still limited to our origin.
ADMIN_CONTENT_SECURITY_POLICY = {
    "URL_PREFIXES": ("/admin/", "/django-admin/"),
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}
# The admin asks no third party: no Gravatar (editors' e-mail hashes), no update check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Admin login: django-axes locks a username from an address out after 5 failures in a row,
# for 30 minutes (each further failure restarts them); a success resets the count. The
# address is the one the enquiry form uses (ENQUIRY_TRUSTED_PROXIES behind a proxy).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/security/lockout.html"
AXES_CLIENT_IP_CALLABLE = "membership.enquiries.client_ip"

# Two-factor authentication (django-otp, TOTP): whoever may use the admin must confirm a code
# from an authenticator app (portal.middleware.AdminTwoFactorMiddleware). Always on in
# production; dev and test settings switch it off unless ADMIN_REQUIRE_2FA is set.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=True)
OTP_TOTP_ISSUER = "Questions Numériques"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try

# Health checks (/health/ready): each dependency must answer within this many seconds.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
