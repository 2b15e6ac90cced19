"""Local development: DEBUG on, a fixed development secret, mail printed to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-secret-key-change-me")
# `make run` prints the admin's password: a newcomer logs in without a phone. Set
# ADMIN_REQUIRE_2FA=true to try the two-factor enrolment locally.
ADMIN_REQUIRE_2FA = env.bool("ADMIN_REQUIRE_2FA", default=False)
# A template or a page edited shows at once; set PAGE_CACHE_TIMEOUT to try the page cache.
PAGE_CACHE_TIMEOUT = env.int("PAGE_CACHE_TIMEOUT", default=0)
