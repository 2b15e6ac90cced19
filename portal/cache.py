"""The anonymous page cache: whole responses of public pages, kept for visitors without a session.

A request is looked up in the cache when it is a GET or HEAD, carries no session, messages or
Authorization, and its path is not excluded (``PAGE_CACHE_EXCLUDED_PATHS``: the admin, the
documents, the API, the probes, the webhooks, the partner space). A response is stored when it
answered such a GET with a 200 that is not streamed, sets no cookie, says nothing about caching
itself (``Cache-Control``), varies on nothing but ``Cookie``, and did not use the CSRF token
(forms: sign-up, enquiry) or a CSP nonce (which would be replayed to other visitors).

Entries are keyed on scheme, host, path and query string, and the static files' manifest (a
deployment's new CSS and JavaScript names are never mixed with the old pages). Each entry holds
the *generation* it was rendered in; :func:`purge` replaces the generation with a new random
one, so that every entry stored before is ignored from then on. Publishing, unpublishing,
moving, deleting or restricting a page, and changing a snippet, a site, an image or a document
purge the whole cache (portal/signals.py): an edition's page lists its articles and the home
page the editions, so no single address can be purged alone.

The cache is the ``pages`` alias of ``CACHES``: Redis when ``REDIS_URL`` is set, otherwise each
process's own memory, which another process's purge cannot reach (production enables the cache
by default only with Redis). ``PAGE_CACHE_TIMEOUT`` (seconds, 0: off) is how long an entry is
kept; browsers and proxies may keep a stored page ``PAGE_CACHE_MAX_AGE`` seconds.

With Redis, each process also keeps the pages it served (``PROCESS_MEMORY_BYTES`` at most,
``PAGE_CACHE_TIMEOUT`` at most each) and trusts the generation it read for
``GENERATION_TRUSTED_SECONDS``: within that second a kept page is answered without asking
Redis. The process that purges serves the new pages at once; the others, within that second.

In production, hits are answered by :class:`PageCacheApplication` (portal/wsgi.py) before
Django's handler; ``PageCacheMiddleware`` stores what was rendered.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from functools import cache

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpResponse
from django.utils.cache import cc_delim_re, patch_cache_control, set_response_etag
from django.utils.http import parse_etags

from redis.exceptions import RedisError

from portal.csp import site_policy_headers
from portal.process_memory import ProcessMemory

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
GENERATION_KEY = "generation"
STATUS_HEADER = "X-Page-Cache"
HIT = (STATUS_HEADER, "hit")
# Entries are (generation, status line, headers, body); kept under keys starting with this,
# so that entries of another shape, kept by an earlier release, are never read.
ENTRY_FORMAT = "page2:"
# Where a lookup that missed leaves its key and generation, in the request's environ.
LOOKED_UP = "portal.page_cache"
# What a 304 keeps of the page's headers (as Django's ConditionalGetMiddleware does).
NOT_MODIFIED_HEADERS = frozenset(
    {"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary"}
)
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
# Never replayed from an entry: they belong to the request that rendered it (a hit gets the
# site's policy again, from portal.csp, in cached_answer).
UNSTORED_HEADERS = frozenset(
    {
        "set-cookie",
        "content-security-policy",
        "content-security-policy-report-only",
        STATUS_HEADER.lower(),
    }
)
CACHE_ERRORS = (RedisError, OSError)
# How long a process trusts the generation it read from Redis: another process's purge
# reaches it at most this late (browsers and proxies may keep a page PAGE_CACHE_MAX_AGE).
GENERATION_TRUSTED_SECONDS = 1.0
# Pages a process keeps in its own memory, at most (bytes of their bodies).
PROCESS_MEMORY_BYTES = 32 * 1024 * 1024


def page_cache():
    return caches[CACHE_ALIAS]


@cache
def _excluded_paths() -> re.Pattern:
    return re.compile("|".join(f"(?:{pattern})" for pattern in settings.PAGE_CACHE_EXCLUDED_PATHS))


@cache
def _static_version() -> str:
    """The static files' manifest hash (whitenoise's manifest storage), '' without one."""
    return getattr(staticfiles_storage, "manifest_hash", "") or ""


def is_enabled() -> bool:
    return settings.PAGE_CACHE_TIMEOUT > 0


def is_personal_request(request) -> bool:
    """The request may be answered for this visitor alone: a session (signed in, a partner,
    a draft sign-up, a password-protected page), messages waiting, or credentials."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or MESSAGES_COOKIE in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def is_cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not is_personal_request(request)
        # Rare preconditions that Django's own handling answers (412).
        and "HTTP_IF_MATCH" not in request.META
        and "HTTP_IF_UNMODIFIED_SINCE" not in request.META
        and not _excluded_paths().match(request.path_info)
    )


def uses_visitor_secret(request) -> bool:
    """Whether rendering used the CSRF token (a form) or the CSP nonce: never shared."""
    nonce = getattr(request, "csp_nonce", None)
    return bool(request.META.get("CSRF_COOKIE_USED")) or (nonce is not None and bool(nonce))


def is_cacheable_response(request, response) -> bool:
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or response.has_header("Cache-Control")
        or uses_visitor_secret(request)
    ):
        return False
    vary = {
        header.strip().lower() for header in cc_delim_re.split(response.get("Vary", "")) if header
    }
    # The key already says "no session cookie": Cookie is the only variation it covers.
    return vary <= {"cookie"}


def cache_key(request) -> str:
    address = "|".join(
        (
            request.scheme,
            request.get_host(),
            request.path,
            request.META.get("QUERY_STRING", ""),
            _static_version(),
        )
    )
    return ENTRY_FORMAT + hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()


class _Generation:
    """The generation this process last read from the shared cache (or wrote, purging), and
    when the read began: a read that began before another thread's purge never replaces the
    purge's generation."""

    def __init__(self):
        self.value: str | None = None
        self.read_at = 0.0
        self.lock = threading.Lock()

    def trusted(self) -> str | None:
        if time.monotonic() - self.read_at < GENERATION_TRUSTED_SECONDS:
            return self.value
        return None

    def remember(self, value: str | None, read_at: float) -> None:
        with self.lock:
            if read_at >= self.read_at:
                self.value, self.read_at = value, read_at


_generation = _Generation()
_memory = ProcessMemory(PROCESS_MEMORY_BYTES)


def _is_shared(backend) -> bool:
    return not isinstance(backend, LocMemCache)


def lookup(key: str) -> tuple[str | None, tuple | None]:
    """The current generation and, when the entry is of that generation, its answer:
    ``(status line, headers, body)``.

    With a shared cache (Redis), the process keeps the entries it read and, for
    ``GENERATION_TRUSTED_SECONDS``, the generation: a page kept in the process's memory is
    then answered without a round trip to Redis."""
    backend = page_cache()
    shared = _is_shared(backend)
    generation = _generation.trusted() if shared else None
    if generation is not None:
        kept = _memory.get(key, generation)
        if kept is not None and time.monotonic() < kept[1]:
            return generation, kept[0]
    read_at = time.monotonic()
    try:
        values = backend.get_many([GENERATION_KEY, key])
        generation = values.get(GENERATION_KEY)
        if generation is None:
            # Never set, or lost (a flushed Redis): start one; entries of the old are ignored.
            backend.add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
            generation = backend.get(GENERATION_KEY)
            _generation.remember(generation, read_at)
            return generation, None
    except CACHE_ERRORS as error:
        logger.warning("Page cache unavailable, rendering: %s", error)
        _generation.remember(None, read_at)
        return None, None
    if shared:
        _generation.remember(generation, read_at)
    entry = values.get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    answer = entry[1:]
    if shared:
        _remember(key, generation, answer)
    return generation, answer


def _remember(key, generation, answer):
    """Keep a page in this process's memory, no longer than PAGE_CACHE_TIMEOUT."""
    deadline = time.monotonic() + settings.PAGE_CACHE_TIMEOUT
    _memory.set(key, generation, (answer, deadline), len(answer[2]))


def _matches(if_none_match: str, etag: str | None) -> bool:
    """Whether ``If-None-Match`` names the ETag (weak comparison, as RFC 9110 asks)."""
    if etag is None:
        return False
    etags = parse_etags(if_none_match)
    return "*" in etags or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in etags}


def cached_answer(request) -> tuple[str, list, bytes] | None:
    """The answer to a cacheable request from the cache, as ``(status line, headers, body)``,
    or None when it must be rendered.

    A hit gets the site's security policy, a 304 when ``If-None-Match`` matches its ETag,
    and no body for HEAD. A miss leaves the key and generation it is to be stored under in
    ``request.META`` (:data:`LOOKED_UP`), so that the middleware does not ask Redis again.
    """
    key = cache_key(request)
    generation, entry = lookup(key)
    if entry is None:
        request.META[LOOKED_UP] = (key, generation)
        return None
    status, headers, body = entry
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match and _matches(if_none_match, dict(headers).get("ETag")):
        kept = [(name, value) for name, value in headers if name in NOT_MODIFIED_HEADERS]
        return "304 Not Modified", [*kept, HIT], b""
    headers = [*headers, *site_policy_headers(request.path_info), HIT]
    return status, headers, b"" if request.method == "HEAD" else body


def as_response(answer) -> HttpResponse:
    """An answer of the cache as Django's response (for PageCacheMiddleware)."""
    status, headers, body = answer
    response = HttpResponse(body, status=int(status[:3]))
    for name, value in headers:
        response.headers[name] = value
    return response


class PageCacheApplication:
    """Serve the page cache's hits before Django's own handler.

    A hit needs neither the middleware, nor the URL resolver, nor the database: answered
    here from the process's memory, it costs about 13 µs in-process, against about 700 µs
    through Django's handler (README, "Page benchmark"). Anything else
    (a miss, an uncacheable request, a Host that ALLOWED_HOSTS refuses) goes to Django, whose
    PageCacheMiddleware stores what it renders and answers the same hits when this wrapper is
    not in front (the test client, the development server).
    """

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, environ, start_response):
        if is_enabled():
            try:
                request = WSGIRequest(environ)
                answer = cached_answer(request) if is_cacheable_request(request) else None
            except (DisallowedHost, UnicodeDecodeError, ValueError):
                answer = None  # Django answers it (400) and logs it
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.handler(environ, start_response)


def store(key: str, generation: str, response) -> None:
    """Mark the response public, give it an ETag, and keep it under ``generation``."""
    patch_cache_control(response, public=True, max_age=settings.PAGE_CACHE_MAX_AGE)
    set_response_etag(response)
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in UNSTORED_HEADERS
    ]
    status = f"{response.status_code} {response.reason_phrase}"
    entry = (generation, status, headers, response.content)
    backend = page_cache()
    try:
        backend.set(key, entry, timeout=settings.PAGE_CACHE_TIMEOUT)
    except CACHE_ERRORS as error:
        logger.warning("Page cache unavailable, page not kept: %s", error)
        return
    if _is_shared(backend):
        _remember(key, generation, entry[1:])


def purge() -> None:
    """Forget every page kept so far (a new generation)."""
    generation = secrets.token_hex(8)
    try:
        page_cache().set(GENERATION_KEY, generation, timeout=None)
        _generation.remember(generation, time.monotonic())  # this process, at once
    except CACHE_ERRORS:
        # Pages already kept stay visible until PAGE_CACHE_TIMEOUT: say so loudly.
        logger.exception("Could not purge the page cache")


class _PurgeAfterCommit:
    """A purge waiting for its transaction's commit (``done`` once it ran)."""

    done = False

    def __call__(self):
        self.done = True
        purge()


def purge_after_commit(using: str = DEFAULT_DB_ALIAS) -> None:
    """Purge once the current transaction commits (at once outside one), and only once per
    transaction however many changes it holds: a request rendered meanwhile still sees the
    old content, and must not be kept under the new generation."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        isinstance(callback, _PurgeAfterCommit) and not callback.done
        for _savepoints, callback, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_PurgeAfterCommit(), using=using, robust=True)
