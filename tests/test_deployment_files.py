"""The deployment files: Dockerfile, compose.yaml, .dockerignore and docker/healthcheck.py.

No Docker engine runs where these tests run, so no image is built and no container started:
the files are parsed and checked against what the project itself says (the Makefile's uv
version, the production settings' required variables, the Celery routes, the management
commands), the image's `collectstatic` step runs with the Dockerfile's own build values, and
the image's health probe runs against the portal served by the Dockerfile's gunicorn command
under production settings. No database is needed.
"""

import ast
import http.server
import importlib
import importlib.metadata
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.core.management import get_commands

import pytest
import yaml

from portal.settings import base

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "elasticsearch", "web", "worker", "beat")
PROBE = ROOT / "docker" / "healthcheck.py"
# `${NAME:?message}`: Compose refuses to start when NAME is unset or empty.
REQUIRED_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}")


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, arguments = (current + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


DOCKERFILE = dockerfile_instructions()


def instructions(keyword):
    return [arguments for name, arguments in DOCKERFILE if name == keyword]


def runtime_stage():
    """The instructions of the last stage, the image that runs."""
    last_from = max(i for i, (name, _) in enumerate(DOCKERFILE) if name == "FROM")
    return DOCKERFILE[last_from:]


def collectstatic_step():
    """The build's collectstatic command: its environment assignments and its argv."""
    (run,) = [arguments for arguments in instructions("RUN") if "collectstatic" in arguments]
    words = shlex.split(run.split("&&")[0])
    assignments = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words


def gunicorn_script():
    """The image's default command: `sh -c <script>` so that WEB_CONCURRENCY is expanded."""
    (cmd,) = [arguments for name, arguments in runtime_stage() if name == "CMD"]
    argv = json.loads(cmd)
    assert argv[:2] == ["sh", "-c"]
    return argv[2]


def command_words(service):
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def migrate_steps():
    """The one-shot service's `manage.py` commands, in order, as argument lists."""
    words = command_words("migrate")
    script = words[2] if words[:2] == ["sh", "-c"] else shlex.join(words)
    steps = [shlex.split(step) for step in script.split("&&")]
    assert all(step[:2] == ["python", "manage.py"] for step in steps), steps
    return [step[2:] for step in steps]


def option_value(words, *names):
    for index, word in enumerate(words):
        if word in names:
            return words[index + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word.partition("=")[2]
    raise AssertionError(f"none of {names} in {words}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_probe(url, allowed_hosts):
    env = {**os.environ, "ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(PROBE), url], capture_output=True, text=True, env=env, check=False
    )


def production_environment(**overrides):
    """The environment of a process under production settings, without the test run's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "ELASTICSEARCH_URL", "STATIC_ROOT"):
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"
    env.update(overrides)
    return env


# --- compose.yaml: services, order, health ------------------------------------------------


def test_compose_declares_every_service_and_no_version_key():
    assert "version" not in COMPOSE
    assert set(SERVICES) >= {"postgres", "redis", "elasticsearch", *APP_SERVICES}


@pytest.mark.parametrize("service", LONG_RUNNING)
def test_each_long_running_service_has_a_healthcheck(service):
    healthcheck = SERVICES[service]["healthcheck"]

    assert not healthcheck.get("disable")
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
    assert healthcheck["interval"]
    assert healthcheck["retries"] >= 1
    assert SERVICES[service]["restart"] == "unless-stopped"


def test_infrastructure_healthchecks_ask_each_service_itself():
    def test_of(service):
        return " ".join(SERVICES[service]["healthcheck"]["test"][1:])

    assert "pg_isready" in test_of("postgres")
    assert "redis-cli ping" in test_of("redis")
    assert "_cluster/health?wait_for_status=yellow" in test_of("elasticsearch")


def test_web_publishes_port_8000_on_loopback_and_checks_readiness():
    web = SERVICES["web"]
    (published,) = web["ports"]

    assert published.rsplit(":", 1)[1] == "8000"  # the container's port
    assert published.split(":")[0] == "127.0.0.1"
    assert "${PORT:-8000}" in published
    probe = web["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "/app/docker/healthcheck.py"]
    assert probe[3] == "http://127.0.0.1:8000/health/ready"


def test_web_runs_the_images_gunicorn_command():
    assert "command" not in SERVICES["web"]
    words = shlex.split(gunicorn_script())
    assert words[:3] == ["exec", "gunicorn", "portal.wsgi:application"]
    assert option_value(words, "--bind").endswith(":8000")
    assert option_value(words, "--workers") == "${WEB_CONCURRENCY:-2}"
    assert option_value(words, "--worker-class") == "gthread"
    assert option_value(words, "--threads") == "${GUNICORN_THREADS:-4}"
    assert "--reuse-port" in words
    assert option_value(words, "--access-logfile") == "-"


def test_migrate_waits_for_healthy_services_and_the_others_wait_for_migrate():
    migrate = SERVICES["migrate"]

    assert migrate["restart"] == "no"
    assert migrate["healthcheck"] == {"disable": True}
    assert migrate["depends_on"] == {
        name: {"condition": "service_healthy"} for name in ("postgres", "redis", "elasticsearch")
    }
    for service in ("web", "worker", "beat"):
        assert SERVICES[service]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }


def test_migrate_runs_migrations_content_site_and_search_indexes_in_order():
    steps = migrate_steps()

    assert steps == [
        ["migrate", "--noinput"],
        ["load_content"],
        ["configure_site"],
        ["update_index"],
        ["rebuild_search_index", "--if-empty"],
    ]
    assert {step[0] for step in steps} <= set(get_commands())


def test_worker_consumes_every_queue_tasks_are_routed_to(settings):
    consumed = set(option_value(command_words("worker"), "-Q", "--queues").split(","))
    routers = settings.CELERY_TASK_ROUTES
    routers = routers if isinstance(routers, list | tuple) else [routers]
    routed = {
        route if isinstance(route, str) else route["queue"]
        for router in routers
        for route in router.values()
    }
    default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")

    assert routed | {default} <= consumed
    assert set(getattr(settings, "CELERY_TASK_QUEUES_CONSUMED", ())) <= consumed
    assert consumed >= {"celery", "search", "email", "payments"}
    assert command_words("worker")[:4] == ["celery", "-A", "portal", "worker"]


def test_worker_healthcheck_pings_this_worker_by_its_node_name():
    test = SERVICES["worker"]["healthcheck"]["test"]

    # Compose turns `$$` into `$`, left for the container's shell: the worker's own host name,
    # not the one of the host that runs `docker compose`.
    assert test[0] == "CMD-SHELL"
    assert "celery -A portal inspect ping" in test[1]
    assert "-d celery@$${HOSTNAME}" in test[1]


def test_beat_uses_the_database_scheduler_and_runs_once():
    words = command_words("beat")

    assert words[:4] == ["celery", "-A", "portal", "beat"]
    assert option_value(words, "--scheduler", "-S") == (
        "django_celery_beat.schedulers:DatabaseScheduler"
    )
    assert "scale" not in SERVICES["beat"] and "deploy" not in SERVICES["beat"]


def test_beats_scheduler_is_installed_and_the_one_settings_name(settings):
    scheduler = option_value(command_words("beat"), "--scheduler", "-S")
    module, _, name = scheduler.partition(":")

    assert getattr(importlib.import_module(module), name)
    assert module.split(".")[0] in settings.INSTALLED_APPS
    assert getattr(settings, "CELERY_BEAT_SCHEDULER", scheduler) == scheduler


def test_redis_evicts_cache_entries_never_queued_tasks():
    """Redis is both the broker and the cache: bounded, and only keys with an expiry go."""
    command = COMPOSE["services"]["redis"]["command"]
    options = dict(zip(command[1::2], command[2::2], strict=False))
    assert options["--maxmemory-policy"] == "volatile-lru"
    assert options["--maxmemory"].endswith(("mb", "gb"))
    assert options["--appendonly"] == "yes"


# --- compose.yaml: environment, secrets, volumes ---------------------------------------------


def test_app_services_share_one_image_and_environment():
    shared = COMPOSE["x-app"]

    for service in APP_SERVICES:
        assert SERVICES[service]["image"] == shared["image"]
        assert SERVICES[service]["environment"] == shared["environment"]
        assert SERVICES[service]["env_file"] == ".env"
    environment = shared["environment"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert environment["REDIS_URL"] != environment["CELERY_BROKER_URL"]
    assert environment["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert "@postgres:5432/" in environment["DATABASE_URL"]


def test_every_variable_production_requires_is_given_and_secrets_are_interpolated():
    tree = ast.parse((ROOT / "portal" / "settings" / "production.py").read_text())
    (required,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "REQUIRED"
    ]
    environment = COMPOSE["x-app"]["environment"]

    for name in required:
        assert REQUIRED_INTERPOLATION.search(environment[name]), name
    assert REQUIRED_INTERPOLATION.fullmatch(environment["SECRET_KEY"]).group("name") == (
        "SECRET_KEY"
    )


def url_password(value):
    """The password of a URL whose parts may be `${…}` interpolations, or None."""
    interpolations = re.findall(r"\$\{[^}]*\}", value)
    text = value
    for index, interpolation in enumerate(interpolations):
        text = text.replace(interpolation, f"interpolation{index}", 1)
    password = urlsplit(text).password if "://" in text else None
    if password is None:
        return None
    return re.sub(r"interpolation(\d+)", lambda m: interpolations[int(m.group(1))], password)


def test_no_secret_value_is_written_in_compose():
    secret_names = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")

    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if secret_names.search(key):
                assert REQUIRED_INTERPOLATION.fullmatch(str(value)), f"{name}: {key}"
            password = url_password(str(value))
            if password is not None:
                assert REQUIRED_INTERPOLATION.fullmatch(password), f"{name}: {key}"
    assert url_password(COMPOSE["x-app"]["environment"]["DATABASE_URL"]) == (
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    )
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_uploads_and_private_files_are_volumes_where_settings_put_them():
    environment = COMPOSE["x-app"]["environment"]
    workdir = [arguments for name, arguments in runtime_stage() if name == "WORKDIR"][-1]
    var = f"{workdir}/{base.VAR_DIR.relative_to(base.BASE_DIR)}"

    assert environment["STATIC_ROOT"] == f"{var}/static"  # where the build collected them
    assert environment["MEDIA_ROOT"] == f"{var}/media"
    assert environment["PRIVATE_MEDIA_ROOT"] == f"{var}/private"
    for service in ("migrate", "web", "worker"):
        mounts = dict(volume.split(":")[::-1] for volume in SERVICES[service]["volumes"])
        assert mounts[environment["MEDIA_ROOT"]] == "media", service
        assert mounts[environment["PRIVATE_MEDIA_ROOT"]] == "private", service


def test_volumes_declared_are_the_volumes_used():
    used = {
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }

    assert used == set(COMPOSE["volumes"])
    assert "postgres-data:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert (
        "elasticsearch-data:/usr/share/elasticsearch/data" in (SERVICES["elasticsearch"]["volumes"])
    )


def test_elasticsearch_is_version_8_like_the_client_single_node_without_security():
    service = SERVICES["elasticsearch"]
    repository, _, tag = service["image"].rpartition(":")
    client_major = importlib.metadata.version("elasticsearch").split(".")[0]

    assert repository == "docker.elastic.co/elasticsearch/elasticsearch"
    assert tag.split(".")[0] == client_major == "8"
    assert service["environment"]["discovery.type"] == "single-node"
    assert service["environment"]["xpack.security.enabled"] == "false"
    assert service["environment"]["ES_JAVA_OPTS"] == "-Xms512m -Xmx512m"
    assert "ports" not in service


# --- Dockerfile ------------------------------------------------------------------------------


def test_image_is_built_in_stages_from_python_311_slim():
    stages = instructions("FROM")

    assert len(stages) >= 2
    assert "PYTHON_IMAGE=python:3.11-slim-bookworm" in instructions("ARG")
    assert all(stage.startswith("${PYTHON_IMAGE} AS ") for stage in stages)


def test_uv_version_is_the_makefiles():
    makefile = (ROOT / "Makefile").read_text()
    (make_version,) = re.findall(r"^UV_VERSION\s*:?=\s*(\S+)$", makefile, re.MULTILINE)

    assert f"UV_VERSION={make_version}" in instructions("ARG")
    assert any('"uv==${UV_VERSION}"' in run for run in instructions("RUN"))


def test_locked_dependencies_are_synced_without_the_dev_group():
    (sync,) = [run for run in instructions("RUN") if "uv sync" in run]

    assert "uv sync --frozen --no-dev" in sync
    assert "COPY --from=builder /app/.venv /app/.venv" in [
        f"COPY {arguments}" for name, arguments in runtime_stage() if name == "COPY"
    ]


def test_runtime_environment_runs_production_settings_unbuffered():
    env = " ".join(arguments for name, arguments in runtime_stage() if name == "ENV")

    assert "DJANGO_SETTINGS_MODULE=portal.settings.production" in env
    assert "PYTHONUNBUFFERED=1" in env
    assert "PATH=/app/.venv/bin:$PATH" in env


def test_image_runs_as_an_unprivileged_user_exposes_8000_and_checks_liveness():
    names = [name for name, _ in runtime_stage()]
    user = [arguments for name, arguments in runtime_stage() if name == "USER"][-1]

    assert names.index("USER") < names.index("CMD")
    assert user.split(":")[0] not in ("root", "0")
    assert instructions("EXPOSE") == ["8000"]
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "--interval=" in healthcheck and "--retries=" in healthcheck
    assert healthcheck.endswith(
        'CMD ["python", "/app/docker/healthcheck.py", "http://127.0.0.1:8000/health/live"]'
    )


def test_collectstatic_at_build_writes_whitenoises_manifest(tmp_path):
    assignments, argv = collectstatic_step()

    assert assignments["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
    assert len(assignments["SECRET_KEY"]) >= 32
    assert argv[:4] == ["python", "manage.py", "collectstatic", "--noinput"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *argv[1:]],
        cwd=ROOT,
        env=production_environment(**assignments, STATIC_ROOT=str(tmp_path / "static")),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert manifest["paths"]["portal/css/site.css"] != "portal/css/site.css"
    assert (tmp_path / "static" / (manifest["paths"]["portal/css/site.css"] + ".gz")).exists()


# --- .dockerignore ---------------------------------------------------------------------------


def dockerignore_excludes(path):
    """Docker's rule: a path is left out when it or one of its parent folders matches."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not handled by this check"
        regex = re.escape(line.strip("/"))
        regex = regex.replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = regex.replace(r"\[", "[").replace(r"\]", "]")
        patterns.append(re.compile(regex))
    parts = path.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(pattern.fullmatch(prefix) for pattern in patterns for prefix in prefixes)


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "pyproject.toml",
        "uv.lock",
        "portal/wsgi.py",
        "portal/static/portal/css/site.css",
        "locale/en/LC_MESSAGES/django.mo",
        "docker/healthcheck.py",
    ],
)
def test_build_context_keeps_what_the_image_needs(path):
    assert (ROOT / path).exists()
    assert not dockerignore_excludes(path)


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".git/HEAD",
        ".venv/bin/python",
        ".tools/bin/uv",
        "var/portal.sqlite3",
        "var/media/images/photo.jpg",
        "node_modules/package/index.js",
        "portal/__pycache__/urls.cpython-311.pyc",
        ".pytest_cache/README.md",
        "tests/test_public_site.py",
    ],
)
def test_build_context_leaves_out_secrets_local_data_and_artefacts(path):
    assert dockerignore_excludes(path)


# --- docker/healthcheck.py -------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_under_gunicorn(tmp_path_factory):
    """The Dockerfile's gunicorn command, on a free loopback port, under production settings.

    SECURE_SSL_REDIRECT keeps its production default and ALLOWED_HOSTS does not list
    127.0.0.1: exactly what the probe meets inside the container. No Redis, broker or
    Elasticsearch is configured, so readiness checks the (SQLite) database alone.
    """
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    script = gunicorn_script()
    bind = option_value(shlex.split(script), "--bind")
    env = production_environment(
        SECRET_KEY="deployment-test-" + "k" * 40,
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        EMAIL_URL="consolemail://",
        WAGTAILADMIN_BASE_URL="https://portal.example.org",
        WEB_CONCURRENCY="1",
        HOME=str(tmp_path),  # gunicorn's control socket, as in the image's home
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(  # noqa: S603 - the Dockerfile's own command
            ["sh", "-c", script.replace(bind, f"127.0.0.1:{port}")],  # noqa: S607 - POSIX sh
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start listening"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def in_container(url, portal):
    """A URL probed inside the container, on the test's gunicorn instead."""
    inside = "http://127.0.0.1:8000/"
    assert url.startswith(inside)
    return portal + "/" + url.removeprefix(inside)


def test_probe_passes_productions_host_check_and_ssl_redirect(portal_under_gunicorn):
    with pytest.raises(urllib.error.HTTPError) as bare:
        urllib.request.urlopen(portal_under_gunicorn + "/robots.txt", timeout=10)  # noqa: S310

    result = run_probe(portal_under_gunicorn + "/robots.txt", "portal.example.org")

    assert bare.value.code == 400  # 127.0.0.1 is not an allowed host
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("200 User-agent: *")
    assert "Sitemap: https://portal.example.org/sitemap.xml" in result.stdout


def test_images_healthcheck_finds_the_process_live(portal_under_gunicorn):
    (healthcheck,) = instructions("HEALTHCHECK")
    url = json.loads(healthcheck.partition("CMD ")[2])[-1]

    result = run_probe(in_container(url, portal_under_gunicorn), "portal.example.org")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.removeprefix("200 ")) == {"status": "ok"}


def test_web_services_healthcheck_finds_the_portal_ready(portal_under_gunicorn):
    url = SERVICES["web"]["healthcheck"]["test"][-1]

    result = run_probe(in_container(url, portal_under_gunicorn), "portal.example.org")

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.removeprefix("200 ")) == {"status": "ok", "database": "ok"}


class RecordingPortal(http.server.BaseHTTPRequestHandler):
    """A stand-in for the portal in the states gunicorn cannot be put in here (a dependency
    down, a redirect): answers by path and records the headers it was sent."""

    seen = []

    def do_GET(self):
        RecordingPortal.seen.append(dict(self.headers))
        status, body, headers = {
            "/health/ready": (503, b'{"status": "unavailable", "elasticsearch": "down"}', {}),
            "/health/live": (200, b'{"status": "ok"}', {}),
            "/moved": (301, b"", {"Location": "https://portal.example.org/health/live"}),
        }[self.path]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_portal():
    RecordingPortal.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingPortal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probe_is_healthy_on_200_and_sends_an_allowed_host_over_https(recording_portal):
    result = run_probe(recording_portal + "/health/live", ".example.org,other.example.net")

    assert result.returncode == 0
    assert result.stdout == '200 {"status": "ok"}\n'
    assert RecordingPortal.seen[0]["Host"] == "example.org"
    assert RecordingPortal.seen[0]["X-Forwarded-Proto"] == "https"


def test_probe_is_unhealthy_on_503_and_shows_why(recording_portal):
    result = run_probe(recording_portal + "/health/ready", "*")

    assert result.returncode == 1
    assert result.stdout.startswith("503 ")
    assert '"elasticsearch": "down"' in result.stdout
    assert RecordingPortal.seen[0]["Host"] == "localhost"


def test_probe_never_follows_a_redirect(recording_portal):
    result = run_probe(recording_portal + "/moved", "portal.example.org")

    assert result.returncode == 1
    assert result.stdout.startswith("301 ")
    assert len(RecordingPortal.seen) == 1


def test_probe_reports_a_process_that_does_not_answer():
    result = run_probe(f"http://127.0.0.1:{free_port()}/health/live", "portal.example.org")

    assert result.returncode == 1
    assert result.stdout.startswith("no answer ")
