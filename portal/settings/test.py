"""Test runs: the same services as dev when their variables are set (PostgreSQL in CI)."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105 (test settings only)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = str(VAR_DIR / "test-media")
PRIVATE_MEDIA_ROOT = str(VAR_DIR / "test-private")
ALLOWED_HOSTS = ["*"]
WAGTAILADMIN_BASE_URL = "http://testserver"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not env("DATABASE_URL"):
    DATABASES["default"]["NAME"] = VAR_DIR / "test.sqlite3"  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
# Online payment is offered when a Stripe key is set; tests never reach Stripe itself.
STRIPE_SECRET_KEY = "sk_test_portal_tests"  # noqa: S105 (not a secret)
# Tasks run in-process, in order, as they would on a worker (CI sets CELERY_BROKER_URL for the
# tests that talk to Redis; a test that wants the broker says so itself).
CELERY_TASK_ALWAYS_EAGER = True
# A cluster given to the tests (ELASTICSEARCH_URL) never sees the site's own indices.
ELASTICSEARCH_INDEX_PREFIX = "qn_test_"
if ELASTICSEARCH_URL:  # noqa: F405
    WAGTAILSEARCH_BACKENDS["default"]["INDEX_PREFIX"] = ELASTICSEARCH_INDEX_PREFIX  # noqa: F405
# Tests that exercise two-factor authentication switch it on themselves.
ADMIN_REQUIRE_2FA = False
# Every test sees live renders; tests/test_page_cache.py switches the page cache on.
PAGE_CACHE_TIMEOUT = 0
