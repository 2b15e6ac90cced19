"""The public search page and its autocomplete, over the real content and the active engine.

CI runs these on PostgreSQL (the database engine's full text search); locally SQLite's FTS5
serves. The engine-down case uses the real Elasticsearch service pointed at a closed port.
"""

import datetime
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from django.core.cache import cache

import pytest

from search.models import ArchiveEntry

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """What a reader (or a screen reader) gets from the page: links, hits, headings."""

    def __init__(self, html):
        super().__init__()
        self.links = []  # (href, text, attributes)
        self.hits = []  # {"lang", "url", "title", "badge"}
        self.text = []
        self._link = None
        self._hit = None
        self._in_title = False
        self._in_badge = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "li" and "search-result" in classes:
            self._hit = {"lang": attrs.get("lang"), "url": None, "title": "", "badge": ""}
            self.hits.append(self._hit)
        if tag == "span" and "badge--language" in classes:
            self._in_badge = True
        if tag == "h3" and "search-result__title" in classes:
            self._in_title = True
        if tag == "a":
            self._link = [attrs.get("href"), "", attrs]
            if self._in_title and self._hit is not None:
                self._hit["url"] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "a" and self._link:
            self.links.append((self._link[0], " ".join(self._link[1].split()), self._link[2]))
            self._link = None
        if tag == "h3":
            self._in_title = False
        if tag == "li":
            self._hit = None
        if tag == "span":
            self._in_badge = False

    def handle_data(self, data):
        self.text.append(data)
        if self._link is not None:
            self._link[1] += data
        if self._hit is not None:
            if self._in_title:
                self._hit["title"] += data
            if self._in_badge:
                self._hit["badge"] += data

    @property
    def plain(self):
        """The text, whitespace collapsed, entities decoded."""
        return " ".join("".join(self.text).split())

    def facet_links(self):
        return [link for link in self.links if "facet__option" in (link[2].get("class") or "")]

    def facet_link(self, starting_with):
        matches = [link for link in self.facet_links() if link[1].startswith(starting_with)]
        assert matches, f"no facet link « {starting_with}… » in {self.facet_links()}"
        return matches[0]

    def link(self, text):
        matches = [link for link in self.links if link[1] == text]
        assert matches, f"no link « {text} »"
        return matches[0]


def get(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response, Page(response.content.decode())


@pytest.fixture(autouse=True)
def fresh_cache():
    """The "did you mean" vocabulary is cached: each test reads the index as it is."""
    cache.clear()
    yield
    cache.clear()


def test_results_show_highlighted_titles_and_snippets(client):
    response, page = get(client, "/fr/search/", {"q": "échelles"})

    html = response.content.decode()
    assert '<meta name="robots" content="noindex, follow">' in html
    assert "<mark>" in html
    assert page.hits, "no result for « échelles »"
    assert {hit["url"] for hit in page.hits} >= {"/fr/editions/think-small/"}
    assert all(hit["lang"] == "fr" for hit in page.hits)
    assert f"{len(page.hits)} résultats pour « échelles »" in page.plain
    # Type label and edition of each hit, in the reader's language
    assert "Édition : Think Small (2016-2017)" in page.plain


def facet_count(text):
    """« Édition 2 résultats, filtre actif… » → 2."""
    return int(re.search(r" (\d+) résultats?", text).group(1))


def test_a_facet_link_filters_and_can_be_removed(client):
    _response, page = get(client, "/fr/search/", {"q": "échelles"})
    href, text, attributes = page.facet_link("Édition")
    assert "aria-current" not in attributes
    editions = facet_count(text)
    articles = facet_count(page.facet_link("Article")[1])
    assert editions and articles
    assert parse_qs(urlsplit(href).query) == {"q": ["échelles"], "kind": ["edition"]}

    response, filtered = get(client, href)

    assert len(filtered.hits) == editions
    assert {ArchiveEntry.objects.get(url=hit["url"]).kind for hit in filtered.hits} == {"edition"}
    assert "/fr/editions/think-small/" in [hit["url"] for hit in filtered.hits]
    href, text, attributes = filtered.facet_link("Édition")
    assert attributes.get("aria-current") == "true"
    assert "filtre actif" in text
    # The other types keep their counts (facets are disjunctive) and the filter can go.
    assert facet_count(filtered.facet_link("Article")[1]) == articles
    assert parse_qs(urlsplit(href).query) == {"q": ["échelles"]}
    clear = filtered.link("Effacer les filtres")[0]
    assert parse_qs(urlsplit(clear).query) == {"q": ["échelles"]}


def test_edition_facet_names_the_edition_in_the_readers_language(client):
    think_small = ArchiveEntry.objects.get(kind="edition", locale="en", title="Think Small")

    _response, page = get(client, "/en/search/", {"q": "Think"})

    href, text, _attributes = page.facet_link("Think Small (2016-2017)")
    assert parse_qs(urlsplit(href).query)["edition"] == [think_small.edition_key]
    _response, filtered = get(client, href)
    assert filtered.hits
    assert all(hit["url"].startswith("/en/editions/think-small/") for hit in filtered.hits)


def test_english_page_searches_english_and_offers_the_french_results(client):
    response, page = get(client, "/en/search/", {"q": "Think"})

    assert page.hits
    assert {hit["lang"] for hit in page.hits} == {"en"}
    assert all(hit["url"].startswith("/en/") for hit in page.hits)
    french_href, french_text, attributes = page.facet_link("French")
    assert "aria-current" not in attributes
    french_count = int(french_text.split()[1])
    assert french_count > 0
    assert page.facet_link("English")[2].get("aria-current") == "true"
    assert '<html lang="en"' in response.content.decode()

    _response, both = get(client, "/en/search/", {"q": "Think", "locale": "all"})

    assert {hit["lang"] for hit in both.hits} == {"en", "fr"}
    for hit in both.hits:  # a badge names the language of the French hits only
        assert hit["badge"] == ("French" if hit["lang"] == "fr" else ""), hit
    assert both.facet_link("French")[1].startswith(f"French {french_count} ")


def test_french_page_searches_french_by_default(client):
    _response, page = get(client, "/fr/search/", {"q": "Think"})

    assert page.hits
    assert {hit["lang"] for hit in page.hits} == {"fr"}


def test_order_by_date_lists_the_newest_first(client):
    params = {"q": "Fing", "locale": "all", "order": "date"}

    _response, page = get(client, "/fr/search/", params)

    dates = [
        ArchiveEntry.objects.get(url=hit["url"]).date or datetime.date.min for hit in page.hits
    ]
    assert len(dates) > 2
    assert dates == sorted(dates, reverse=True)
    assert page.link("Date (tri actuel)")[2].get("aria-current") == "true"
    # The pagination keeps every parameter.
    next_page = page.link("Page suivante")[0]
    assert parse_qs(urlsplit(next_page).query) == {
        "q": ["Fing"],
        "locale": ["all"],
        "order": ["date"],
        "page": ["2"],
    }


def test_a_page_beyond_the_last_shows_the_last(client):
    _response, page = get(client, "/fr/search/", {"q": "Fing", "locale": "all", "page": "99"})

    numbers = [
        (text, attributes.get("aria-current"))
        for _href, text, attributes in page.links
        if text.startswith("Page ") and text[5:].isdigit()
    ]
    last = max(numbers, key=lambda pair: int(pair[0][5:]))
    assert last[0] != "Page 1"
    assert last[1] == "page"
    assert page.hits


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "abc"}, "Année (paramètre « year ») : « abc » n'est pas une année"),
        ({"year": "1066"}, "« 1066 » n'est pas une année entre 1990 et 2100"),
        ({"kind": "podcast"}, "Type (paramètre « kind ») : « podcast » n'est pas un type"),
        ({"order": "popular"}, "Ordre (paramètre « order ») : « popular » n'est pas un ordre"),
        ({"page": "0"}, "Page (paramètre « page ») : Le numéro de page doit être"),
        ({"page": "deux"}, "Page (paramètre « page ») : Le numéro de page doit être"),
        ({"edition": "think-small"}, "« think-small » n'est pas un identifiant d'édition"),
        ({"locale": "de"}, "« de » n'est pas une langue proposée"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, params, message):
    response, page = get(client, "/fr/search/", {"q": "transitions", **params}, status=400)

    assert message in page.plain
    assert 'role="alert"' in response.content.decode()
    assert page.hits == []
    retry = page.link("Relancer la recherche sans ces paramètres")[0]
    assert parse_qs(urlsplit(retry).query) == {"q": ["transitions"]}


def test_a_misspelling_gets_a_did_you_mean_link(client):
    response, page = get(client, "/fr/search/", {"q": "transitoins"})

    assert "Vouliez-vous dire :" in response.content.decode()
    href = page.link("transitions")[0]
    assert parse_qs(urlsplit(href).query) == {"q": ["transitions"]}
    _response, corrected = get(client, href)
    assert corrected.hits


def test_an_empty_query_explains_what_to_type(client):
    response, page = get(client, "/fr/search/")

    assert "Saisissez un ou plusieurs mots" in response.content.decode()
    assert page.hits == []


def test_autocomplete_suggests_titles_in_the_readers_language(client):
    response = client.get("/fr/search/autocomplete/", {"q": "tran"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60"
    results = response.json()["results"]
    assert {
        "title": "Transitions",
        "url": "/fr/editions/transitions/",
        "kind": "edition",
        "kind_label": "Édition",
    } in results
    assert all(result["url"].startswith("/fr/") for result in results)

    english = client.get("/en/search/autocomplete/", {"q": "Think"}).json()["results"]
    assert english[0] == {
        "title": "Think Small",
        "url": "/en/editions/think-small/",
        "kind": "edition",
        "kind_label": "Edition",
    }


@pytest.mark.parametrize("query", ["", "t", " t ", "\t"])
def test_autocomplete_waits_for_two_characters(client, query):
    response = client.get("/fr/search/autocomplete/", {"q": query})

    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_autocomplete_refuses_a_long_query_with_a_message(client):
    response = client.get("/en/search/autocomplete/", {"q": "x" * 101})

    assert response.status_code == 400
    assert response.json() == {"error": "The “q” parameter must not be longer than 100 characters."}


@pytest.fixture
def engine_down(settings):
    """The real Elasticsearch service, pointed at a port where nothing listens."""
    settings.SEARCH_SERVICE = "search.services.elastic.ElasticsearchSearchService"
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"


def test_search_engine_down_is_a_503_page_not_zero_results(client, engine_down, caplog):
    response, page = get(client, "/fr/search/", {"q": "transitions"}, status=503)

    html = response.content.decode()
    assert "Recherche momentanément indisponible" in html
    assert "Traceback" not in html
    assert "Aucun résultat" not in html and "0 résultat" not in html
    assert page.link("Toutes les éditions de Questions Numériques")[0] == "/fr/editions/"
    assert response["Retry-After"]
    assert any(
        record.name == "search.views" and record.levelname == "WARNING" for record in caplog.records
    )


def test_autocomplete_engine_down_is_a_503_json(client, engine_down):
    response = client.get("/en/search/autocomplete/", {"q": "tran"})

    assert response.status_code == 503
    assert response.json() == {"error": "Search is temporarily unavailable."}


def test_both_search_boxes_offer_suggestions(client):
    html = client.get("/en/search/", {"q": "Think"}).content.decode()

    assert html.count('data-autocomplete-url="/en/search/autocomplete/"') == 2
    assert '<script defer src="/static/portal/js/search-combobox.js"></script>' in html
    assert json.loads(client.get("/en/search/autocomplete/", {"q": "Th"}).content)["results"]
