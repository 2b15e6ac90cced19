"""Search benchmark: indexing throughput and query latency at archive scale.

    make bench-search                      # PostgreSQL database qn_bench_search, 10 000 articles
    .venv/bin/python -m bench.search --articles 2000 --database-url sqlite:////tmp/b.sqlite3

It (re)creates a throwaway database (never the one `make run` uses), migrates it, loads the
real content, adds generated articles (French and English, under the six editions, words
drawn from the real content), then measures:

- indexing: regenerating every search entry from the pages, indexing them all in the
  engine (the same steps as `manage.py rebuild_search_index`), and the incremental path a
  publication takes (one page at a time, as the Celery task does);
- queries: the search service's answer (results, highlights, four facet counts) for a mix of
  one-word, two-word, phrase, filtered, date-ordered, paginated and misspelt queries, and
  autocomplete, each repeated, reporting p50 / p95 / max;
- the process's peak memory.

Results print as Markdown tables and are written to var/bench/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/qn_bench_search"


def recreate_database(url: str) -> None:
    if url.startswith("sqlite:"):
        path = Path(url.split("sqlite://", 1)[1])
        path.unlink(missing_ok=True)
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


class Vocabulary:
    """Words of the real content per language, drawn with a Zipf-like distribution."""

    def __init__(self, texts_by_locale: dict[str, list[str]], rng: random.Random):
        from search.text import WORD_RE

        self.rng = rng
        self.words: dict[str, list[str]] = {}
        self.weights: dict[str, list[float]] = {}
        for locale, texts in texts_by_locale.items():
            words = sorted({w for t in texts for w in WORD_RE.findall(t) if len(w) > 2})
            rng.shuffle(words)
            self.words[locale] = words
            self.weights[locale] = [1 / (rank + 1) for rank in range(len(words))]

    def sentence(self, locale: str, count: int) -> str:
        words = self.rng.choices(self.words[locale], self.weights[locale], k=count)
        return " ".join(words).capitalize() + "."

    def paragraph(self, locale: str, count: int) -> str:
        sentences, left = [], count
        while left > 0:
            size = min(left, self.rng.randint(8, 20))
            sentences.append(self.sentence(locale, size))
            left -= size
        return " ".join(sentences)


def generate_articles(count: int, rng: random.Random, progress) -> float:
    """Add ``count`` live articles under the editions (80 % French, 20 % English)."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from editions.models import ArticlePage, EditionPage
    from search.models import ArchiveEntry

    texts: dict[str, list[str]] = {}
    for entry in ArchiveEntry.objects.all():
        texts.setdefault(entry.locale, []).extend([entry.title, entry.introduction, entry.body])
    vocabulary = Vocabulary(texts, rng)
    editions = {
        code: list(EditionPage.objects.filter(locale__language_code=code).order_by("start_year"))
        for code in ("fr", "en")
    }
    started = time.perf_counter()
    now = timezone.now()
    for number in range(count):
        locale = "fr" if number % 5 else "en"
        edition = rng.choice(editions[locale])
        year = rng.randint(edition.start_year, edition.end_year or edition.start_year)
        date = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
        paragraphs = [vocabulary.paragraph(locale, rng.randint(60, 140)) for _ in range(4)]
        article = ArticlePage(
            title=vocabulary.sentence(locale, rng.randint(4, 9)).rstrip(".")[:250],
            slug=f"bench-{number}",
            introduction=vocabulary.paragraph(locale, rng.randint(15, 35)),
            date=date,
            body=[("paragraph", f"<p>{text}</p>") for text in paragraphs],
            live=True,
            first_published_at=now,
            last_published_at=now,
        )
        with transaction.atomic():
            edition.add_child(instance=article)
        if (number + 1) % 250 == 0 or number + 1 == count:
            progress(number + 1, count)
    return time.perf_counter() - started


QUERIES = {
    # category: (query, filters)
    "one word": [
        ("numérique", {}),
        ("transitions", {}),
        ("échelles", {}),
        ("territoires", {}),
        ("innovation", {}),
        ("partenaires", {}),
    ],
    "two words": [
        ("petite échelle", {}),
        ("nouvelles formes", {}),
        ("acteurs publics", {}),
        ("small scale", {"locales": ("en",)}),
    ],
    "phrase": [('"petite échelle"', {}), ('"think small"', {})],
    "filtered": [
        ("numérique", {"kinds": ("article",), "locales": ("fr",)}),
        ("transitions", {"years": (2015,)}),
        ("échelle", {"kinds": ("article",), "years": (2016, 2017)}),
    ],
    "date order": [("numérique", {"order": "date"}), ("échelle", {"order": "date"})],
    "page 5": [("numérique", {"page": 5})],
    "misspelt": [("numérqiue", {}), ("transitoins", {})],
}


def run_queries(service, rounds: int):
    from search.services import SearchRequest

    timings: dict[str, list[float]] = {category: [] for category in QUERIES}
    totals: dict[str, int] = {}
    for query, filters in (q for queries in QUERIES.values() for q in queries):
        service.search(SearchRequest(query=query, **filters))  # warm-up, not counted
    for _ in range(rounds):
        for category, queries in QUERIES.items():
            for query, filters in queries:
                page, ms = timed(service.search, SearchRequest(query=query, **filters))
                timings[category].append(ms)
                totals[query] = page.total
    autocomplete = []
    for _ in range(rounds):
        for prefix in ("tr", "tran", "petite éc", "think", "num", "sma"):
            _, ms = timed(service.autocomplete, prefix, locales=("fr",))
            autocomplete.append(ms)
    return timings, totals, autocomplete


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    )
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run")
    parser.add_argument(
        "--queries-only", action="store_true", help="with --reuse: skip the indexing measures"
    )
    options = parser.parse_args(argv)

    os.environ["DATABASE_URL"] = options.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    os.environ.pop("ELASTICSEARCH_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))

    def progress(label):
        def report(done, total):
            print(f"\r  {label}: {done}/{total}", end="\n" if done >= total else "", flush=True)

        return report

    if not options.reuse:
        recreate_database(options.database_url)
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    from editions.models import ArticlePage
    from search import indexing
    from search.models import ArchiveEntry
    from search.services import get_search_service

    rng = random.Random(options.seed)
    print(f"Database: {connection.vendor} ({options.database_url})")
    generation = 0.0
    if not options.reuse:
        call_command("migrate", verbosity=0)
        call_command("load_content", verbosity=0)
        generation = generate_articles(options.articles, rng, progress("articles"))
    service = get_search_service()

    entries = ArchiveEntry.objects.count()
    sample = list(ArticlePage.objects.order_by("?").values_list("pk", flat=True)[:200])
    if options.queries_only:
        call_command("migrate", verbosity=0)
        entries_ms = engine_ms = incremental_ms = float("nan")
    else:
        _, entries_ms = timed(indexing.rebuild_entries, progress("entries"))
        entries = ArchiveEntry.objects.count()
        _, engine_ms = timed(
            service.rebuild, ArchiveEntry.objects.all(), progress=progress("engine")
        )
        _, incremental_ms = timed(lambda: [indexing.sync_pages([pk]) for pk in sample])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    timings, totals, autocomplete = run_queries(service, options.rounds)
    every = [ms for values in timings.values() for ms in values]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    results = {
        "database": connection.vendor,
        "engine": service.name,
        "entries": entries,
        "articles_generated": options.articles if not options.reuse else None,
        "generation_s": round(generation, 1),
        "entries_per_s": round(entries / (entries_ms / 1000), 1),
        "engine_entries_per_s": round(entries / (engine_ms / 1000), 1),
        "incremental_pages_per_s": round(len(sample) / (incremental_ms / 1000), 1),
        "queries": {
            category: {
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "max_ms": round(max(values), 1),
                "runs": len(values),
            }
            for category, values in timings.items()
        },
        "all_queries": {
            "p50_ms": round(statistics.median(every), 1),
            "p95_ms": round(percentile(every, 0.95), 1),
            "max_ms": round(max(every), 1),
            "runs": len(every),
        },
        "autocomplete": {
            "p50_ms": round(statistics.median(autocomplete), 1),
            "p95_ms": round(percentile(autocomplete, 0.95), 1),
            "runs": len(autocomplete),
        },
        "hits": totals,
        "peak_rss_mb": round(peak_mb),
    }
    out = ROOT / "var" / "bench" / "search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))

    print(f"\n{entries} entries ({results['engine']} engine on {results['database']})\n")
    print("| Indexing | Rate |\n| --- | --- |")
    print(f"| pages → search entries (rebuild) | {results['entries_per_s']} entries/s |")
    print(f"| entries → engine (rebuild) | {results['engine_entries_per_s']} entries/s |")
    print(f"| one page at a time (publish task) | {results['incremental_pages_per_s']} pages/s |")
    print("\n| Queries | p50 | p95 | max | runs |\n| --- | --- | --- | --- | --- |")
    for category, figures in [*results["queries"].items(), ("all", results["all_queries"])]:
        print(
            f"| {category} | {figures['p50_ms']} ms | {figures['p95_ms']} ms "
            f"| {figures['max_ms']} ms | {figures['runs']} |"
        )
    figures = results["autocomplete"]
    print(
        f"| autocomplete | {figures['p50_ms']} ms | {figures['p95_ms']} ms | | {figures['runs']} |"
    )
    print(f"\nPeak memory: {results['peak_rss_mb']} MB. Written to {out.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
