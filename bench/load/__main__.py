"""Load benchmark: requests per second and latency of the public pages under gunicorn.

    make bench-load                        # PostgreSQL database qn_bench_load, 1 000 articles
    .venv/bin/python -m bench.load --articles 200 --duration 5
    make bench-load ARGS="--reuse --connections 32"

It (re)creates a throwaway database (never the one `make run` uses), migrates it, loads the
real content, adds generated articles (the search benchmark's generator) and builds the search
index. It then serves the portal the way production does: gunicorn (`portal.wsgi`, threaded
workers, as the image runs it) under production settings (DEBUG off, a random SECRET_KEY per
run, the Redis cache, static files collected by whitenoise's manifest storage into a temporary
STATIC_ROOT) on a free loopback port, and loads each page (home, an edition, an article, the
articles listing, a search) with wrk: a 2-second warm-up, then --duration seconds with
--connections open connections. The ceiling: the edition page's HTML, saved once, served as
a static file by nginx with as many worker processes as gunicorn has workers, loaded the same
way.

Needs wrk and nginx (`apt-get install -y wrk nginx`; installed by the script when it runs as
root), PostgreSQL and Redis on loopback. Results print as a Markdown table and are written to
var/bench/load.json. A non-2xx answer or a socket error (a timeout, a reset) fails the run:
exit status 1.
"""

from __future__ import annotations

import argparse
import grp
import http.client
import importlib.metadata
import json
import os
import platform
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/qn_bench_load"
# Redis databases 0 and 1 are the Celery broker's and the development cache's (.env.example);
# this benchmark's is flushed at the start of every run, so it refuses those two.
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
DEFAULT_PORT = 8790
NGINX_TEMPLATE = Path(__file__).with_name("nginx.conf")
WARM_UP_SECONDS = 2
EDITION = "/fr/editions/think-small/"
PAGES = {
    "home": "/fr/",
    "edition": EDITION,
    "article": EDITION + "la-puissance-transformatrice-de-la-petite-echelle/",
    "articles listing": "/fr/articles/",
    "search": "/fr/search/?q=" + quote("numérique"),
}
READINESS_PATHS = ("/health/live", "/fr/")
TOOLS = {"wrk": "wrk", "nginx": "nginx"}  # command → Debian package


class BenchmarkError(Exception):
    """A step could not run; the message says what to do."""


# Tools ------------------------------------------------------------------------------------


def which(command: str) -> str | None:
    # Debian puts nginx in /usr/sbin, which is not on an ordinary user's PATH.
    return shutil.which(command) or shutil.which(command, path="/usr/local/sbin:/usr/sbin:/sbin")


def find_tools() -> dict[str, str]:
    """The absolute paths of wrk and nginx; installs them with apt-get when root."""
    missing = [command for command in TOOLS if not which(command)]
    if missing:
        packages = " ".join(TOOLS[command] for command in missing)
        if os.geteuid() != 0:
            raise BenchmarkError(
                f"Missing: {', '.join(missing)}. Install with: sudo apt-get install -y {packages}"
            )
        apt_get = which("apt-get")
        if apt_get is None:
            raise BenchmarkError(f"Missing: {', '.join(missing)}, and no apt-get to install them.")
        print(f"Missing {', '.join(missing)}: running as root, so installing them:")
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            [apt_get, "update", "-qq"],
            [apt_get, "install", "-y", "-qq", *packages.split()],
        ):
            print("  " + " ".join(command), flush=True)
            subprocess.run(command, check=True, env=environment)  # noqa: S603
    return {command: which(command) for command in TOOLS}


def tool_version(command: list[str], pattern: str) -> str | None:
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    match = re.search(pattern, result.stdout + result.stderr)
    return match.group(1) if match else None


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free, else any free port."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise BenchmarkError("No free port on 127.0.0.1")


# The database -----------------------------------------------------------------------------


def configured_database_urls() -> set[str]:
    """The database the portal itself uses (environment or .env): never recreated here."""
    urls = {os.environ.get("DATABASE_URL", "")}
    dotenv = ROOT / ".env"
    if dotenv.exists():
        for line in dotenv.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() == "DATABASE_URL":
                urls.add(value.strip().strip("'\""))
    return {url.rstrip("/") for url in urls if url}


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def production_environment(
    database_url: str, redis_url: str, port: int, temp: Path
) -> dict[str, str]:
    """What gunicorn (and this process, to prepare the site) runs with; no Redis when
    `redis_url` is empty (each process its own cache)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "EMAIL_URL": "consolemail://",
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "STATIC_ROOT": str(temp / "static"),
        "MEDIA_ROOT": str(temp / "media"),
        "PRIVATE_MEDIA_ROOT": str(temp / "private"),
        # Set empty rather than removed: the settings read .env without overriding the
        # environment, so a developer's .env cannot switch these services on here.
        "ELASTICSEARCH_URL": "",
        "CELERY_BROKER_URL": "",
        "CELERY_RESULT_BACKEND": "",
    }


def prepare_site(options, progress) -> dict:
    """Fill the throwaway database (unless --reuse), point the site at the port, collect the
    static files and empty the benchmark's Redis database. Runs in this process, under the
    production settings gunicorn will use."""
    from bench.search.__main__ import generate_articles, recreate_database

    if not options.reuse:
        print(f"Recreating {options.database_url}", flush=True)
        recreate_database(options.database_url)
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import DatabaseError, connection, connections

    from redis.exceptions import RedisError

    from editions.models import ArticlePage
    from search.services import get_search_service

    try:
        cache.clear()
    except RedisError as error:
        raise BenchmarkError(
            f"Redis does not answer at {options.redis_url} ({error}): start redis-server, "
            "or pass --redis-url"
        ) from error
    generation = 0.0
    if options.reuse:
        try:
            articles = ArticlePage.objects.live().count()
        except DatabaseError as error:
            raise BenchmarkError(
                f"--reuse: no usable database at {options.database_url} ({error}); "
                "run once without --reuse"
            ) from error
        call_command("migrate", verbosity=0)  # the code may have moved on since
    else:
        print("Migrating, loading the content", flush=True)
        call_command("migrate", verbosity=0)
        call_command("load_content", verbosity=0)
        generation = generate_articles(options.articles, random.Random(options.seed), progress)
        call_command("rebuild_search_index", verbosity=0)
        articles = ArticlePage.objects.live().count()
    call_command("configure_site", verbosity=0)
    print("Collecting static files", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    if connection.vendor == "postgresql" and not options.reuse:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    summary = {
        "database": connection.vendor,
        "engine": get_search_service().name,
        "articles": articles,
        "generation_s": round(generation, 1),
    }
    connections.close_all()
    return summary


# Servers ----------------------------------------------------------------------------------


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen:
    """A server in its own process group, its output in ``log``."""
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen | None) -> None:
    """Stop a server and every process of its group (gunicorn's and nginx's workers)."""
    if process is None:
        return
    for sig, patience in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            process.poll()  # reaps the leader once it has exited
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
    process.poll()


THREADS = 4  # per gunicorn worker, as the image's GUNICORN_THREADS defaults to


def run_summary(results: dict) -> str:
    """The first line of a report: the archive, the search engine, the server."""
    return (
        f"{results['articles']} live articles, {results['engine']} search engine on "
        f"{results['database']}; gunicorn {results['tools']['gunicorn']} "
        f"({results['parameters']['workers']} workers of {THREADS} threads), production "
        "settings, Redis cache"
    )


def gunicorn_command(port: int, workers: int, application: str = "portal.wsgi:application"):
    """gunicorn serving the portal as the image does (Dockerfile): threaded workers, 4 threads
    each, a listening socket each, on loopback."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        application,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--reuse-port",
        "--bind",
        f"127.0.0.1:{port}",
    ]


def get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    """One GET on loopback, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_ready(name: str, process, port: int, paths, log: Path, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"{name} exited ({process.returncode}):\n{tail(log)}")
        for path in paths:
            try:
                if get(port, path, timeout=10)[0] == 200:
                    return path
            except OSError:
                break  # not listening yet
        time.sleep(0.2)
    raise BenchmarkError(f"{name} did not answer within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def nginx_config(temp: Path, port: int, workers: int) -> Path:
    user_directive = ""
    if os.geteuid() == 0:
        # Its workers would otherwise run as nobody, who cannot read the temporary directory.
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        user_directive = f"user {user} {group};"
    config = string.Template(NGINX_TEMPLATE.read_text()).substitute(
        user_directive=user_directive, workers=workers, temp=temp, port=port
    )
    path = temp / "nginx.conf"
    path.write_text(config)
    return path


# wrk --------------------------------------------------------------------------------------

MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * MILLISECONDS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/s, latency (ms), answers other than 2xx/3xx and socket errors from wrk's report
    (run with --latency)."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", output, re.M)
    average = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.M)
    if not (rate and total and average):
        raise BenchmarkError(f"Could not read wrk's report:\n{output}")
    distribution = {
        f"p{percent}": round(milliseconds(value), 3)
        for percent, value in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)
    }
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = dict(
        zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        if errors
        else {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": round(float(rate.group(1)), 1),
        "requests": int(total.group(1)),
        "elapsed_s": round(milliseconds(total.group(2)) / 1000, 2),
        "read": total.group(3),
        "latency_ms": {
            "avg": round(milliseconds(average.group(1)), 3),
            **distribution,
            "max": round(milliseconds(average.group(3)), 3),
        },
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors,
        "wrk_output": output,
    }


def load(wrk: str, port: int, path: str, options) -> dict:
    """Warm up, then measure one URL with wrk."""
    url = f"http://127.0.0.1:{port}{path}"

    def run(seconds: int) -> str:
        command = [
            wrk,
            f"-t{options.threads}",
            f"-c{options.connections}",
            f"-d{seconds}s",
            f"--timeout={options.timeout}s",
            "--latency",
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            raise BenchmarkError(f"wrk failed on {url}:\n{result.stdout}{result.stderr}")
        return result.stdout

    run(WARM_UP_SECONDS)
    load_average = os.getloadavg()[0]
    figures = parse_wrk(run(options.duration))
    figures["load_average_1m"] = round(load_average, 2)
    return figures


def measure_page(wrk: str, port: int, label: str, path: str, options) -> dict:
    status, body = get(port, path)
    row = {"page": label, "path": path, "status": status, "bytes": len(body)}
    if status != 200:
        print(f"  {label}: {path} answers {status}, not 200: not loaded", flush=True)
        row["failed"] = True
        return row
    print(f"  {label}: {path}", flush=True)
    row.update(load(wrk, port, path, options))
    row["failed"] = (
        row["non_2xx"] > 0 or sum(row["socket_errors"].values()) > 0 or row["requests"] == 0
    )
    # wrk cannot tell a redirect from a 200: the page must still answer 200 after the load.
    status_after = get(port, path)[0]
    if status_after != 200:
        row["status_after"] = status_after
        row["failed"] = True
    return row


# Report -----------------------------------------------------------------------------------


def human_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.1f} ms"
    return f"{ms / 1000:.2f} s"


def table_row(name: str, row: dict) -> str:
    if "requests_per_s" not in row:
        return f"| {name} | `{row['path']}` | answered {row['status']} | – | – | – | – |"
    latency = row["latency_ms"]
    errors = sum(row["socket_errors"].values())
    rate = row["requests_per_s"]
    rate = f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"
    return (
        f"| {name} | `{row['path']}` | {rate} "
        f"| {human_ms(latency.get('p50'))} | {human_ms(latency.get('p99'))} "
        f"| {row['non_2xx']} | {errors} |"
    )


def print_report(results: dict, out: Path) -> None:
    machine, parameters = results["machine"], results["parameters"]
    print(f"\n{run_summary(results)}.\n")
    print("| Page | Path | Requests/s | p50 | p99 | Non-2xx | Socket errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in results["pages"]:
        print(table_row(row["page"], row))
    if results.get("ceiling"):
        print(table_row(f"edition, static (nginx {results['tools']['nginx']})", results["ceiling"]))
    edition = next((r for r in results["pages"] if r["page"] == "edition"), {})
    ceiling = results.get("ceiling") or {}
    if edition.get("requests_per_s") and ceiling.get("requests_per_s"):
        ratio = ceiling["requests_per_s"] / edition["requests_per_s"]
        print(f"\nnginx serves the edition's saved HTML {ratio:,.0f} times as fast as gunicorn.")
    print(
        f"\nMachine: {machine['cpus']} CPUs, {machine['arch']}, load average "
        f"{machine['load_average_start']} at the start, {machine['load_average_end']} at the "
        f"end. wrk {results['tools']['wrk']}: -t{parameters['threads']} "
        f"-c{parameters['connections']} -d{parameters['duration_s']}s "
        f"--timeout={parameters['timeout_s']}s --latency, after a {WARM_UP_SECONDS} s warm-up; "
        f"nginx with {parameters['workers']} worker processes."
    )
    if results["server_errors_logged"]:
        print(f"\ngunicorn logged {results['server_errors_logged']} error lines (see above).")
    verdict = "FAILED: see the Non-2xx and Socket errors columns" if results["failed"] else "OK"
    print(f"{verdict}. Written to {out.relative_to(ROOT)}.")


# Main -------------------------------------------------------------------------------------


def run_record(options, load_average_start, tools, site, **parameters) -> dict:
    """What a server benchmark's results say of the machine, the run and the tools."""
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "arch": platform.machine(),
            "load_average_start": load_average_start,
            "load_average_end": [round(value, 2) for value in os.getloadavg()],
        },
        "parameters": {
            "articles_generated": None if options.reuse else options.articles,
            "duration_s": options.duration,
            "warm_up_s": WARM_UP_SECONDS,
            "connections": options.connections,
            "threads": options.threads,
            "workers": options.workers,
            "timeout_s": options.timeout,
            "database": without_password(options.database_url),
            "reuse": options.reuse,
            **parameters,
        },
        **site,
        "tools": {
            "wrk": tool_version([tools["wrk"], "--version"], r"wrk (?:debian/)?([\d.]+)"),
            "nginx": tool_version([tools["nginx"], "-v"], r"nginx/([\d.]+)"),
            "gunicorn": importlib.metadata.version("gunicorn"),
        },
    }


def server_arguments(
    parser,
    *,
    articles: int,
    duration: int,
    database: str = DEFAULT_DATABASE,
    redis: str = DEFAULT_REDIS,
    port: int = DEFAULT_PORT,
) -> None:
    """The options every server benchmark takes (bench.load, bench.pages)."""
    parser.add_argument("--articles", type=int, default=articles)
    parser.add_argument("--duration", type=int, default=duration, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn and nginx workers")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's request timeout, s")
    parser.add_argument("--database-url", default=database)
    parser.add_argument("--redis-url", default=redis)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    parser.add_argument("--port", type=int, default=port, help="gunicorn's, when free")


def refused(options) -> bool:
    """Set up the run; True (after saying why) when its databases are ones it must not wipe."""
    # A TERM (make interrupted, a CI timeout) stops the servers as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    if options.database_url.rstrip("/") in configured_database_urls():
        print(f"Refusing to recreate the portal's own database ({options.database_url}).")
        return True
    if urlsplit(options.redis_url).path.strip("/") in ("", "0", "1"):
        print(f"Refusing to flush Redis database 0 or 1 ({options.redis_url}): pick another.")
        return True
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(parser, articles=1000, duration=15)
    options = parser.parse_args(argv)
    if refused(options):
        return 2
    temp = Path(tempfile.mkdtemp(prefix="qn-bench-load-"))
    gunicorn = nginx = None
    try:
        tools = find_tools()
        # The same port from run to run: the site record is set to it (configure_site), and
        # changing it makes the search index rebuild itself (minutes at 10 000 articles).
        port = free_port(options.port)
        environment = production_environment(options.database_url, options.redis_url, port, temp)
        os.environ.update(environment)

        def progress(done, total):
            print(f"\r  articles: {done}/{total}", end="\n" if done >= total else "", flush=True)

        site = prepare_site(options, progress)
        load_average_start = [round(value, 2) for value in os.getloadavg()]

        log = temp / "gunicorn.log"
        gunicorn = start(gunicorn_command(port, options.workers), environment, log)
        ready = wait_until_ready("gunicorn", gunicorn, port, READINESS_PATHS, log)
        print(f"gunicorn answers on http://127.0.0.1:{port}{ready}; loading:", flush=True)
        pages = [measure_page(tools["wrk"], port, *page, options) for page in PAGES.items()]
        status, html = get(port, EDITION)
        stop(gunicorn)
        gunicorn = None

        ceiling = None
        if status == 200:
            page = temp / "www" / EDITION.strip("/") / "index.html"
            page.parent.mkdir(parents=True)
            page.write_bytes(html)
            nginx_port = free_port()
            nginx_log = temp / "nginx-error.log"
            config = nginx_config(temp, nginx_port, options.workers)
            nginx = start(
                [tools["nginx"], "-e", str(nginx_log), "-p", str(temp), "-c", str(config)],
                environment,
                temp / "nginx.out",
            )
            wait_until_ready("nginx", nginx, nginx_port, (EDITION,), nginx_log)
            print(f"nginx serves the edition's HTML on port {nginx_port}; loading:", flush=True)
            ceiling = measure_page(tools["wrk"], nginx_port, "edition, static", EDITION, options)
            stop(nginx)
            nginx = None

        error_lines = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if re.search(r" ERROR |\[ERROR\]|\[CRITICAL\]|^Traceback", line)
        ]
        if error_lines:
            print(f"\ngunicorn's log ({log}):\n{tail(log)}")
        results = {
            **run_record(options, load_average_start, tools, site),
            "pages": pages,
            "ceiling": ceiling,
            "server_errors_logged": len(error_lines),
            "failed": any(row["failed"] for row in pages) or not ceiling or ceiling["failed"],
        }
        out = ROOT / "var" / "bench" / "load.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print_report(results, out)
        return 1 if results["failed"] else 0
    except BenchmarkError as error:
        print(f"\n{error}", file=sys.stderr)
        return 2
    finally:
        stop(nginx)
        stop(gunicorn)
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
