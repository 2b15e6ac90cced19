"""The Elasticsearch engine (search.services.elastic).

No Elasticsearch can be installed on this machine, so the tests come in four groups:

* the index body and the request bodies, built without a server;
* an unreachable or hanging cluster, through the real client: the reader gets
  ``SearchUnavailable`` (a "search unavailable" page), never a stack trace or a false
  "nothing found", and the indexing tasks fail so that Celery retries them;
* the service's requests and its reading of the answers, against ``FakeElasticsearch``, an HTTP
  server that answers like a cluster with canned bodies;
* the real thing, when ``ELASTICSEARCH_URL`` points at a cluster (CI): rebuild, search, facets,
  suggestions and the atomic alias swap.
"""

import datetime
import json
import os
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management import CommandError, call_command

import pytest

from search.models import ArchiveEntry
from search.services import FacetValue, SearchRequest, SearchUnavailable, get_search_service
from search.services.elastic import (
    ElasticsearchSearchService,
    build_autocomplete,
    build_search,
    index_body,
)

ELASTIC = "search.services.elastic.ElasticsearchSearchService"
KEY = "412bdcbd-84d4-5046-b468-91e04eb84838"
LANGUAGE_FIELDS = ("title", "introduction", "body", "authors", "edition_title")


def analyser(body, name):
    analysis = body["settings"]["analysis"]
    definition = analysis["analyzer"][name]
    filters = [analysis["filter"].get(f, {"type": f}) for f in definition["filter"]]
    return definition, filters


def mapping(body, field):
    return body["mappings"]["properties"][field]


# The index ---------------------------------------------------------------------------------


def test_the_french_analyser_drops_elisions_folds_accents_and_stems():
    body = index_body()
    analyser_name = mapping(body, "title")["fields"]["fr"]["analyzer"]
    definition, filters = analyser(body, analyser_name)
    assert definition["tokenizer"] == "standard"
    types = [f["type"] for f in filters]
    assert types[:2] == ["elision", "lowercase"]
    assert {"l", "d", "qu", "jusqu"} <= set(filters[0]["articles"])
    assert filters[0]["articles_case"] is True
    assert "asciifolding" in types
    assert {"type": "stop", "stopwords": "_french_"} in filters
    assert {"type": "stemmer", "language": "light_french"} == filters[-1]


def test_the_english_analyser_folds_accents_and_stems():
    body = index_body()
    definition, filters = analyser(body, mapping(body, "title")["fields"]["en"]["analyzer"])
    assert filters[0] == {"type": "stemmer", "language": "possessive_english"}
    types = [f["type"] for f in filters]
    assert "lowercase" in types and "asciifolding" in types
    assert {"type": "stop", "stopwords": "_english_"} in filters
    assert filters[-1] == {"type": "stemmer", "language": "english"}


def test_every_text_is_analysed_in_french_and_in_english():
    body = index_body()
    for field in LANGUAGE_FIELDS:
        properties = mapping(body, field)
        assert properties["type"] == "text"
        assert properties["fields"]["fr"]["analyzer"] == "french_folded"
        assert properties["fields"]["en"]["analyzer"] == "english_folded"
        assert properties["copy_to"] == "spell"  # for the spelling suggester


def test_titles_complete_as_you_type_and_spelling_ignores_accents():
    body = index_body()
    suggest = mapping(body, "title")["fields"]["suggest"]
    assert suggest["type"] == "search_as_you_type"
    spell = mapping(body, "spell")
    definition, filters = analyser(body, spell["analyzer"])
    assert [f["type"] for f in filters] == ["lowercase", "asciifolding"]
    assert definition["tokenizer"] == "standard"
    assert analyser(body, suggest["analyzer"])[1] == filters


def test_filters_are_exact_values():
    body = index_body()
    for field in ("kind", "locale", "edition_key"):
        assert mapping(body, field) == {"type": "keyword"}
    assert mapping(body, "year")["type"] == "integer"
    assert mapping(body, "date")["type"] == "date"
    assert mapping(body, "url")["index"] is False
    assert body["mappings"]["dynamic"] == "strict"


# The search request ------------------------------------------------------------------------


def body_of(**request):
    return build_search(SearchRequest(**{"query": "petite échelle", **request})).to_dict()


def test_every_word_must_match_in_the_boosted_fields_of_both_languages():
    query = body_of()["query"]["multi_match"]
    assert query["query"] == "petite échelle"
    assert query["operator"] == "and"
    assert query["type"] in ("best_fields", "cross_fields")
    boosts = {"title": 5, "introduction": 2, "authors": 2, "edition_title": 1, "body": 1}
    assert sorted(query["fields"]) == sorted(
        f"{field}.{language}^{boost}"
        for field, boost in boosts.items()
        for language in ("fr", "en")
    )


def test_a_quoted_phrase_must_appear_as_written():
    clauses = body_of(query='numérique "petite échelle"')["query"]["bool"]["must"]
    words, phrase = (clause["multi_match"] for clause in clauses)
    assert (words["query"], words["operator"]) == ("numérique", "and")
    assert (phrase["query"], phrase["type"]) == ("petite échelle", "phrase")
    assert phrase["fields"] == words["fields"]


def test_filters_apply_after_the_facets_are_counted():
    assert "post_filter" not in body_of()
    body = body_of(locales=("fr",), kinds=("article", "edition"), editions=(KEY,), years=(2016,))
    assert body["post_filter"]["bool"]["filter"] == [
        {"terms": {"locale": ["fr"]}},
        {"terms": {"kind": ["article", "edition"]}},
        {"terms": {"edition_key": [KEY]}},
        {"terms": {"year": [2016]}},
    ]


def test_each_facet_is_counted_with_the_other_filters_only():
    body = body_of(locales=("fr",), kinds=("article",), years=(2016,))
    aggregations = body["aggs"]
    assert set(aggregations) == {"locale", "kind", "edition", "year"}

    def filtered_fields(name):
        clauses = aggregations[name]["filter"]["bool"]["filter"]
        return {field for clause in clauses for field in clause["terms"]}

    assert filtered_fields("locale") == {"kind", "year"}
    assert filtered_fields("kind") == {"locale", "year"}
    assert filtered_fields("edition") == {"locale", "kind", "year"}
    assert filtered_fields("year") == {"locale", "kind"}
    terms = {name: agg["aggs"]["values"]["terms"] for name, agg in aggregations.items()}
    assert terms["edition"] == {"field": "edition_key", "size": 50}
    assert terms["year"] == {"field": "year", "size": 50}
    assert terms["locale"]["field"] == "locale" and terms["kind"]["field"] == "kind"
    # Without filters, each facet counts everything the query finds.
    assert body_of()["aggs"]["kind"]["filter"] == {"match_all": {}}


def test_matches_are_highlighted_and_everything_else_escaped():
    highlight = body_of()["highlight"]
    assert highlight["pre_tags"] == ["<mark>"] and highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html"
    fields = highlight["fields"]
    assert {"title.fr", "title.en", "body.fr", "body.en"} <= set(fields)
    assert fields["body.fr"]["fragment_size"] == 200
    assert fields["body.fr"]["number_of_fragments"] in (1, 2)


def test_order_and_pages():
    assert body_of()["sort"] == ["_score"]
    assert body_of(order="date")["sort"][0] == {"date": {"order": "desc", "missing": "_last"}}
    assert body_of(order="date")["sort"][1:] == ["_score"]
    body = body_of(page=3, per_page=10)
    assert (body["from"], body["size"]) == (20, 10)
    assert body["track_total_hits"] is True
    # Beyond Elasticsearch's result window: counts and facets, no hits (and no error).
    assert body_of(page=2000)["size"] == 0


def test_a_spelling_suggestion_is_asked_for():
    suggest = body_of(query='"petite echele"')["suggest"]["spelling"]
    assert suggest["text"] == "petite echele"
    assert suggest["phrase"]["field"] == "spell"
    assert suggest["phrase"]["direct_generator"][0]["field"] == "spell"


def test_autocomplete_matches_the_start_of_title_words():
    body = build_autocomplete("Think Sm", ["en"], 5).to_dict()
    query = body["query"]["bool"]
    match = query["must"][0]["multi_match"]
    assert match["type"] == "bool_prefix"
    assert match["query"] == "Think Sm"
    assert match["fields"] == ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"]
    assert query["filter"] == [{"terms": {"locale": ["en"]}}]
    assert body["size"] == 5


# An unreachable cluster --------------------------------------------------------------------


@pytest.fixture
def elastic_at(settings):
    """The Elasticsearch service configured for ``url`` (through the settings, as in prod)."""

    def configure(url, timeout=1.0):
        settings.ELASTICSEARCH_TIMEOUT = timeout
        settings.ELASTICSEARCH_INDEX_PREFIX = "qn_test_"
        settings.ELASTICSEARCH_URL = url
        settings.SEARCH_SERVICE = ELASTIC
        get_search_service.cache_clear()
        service = get_search_service()
        assert isinstance(service, ElasticsearchSearchService)
        return service

    return configure


def timed(action):
    started = time.monotonic()
    with pytest.raises(SearchUnavailable):
        action()
    return time.monotonic() - started


def test_a_refused_connection_makes_search_unavailable(elastic_at, caplog):
    service = elastic_at("http://127.0.0.1:9")  # the discard port: nothing listens
    assert timed(lambda: service.search(SearchRequest(query="échelles"))) < 5
    assert "Elasticsearch search for 'échelles' failed" in caplog.text
    assert timed(lambda: service.autocomplete("Think", locales=("fr",))) < 5


@pytest.mark.django_db
def test_indexing_fails_loudly_so_that_the_task_is_retried(elastic_at):
    service = elastic_at("http://127.0.0.1:9")
    assert timed(lambda: service.index_entries(ArchiveEntry.objects.all()[:3])) < 5
    assert timed(lambda: service.remove_entries([1, 2])) < 5
    assert timed(service.indexed_ids) < 5


@pytest.mark.django_db
def test_the_rebuild_command_says_the_engine_is_unavailable(elastic_at):
    elastic_at("http://127.0.0.1:9")
    with pytest.raises(CommandError, match="unavailable"):
        call_command("rebuild_search_index", "--skip-entries")


def test_a_hanging_cluster_times_out(elastic_at):
    """A server that accepts connections and never answers: the timeout ends the wait."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        service = elastic_at(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        assert timed(lambda: service.search(SearchRequest(query="échelles"))) < 5


def test_the_service_is_made_without_contacting_the_cluster(settings):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.ELASTICSEARCH_INDEX_PREFIX = "qn_"
    assert ElasticsearchSearchService().alias == "qn_archive"


# What the service sends and how it reads the answers ---------------------------------------


class FakeElasticsearch:
    """An HTTP server that answers like an Elasticsearch cluster, with canned bodies.

    A fake because no Elasticsearch can be installed here: it records the requests the real
    client sends and returns what a cluster would, so that the service's reading of
    responses (hits, highlights, facets, suggestions, bulk items) and its sequence of index
    operations are checked. Elasticsearch's own behaviour is checked by the live tests.
    """

    def __init__(self):
        self.requests: list[tuple[str, str, object]] = []
        self.answers: list[tuple] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, method, path, body, status=200):
        """Answer ``method path`` (a regex) with ``body``, or ``body(request)`` → (status, body).

        The latest answer given for a request wins; unanswered requests are acknowledged,
        bulk requests get one successful item per action.
        """
        self.answers.insert(0, (method, re.compile(path), body, status))

    def sent(self, method, path):
        return [body for m, p, body in self.requests if m == method and re.fullmatch(path, p)]

    def _reply(self, method, path, body):
        for answer_method, pattern, reply, status in self.answers:
            if answer_method == method and pattern.fullmatch(path):
                return reply(body) if callable(reply) else (status, reply)
        if path == "/_bulk":
            return 200, bulk_reply(body)
        return 200, {"acknowledged": True}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "ndjson" in (self.headers.get("Content-Type") or ""):
                    body = [json.loads(line) for line in raw.splitlines() if line.strip()]
                else:
                    body = json.loads(raw) if raw else None
                path = self.path.split("?")[0]
                fake.requests.append((self.command, path, body))
                status, reply = fake._reply(self.command, path, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, *args):
                pass

        return Handler


BULK_OPERATIONS = {"index", "create", "update", "delete"}


def bulk_reply(lines, status=201):
    """One item per action line of a bulk request, each with ``status``."""
    items = [
        {operation: {**line[operation], "status": status}}
        for line in lines
        for operation in BULK_OPERATIONS.intersection(line)
    ]
    return {"took": 1, "errors": status >= 300, "items": items}


def bulk_targets(lines):
    """The index of each action of a bulk request."""
    return [line[op]["_index"] for line in lines for op in BULK_OPERATIONS.intersection(line)]


@pytest.fixture
def cluster(elastic_at):
    fake = FakeElasticsearch()
    fake.thread.start()
    service = elastic_at(fake.url)
    assert service.alias == "qn_test_archive"
    fake.service = service
    yield fake
    service.client.close()
    fake.server.shutdown()
    fake.server.server_close()


ALIAS = "qn_test_archive"
OLD_INDEX = f"{ALIAS}-20250101000000000000"
NEW_INDEX = re.compile(rf"{ALIAS}-\d{{20}}")


def source(**values):
    return {
        "kind": "edition",
        "locale": "fr",
        "url": "/fr/editions/think-small/",
        "title": "Think Small",
        "authors": "",
        "edition_key": KEY,
        "edition_title": "Think Small",
        "year": 2016,
        "date": "2016-01-01",
        "excerpt": "",
        **values,
    }


def facet(*buckets):
    return {"doc_count": 2, "values": {"buckets": [{"key": k, "doc_count": c} for k, c in buckets]}}


def test_hits_facets_and_highlights_are_read_like_the_database_engines(cluster):
    cluster.answer(
        "POST",
        rf"/{ALIAS}/_search",
        {
            "hits": {
                "total": {"value": 2, "relation": "eq"},
                "hits": [
                    {
                        "_id": "8",
                        "_source": source(),
                        "highlight": {
                            "body.en": ["english <mark>fragment</mark>"],
                            "body.fr": [
                                "articuler les <mark>échelles</mark>",
                                "à <mark>l’échelle</mark> mondiale",
                            ],
                        },
                    },
                    {
                        "_id": "12",
                        "_source": source(
                            kind="page",
                            title="Tom & <Jerry>",
                            edition_key=None,
                            year=None,
                            date=None,
                            excerpt="Un texte <b>brut</b>.",
                        ),
                        "highlight": {"title.en": ["Tom &amp; &lt;<mark>Jerry</mark>&gt;"]},
                    },
                ],
            },
            "aggregations": {
                "locale": facet(("fr", 2)),
                "kind": facet(("edition", 1), ("page", 1)),
                "edition": facet((KEY, 1), ("", 1)),
                "year": facet((2016, 1)),
            },
        },
    )
    request = SearchRequest(query="échelles", kinds=("article",), years=(2016,))
    page = cluster.service.search(request)

    (sent,) = cluster.sent("POST", rf"/{ALIAS}/_search")
    assert sent == build_search(request).to_dict()
    assert page.total == 2 and page.suggestion is None
    first, second = page.hits
    assert (first.entry_id, first.kind, first.url, first.year) == (
        8,
        "edition",
        "/fr/editions/think-small/",
        2016,
    )
    assert first.date == datetime.date(2016, 1, 1)
    assert first.title_html == "Think Small"
    # The entry's own language first, two fragments at most.
    assert first.snippet_html == (
        "articuler les <mark>échelles</mark> … à <mark>l’échelle</mark> mondiale"
    )
    assert second.title_html == "Tom &amp; &lt;<mark>Jerry</mark>&gt;"
    assert second.snippet_html == "Un texte &lt;b&gt;brut&lt;/b&gt;."
    assert (second.edition_key, second.year, second.date) == ("", None, None)

    assert page.facets["kind"] == [
        FacetValue("edition", 1),
        FacetValue("page", 1),
        FacetValue("article", 0, selected=True),  # selected, absent: still offered
    ]
    assert page.facets["edition"] == [FacetValue(KEY, 1)]
    assert page.facets["year"] == [FacetValue("2016", 1, selected=True)]


def nothing_found(*options):
    return {
        "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
        "aggregations": {name: facet() for name in ("locale", "kind", "edition", "year")},
        "suggest": {
            "spelling": [
                {
                    "text": "transitoins",
                    "offset": 0,
                    "length": 11,
                    "options": [{"text": text, "score": 0.1} for text in options],
                }
            ]
        },
    }


def test_a_correction_is_suggested_only_when_it_finds_something(cluster):
    request = SearchRequest(query="transitoins", locales=("fr",))
    cluster.answer("POST", rf"/{ALIAS}/_search", nothing_found("transitions"))
    cluster.answer("POST", rf"/{ALIAS}/_count", {"count": 1})
    page = cluster.service.search(request)
    assert (page.total, page.hits, page.suggestion) == (0, [], "transitions")
    (count,) = cluster.sent("POST", rf"/{ALIAS}/_count")
    assert count["query"]["bool"]["filter"] == [
        {"bool": {"filter": [{"terms": {"locale": ["fr"]}}]}}
    ]

    cluster.answer("POST", rf"/{ALIAS}/_count", {"count": 0})
    assert cluster.service.search(request).suggestion is None

    # The query itself (accents and case aside) is no suggestion.
    cluster.answer("POST", rf"/{ALIAS}/_search", nothing_found("Transitoins"))
    assert cluster.service.search(request).suggestion is None


def test_a_suggestion_keeps_the_readers_spelling_of_the_words_it_keeps(cluster):
    cluster.answer("POST", rf"/{ALIAS}/_search", nothing_found("petite echelle"))
    cluster.answer("POST", rf"/{ALIAS}/_count", {"count": 3})
    page = cluster.service.search(SearchRequest(query="Petite échele"))
    assert page.suggestion == "Petite echelle"
    (count,) = cluster.sent("POST", rf"/{ALIAS}/_count")
    assert count["query"]["multi_match"]["query"] == "Petite echelle"


def test_an_error_answer_makes_search_unavailable(cluster):
    error = {"error": {"type": "index_not_found_exception"}, "status": 404}
    cluster.answer("POST", rf"/{ALIAS}/_search", error, status=404)
    with pytest.raises(SearchUnavailable):
        cluster.service.search(SearchRequest(query="échelles"))


def test_autocomplete_reads_titles(cluster):
    cluster.answer(
        "POST",
        rf"/{ALIAS}/_search",
        {"hits": {"total": {"value": 1}, "hits": [{"_id": "30", "_source": source(locale="en")}]}},
    )
    (suggestion,) = cluster.service.autocomplete("Think Sm", locales=["en"], limit=3)
    assert (suggestion.title, suggestion.locale) == ("Think Small", "en")
    assert cluster.sent("POST", rf"/{ALIAS}/_search") == [
        build_autocomplete("Think Sm", ["en"], 3).to_dict()
    ]
    assert cluster.service.autocomplete("  ") == []


@pytest.mark.django_db
def test_the_first_indexing_creates_the_index_behind_the_alias(cluster):
    def aliases(_body):
        created = [path[1:] for method, path, _ in cluster.requests if method == "PUT"]
        created = [name for name in created if name != "_bulk"]
        if not created:
            return 404, {"error": f"alias [{ALIAS}] missing", "status": 404}
        return 200, {name: {"aliases": {ALIAS: {}}} for name in created}

    cluster.answer("GET", rf"/_alias/{ALIAS}", aliases)
    entries = list(ArchiveEntry.objects.order_by("pk")[:3])
    cluster.service.index_entries(entries)

    (name, body), *_bulk = [(p[1:], b) for m, p, b in cluster.requests if m == "PUT"]
    assert NEW_INDEX.fullmatch(name)
    assert body["aliases"] == {ALIAS: {}}
    assert body["mappings"] == index_body()["mappings"]
    (lines,) = cluster.sent("PUT", "/_bulk")
    assert bulk_targets(lines) == [ALIAS] * 3
    assert [line["index"]["_id"] for line in lines[::2]] == [str(e.pk) for e in entries]
    assert lines[1]["title"] == entries[0].title

    # The next time the index is there: no creation.
    before = len(cluster.requests)
    cluster.service.index_entries(entries[:1])
    assert [(m, p) for m, p, _b in cluster.requests[before:]] == [
        ("GET", f"/_alias/{ALIAS}"),
        ("PUT", "/_bulk"),
    ]


@pytest.mark.django_db
def test_removing_ignores_entries_the_index_never_had(cluster):
    cluster.answer("GET", rf"/_alias/{ALIAS}", {OLD_INDEX: {"aliases": {ALIAS: {}}}})
    cluster.answer("PUT", "/_bulk", bulk_reply([{"delete": {"_id": "1"}}], status=404))
    cluster.service.remove_entries([1])
    (lines,) = cluster.sent("PUT", "/_bulk")
    assert lines == [{"delete": {"_index": ALIAS, "_id": "1"}}]


@pytest.mark.django_db
def test_removing_from_no_index_at_all_is_a_no_op(cluster):
    cluster.answer("GET", rf"/_alias/{ALIAS}", {"status": 404}, status=404)
    cluster.service.remove_entries([1])
    assert cluster.service.indexed_ids() == set()
    assert cluster.sent("PUT", "/_bulk") == []


@pytest.mark.django_db
def test_a_rebuild_swaps_the_alias_in_one_call(cluster):
    cluster.answer("GET", rf"/_alias/{ALIAS}", {OLD_INDEX: {"aliases": {ALIAS: {}}}})
    calls = []
    count = cluster.service.rebuild(ArchiveEntry.objects.all(), progress=lambda *a: calls.append(a))

    total = ArchiveEntry.objects.count()
    assert count == total and calls[-1] == (total, total)
    operations = [(m, p) for m, p, _ in cluster.requests if p not in ("/_bulk",)]
    new = next(p[1:] for m, p in operations if m == "PUT")
    assert NEW_INDEX.fullmatch(new) and new != OLD_INDEX
    assert operations == [
        ("GET", f"/_alias/{ALIAS}"),
        ("PUT", f"/{new}"),
        ("POST", f"/{new}/_refresh"),
        ("POST", "/_aliases"),
        ("DELETE", f"/{OLD_INDEX}"),
    ]
    assert {
        target for lines in cluster.sent("PUT", "/_bulk") for target in bulk_targets(lines)
    } == {new}
    (swap,) = cluster.sent("POST", "/_aliases")
    assert swap == {
        "actions": [
            {"remove": {"index": OLD_INDEX, "alias": ALIAS}},
            {"add": {"index": new, "alias": ALIAS}},
        ]
    }


@pytest.mark.django_db
def test_a_failed_rebuild_leaves_the_alias_where_it_was(cluster):
    cluster.answer("GET", rf"/_alias/{ALIAS}", {OLD_INDEX: {"aliases": {ALIAS: {}}}})
    refused = {"took": 1, "errors": True, "items": [{"index": {"_id": "1", "status": 400}}]}
    cluster.answer("PUT", "/_bulk", refused)
    with pytest.raises(SearchUnavailable):
        cluster.service.rebuild(ArchiveEntry.objects.all())

    new = next(p[1:] for m, p, _ in cluster.requests if m == "PUT" and p != "/_bulk")
    assert cluster.sent("POST", "/_aliases") == []
    assert cluster.sent("DELETE", f"/{new}") == [None]  # the half-built index
    assert cluster.sent("DELETE", f"/{OLD_INDEX}") == []


# A real cluster ----------------------------------------------------------------------------

live = pytest.mark.skipif(
    not os.environ.get("ELASTICSEARCH_URL"),
    reason="needs a real Elasticsearch cluster: set ELASTICSEARCH_URL "
    "(none can be installed on this machine)",
)


@pytest.fixture
def cluster_service(db, settings):
    """The loaded content, rebuilt into indices of its own (deleted afterwards)."""
    settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
    settings.ELASTICSEARCH_INDEX_PREFIX = f"qn_test_{uuid.uuid4().hex[:8]}_"
    settings.SEARCH_SERVICE = ELASTIC
    get_search_service.cache_clear()
    service = get_search_service()
    assert service.rebuild(ArchiveEntry.objects.all()) == ArchiveEntry.objects.count() > 0
    yield service
    service.clear()
    assert not service.client.indices.get(index=f"{service.alias}*")


def search(service, query, **filters):
    return service.search(SearchRequest(query=query, **filters))


@live
def test_live_a_french_plural_finds_the_think_small_edition(cluster_service):
    found = search(cluster_service, "échelles", locales=("fr",))
    editions = {hit.title: hit for hit in found.hits if hit.kind == "edition"}
    assert editions["Think Small"].url == "/fr/editions/think-small/"
    assert "<mark>" in editions["Think Small"].snippet_html
    # Without the accent, and in the singular, too.
    found = search(cluster_service, "echelle", locales=("fr",))
    assert "Think Small" in [hit.title for hit in found.hits]


@live
def test_live_transitions_finds_its_edition(cluster_service):
    found = search(cluster_service, "transitions", locales=("fr",))
    assert (found.hits[0].title, found.hits[0].kind, found.hits[0].year) == (
        "Transitions",
        "edition",
        2015,
    )
    assert found.hits[0].title_html == "<mark>Transitions</mark>"


@live
def test_live_an_english_query_finds_english_pages(cluster_service):
    found = search(cluster_service, "small scale", locales=("en",))
    assert found.total >= 1
    assert {hit.locale for hit in found.hits} == {"en"}
    assert "The transformative power of the small scale" in [hit.title for hit in found.hits]
    assert FacetValue("en", found.total, selected=True) in found.facets["locale"]


@live
def test_live_facets_filter_and_stay_disjunctive(cluster_service):
    everything = search(cluster_service, "petite échelle")
    kinds = {value.value: value.count for value in everything.facets["kind"]}
    assert kinds["article"] >= 2 and kinds["edition"] >= 1

    articles = search(cluster_service, "petite échelle", kinds=("article",))
    assert articles.total == kinds["article"]
    assert {hit.kind for hit in articles.hits} == {"article"}
    assert {value.value: value.count for value in articles.facets["kind"]} == kinds

    in_2011 = search(cluster_service, "petite échelle", kinds=("article",), years=(2011,))
    assert in_2011.total == 0
    assert FacetValue("2011", 0, selected=True) in in_2011.facets["year"]


@live
def test_live_a_misspelling_gets_a_suggestion(cluster_service):
    found = search(cluster_service, "transitoins", locales=("fr",))
    assert (found.total, found.suggestion) == (0, "transitions")
    assert search(cluster_service, "transitions", locales=("fr",)).suggestion is None


@live
def test_live_autocomplete(cluster_service):
    (first, *_rest) = cluster_service.autocomplete("Think Sm", locales=("en",))
    assert (first.title, first.url) == ("Think Small", "/en/editions/think-small/")


@live
def test_live_changes_are_searchable_when_indexing_returns(cluster_service):
    entry = ArchiveEntry.objects.get(kind="edition", locale="fr", year=2015)
    entry.title = "Transitions Zorglub"
    cluster_service.index_entries([entry])
    assert [hit.entry_id for hit in search(cluster_service, "Zorglub").hits] == [entry.pk]
    cluster_service.remove_entries([entry.pk, 999_999])
    assert search(cluster_service, "Zorglub").total == 0
    assert entry.pk not in cluster_service.indexed_ids()


def aliased(service):
    return sorted(service.client.indices.get_alias(name=service.alias).body)


@live
def test_live_rebuild_swaps_the_alias_atomically(cluster_service):
    (before,) = aliased(cluster_service)
    cluster_service.rebuild(ArchiveEntry.objects.all())
    (after,) = aliased(cluster_service)
    assert after != before and after.startswith(f"{cluster_service.alias}-")
    assert not cluster_service.client.indices.exists(index=before)
    assert cluster_service.indexed_ids() == set(ArchiveEntry.objects.values_list("pk", flat=True))


@live
def test_live_an_interrupted_rebuild_changes_nothing(cluster_service):
    (before,) = aliased(cluster_service)

    def interrupt(done, total):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cluster_service.rebuild(ArchiveEntry.objects.all(), progress=interrupt)
    assert aliased(cluster_service) == [before]
    assert list(cluster_service.client.indices.get(index=f"{cluster_service.alias}-*")) == [before]
    assert search(cluster_service, "transitions", locales=("fr",)).total >= 1
