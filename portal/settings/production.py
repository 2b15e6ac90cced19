"""Production: every secret must come from the environment, or the process refuses to start."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL", "WAGTAILADMIN_BASE_URL")
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )

if len(os.environ["SECRET_KEY"]) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be a long random value (32 characters or more).")

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections: each gunicorn worker keeps its connection for CONN_MAX_AGE seconds
# instead of opening one per request (a few milliseconds each on PostgreSQL), and checks it
# is still alive before reusing it after a request (a restarted database is not an error).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
EMAIL_CONFIG = env.email_url("EMAIL_URL")
vars().update(EMAIL_CONFIG)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS only: `manage.py check --deploy` has nothing to say (tests/test_security.py). The
# cookie, framing, referrer, opener and content security policies are in base.py.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# A load balancer's plain-HTTP probe gets its answer instead of a redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Two-factor authentication cannot be switched off in production.
if not env.bool("ADMIN_REQUIRE_2FA", default=True):
    raise ImproperlyConfigured("ADMIN_REQUIRE_2FA cannot be turned off in production.")
ADMIN_REQUIRE_2FA = True
