"""Health endpoints, for the container's probe and the load balancer (outside /fr/, /en/).

`/health/live` answers 200 `{"status": "ok"}` while the process serves requests; it touches
no dependency, not even the database.

`/health/ready` checks every dependency the settings switch on: the database (`SELECT 1`),
Redis when `REDIS_URL` is set (a key written and read back through the cache), the Celery
broker when `CELERY_BROKER_URL` is set (a connection), Elasticsearch when `ELASTICSEARCH_URL`
is set (a one-suggestion query through the search service). The checks run side by side,
each on a connection of its own, so that a stale pool neither hides an outage nor delays a
recovery; whatever has not answered within HEALTH_CHECK_TIMEOUT seconds (2) counts as down,
so the endpoint answers within that time whatever hangs. The answer names each dependency:

    200 {"status": "ok", "database": "ok", "redis": "ok", ...}
    503 {"status": "unavailable", "database": "ok", "redis": "down", ...}

A dependency is "ok", "down" (it answered with an error, logged here) or "timeout". Neither
answer may be cached (`Cache-Control: no-store`).
"""

import logging
import math
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Threads outlive a request only while a check is still waiting on its own socket timeout
# (2 s for Redis and the broker, ELASTICSEARCH_TIMEOUT for Elasticsearch).
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health-check")


def check_database(timeout):
    """`SELECT 1` on a new connection, closed afterwards."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    if connection.vendor == "postgresql":
        # libpq waits for the server indefinitely by default.
        options = {**connection.settings_dict.get("OPTIONS", {})}
        options["connect_timeout"] = max(1, math.ceil(timeout))
        connection.settings_dict = {**connection.settings_dict, "OPTIONS": options}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_redis(timeout):
    """A key written, read back and deleted through a new client of the default cache."""
    cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    key, value = f"portal:health:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=60)
        if cache.get(key) != value:
            raise RuntimeError("the cache gave back another value than the one written")
        cache.delete(key)
    finally:
        cache.close()


def check_celery_broker(timeout):
    """A connection to the broker, one attempt, through the Celery app's settings."""
    from portal.celery import app

    with app.connection_for_write(
        url=settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    ) as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=timeout
        )


def check_elasticsearch(timeout):
    """The cheapest query the search service offers: one title suggestion.

    `SearchUnavailable` (the engine refused or did not answer) is the failure; the service
    has logged its cause. A `ping()` on the service would be cheaper still.
    """
    from search.services import get_search_service

    get_search_service().autocomplete("a", limit=1)


def enabled_checks():
    """(name, check) for the database and each service the settings switch on."""
    checks = [("database", check_database)]
    if settings.REDIS_URL:
        checks.append(("redis", check_redis))
    if settings.CELERY_BROKER_URL:
        checks.append(("celery_broker", check_celery_broker))
    if settings.ELASTICSEARCH_URL:
        checks.append(("elasticsearch", check_elasticsearch))
    return checks


def run_checks():
    """{name: "ok" | "down" | "timeout"}, within HEALTH_CHECK_TIMEOUT seconds."""
    timeout = settings.HEALTH_CHECK_TIMEOUT
    futures = {name: _executor.submit(check, timeout) for name, check in enabled_checks()}
    wait(futures.values(), timeout=timeout)
    results = {}
    for name, future in futures.items():
        if not future.done():
            future.cancel()
            logger.warning("Readiness: %s did not answer within %s s", name, timeout)
            results[name] = "timeout"
        elif future.exception() is not None:
            logger.warning("Readiness: %s is down: %r", name, future.exception())
            results[name] = "down"
        else:
            results[name] = "ok"
    return results


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@transaction.non_atomic_requests
def live(request):
    return _no_store(JsonResponse({"status": "ok"}))


@require_safe
@transaction.non_atomic_requests
def ready(request):
    results = run_checks()
    healthy = all(state == "ok" for state in results.values())
    body = {"status": "ok" if healthy else "unavailable", **results}
    return _no_store(JsonResponse(body, status=200 if healthy else 503))
