"""Rebuild the public archive's search index from the pages and documents."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search import indexing
from search.models import ArchiveEntry
from search.services import SearchUnavailable, get_search_service


class ProgressBar:
    """``label [#####.....] 512/1000 51% 3.2 s`` on a terminal; a line per tenth otherwise."""

    def __init__(self, stream, label, width=30):
        self.stream, self.label, self.width = stream, label, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, done, total):
        fraction = done / total if total else 1.0
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{'#' * int(fraction * self.width):.<{self.width}}] "
            f"{done}/{total} {fraction:4.0%} {elapsed:.1f} s"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif int(fraction * 10) > self.last_tenth:
            self.last_tenth = int(fraction * 10)
            self.stream.write(line + "\n")


class Command(BaseCommand):
    help = (
        "Regenerate the search entries of every page and document, then index them all in "
        "the active search engine. Elasticsearch gets a new index swapped in atomically "
        "behind its alias; the database index is replaced in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the engine already holds entries (for `make run`).",
        )
        parser.add_argument(
            "--skip-entries",
            action="store_true",
            help="Reindex the existing entries without regenerating them from the pages.",
        )

    def handle(self, *args, if_empty=False, skip_entries=False, **options):
        service = get_search_service()
        if if_empty:
            try:
                filled = ArchiveEntry.objects.exists() and bool(service.indexed_ids())
            except SearchUnavailable as error:
                raise CommandError(f"The search engine is unavailable: {error}") from error
            if filled:
                self.stdout.write(f"Search index already filled ({service.name}): nothing to do.")
                return
        stream = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
        started = time.monotonic()
        try:  # fail before minutes of work, not after
            service.indexed_ids()
        except SearchUnavailable as error:
            raise CommandError(f"The search engine is unavailable: {error}") from error
        if not skip_entries:
            indexing.rebuild_entries(progress=ProgressBar(stream, "Entries"))
        try:
            count = service.rebuild(
                ArchiveEntry.objects.all(), progress=ProgressBar(stream, f"Index ({service.name})")
            )
        except SearchUnavailable as error:
            raise CommandError(f"The search engine is unavailable: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {count} entries with the {service.name} engine "
                f"in {time.monotonic() - started:.1f} s."
            )
        )
