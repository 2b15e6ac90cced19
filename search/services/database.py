"""The embedded engine, used when ``ELASTICSEARCH_URL`` is unset: the database's full text.

- PostgreSQL: ``ArchiveEntry.search_vector``, a weighted tsvector built with each entry's own
  language (``french`` or ``english`` text search configuration) and GIN-indexed, matched
  with ``websearch_to_tsquery``; ranked with ``ts_rank`` on ``rank_vector`` (title,
  introduction, authors, edition: the body decides what matches, not the order), newest first
  among equals; titles completed by prefix queries on ``rank_vector``'s title lexemes.
  Wagtail's database backend concatenates its title and body vectors at query time, which no
  index can serve; ranking on the whole body reads every matching row's TOASTed vector. At
  10 000 articles either took 100 ms or more per query (README, search benchmark).
- SQLite: Wagtail's database search backend (FTS5), which does not stem.

Both: facets counted by the database, highlights and "did you mean" computed here
(search.text).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from functools import lru_cache

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Count, F, FloatField, Q, Value, When
from django.utils.html import escape

from wagtail.search.backends import get_search_backend
from wagtail.search.utils import parse_query_string

from ..models import ArchiveEntry
from ..text import WORD_RE, fold, highlight, query_words
from .base import (
    FACETS,
    FacetValue,
    Hit,
    ProgressCallback,
    SearchPage,
    SearchRequest,
    SearchService,
    SearchUnavailable,
    Suggestion,
)

logger = logging.getLogger(__name__)

# Facet name → ArchiveEntry field.
FACET_FIELDS = {"locale": "locale", "kind": "kind", "edition": "edition_key", "year": "year"}
VOCABULARY_TTL = 3600
VOCABULARY_VERSION_KEY = "search:vocabulary-version"
BATCH = 500
# Entry language → PostgreSQL text search configuration.
# Entry language → PostgreSQL text search configuration (migration 0002: PostgreSQL's own,
# with accents stripped before stemming).
LANGUAGE_CONFIGS = {"fr": "qn_french", "en": "qn_english"}
PREFIX_CONFIG = "qn_simple"
# Quoted phrases a reader wants found as written (``-"…"`` excludes and stays with the rest).
EXCLUDED_RE = re.compile(r'(?<!\S)-(?:"([^"]*)"?|(\S+))')
PHRASE_RE = re.compile(r'(?<![-\w])"([^"]+)"')
# Each run of two consecutive words is also indexed as one lexeme, "petit echel" (no lexeme
# the parser makes holds a space): a phrase is then an AND of its pairs, answered by the GIN
# index alone. PostgreSQL's own phrase operator (<->) must re-read the positions of every
# row holding all the words: 90 ms at 10 000 entries for « petite échelle » (README).
PAIR_LEXEMES_SQL = """
UPDATE search_archiveentry AS entry
SET search_vector = entry.search_vector || COALESCE((
    SELECT array_to_tsvector(array_agg(DISTINCT pairs.pair))
    FROM (
        SELECT lag(words.lexeme) OVER (ORDER BY places.place) || ' ' || words.lexeme AS pair
        FROM unnest(entry.search_vector) AS words(lexeme, positions, weights),
             unnest(words.positions) AS places(place)
    ) AS pairs
    WHERE pairs.pair IS NOT NULL
), ''::tsvector)
WHERE entry.search_vector IS NOT NULL AND {where}
"""
PHRASE_LEXEMES_SQL = """
SELECT words.lexeme
FROM unnest(to_tsvector(%s::regconfig, %s)) AS words(lexeme, positions, weights),
     unnest(words.positions) AS places(place)
ORDER BY places.place
"""


def add_pair_lexemes(cursor, entry_ids=None) -> None:
    """Add the word-pair lexemes to the entries' vectors (all of them without ``entry_ids``).

    Concatenating a tsvector merges equal lexemes, so running it twice changes nothing.
    """
    if entry_ids is None:
        cursor.execute(PAIR_LEXEMES_SQL.format(where="TRUE"))
    else:
        cursor.execute(PAIR_LEXEMES_SQL.format(where="entry.id = ANY(%s)"), [list(entry_ids)])


@lru_cache(maxsize=2048)
def phrase_lexemes(config: str, phrase: str) -> tuple[str, ...]:
    """The phrase's lexemes in the order of its words, as the entries' vectors hold them."""
    with connection.cursor() as cursor:
        cursor.execute(PHRASE_LEXEMES_SQL, [config, phrase])
        return tuple(row[0] for row in cursor.fetchall())


def tsquery_literal(lexemes: Iterable[str]) -> str:
    """``'a b' & 'c d'``: lexemes quoted as tsquery input wants, never parsed again."""
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return " & ".join(quoted)


class PhrasePairQuery(SearchQuery):
    """``websearch_to_tsquery(config, rest) && 'pair' & 'pair'::tsquery``: the reader's
    query with its quoted phrases replaced by their word pairs (see PAIR_LEXEMES_SQL)."""

    def __init__(self, rest: str, pairs: str, *, config: str):
        super().__init__(rest, config=config, search_type="websearch")
        self.pairs = pairs
        self.has_rest = bool(rest.strip())

    def as_sql(self, compiler, connection, **extra):
        if not self.has_rest:
            return "%s::tsquery", [self.pairs]
        sql, params = super().as_sql(compiler, connection, **extra)
        return f"({sql} && %s::tsquery)", [*params, self.pairs]


class DatabaseSearchService(SearchService):
    name = "database"

    def __init__(self, backend: str = "default"):
        self.backend = get_search_backend(backend)

    # Searching -------------------------------------------------------------------------

    def _entries(self, request: SearchRequest, *, without: str | None = None):
        entries = ArchiveEntry.objects.all()
        for name, values in request.filters(without=without).items():
            entries = entries.filter(**{f"{FACET_FIELDS[name]}__in": values})
        return entries

    def _query(self, text: str):
        _filters, query = parse_query_string(text, operator="and")
        return query

    @property
    def _postgres(self) -> bool:
        return connection.vendor == "postgresql"

    def _queries(self, request: SearchRequest) -> dict[str, SearchQuery]:
        """The reader's words analysed in each language: an entry meets its own language's."""
        return {
            code: SearchQuery(request.query, config=config, search_type="websearch")
            for code, config in LANGUAGE_CONFIGS.items()
        }

    def _match_queries(self, request: SearchRequest) -> dict[str, SearchQuery]:
        """Like _queries, with each quoted phrase of two words or more as its word pairs."""
        phrases = PHRASE_RE.findall(request.query)
        # With "or" in the query, taking the phrases out would change what it means.
        if not phrases or re.search(r"(?<!\S)or(?!\S)", request.query, re.IGNORECASE):
            return self._queries(request)
        queries = {}
        for code, config in LANGUAGE_CONFIGS.items():
            rest, pairs = request.query, []
            for phrase in phrases:
                lexemes = phrase_lexemes(config, phrase)
                if len(lexemes) < 2:
                    continue  # one word (or only stop words): the rest searches it
                pairs += [f"{a} {b}" for a, b in zip(lexemes, lexemes[1:], strict=False)]
                rest = rest.replace(f'"{phrase}"', " ", 1)
            if pairs:
                queries[code] = PhrasePairQuery(rest, tsquery_literal(pairs), config=config)
            else:
                queries[code] = SearchQuery(request.query, config=config, search_type="websearch")
        return queries

    def _match(self, queries: dict[str, SearchQuery]) -> Q:
        matches = Q()
        for code, query in queries.items():
            matches |= Q(locale=code, search_vector=query)
        return matches

    def _rank(self, queries: dict[str, SearchQuery]):
        return Case(
            *(
                When(locale=code, then=SearchRank(F("rank_vector"), query))
                for code, query in queries.items()
            ),
            default=Value(0.0),
            output_field=FloatField(),
        )

    @contextmanager
    def _index_scans(self):
        """Make PostgreSQL read matches through the GIN index.

        When a word is in a third of the entries, the planner prefers a sequential scan, not
        counting that it must then decompress every body vector: 40-50 ms at 10 000 entries
        against 4-10 ms through the index (no recheck for plain queries). The setting is
        restored before the transaction (the request's, under ATOMIC_REQUESTS) goes on.
        """
        if not self._postgres:
            yield
            return
        # An error rolls the savepoint back, and the setting with it.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            yield
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")

    def _results(self, request: SearchRequest, entries, *, order: str = "relevance"):
        """The matching entries, best first (or newest first)."""
        if self._postgres:
            entries = entries.filter(self._match(self._match_queries(request)))
            newest = (F("date").desc(nulls_last=True), "-id")
            if order == "date":
                return entries.order_by(*newest)
            return entries.annotate(rank=self._rank(self._queries(request))).order_by(
                "-rank", *newest
            )
        # Wagtail's query parser has no "-word" or -"phrase": they are searched, then left out.
        excluded = [
            self._query(f'"{phrase}"') if phrase else word
            for phrase, word in EXCLUDED_RE.findall(request.query)
        ]
        included = EXCLUDED_RE.sub(" ", request.query)
        for term in filter(None, excluded):
            found = self.backend.search(term, ArchiveEntry.objects.all(), operator="and")
            entries = entries.exclude(pk__in=[entry.pk for entry in found])
        if order == "date":
            entries = entries.order_by("-date", "-id")
        return self.backend.search(
            self._query(included),
            entries,
            operator="and",
            order_by_relevance=order != "date",
        )

    def search(self, request: SearchRequest) -> SearchPage:
        try:
            with self._index_scans():
                results = self._results(request, self._entries(request), order=request.order)
                entries = list(results[request.offset : request.offset + request.per_page])
                if self._postgres:
                    total, facets = self._postgres_counts(request)
                else:
                    total = results.count()
                    facets = {name: self._facet(request, name) for name in FACETS}
            # No "did you mean" while the other language has results: the page offers those.
            elsewhere = any(value.count for value in facets.get("locale", ()))
            suggestion = self._suggestion(request) if total == 0 and not elsewhere else None
        except DatabaseError as error:
            logger.exception("Database search failed for %r", request.query)
            raise SearchUnavailable(str(error)) from error
        return SearchPage(
            request=request,
            hits=[self._hit(entry, request) for entry in entries],
            total=total,
            facets=facets,
            suggestion=suggestion,
        )

    def _postgres_counts(self, request: SearchRequest):
        """The total and the disjunctive facet counts from one grouped query."""
        matching = ArchiveEntry.objects.filter(self._match(self._match_queries(request)))
        fields = [FACET_FIELDS[name] for name in FACETS]
        groups = matching.values_list(*fields).annotate(n=Count("id")).order_by()
        active = {
            name: {str(value) for value in values} for name, values in request.filters().items()
        }
        total = 0
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for *values, n in groups:
            row = dict(zip(FACETS, ("" if v is None else str(v) for v in values), strict=True))
            failing = [name for name, chosen in active.items() if row[name] not in chosen]
            if not failing:
                total += n
            for name in FACETS:
                # A facet counts the rows that every *other* active filter lets through.
                if not [other for other in failing if other != name] and row[name]:
                    counts[name][row[name]] += n
        return total, {name: self._facet_values(request, name, counts[name]) for name in FACETS}

    def _facet(self, request: SearchRequest, name: str) -> list[FacetValue]:
        field = FACET_FIELDS[name]
        results = self._results(request, self._entries(request, without=name))
        counts = {str(k): v for k, v in results.facet(field).items() if k not in (None, "")}
        return self._facet_values(request, name, counts)

    def _facet_values(self, request: SearchRequest, name: str, counts) -> list[FacetValue]:
        selected = {str(value) for value in request.filters().get(name, ())}
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        values = [FacetValue(value, count, value in selected) for value, count in ordered]
        # Selected values stay visible (with 0) so that the reader can remove them.
        shown = {value.value for value in values}
        values += [FacetValue(value, 0, True) for value in sorted(selected - shown)]
        return values

    def _hit(self, entry: ArchiveEntry, request: SearchRequest) -> Hit:
        text = " ".join(part for part in (entry.introduction, entry.body) if part)
        return Hit(
            entry_id=entry.pk,
            kind=entry.kind,
            locale=entry.locale,
            url=entry.url,
            title=entry.title,
            title_html=highlight(entry.title, request.query, entry.locale, words=10_000)
            or escape(entry.title),
            snippet_html=highlight(text, request.query, entry.locale),
            authors=entry.authors,
            edition_key=entry.edition_key,
            edition_title=entry.edition_title,
            year=entry.year,
            date=entry.date,
        )

    # Did you mean ----------------------------------------------------------------------

    def _vocabulary(self, locales: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Folded word → (the spelling seen most, occurrences), cached for an hour.

        Built from the pages' texts (not the documents' extracted text, long and noisy); a
        rebuild refreshes it at once, a publication within the hour.
        """
        version = cache.get_or_set(VOCABULARY_VERSION_KEY, 1)
        key = f"search:vocabulary:{version}:{','.join(sorted(locales)) or '*'}"
        vocabulary = cache.get(key)
        if vocabulary is None:
            counts: Counter[str] = Counter()
            entries = ArchiveEntry.objects.exclude(kind=ArchiveEntry.Kind.DOCUMENT)
            if locales:
                entries = entries.filter(locale__in=locales)
            fields = ("title", "introduction", "authors", "edition_title", "body")
            for row in entries.values_list(*fields).iterator(chunk_size=BATCH):
                for text in row:
                    counts.update(word.casefold() for word in WORD_RE.findall(text or ""))
            spellings: dict[str, tuple[str, int]] = {}
            for word, count in counts.items():
                if len(word) < 3 or word.isdigit():
                    continue
                folded = fold(word)
                seen = spellings.get(folded)
                total = count + (seen[1] if seen else 0)
                best = word if not seen or count > counts[seen[0]] else seen[0]
                spellings[folded] = (best, total)
            vocabulary = spellings
            cache.set(key, vocabulary, VOCABULARY_TTL)
        return vocabulary

    def _suggestion(self, request: SearchRequest) -> str | None:
        vocabulary = self._vocabulary(request.locales)
        by_start: dict[str, list[str]] = defaultdict(list)
        for folded in vocabulary:
            by_start[folded[0]].append(folded)
        changed, words = False, []
        for word in query_words(request.query):
            folded = fold(word)
            if folded in vocabulary or len(folded) < 3:
                words.append(word)
                continue
            candidates = [c for c in by_start.get(folded[0], ()) if abs(len(c) - len(folded)) <= 2]
            close = difflib.get_close_matches(folded, candidates, n=3, cutoff=0.75)
            if not close:
                words.append(word)
                continue
            best = max(
                close,
                key=lambda c: (difflib.SequenceMatcher(None, folded, c).ratio(), vocabulary[c][1]),
            )
            words.append(vocabulary[best][0])
            changed = True
        if not changed:
            return None
        suggestion = " ".join(words)
        corrected = dataclasses.replace(request, query=suggestion)
        with self._index_scans():
            if not list(self._results(corrected, self._entries(corrected))[:1]):
                return None
        return suggestion

    # Autocomplete ----------------------------------------------------------------------

    def autocomplete(
        self, prefix: str, *, locales: Sequence[str] = (), limit: int = 8
    ) -> list[Suggestion]:
        entries = ArchiveEntry.objects.all()
        if locales:
            entries = entries.filter(locale__in=locales)
        try:
            if self._postgres:
                found = self._postgres_autocomplete(prefix, entries, locales, limit)
            else:
                results = self.backend.autocomplete(
                    prefix, entries, fields=["title"], operator="and"
                )
                found = list(results[:limit])
        except DatabaseError as error:
            logger.exception("Database autocomplete failed for %r", prefix)
            raise SearchUnavailable(str(error)) from error
        return [Suggestion(e.title, e.url, e.kind, e.locale) for e in found]

    def _postgres_autocomplete(self, prefix, entries, locales, limit):
        """Titles holding every typed word, the last one as a prefix: ``petite & éch:*``.

        Words are neither stemmed (« transformatri » must reach « transformatrice ») nor
        accented (``qn_simple``; GIN index on the same expression, migration 0002).
        """
        # Only letters and digits reach the raw tsquery: no operator can be injected.
        words = [part for word in query_words(prefix) for part in re.findall(r"\w+", word)]
        if not words:
            return []
        terms = [*words[:-1], f"{words[-1]}:*"]
        query = SearchQuery(" & ".join(terms), config=PREFIX_CONFIG, search_type="raw")
        title = SearchVector("title", config=PREFIX_CONFIG)
        matching = entries.annotate(title_vector=title).filter(title_vector=query)
        with self._index_scans():
            return list(
                matching.annotate(rank=SearchRank(F("title_vector"), query)).order_by(
                    "-rank", F("date").desc(nulls_last=True), "title"
                )[:limit]
            )

    # Indexing --------------------------------------------------------------------------

    def index_entries(self, entries: Iterable) -> None:
        self._add(list(entries))

    def _add(self, entries: list[ArchiveEntry]) -> None:
        """PostgreSQL: the entries' own vectors; SQLite: Wagtail's FTS5 index. Nothing else
        reads Wagtail's index on PostgreSQL, so it is not written there."""
        if not entries:
            return
        if not self._postgres:
            self.backend.add_bulk(ArchiveEntry, entries)
            return
        entry_ids = [entry.pk for entry in entries]
        for code, config in LANGUAGE_CONFIGS.items():
            rows = ArchiveEntry.objects.filter(pk__in=entry_ids)
            rows = rows.filter(locale=code) if code != "fr" else rows.exclude(locale="en")
            head = (
                SearchVector("title", weight="A", config=config)
                + SearchVector("introduction", "authors", weight="B", config=config)
                + SearchVector("edition_title", weight="C", config=config)
            )
            rows.update(
                rank_vector=head,
                search_vector=head + SearchVector("body", weight="D", config=config),
            )
        with connection.cursor() as cursor:
            add_pair_lexemes(cursor, entry_ids)

    def remove_entries(self, entry_ids: Iterable[int]) -> None:
        entry_ids = list(entry_ids)
        if self._postgres:
            rows = ArchiveEntry.objects.filter(pk__in=entry_ids)
            rows.update(search_vector=None, rank_vector=None)
            return
        for entry_id in entry_ids:
            self.backend.delete(ArchiveEntry(pk=entry_id))

    def rebuild(self, entries, *, progress: ProgressCallback | None = None) -> int:
        """Replace the whole index in one transaction: searches see the old one until commit."""
        total = entries.count()
        done = 0
        with transaction.atomic():
            stale = self.indexed_ids() - set(entries.values_list("pk", flat=True))
            self.remove_entries(stale)
            batch: list[ArchiveEntry] = []
            for entry in entries.order_by("pk").iterator(chunk_size=BATCH):
                batch.append(entry)
                if len(batch) == BATCH:
                    self._add(batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, total)
            self._add(batch)
            done += len(batch)
            if progress:
                progress(done, total)
        self._vocabulary_changed()
        return done

    def _index_entries(self):
        from django.contrib.contenttypes.models import ContentType

        from wagtail.search.models import IndexEntry

        content_type = ContentType.objects.get_for_model(ArchiveEntry)
        return IndexEntry.objects.filter(content_type=content_type)

    def indexed_ids(self) -> set[int]:
        if self._postgres:
            indexed = ArchiveEntry.objects.filter(search_vector__isnull=False)
            return set(indexed.values_list("pk", flat=True))
        return {int(pk) for pk in self._index_entries().values_list("object_id", flat=True)}

    def clear(self) -> None:
        if self._postgres:
            ArchiveEntry.objects.update(search_vector=None, rank_vector=None)
        else:
            self._index_entries().delete()
        self._vocabulary_changed()

    def _vocabulary_changed(self) -> None:
        try:
            cache.incr(VOCABULARY_VERSION_KEY)
        except ValueError:
            cache.set(VOCABULARY_VERSION_KEY, 2)
