"""The health endpoints that the container's probe and the load balancer call.

Dependencies that are down are real: a closed port on 127.0.0.1 (9, discard, which nothing
serves here), a listening socket that never answers, and a redis-server started, stopped
and started again by the test.
"""

import shutil
import socket
import subprocess
import time

import pytest

SILENT_TIMEOUT = 2.0


def point_cache_at(settings, url):
    """REDIS_URL and the cache it configures (as base settings build them), at `url`."""
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def without_elasticsearch(settings):
    """The ES checks have their own tests; a developer's ELASTICSEARCH_URL stays out."""
    settings.ELASTICSEARCH_URL = ""
    settings.SEARCH_SERVICE = "search.services.database.DatabaseSearchService"


def get_ready(client):
    started = time.monotonic()
    response = client.get("/health/ready")
    return response, response.json(), time.monotonic() - started


# --- /health/live ------------------------------------------------------------------------


def test_live_answers_without_the_database(client):
    """No `db` mark: any database access in the request would raise."""
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_health_urls_have_no_language_prefix_and_tolerate_a_slash(client):
    assert client.get("/health/live/").status_code == 200
    assert client.head("/health/live").status_code == 200
    assert client.post("/health/live").status_code == 405


# --- /health/ready -----------------------------------------------------------------------


@pytest.mark.django_db
def test_ready_names_each_configured_dependency(client, settings, without_elasticsearch):
    response, body, _ = get_ready(client)

    assert response.status_code == 200, body
    assert response["Cache-Control"] == "no-store"
    expected = {"status": "ok", "database": "ok"}
    if settings.REDIS_URL:  # CI: redis://127.0.0.1:6379/1
        expected["redis"] = "ok"
    if settings.CELERY_BROKER_URL:  # CI: redis://127.0.0.1:6379/0
        expected["celery_broker"] = "ok"
    assert body == expected


@pytest.mark.django_db
def test_ready_checks_only_the_database_when_nothing_else_is_configured(
    client, settings, without_elasticsearch
):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = None

    response, body, _ = get_ready(client)

    assert response.status_code == 200
    assert body == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_redis_on_a_closed_port_makes_ready_503_naming_it(client, settings, without_elasticsearch):
    point_cache_at(settings, "redis://127.0.0.1:9/0")

    response, body, elapsed = get_ready(client)

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["redis"] == "down"
    assert body["database"] == "ok"
    assert response["Cache-Control"] == "no-store"
    assert elapsed < settings.HEALTH_CHECK_TIMEOUT + 1


@pytest.mark.django_db
def test_celery_broker_on_a_closed_port_makes_ready_503_naming_it(
    client, settings, without_elasticsearch
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"

    response, body, elapsed = get_ready(client)

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["celery_broker"] == "down"
    assert body["database"] == "ok"
    assert elapsed < settings.HEALTH_CHECK_TIMEOUT + 1


@pytest.mark.django_db
def test_elasticsearch_on_a_closed_port_makes_ready_503_naming_it(client, settings):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.SEARCH_SERVICE = "search.services.elastic.ElasticsearchSearchService"

    response, body, elapsed = get_ready(client)

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["elasticsearch"] == "down"
    assert body["database"] == "ok"
    assert elapsed < settings.HEALTH_CHECK_TIMEOUT + 1


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.django_db
def test_a_dependency_that_never_answers_times_out_and_ready_still_answers(
    client, settings, silent_port
):
    # Elasticsearch's own timeout (ELASTICSEARCH_TIMEOUT, 5 s) is longer than the check's.
    settings.HEALTH_CHECK_TIMEOUT = SILENT_TIMEOUT
    settings.ELASTICSEARCH_TIMEOUT = 5
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{silent_port}"
    settings.SEARCH_SERVICE = "search.services.elastic.ElasticsearchSearchService"

    response, body, elapsed = get_ready(client)

    assert response.status_code == 503
    assert body["elasticsearch"] == "timeout"
    assert body["database"] == "ok"
    assert SILENT_TIMEOUT <= elapsed < SILENT_TIMEOUT + 1


# --- a real Redis, stopped and started again ---------------------------------------------


def start_redis(port):
    process = subprocess.Popen(  # noqa: S603 - redis-server from PATH, fixed arguments
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.1)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.django_db
@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_ready_follows_a_real_redis_going_down_and_coming_back(
    client, settings, without_elasticsearch
):
    port = free_port()
    redis = start_redis(port)
    try:
        point_cache_at(settings, f"redis://127.0.0.1:{port}/0")
        response, body, _ = get_ready(client)
        assert response.status_code == 200, body
        assert body["redis"] == "ok"

        stop(redis)
        response, body, _ = get_ready(client)
        assert response.status_code == 503
        assert body["status"] == "unavailable"
        assert body["redis"] == "down"

        redis = start_redis(port)
        response, body, _ = get_ready(client)
        assert response.status_code == 200, body
        assert body["redis"] == "ok"
    finally:
        stop(redis)
