"""The Elasticsearch engine: the public archive's ``ArchiveEntry`` rows in their own index.

Index design
------------
* Readers and writers go through the alias ``{ELASTICSEARCH_INDEX_PREFIX}archive``; the physical
  indices are ``{prefix}archive-<UTC timestamp with microseconds>``. ``rebuild()`` fills a new
  physical index, then moves the alias in one ``update_aliases`` call (searches never see a
  half-built index) and deletes the old one. ``index_entries()`` creates the first index when
  there is none yet; it and ``remove_entries()`` return once their change is searchable
  (``refresh=wait_for``): a finished indexing task means an up-to-date search. An entry
  changed while a rebuild runs may be missed by the new index: its next change, or the next
  rebuild, catches it up.
* A document is an entry (``_id`` = its primary key). Its texts (title, introduction, authors,
  edition title, body) are analysed twice, whatever the entry's language: ``.fr`` (elision,
  lowercase, French stop words, accents folded, light French stemmer) and ``.en`` (possessive,
  lowercase, English stop words, accents folded, English stemmer). Queries target both, with the
  boosts of ``ArchiveEntry.search_fields``, so « échelles », « echelle » and « small scale » all
  find their pages whatever language the reader browses in.
* ``title.suggest`` (search-as-you-type, accents folded) serves the autocomplete; every text is
  also copied into ``spell`` (standard words, lowercase, accents folded) for the phrase
  suggester behind « did you mean ».
* Facets are disjunctive like the database engine's: the filters go in ``post_filter`` and each
  facet is counted by a ``filter`` aggregation holding every *other* active filter.
* Highlights come from Elasticsearch with the ``html`` encoder: everything but ``<mark>`` is
  escaped.

``index_body()``, ``build_search()`` and ``build_autocomplete()`` only build request bodies (no
server needed). Any transport or API error is logged and raised as ``SearchUnavailable``.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property

from django.conf import settings
from django.utils.html import escape

import elastic_transport
from elasticsearch import Elasticsearch, NotFoundError, helpers
from elasticsearch.dsl import (
    Date,
    Document,
    Index,
    Integer,
    Keyword,
    MetaField,
    Q,
    Search,
    SearchAsYouType,
    Text,
    analyzer,
    token_filter,
)

from ..text import fold, highlight, query_words
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

BATCH = 500
# Facet name → document field, and how many values each facet lists at most.
FACET_FIELDS = {"locale": "locale", "kind": "kind", "edition": "edition_key", "year": "year"}
FACET_SIZES = {"locale": 10, "kind": 10, "edition": 50, "year": 50}
# The searched texts and their boosts (those of ArchiveEntry.search_fields).
BOOSTS = {"title": 5, "introduction": 2, "authors": 2, "edition_title": 1, "body": 1}
LANGUAGES = ("fr", "en")
SEARCH_FIELDS = [
    f"{name}.{language}^{boost}" for name, boost in BOOSTS.items() for language in LANGUAGES
]
AUTOCOMPLETE_FIELDS = ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"]
# What a hit needs to be shown (the body of a PDF can weigh megabytes: never fetched).
SOURCE_FIELDS = [
    "kind",
    "locale",
    "url",
    "title",
    "authors",
    "edition_key",
    "edition_title",
    "year",
    "date",
    "excerpt",
]
SNIPPET_FIELDS = ("introduction", "body")
SNIPPET_SEPARATOR = " … "
# The start of the text, stored unindexed, for a snippet when no word of the body matched.
EXCERPT_CHARACTERS = 1000
# Highlighting reads at most this much of a field (the index default; PDFs can be longer).
MAX_ANALYZED_OFFSET = 1_000_000
# Elasticsearch refuses from + size beyond index.max_result_window (10,000 by default).
MAX_RESULT_WINDOW = 10_000
PHRASE_RE = re.compile(r'"([^"]*)"')

# Errors that mean "the engine cannot answer": transport (refused, timeout, TLS),
# API (4xx/5xx), and the helpers' own (a bulk item refused, a scroll lost).
ENGINE_ERRORS = (
    elastic_transport.TransportError,
    elastic_transport.ApiError,
    helpers.BulkIndexError,
    helpers.ScanError,
)


# Analysis ----------------------------------------------------------------------------------

french_elision = token_filter(
    "french_elision",
    "elision",
    articles_case=True,
    articles=["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"],
)
french_stop = token_filter("french_stop", "stop", stopwords="_french_")
french_stemmer = token_filter("french_stemmer", "stemmer", language="light_french")
english_possessive = token_filter(
    "english_possessive_stemmer", "stemmer", language="possessive_english"
)
english_stop = token_filter("english_stop", "stop", stopwords="_english_")
english_stemmer = token_filter("english_stemmer", "stemmer", language="english")

# Stop words are removed before folding, as the stop lists are accented (« à », « été »).
french = analyzer(
    "french_folded",
    tokenizer="standard",
    filter=[french_elision, "lowercase", french_stop, "asciifolding", french_stemmer],
)
english = analyzer(
    "english_folded",
    tokenizer="standard",
    filter=[english_possessive, "lowercase", english_stop, "asciifolding", english_stemmer],
)
folded = analyzer("folded", tokenizer="standard", filter=["lowercase", "asciifolding"])


def _text(**extra) -> Text:
    """A text analysed as it is written, then in French (``.fr``) and in English (``.en``)."""
    fields = {
        "fr": Text(analyzer=french, index_options="offsets"),
        "en": Text(analyzer=english, index_options="offsets"),
        **extra,
    }
    return Text(analyzer=folded, copy_to="spell", fields=fields)


class ArchiveDocument(Document):
    """The mapping of one ``ArchiveEntry``."""

    kind = Keyword()
    locale = Keyword()
    url = Keyword(index=False, doc_values=False)
    title = _text(suggest=SearchAsYouType(analyzer=folded))
    introduction = _text()
    body = _text()
    authors = _text()
    edition_key = Keyword()
    edition_title = _text()
    year = Integer()
    date = Date()
    excerpt = Text(index=False)
    spell = Text(analyzer=folded)

    class Meta:
        dynamic = MetaField("strict")


def index_body() -> dict:
    """Settings and mappings of a new physical index (for ``indices.create``)."""
    index = Index("archive")
    index.settings(number_of_shards=1, auto_expand_replicas="0-1")
    index.mapping(ArchiveDocument._doc_type.mapping)
    return index.to_dict()


def document(entry) -> dict:
    """The ``_source`` of an ``ArchiveEntry``."""
    text = "\n".join(part for part in (entry.introduction, entry.body) if part)
    return {
        "kind": entry.kind,
        "locale": entry.locale,
        "url": entry.url,
        "title": entry.title,
        "introduction": entry.introduction,
        "body": entry.body,
        "authors": entry.authors,
        "edition_key": entry.edition_key or None,
        "edition_title": entry.edition_title,
        "year": entry.year,
        "date": entry.date.isoformat() if entry.date else None,
        "excerpt": text[:EXCERPT_CHARACTERS],
    }


# Request bodies ----------------------------------------------------------------------------


def build_query(text: str) -> Q:
    """All the words (in any field, in French or in English), and each "quoted phrase"."""
    phrases = [phrase.strip() for phrase in PHRASE_RE.findall(text) if phrase.strip()]
    words = PHRASE_RE.sub(" ", text).strip()
    clauses = []
    if words:
        clauses.append(
            Q(
                "multi_match",
                query=words,
                type="cross_fields",
                operator="and",
                fields=SEARCH_FIELDS,
            )
        )
    clauses += [Q("multi_match", query=p, type="phrase", fields=SEARCH_FIELDS) for p in phrases]
    if not clauses:
        return Q("match_all")
    return clauses[0] if len(clauses) == 1 else Q("bool", must=clauses)


def build_filter(filters: dict[str, tuple]) -> Q:
    """The facet filters, by facet name, as one filter clause."""
    if not filters:
        return Q("match_all")
    terms = [Q("terms", **{FACET_FIELDS[name]: list(values)}) for name, values in filters.items()]
    return Q("bool", filter=terms)


def build_search(request: SearchRequest) -> Search:
    """The search request body for a page of results, its facets and a spelling suggestion."""
    search = Search().query(build_query(request.query)).extra(track_total_hits=True)
    if request.filters():
        search = search.post_filter(build_filter(request.filters()))
    for name in FACETS:
        search.aggs.bucket(name, "filter", filter=build_filter(request.filters(without=name)))
        search.aggs[name].bucket(
            "values", "terms", field=FACET_FIELDS[name], size=FACET_SIZES[name]
        )
    if request.order == "date":
        search = search.sort({"date": {"order": "desc", "missing": "_last"}}, "_score")
    else:
        search = search.sort("_score")
    if request.offset + request.per_page <= MAX_RESULT_WINDOW:
        search = search[request.offset : request.offset + request.per_page]
    else:  # beyond what Elasticsearch pages through: counts and facets, no hits
        search = search[0:0]
    search = search.source(SOURCE_FIELDS)
    search = search.highlight_options(
        pre_tags=["<mark>"],
        post_tags=["</mark>"],
        encoder="html",
        max_analyzed_offset=MAX_ANALYZED_OFFSET,
    )
    search = search.highlight(
        *(f"title.{language}" for language in LANGUAGES), number_of_fragments=0
    )
    search = search.highlight(
        *(f"{name}.{language}" for name in SNIPPET_FIELDS for language in LANGUAGES),
        fragment_size=200,
        number_of_fragments=2,
    )
    words = " ".join(query_words(request.query))
    if words:
        search = search.suggest(
            "spelling",
            words,
            phrase={
                "field": "spell",
                "size": 3,
                "max_errors": 2,
                "direct_generator": [
                    {"field": "spell", "suggest_mode": "always", "min_word_length": 3}
                ],
                # Only corrections that find something (the facet filters are checked after).
                "collate": {
                    "query": {
                        "source": {
                            "match": {"spell": {"query": "{{suggestion}}", "operator": "and"}}
                        }
                    },
                    "prune": False,
                },
            },
        )
    return search


def build_count(request: SearchRequest) -> dict:
    """The query counting what a request finds, filters included (to vet a suggestion)."""
    query = build_query(request.query)
    if request.filters():
        query = Q("bool", must=[query], filter=[build_filter(request.filters())])
    return query.to_dict()


def build_autocomplete(prefix: str, locales: Sequence[str] = (), limit: int = 8) -> Search:
    """Titles holding every word typed, the last one possibly unfinished."""
    query = Q(
        "multi_match",
        query=prefix,
        type="bool_prefix",
        operator="and",
        fields=AUTOCOMPLETE_FIELDS,
    )
    if locales:
        query = Q("bool", must=[query], filter=[Q("terms", locale=list(locales))])
    return Search().query(query).source(["title", "url", "kind", "locale"])[:limit]


# From responses ----------------------------------------------------------------------------


def _languages(locale: str) -> list[str]:
    """The entry's own language first: its analyser highlights its words best."""
    return sorted(LANGUAGES, key=lambda language: language != locale)


def _hit(raw: dict) -> Hit:
    source = raw["_source"]
    highlights = raw.get("highlight", {})
    locale = source.get("locale", "")
    languages = _languages(locale)
    title = source.get("title", "")
    title_html = next(
        (highlights[f"title.{lang}"][0] for lang in languages if highlights.get(f"title.{lang}")),
        escape(title),
    )
    fragments: list[str] = []
    for language in languages:
        for name in SNIPPET_FIELDS:
            fragments += highlights.get(f"{name}.{language}", [])
        if fragments:
            break
    snippet_html = SNIPPET_SEPARATOR.join(fragment.strip() for fragment in fragments[:2])
    if not snippet_html:
        # No word matched in the text: its escaped start, cut like the database engine's.
        snippet_html = highlight(source.get("excerpt") or "", "", locale)
    date = source.get("date")
    return Hit(
        entry_id=int(raw["_id"]),
        kind=source.get("kind", ""),
        locale=locale,
        url=source.get("url", ""),
        title=title,
        title_html=title_html,
        snippet_html=snippet_html,
        authors=source.get("authors") or "",
        edition_key=source.get("edition_key") or "",
        edition_title=source.get("edition_title") or "",
        year=source.get("year"),
        date=datetime.date.fromisoformat(date[:10]) if date else None,
    )


def _facets(request: SearchRequest, aggregations: dict) -> dict[str, list[FacetValue]]:
    facets = {}
    for name in FACETS:
        buckets = aggregations.get(name, {}).get("values", {}).get("buckets", [])
        selected = {str(value) for value in request.filters().get(name, ())}
        values = [
            FacetValue(str(bucket["key"]), bucket["doc_count"], str(bucket["key"]) in selected)
            for bucket in buckets
            if bucket["key"] not in (None, "")
        ]
        # Selected values stay visible (with 0) so that the reader can remove them.
        shown = {value.value for value in values}
        values += [FacetValue(value, 0, True) for value in sorted(selected - shown)]
        facets[name] = values
    return facets


def _suggestions(response: dict) -> list[str]:
    options = []
    for suggestion in response.get("suggest", {}).get("spelling", []):
        options += [option["text"] for option in suggestion.get("options", [])]
    return options


def _as_typed(option: str, typed: list[str]) -> str:
    """The suggester's lower-case, unaccented words, but the reader's where they are unchanged.

    « Petite échele » gives « Petite echelle », not « petite echelle ».
    """
    words = option.split()
    if len(words) != len(typed):
        return option
    return " ".join(
        mine if fold(mine) == fold(word) else word for mine, word in zip(typed, words, strict=True)
    )


# The service -------------------------------------------------------------------------------


class ElasticsearchSearchService(SearchService):
    name = "elasticsearch"

    def __init__(self):
        # Nothing is contacted here: the client is made at the first request.
        self.alias = f"{settings.ELASTICSEARCH_INDEX_PREFIX}archive"

    @cached_property
    def client(self) -> Elasticsearch:
        return Elasticsearch(
            settings.ELASTICSEARCH_URL, request_timeout=settings.ELASTICSEARCH_TIMEOUT
        )

    @contextmanager
    def _engine(self, action: str, *args):
        """Turn the engine's failures into SearchUnavailable, logged with their cause."""
        try:
            yield
        except ENGINE_ERRORS as error:
            # An unreachable cluster is one line per request; anything else gets its traceback.
            unreachable = isinstance(error, elastic_transport.TransportError)
            logger.error(
                "Elasticsearch " + action + " failed: %s", *args, error, exc_info=not unreachable
            )
            raise SearchUnavailable(f"Elasticsearch: {error}") from error

    # Searching ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchPage:
        body = build_search(request).to_dict()
        with self._engine("search for %r", request.query):
            response = self.client.search(index=self.alias, body=body).body
            total = response["hits"]["total"]["value"]
            facets = _facets(request, response.get("aggregations", {}))
            # No "did you mean" while the other language has results: the page offers those.
            elsewhere = any(value.count for value in facets.get("locale", ()))
            suggestion = (
                self._suggestion(request, response) if total == 0 and not elsewhere else None
            )
        return SearchPage(
            request=request,
            hits=[_hit(raw) for raw in response["hits"]["hits"]],
            total=total,
            facets=facets,
            suggestion=suggestion,
        )

    def _suggestion(self, request: SearchRequest, response: dict) -> str | None:
        """The first correction that differs from the query and finds something, filtered."""
        typed = query_words(request.query)
        for option in _suggestions(response):
            text = _as_typed(option, typed)
            if fold(text) == fold(" ".join(typed)):
                continue
            corrected = dataclasses.replace(request, query=text)
            if self.client.count(index=self.alias, query=build_count(corrected))["count"]:
                return text
        return None

    def autocomplete(
        self, prefix: str, *, locales: Sequence[str] = (), limit: int = 8
    ) -> list[Suggestion]:
        if not prefix.strip():
            return []
        body = build_autocomplete(prefix, locales, limit).to_dict()
        with self._engine("autocomplete for %r", prefix):
            response = self.client.search(index=self.alias, body=body).body
        return [
            Suggestion(
                hit["_source"]["title"],
                hit["_source"]["url"],
                hit["_source"]["kind"],
                hit["_source"]["locale"],
            )
            for hit in response["hits"]["hits"]
        ]

    # Indexing ----------------------------------------------------------------------------

    def _actions(self, entries: Iterable, index: str) -> Iterator[dict]:
        for entry in entries:
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": str(entry.pk),
                "_source": document(entry),
            }

    def _new_index_name(self) -> str:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S%f")
        return f"{self.alias}-{stamp}"

    def _aliased_indices(self) -> list[str]:
        """The physical indices behind the alias (none before the first indexing)."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def _create_index(self, name: str, *, aliased: bool) -> None:
        body = index_body()
        self.client.indices.create(
            index=name,
            settings=body["settings"],
            mappings=body["mappings"],
            aliases={self.alias: {}} if aliased else None,
        )

    def _ensure_index(self) -> None:
        """Create the first physical index behind the alias when there is none."""
        if self._aliased_indices():
            return
        name = self._new_index_name()
        self._create_index(name, aliased=True)
        indices = self._aliased_indices()
        if len(indices) > 1 and name != indices[0]:
            # Another worker created one at the same moment: the older one stays.
            self.client.indices.delete(index=name)

    def index_entries(self, entries: Iterable) -> None:
        entries = list(entries)
        if not entries:
            return
        with self._engine("indexing of %d entries", len(entries)):
            self._ensure_index()
            helpers.bulk(
                self.client,
                self._actions(entries, self.alias),
                chunk_size=BATCH,
                max_retries=3,
                refresh="wait_for",
            )

    def remove_entries(self, entry_ids: Iterable[int]) -> None:
        entry_ids = list(entry_ids)
        if not entry_ids:
            return
        actions = (
            {"_op_type": "delete", "_index": self.alias, "_id": str(entry_id)}
            for entry_id in entry_ids
        )
        with self._engine("removal of %d entries", len(entry_ids)):
            if self._aliased_indices():
                helpers.bulk(
                    self.client,
                    actions,
                    chunk_size=BATCH,
                    max_retries=3,
                    ignore_status=(404,),
                    refresh="wait_for",
                )

    def indexed_ids(self) -> set[int]:
        with self._engine("listing of the indexed entries"):
            if not self._aliased_indices():
                return set()
            hits = helpers.scan(
                self.client, index=self.alias, query={"query": {"match_all": {}}, "_source": False}
            )
            return {int(hit["_id"]) for hit in hits}

    def rebuild(self, entries, *, progress: ProgressCallback | None = None) -> int:
        """Fill a new physical index, then swap the alias onto it in one atomic call.

        On failure the new index is deleted and the alias stays where it was.
        """
        total = entries.count()
        new = self._new_index_name()
        done = 0
        with self._engine("rebuild into %s", new):
            old = self._aliased_indices()
            try:
                self._create_index(new, aliased=False)
                batch = []
                for entry in entries.order_by("pk").iterator(chunk_size=BATCH):
                    batch.append(entry)
                    if len(batch) == BATCH:
                        done += self._bulk_index(batch, new)
                        batch = []
                        if progress:
                            progress(done, total)
                if batch:
                    done += self._bulk_index(batch, new)
                if progress:
                    progress(done, total)
                self.client.indices.refresh(index=new)
                actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
                actions.append({"add": {"index": new, "alias": self.alias}})
                self.client.indices.update_aliases(actions=actions)
            except BaseException:
                self._delete_half_built(new)
                raise
        for name in old:
            try:
                self.client.indices.delete(index=name)
            except ENGINE_ERRORS:
                # The new index already answers; the old one only wastes space.
                logger.exception("Could not delete the previous search index %s", name)
        return done

    def clear(self) -> None:
        """Delete every physical index of the archive, aliased or left over by a crash."""
        with self._engine("clearing of %s", self.alias):
            names = set(self._aliased_indices())
            names |= set(self.client.indices.get(index=f"{self.alias}-*").body)
            for name in sorted(names):
                self.client.indices.delete(index=name, ignore_unavailable=True)

    def _bulk_index(self, batch: list, index: str) -> int:
        indexed, _errors = helpers.bulk(
            self.client, self._actions(batch, index), chunk_size=BATCH, max_retries=3
        )
        return indexed

    def _delete_half_built(self, name: str) -> None:
        try:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        except ENGINE_ERRORS:
            logger.exception("Could not delete the half-built search index %s", name)
