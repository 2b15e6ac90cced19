"""What the public pages derive from the page tree, cached until the tree changes.

The site's layout (home pages, main menu, footer links, the articles index), each page's
translations, the articles listing's filter choices and the rendered StreamFields (their
rich text links, documents and images) cost queries to compute and change only when an
editor changes content: the changes that purge the page cache (portal/signals.py) call
`tree_changed`. They are kept in the Django cache (Redis when `REDIS_URL` is set) under a
*tree version*: every such change replaces the version, so that whatever was cached under
the previous one is never read again (it is replaced, or expires).

Without Redis, each process has its own memory cache, which another process's change cannot
reach: entries are then kept `LOCAL_TIMEOUT` seconds only, the longest a worker may show the
old menu or links after an editor publishes.

With Redis, a request reads the version once, at its first lookup, and sees that tree
throughout; and each process keeps the entries it read (serialised, `PROCESS_MEMORY_BYTES`
at most, least recently used first out) while the version stays the same: a warm request
makes one round trip to Redis for all its lookups. Every lookup gets its own copy.

A transaction that changes the tree neither reads nor writes these entries until it ends:
what it would cache could describe changes that are then rolled back. The version is replaced
once more when it commits, so that another process that cached the old tree in between is
not believed either.
"""

import logging
import pickle
import threading
import uuid

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

from portal.cache import CACHE_ERRORS
from portal.process_memory import ProcessMemory

logger = logging.getLogger(__name__)

VERSION_KEY = "tree-cache:version"
# Entries are (version, pickled value); an entry of another shape, from an earlier release,
# is under another prefix and never read.
ENTRY_PREFIX = "tree-cache:2:"
TIMEOUT = 24 * 60 * 60
LOCAL_TIMEOUT = 30
PROCESS_MEMORY_BYTES = 32 * 1024 * 1024


_memory = ProcessMemory(PROCESS_MEMORY_BYTES)
# The version the current request reads (set at its first lookup); `active` between
# Django's request_started and request_finished signals, on the request's thread.
_request = threading.local()


def request_started(**kwargs):
    _request.active, _request.version = True, None


def request_finished(**kwargs):
    _request.active, _request.version = False, None


def is_shared():
    """Whether every process reads the same entries (Redis): a change is then seen by all of
    them at once, not after LOCAL_TIMEOUT."""
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache)


def _changed_in_this_transaction():
    block = getattr(connection, "_tree_cache_changed_in", None)
    return block is not None and connection.in_atomic_block and connection.atomic_blocks[0] is block


def get_or_compute(key, compute, keep=None):
    """The value cached under `key` for the current tree, else `compute()`, then cached
    unless `keep(value)` is false. With Redis unreachable, `compute()` (pages render
    without the cache, more slowly, rather than fail).

    An entry holds the version it was computed under (an entry of an older tree is
    replaced) and the value, serialised. The first lookup of a request reads the version and
    the entry in one round trip; the next ones read the entry only, from this process's
    memory when it holds it."""
    if _changed_in_this_transaction():
        return compute()
    full_key = f"{ENTRY_PREFIX}{key}"
    shared = is_shared()
    try:
        version, data = _read(full_key, shared)
    except CACHE_ERRORS as error:
        logger.warning("Tree cache unavailable, computing %s: %s", key, error)
        return compute()
    if data is not None:
        return pickle.loads(data)  # noqa: S301 - written by this module
    value = compute()
    if version is not None and (keep is None or keep(value)):
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        try:
            cache.set(full_key, (version, data), TIMEOUT if shared else LOCAL_TIMEOUT)
        except CACHE_ERRORS as error:
            logger.warning("Tree cache unavailable, %s not kept: %s", key, error)
            return value
        if shared:
            _memory.set(full_key, version, data, len(data))
    return value


def _read(full_key, shared):
    """(the current version, the entry's serialised value when it is of that version);
    (None, None) with a cache that keeps nothing (DummyCache)."""
    version = getattr(_request, "version", None)
    if version is None:
        values = cache.get_many([VERSION_KEY, full_key])
        version = values.get(VERSION_KEY)
        if version is None:
            # A random start: an evicted version key never brings old entries back.
            cache.add(VERSION_KEY, uuid.uuid4().hex, None)
            version = cache.get(VERSION_KEY)
            if version is None:
                return None, None
        if getattr(_request, "active", False):
            _request.version = version
        entry = values.get(full_key)
    else:
        data = _memory.get(full_key, version) if shared else None
        if data is not None:
            return version, data
        entry = cache.get(full_key)
    if entry is None or entry[0] != version:
        return version, None
    if shared:
        _memory.set(full_key, version, entry[1], len(entry[1]))
    return version, entry[1]


def _new_version():
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    _request.version = None


def reset():
    """Forget everything cached from the tree.

    `tree_changed` calls it when the change commits. A test whose fixture builds pages without
    Wagtail's signals (bulk inserts) calls it after building them and after rolling back.
    """
    _new_version()
    connection._tree_cache_changed_in = None


def tree_changed():
    """Content changed (portal/signals.py): forget what was cached, now and at commit."""
    _new_version()
    if connection.in_atomic_block:
        connection._tree_cache_changed_in = connection.atomic_blocks[0]
        transaction.on_commit(reset)
