"""Lighthouse audit: performance, accessibility, best practices and SEO of the public pages.

    make audit                              # every page, both languages, 3 runs each
    make audit ARGS="--runs 1"              # one run per page: faster, noisier
    .venv/bin/python -m bench.audit --only home --only search --language en

It serves the portal the way production does, on loopback: gunicorn (`portal.wsgi`) under
production settings (DEBUG off, a random SECRET_KEY per run, static files collected by
whitenoise's manifest storage into a temporary STATIC_ROOT, plain HTTP on 127.0.0.1) with a
throwaway database that holds the brochure's content (`load_content`, `configure_site`,
`rebuild_search_index`): a temporary SQLite file, or the PostgreSQL database given with
--database-url, dropped and created again (never the portal's own). Then Lighthouse (npm,
pinned in bench/audit/package.json, installed by `make audit` with `npm ci`) loads each page
in Debian's Chromium (CHROME_PATH, /usr/bin/chromium by default), with its default mobile
emulation and simulated throttling, and scores four categories out of 100. Each page is
audited --runs times (3) and the run with the median performance score is kept, as
Lighthouse's documentation advises: performance varies with what else the machine is doing.

Targets: accessibility, best practices and SEO ≥ 95, performance ≥ 90. The scores are
written to var/audit/lighthouse.json (with every audit that lost points) and
var/audit/lighthouse.md, each page's full report to var/audit/reports/*.html, and the table
is printed. A score under its target, or a page that cannot be audited, exits with status 1.

The search results and the sign-up form are `noindex` on purpose (no result page or form in
search engines): on those pages only, Lighthouse's `is-crawlable` audit is left out of the SEO
score, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bench.audit.pages import PAGES
from bench.load.__main__ import (
    BenchmarkError,
    configured_database_urls,
    free_port,
    gunicorn_command,
    production_environment,
    start,
    stop,
    tail,
    wait_until_ready,
    without_password,
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = ROOT / "var" / "audit"
CATEGORIES = {
    "performance": ("Performance", 90),
    "accessibility": ("Accessibility", 95),
    "best-practices": ("Best practices", 95),
    "seo": ("SEO", 95),
}
# Chromium as root needs --no-sandbox; the others keep it off this machine's closed network.
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
]
NOINDEX = {"search", "sign-up"}  # robots noindex by design: is-crawlable is not scored


def prepare_site(database_url: str) -> None:
    """A new database with the brochure's content and its search index, the site pointed at
    the port, the static files collected; in this process, under the production settings."""
    from bench.search.__main__ import recreate_database

    recreate_database(database_url)
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connections

    print("Migrating, loading the content, indexing, collecting static files", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    call_command("configure_site", verbosity=0)
    call_command("rebuild_search_index", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()


def lighthouse(url: str, label: str, report: Path, chrome: str) -> dict:
    """One Lighthouse run of one page: its JSON result (the HTML report is saved beside)."""
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        "--output=html",
        f"--output-path={report}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=" + " ".join(CHROME_FLAGS),
        "--max-wait-for-load=60000",
    ]
    if label in NOINDEX:
        command.append("--skip-audits=is-crawlable")
    environment = {**os.environ, "CHROME_PATH": chrome}
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env=environment, timeout=300
    )
    json_path = report.with_suffix(".report.json")
    if result.returncode != 0 or not json_path.exists():
        raise BenchmarkError(f"Lighthouse failed on {url}:\n{result.stdout}{result.stderr}")
    data = json.loads(json_path.read_text())
    json_path.unlink()  # the HTML report holds the same; the summary keeps what lost points
    if data.get("runtimeError"):
        raise BenchmarkError(f"Lighthouse could not load {url}: {data['runtimeError']}")
    return data


def summarise(data: dict) -> dict:
    scores = {
        key: None if category["score"] is None else round(category["score"] * 100)
        for key, category in data["categories"].items()
    }
    lost = []
    for key, category in data["categories"].items():
        for reference in category["auditRefs"]:
            audit = data["audits"][reference["id"]]
            if reference["weight"] and audit["score"] is not None and audit["score"] < 1:
                lost.append(
                    {
                        "category": key,
                        "id": audit["id"],
                        "title": audit["title"],
                        "score": audit["score"],
                        "weight": reference["weight"],
                        "value": audit.get("displayValue", ""),
                    }
                )
    metrics = {
        name: round(data["audits"][name]["numericValue"])
        for name in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "speed-index",
        )
        if data["audits"].get(name, {}).get("numericValue") is not None
    }
    cls = data["audits"].get("cumulative-layout-shift", {}).get("numericValue")
    if cls is not None:
        metrics["cumulative-layout-shift"] = round(cls, 3)
    return {"scores": scores, "metrics_ms": metrics, "lost_points": lost}


def audit_page(port: int, language: str, label: str, path: str, options, chrome: str) -> dict:
    url = f"http://127.0.0.1:{port}{path}"
    reports = OUT / "reports"
    runs = []
    for run in range(options.runs):
        suffix = f"-{run + 1}" if options.runs > 1 else ""
        report = reports / f"{language}-{label}{suffix}"
        runs.append(summarise(lighthouse(url, label, report, chrome)))
    # Lighthouse's advice for noisy machines: keep the run with the median performance.
    median = statistics.median_low(run["scores"]["performance"] or 0 for run in runs)
    chosen = next(run for run in runs if (run["scores"]["performance"] or 0) == median)
    failed = [
        key
        for key, (_, target) in CATEGORIES.items()
        if chosen["scores"].get(key) is None or chosen["scores"][key] < target
    ]
    row = {
        "language": language,
        "page": label,
        "path": path,
        **chosen,
        "performance_runs": [run["scores"]["performance"] for run in runs],
        "is_crawlable_skipped": label in NOINDEX,
        "below_target": failed,
    }
    scores = "  ".join(f"{key} {chosen['scores'].get(key)}" for key in CATEGORIES)
    print(f"  {language} {label}: {scores}{'  BELOW TARGET' if failed else ''}", flush=True)
    return row


def markdown(results: dict) -> str:
    header = " | ".join(f"{title} (≥ {target})" for title, target in CATEGORIES.values())
    lines = [
        f"| Page | Path | {header} |",
        "| --- | --- |" + " ---: |" * len(CATEGORIES),
    ]
    for row in results["pages"]:
        cells = []
        for key in CATEGORIES:
            score = row["scores"].get(key)
            text = "–" if score is None else str(score)
            if key == "seo" and row["is_crawlable_skipped"]:
                text += "¹"
            if key in row["below_target"]:
                text = f"**{text}** ✗"
            cells.append(text)
        lines.append(
            f"| {row['page']} ({row['language']}) | `{unquote(row['path'])}` | "
            + " | ".join(cells)
            + " |"
        )
    lines.append("")
    lines.append(
        "¹ `noindex` on purpose: Lighthouse's `is-crawlable` audit is left out of the score."
    )
    parameters = results["parameters"]
    lines.append(
        f"Lighthouse {results['lighthouse']}, {results['chromium']}, mobile emulation with "
        f"simulated throttling; gunicorn, production settings, {results['database']} database; "
        f"median of {parameters['runs']} run(s) per page by performance."
    )
    return "\n".join(lines) + "\n"


def version(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        return "?"
    return (result.stdout or result.stderr).strip().splitlines()[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (median)")
    parser.add_argument(
        "--database-url",
        help="a throwaway PostgreSQL database, dropped and created again "
        "(default: a temporary SQLite file)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--only", action="append", choices=sorted(PAGES["fr"]), help="audit only these pages"
    )
    parser.add_argument("--language", action="append", choices=sorted(PAGES))
    options = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    chrome = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chrome).exists():
        print(f"No Chromium at {chrome}: apt-get install -y chromium, or set CHROME_PATH.")
        return 2
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse is not installed: cd {HERE.relative_to(ROOT)} && npm ci")
        return 2
    temp = Path(tempfile.mkdtemp(prefix="qn-audit-"))
    database_url = options.database_url or f"sqlite:///{temp / 'audit.sqlite3'}"
    if database_url.rstrip("/") in configured_database_urls():
        print(f"Refusing to recreate the portal's own database ({database_url}).")
        return 2
    if not urlsplit(database_url).scheme.startswith(("sqlite", "postgres")):
        print(f"Not a SQLite or PostgreSQL URL: {database_url}")
        return 2
    gunicorn = None
    try:
        port = free_port()
        # No Redis: the audit needs no shared cache, each process keeps its own.
        environment = production_environment(database_url, "", port, temp)
        os.environ.update(environment)
        prepare_site(database_url)
        log = temp / "gunicorn.log"
        gunicorn = start(gunicorn_command(port, options.workers), environment, log)
        wait_until_ready("gunicorn", gunicorn, port, ("/health/live", "/fr/"), log)
        print(f"gunicorn answers on http://127.0.0.1:{port}/; Lighthouse:", flush=True)
        shutil.rmtree(OUT / "reports", ignore_errors=True)
        (OUT / "reports").mkdir(parents=True)
        pages = [
            audit_page(port, language, label, path, options, chrome)
            for language in options.language or PAGES
            for label, path in PAGES[language].items()
            if not options.only or label in options.only
        ]
        results = {
            "targets": {key: target for key, (_, target) in CATEGORIES.items()},
            "parameters": {"runs": options.runs, "workers": options.workers},
            "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
            "database_url": without_password(database_url) if options.database_url else None,
            "lighthouse": version(["node", str(LIGHTHOUSE), "--version"]),
            "chromium": version([chrome, "--version"]).split(" built")[0],
            "pages": pages,
            "failed": any(row["below_target"] for row in pages),
        }
        (OUT / "lighthouse.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        table = markdown(results)
        (OUT / "lighthouse.md").write_text(table)
        print("\n" + table)
        for row in pages:
            for audit in row["lost_points"]:
                print(
                    f"  {row['language']} {row['page']}: {audit['category']} "
                    f"{audit['id']} ({audit['score']}) {audit['value']}"
                )
        verdict = "FAILED: a score is under its target" if results["failed"] else "OK"
        print(f"{verdict}. Written to var/audit/lighthouse.json, lighthouse.md, reports/.")
        return 1 if results["failed"] else 0
    except BenchmarkError as error:
        print(f"\n{error}", file=sys.stderr)
        if gunicorn is not None:
            print(tail(temp / "gunicorn.log"), file=sys.stderr)
        return 2
    finally:
        stop(gunicorn)
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
