"""Page benchmark: every public page type, rendered and from the page cache, beside nginx.

    make bench-pages                       # PostgreSQL database qn_bench_pages, 10 000 articles
    .venv/bin/python -m bench.pages --articles 500 --duration 5
    make bench-pages ARGS="--reuse --pages edition,article"

It prepares the site as the load benchmark does (bench/load: a throwaway database with the real
content and generated articles, production settings, collected static files, the Redis cache;
``--reuse`` keeps the database of the last run), then serves it with gunicorn (``--workers``
workers of 4 threads, as the image runs it) on loopback twice:

- **rendered**: ``PAGE_CACHE_TIMEOUT=0``, every request renders its page;
- **cached**: ``PAGE_CACHE_TIMEOUT=300``, the page cache on (portal/cache.py); the warm-up
  fills it, and each page is checked to be answered from it (``X-Page-Cache: hit``) unless it
  is one the cache never keeps (the partnership offer holds a form);

and loads each page type (home, editions index, an edition, an article, the articles listing,
a person, a search, the partnership offer) with wrk: a 2-second warm-up, then --duration
seconds with --connections connections. Beside each, nginx (as many workers as gunicorn)
serves the same page's HTML saved as a file: the ceiling of the machine; and gunicorn serves
the edition's saved HTML from a five-line WSGI application (bench/pages/static_app.py): the
ceiling of anything answered by Python under gunicorn's workers.

Needs wrk, nginx, PostgreSQL and Redis on loopback (see bench/load). Prints a Markdown table
and writes var/bench/pages.json. A non-2xx answer or a socket error fails the run (exit
status 1); the targets (rendered edition and article pages at 300 requests/s or more, cached
pages at 10 % of nginx's rate or more) are reported, not enforced.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from bench.load.__main__ import (
    READINESS_PATHS,
    WARM_UP_SECONDS,
    BenchmarkError,
    find_tools,
    free_port,
    gunicorn_command,
    human_ms,
    measure_page,
    nginx_config,
    prepare_site,
    production_environment,
    refused,
    run_record,
    run_summary,
    server_arguments,
    start,
    stop,
    tail,
    wait_until_ready,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/qn_bench_pages"
# Flushed at the start of each run: never 0 or 1 (broker, development cache), nor the load
# benchmark's 9.
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
DEFAULT_PORT = 8791
CACHE_TIMEOUT = 300
EDITION = "/fr/editions/think-small/"
# Targets of issue 7 on the 2-core reference machine.
RENDERED_TARGET = {"edition": 300.0, "article": 300.0}
CACHED_SHARE_OF_NGINX = 0.10
MODES = ("rendered", "cached")


def page_paths() -> dict[str, str]:
    """The page of each type that is loaded (French): fixed ones from the real content, and the
    first live page of the other types. Runs after prepare_site (Django is set up)."""
    from home.models import PersonPage
    from membership.models import PartnershipOfferPage

    person = PersonPage.objects.live().filter(locale__language_code="fr").order_by("path")
    offer = PartnershipOfferPage.objects.live().filter(locale__language_code="fr")
    paths = {
        "home": "/fr/",
        "editions index": "/fr/editions/",
        "edition": EDITION,
        "article": EDITION + "la-puissance-transformatrice-de-la-petite-echelle/",
        "articles listing": "/fr/articles/",
        "person": person.first().url if person.exists() else None,
        "search": "/fr/search/?q=" + quote("numérique"),
        "offer": offer.order_by("path").first().url if offer.exists() else None,
    }
    return {name: path for name, path in paths.items() if path}


def head_of(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def serve_gunicorn(options, environment, port, temp, mode):
    log = temp / f"gunicorn-{mode}.log"
    timeout = CACHE_TIMEOUT if mode == "cached" else 0
    process = start(
        gunicorn_command(port, options.workers),
        {**environment, "PAGE_CACHE_TIMEOUT": str(timeout)},
        log,
    )
    wait_until_ready(f"gunicorn ({mode})", process, port, READINESS_PATHS, log)
    return process, log


def run_mode(wrk, options, environment, port, temp, mode, paths, pages_html) -> dict:
    process, log = serve_gunicorn(options, environment, port, temp, mode)
    rows = {}
    try:
        print(f"gunicorn, {mode}, on http://127.0.0.1:{port}:", flush=True)
        for name, path in paths.items():
            row = measure_page(wrk, port, name, path, options)
            status, headers, body = head_of(port, path)
            row["page_cache"] = headers.get("x-page-cache", "")
            row["cache_control"] = headers.get("cache-control", "")
            if mode == "cached" and name != "offer" and row["page_cache"] != "hit":
                row["not_from_cache"] = True
            if status == 200 and name not in pages_html:
                pages_html[name] = body
            rows[name] = row
    finally:
        stop(process)
    errors = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "[ERROR]" in line or "[CRITICAL]" in line or line.startswith("Traceback")
    ]
    if errors:
        print(f"gunicorn ({mode}) logged errors:\n{tail(log)}", flush=True)
    return {"pages": rows, "errors_logged": len(errors)}


def run_nginx(tools, options, environment, temp, paths, pages_html) -> dict:
    www = temp / "www"
    for name, path in paths.items():
        if name not in pages_html:
            continue
        target = www / urlsplit(path).path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pages_html[name])
    port = free_port()
    config = nginx_config(temp, port, options.workers)
    error_log = temp / "nginx-error.log"
    process = start(
        [tools["nginx"], "-e", str(error_log), "-p", str(temp), "-c", str(config)],
        environment,
        temp / "nginx.out",
    )
    rows = {}
    try:
        saved = [path for name, path in paths.items() if name in pages_html]
        wait_until_ready("nginx", process, port, saved[:1], error_log)
        print(f"nginx, the saved pages, on http://127.0.0.1:{port}:", flush=True)
        for name, path in paths.items():
            if name in pages_html:
                rows[name] = measure_page(tools["wrk"], port, name, path, options)
    finally:
        stop(process)
    return {"pages": rows}


def run_wsgi_ceiling(wrk, options, environment, temp, pages_html) -> dict | None:
    """gunicorn (same workers) answering the saved edition page from a five-line WSGI
    application: the most any Python answer can reach here, page cache or not."""
    if "edition" not in pages_html:
        return None
    page = temp / "edition.html"
    page.write_bytes(pages_html["edition"])
    port = free_port()
    log = temp / "gunicorn-static.log"
    command = gunicorn_command(port, options.workers, "bench.pages.static_app:application")
    process = start(command, {**environment, "BENCH_PAGE_FILE": str(page)}, log)
    try:
        wait_until_ready("gunicorn (static)", process, port, (EDITION,), log)
        print(f"gunicorn, a WSGI application answering the saved page, port {port}:", flush=True)
        return measure_page(wrk, port, "edition, WSGI ceiling", EDITION, options)
    finally:
        stop(process)


# Report -----------------------------------------------------------------------------------


def rate(row: dict | None) -> float | None:
    return row.get("requests_per_s") if row else None


def cell_rate(row: dict | None) -> str:
    value = rate(row)
    if value is None:
        return "–" if not row else f"answered {row.get('status')}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def cell_p99(row: dict | None) -> str:
    if not row or "latency_ms" not in row:
        return "–"
    return human_ms(row["latency_ms"].get("p99"))


def verdicts(results: dict) -> list[str]:
    lines = []
    rendered, cached, nginx = (results[mode]["pages"] for mode in (*MODES, "nginx"))
    for name, target in RENDERED_TARGET.items():
        value = rate(rendered.get(name))
        if value is not None:
            met = "met" if value >= target else "NOT met"
            lines.append(f"rendered {name}: {value:,.0f} requests/s, target {target:,.0f}: {met}")
    for name, row in cached.items():
        value, ceiling = rate(row), rate(nginx.get(name))
        if value is None or not ceiling or name == "offer":
            continue
        share = value / ceiling
        met = "met" if share >= CACHED_SHARE_OF_NGINX else "NOT met"
        lines.append(
            f"cached {name}: {share:.0%} of nginx, target {CACHED_SHARE_OF_NGINX:.0%}: {met}"
        )
    return lines


def print_report(results: dict, out: Path) -> None:
    machine, parameters = results["machine"], results["parameters"]
    print(
        f"\n{run_summary(results)}; nginx {results['tools']['nginx']} serving each page's "
        "saved HTML.\n"
    )
    print(
        "| Page | Path | Rendered req/s | p99 | Cached req/s | p99 | nginx req/s | p99 "
        "| Cached / nginx |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, path in results["paths"].items():
        rendered = results["rendered"]["pages"].get(name)
        cached = results["cached"]["pages"].get(name)
        nginx = results["nginx"]["pages"].get(name)
        share = "–"
        if rate(cached) and rate(nginx):
            share = f"{rate(cached) / rate(nginx):.0%}"
        note = " (never cached: a form)" if name == "offer" else ""
        print(
            f"| {name}{note} | `{path}` | {cell_rate(rendered)} | {cell_p99(rendered)} "
            f"| {cell_rate(cached)} | {cell_p99(cached)} | {cell_rate(nginx)} "
            f"| {cell_p99(nginx)} | {share} |"
        )
    ceiling = results.get("wsgi_ceiling")
    if rate(ceiling):
        nginx_edition = rate(results["nginx"]["pages"].get("edition"))
        share = f" ({rate(ceiling) / nginx_edition:.0%} of nginx)" if nginx_edition else ""
        print(
            f"\ngunicorn's own ceiling: a five-line WSGI application answering the saved edition "
            f"page gets {cell_rate(ceiling)} requests/s, p99 {cell_p99(ceiling)}{share}."
        )
    print()
    for line in verdicts(results):
        print(f"- {line}")
    print(
        f"\nMachine: {machine['cpus']} CPUs, {machine['arch']}, load average "
        f"{machine['load_average_start']} at the start, {machine['load_average_end']} at the "
        f"end (1-minute load before each measure in {out.name}). wrk "
        f"{results['tools']['wrk']}: -t{parameters['threads']} -c{parameters['connections']} "
        f"-d{parameters['duration_s']}s --timeout={parameters['timeout_s']}s --latency, after a "
        f"{WARM_UP_SECONDS} s warm-up."
    )
    problems = results["problems"]
    print(("FAILED: " + "; ".join(problems) if problems else "OK") + f". Written to {out}.")


def problems_of(results: dict) -> list[str]:
    problems = []
    for mode in (*MODES, "nginx"):
        for name, row in results[mode]["pages"].items():
            if row.get("failed"):
                problems.append(f"{mode} {name}: errors or non-2xx answers")
            if row.get("not_from_cache"):
                problems.append(f"{mode} {name}: not answered from the page cache")
    if (results.get("wsgi_ceiling") or {}).get("failed"):
        problems.append("WSGI ceiling: errors or non-2xx answers")
    for mode in MODES:
        if results[mode]["errors_logged"]:
            problems.append(f"gunicorn ({mode}) logged errors")
    return problems


# Main -------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_arguments(
        parser,
        articles=10_000,
        duration=10,
        database=DEFAULT_DATABASE,
        redis=DEFAULT_REDIS,
        port=DEFAULT_PORT,
    )
    parser.add_argument("--pages", default="", help="comma-separated page types (default: all)")
    options = parser.parse_args(argv)
    if refused(options):
        return 2
    temp = Path(tempfile.mkdtemp(prefix="qn-bench-pages-"))
    try:
        tools = find_tools()
        port = free_port(options.port)  # the same from run to run: see bench/load
        environment = production_environment(options.database_url, options.redis_url, port, temp)
        os.environ.update(environment)

        def progress(done, total):
            print(f"\r  articles: {done}/{total}", end="\n" if done >= total else "", flush=True)

        site = prepare_site(options, progress)
        paths = page_paths()
        if options.pages:
            wanted = {name.strip() for name in options.pages.split(",")}
            unknown = wanted - set(paths)
            if unknown:
                raise BenchmarkError(f"Unknown page types: {', '.join(sorted(unknown))}")
            paths = {name: path for name, path in paths.items() if name in wanted}
        from django.db import connections

        connections.close_all()
        load_average_start = [round(value, 2) for value in os.getloadavg()]
        started = time.monotonic()

        pages_html: dict[str, bytes] = {}
        results = {
            mode: run_mode(tools["wrk"], options, environment, port, temp, mode, paths, pages_html)
            for mode in MODES
        }
        results["nginx"] = run_nginx(tools, options, environment, temp, paths, pages_html)
        results["wsgi_ceiling"] = run_wsgi_ceiling(
            tools["wrk"], options, environment, temp, pages_html
        )
        results.update(
            run_record(
                options,
                load_average_start,
                tools,
                site,
                page_cache_timeout_s=CACHE_TIMEOUT,
                measuring_s=round(time.monotonic() - started),
            ),
            paths=paths,
        )
        results["problems"] = problems_of(results)
        results["targets"] = verdicts(results)
        out = ROOT / "var" / "bench" / "pages.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print_report(results, out.relative_to(ROOT))
        return 1 if results["problems"] else 0
    except BenchmarkError as error:
        print(f"\n{error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
