"""The anonymous page cache: what a visitor gets twice, what an editor's change purges, what is
never kept, and the caching headers (portal/cache.py, portal.middleware.PageCacheMiddleware).

Runs on the configured cache: Redis when REDIS_URL is set (CI), else per-process memory.
"""

import datetime
import io
import re
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from wagtail.models import PageViewRestriction

import pytest

from editions.models import ArticlePage, EditionPage
from home.models import HomePage
from membership.models import PartnershipOfferPage
from portal import cache as page_cache
from portal.process_memory import ProcessMemory
from tests.factories import ArticlePageFactory, PartnerFactory

pytestmark = pytest.mark.django_db

STATUS = page_cache.STATUS_HEADER


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The cache switched on (the test settings keep it off), and empty."""
    settings.PAGE_CACHE_TIMEOUT = 300
    settings.PAGE_CACHE_MAX_AGE = 60
    page_cache.purge()
    yield
    page_cache.purge()


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


@pytest.fixture
def transitions(fr):
    return EditionPage.objects.get(locale=fr, start_year=2015)


@pytest.fixture
def home(fr):
    return HomePage.objects.get(locale=fr)


def publish(page):
    page.save_revision().publish()
    return page


def newest_article(on_commit, edition, title):
    """A live article dated today: first on its edition's page and on the home page."""
    return on_commit(
        lambda: publish(ArticlePageFactory(parent=edition, title=title, date=datetime.date.today()))
    )


def served_twice(client, url):
    first = client.get(url)
    second = client.get(url)
    return first, second


# A visitor's second request -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/fr/",
        "/en/",
        "/fr/editions/",
        "/fr/editions/think-small/",
        "/fr/editions/think-small/la-puissance-transformatrice-de-la-petite-echelle/",
        "/fr/articles/",
        "/fr/articles/?edition=think-small",
        "/fr/search/?q=num%C3%A9rique",
        "/fr/feeds/articles.rss",
        "/sitemap.xml",
    ],
)
def test_second_anonymous_request_is_served_from_the_cache(client, url, django_assert_num_queries):
    first = client.get(url)
    assert first.status_code == 200
    assert first[STATUS] == "miss"

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.status_code == 200
    assert second[STATUS] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_query_strings_are_kept_apart(client):
    client.get("/fr/search/?q=transitions")
    other = client.get("/fr/search/?q=controverses")

    assert other[STATUS] == "miss"
    assert "controverses" in other.content.decode().lower()


def test_a_cached_page_gets_a_fresh_security_policy(client):
    first, second = served_twice(client, "/fr/")

    assert second[STATUS] == "hit"
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "nonce" not in second["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY"
    assert second["X-Content-Type-Options"] == "nosniff"


def test_head_is_answered_from_the_cache_without_a_body(client):
    client.get("/fr/editions/")
    response = client.head("/fr/editions/")

    assert response.status_code == 200
    assert response[STATUS] == "hit"
    assert response.content == b""


@pytest.mark.parametrize("timeout", [300, 0])
def test_head_and_get_give_the_same_etag(client, settings, timeout):
    settings.PAGE_CACHE_TIMEOUT = timeout
    etag = client.get("/fr/editions/")["ETag"]

    assert client.head("/fr/editions/")["ETag"] == etag


def test_the_cache_switched_off_renders_every_time(client, settings):
    settings.PAGE_CACHE_TIMEOUT = 0
    first, second = served_twice(client, "/fr/")

    assert STATUS not in first and STATUS not in second
    assert second["Cache-Control"] == "no-cache"


# Headers -----------------------------------------------------------------------------------


def test_cached_pages_are_public_for_a_short_while_with_an_etag(client):
    first, second = served_twice(client, "/fr/editions/think-small/")

    for response in (first, second):
        assert response["Cache-Control"] == "public, max-age=60"
        assert response["ETag"].startswith('"')
        assert "Set-Cookie" not in response
        assert "Cookie" in response["Vary"]
    assert second["ETag"] == first["ETag"]


def test_a_matching_if_none_match_gets_a_304(client, django_assert_num_queries):
    etag = client.get("/fr/editions/")["ETag"]

    with django_assert_num_queries(0):  # from the cache
        response = client.get("/fr/editions/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get("/fr/editions/", HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_a_revalidation_after_a_purge_gets_a_304_and_keeps_the_page(client):
    etag = client.get("/fr/editions/")["ETag"]
    page_cache.purge()  # a publication elsewhere: this page is unchanged

    response = client.get("/fr/editions/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=60"
    assert client.get("/fr/editions/")[STATUS] == "hit"


def test_a_publication_changes_the_etag(client, on_commit, think_small):
    etag = client.get("/fr/editions/think-small/")["ETag"]
    newest_article(on_commit, think_small, "Article Ornithorynque")

    response = client.get("/fr/editions/think-small/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "Article Ornithorynque" in response.content.decode()


def test_errors_and_redirects_are_never_kept(client):
    missing = client.get("/fr/cette-page-n-existe-pas/")
    again = client.get("/fr/cette-page-n-existe-pas/")
    redirect = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert missing.status_code == again.status_code == 404
    assert STATUS not in again
    assert again["Cache-Control"] == "no-cache"
    assert redirect.status_code == 302
    assert "public" not in redirect.get("Cache-Control", "")


# Purges ------------------------------------------------------------------------------------


def test_publishing_an_article_shows_it_on_its_edition_and_the_home_page(
    client, on_commit, think_small, home
):
    for url in (think_small.url, home.url, "/fr/articles/"):
        assert client.get(url)[STATUS] == "miss"
        assert client.get(url)[STATUS] == "hit"

    newest_article(on_commit, think_small, "Article Ornithorynque")

    for url in (think_small.url, home.url, "/fr/articles/"):
        response = client.get(url)
        assert response[STATUS] == "miss", url
        assert "Article Ornithorynque" in response.content.decode(), url


def test_editing_a_published_article_shows_the_new_title(client, on_commit, think_small):
    article = newest_article(on_commit, think_small, "Article Ornithorynque")
    assert "Article Ornithorynque" in client.get(think_small.url).content.decode()
    client.get(article.url)

    article.title = "Article Tamanoir"
    on_commit(lambda: publish(article))

    assert "Article Tamanoir" in client.get(think_small.url).content.decode()
    assert "Article Tamanoir" in client.get(article.url).content.decode()


def test_a_draft_is_not_shown(client, on_commit, think_small):
    article = newest_article(on_commit, think_small, "Article Ornithorynque")
    client.get(article.url)

    article.title = "Article en brouillon"
    on_commit(article.save_revision)

    html = client.get(article.url).content.decode()
    assert "Article Ornithorynque" in html
    assert "Article en brouillon" not in html


def test_unpublishing_an_article_removes_it_at_once(client, on_commit, think_small, home):
    article = newest_article(on_commit, think_small, "Article Ornithorynque")
    for url in (article.url, think_small.url, home.url):
        client.get(url)
        assert client.get(url)[STATUS] == "hit"

    on_commit(article.unpublish)

    assert client.get(article.url).status_code == 404
    assert "Article Ornithorynque" not in client.get(think_small.url).content.decode()
    assert "Article Ornithorynque" not in client.get(home.url).content.decode()


def test_moving_an_article_moves_it_between_edition_pages(
    client, on_commit, think_small, transitions
):
    article = newest_article(on_commit, think_small, "Article Ornithorynque")
    old_url = article.url
    for url in (old_url, think_small.url, transitions.url):
        client.get(url)

    on_commit(lambda: article.move(transitions, pos="last-child"))
    article = ArticlePage.objects.get(pk=article.pk)

    moved = client.get(old_url)
    assert moved.status_code != 200  # a redirect (Wagtail keeps one) or a 404
    assert client.get(article.url).status_code == 200
    assert "Article Ornithorynque" not in client.get(think_small.url).content.decode()
    assert "Article Ornithorynque" in client.get(transitions.url).content.decode()


def test_deleting_an_article_removes_it_at_once(client, on_commit, think_small, home):
    article = newest_article(on_commit, think_small, "Article Ornithorynque")
    url = article.url
    for page_url in (url, think_small.url, home.url):
        client.get(page_url)

    on_commit(article.delete)

    assert client.get(url).status_code == 404
    assert "Article Ornithorynque" not in client.get(think_small.url).content.decode()
    assert "Article Ornithorynque" not in client.get(home.url).content.decode()


def test_restricting_a_page_stops_serving_it_from_the_cache(client, on_commit, think_small):
    client.get(think_small.url)
    assert client.get(think_small.url)[STATUS] == "hit"

    on_commit(
        lambda: PageViewRestriction.objects.create(
            page=think_small, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
    )

    response = client.get(think_small.url)
    assert STATUS not in response
    assert 'name="password"' in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_the_search_page_shows_a_new_article_at_once(client, on_commit, think_small):
    url = "/fr/search/?q=ornithorynque"
    assert "Ornithorynque" not in client.get(url).content.decode()  # the query is in lower case
    assert client.get(url)[STATUS] == "hit"

    newest_article(on_commit, think_small, "Article Ornithorynque")

    assert "<mark>Ornithorynque</mark>" in client.get(url).content.decode()


def test_publishing_a_translation_shows_it_at_once(client, on_commit, think_small, en):
    english = think_small.get_translation(en)
    client.get(english.url)
    assert client.get(english.url)[STATUS] == "hit"

    english.theme = "Small is beautiful, again"
    on_commit(lambda: publish(english))

    response = client.get(english.url)
    assert response[STATUS] == "miss"
    assert "Small is beautiful, again" in response.content.decode()


@pytest.mark.parametrize("timeout", [300, 0], ids=["page cache", "fragments only"])
def test_renaming_a_partner_shows_on_its_edition_at_once(
    client, settings, on_commit, think_small, timeout
):
    settings.PAGE_CACHE_TIMEOUT = timeout
    partner = on_commit(lambda: PartnerFactory(edition=think_small, name="Partenaire Avant"))
    assert "Partenaire Avant" in client.get(think_small.url).content.decode()

    partner.name = "Partenaire Après"
    on_commit(partner.save)

    page = client.get(think_small.url).content.decode()
    assert "Partenaire Après" in page and "Partenaire Avant" not in page


@pytest.mark.parametrize("timeout", [300, 0], ids=["page cache", "fragments only"])
def test_publishing_an_article_updates_the_listings_count(
    client, settings, on_commit, think_small, timeout
):
    settings.PAGE_CACHE_TIMEOUT = timeout
    url = "/fr/articles/?edition=think-small"

    def count():
        page = client.get(url).content.decode()
        return int(re.search(r'class="results-count">(\d+) article', page).group(1))

    before = count()
    newest_article(on_commit, think_small, "Article Tatou")

    assert count() == before + 1


def test_the_purge_command_empties_the_cache(client):
    from django.core.management import call_command

    client.get("/fr/")
    output = io.StringIO()
    call_command("purge_page_cache", stdout=output)
    assert "purged" in output.getvalue()

    assert client.get("/fr/")[STATUS] == "miss"


def test_changing_the_site_purges(client, on_commit, home):
    from wagtail.models import Site

    client.get("/fr/")
    site = Site.objects.get(is_default_site=True)
    site.site_name = "Questions Numériques (renommé)"
    on_commit(site.save)

    assert client.get("/fr/")[STATUS] == "miss"


# Never kept --------------------------------------------------------------------------------


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_superuser("cache-editor", "editor@example.org", "x")


def test_a_signed_in_editor_is_never_served_nor_leaves_a_cached_page(client, editor):
    client.force_login(editor)

    for _ in range(2):
        response = client.get("/fr/editions/think-small/")
        assert response.status_code == 200
        assert STATUS not in response
        assert response["Cache-Control"] == "private, no-store"
    editors_page = response.content.decode()

    client.logout()
    anonymous = client.get("/fr/editions/think-small/")
    assert anonymous[STATUS] == "miss"
    assert "wagtail-userbar" in editors_page or "userbar" in editors_page
    assert "userbar" not in anonymous.content.decode()


def test_an_editor_is_not_served_the_anonymous_copy(client, editor):
    client.get("/fr/")
    assert client.get("/fr/")[STATUS] == "hit"

    client.force_login(editor)
    response = client.get("/fr/")

    assert STATUS not in response
    assert "private" in response["Cache-Control"]


def test_pages_with_a_form_are_never_kept(client, think_small):
    offer = PartnershipOfferPage.objects.live().descendant_of(think_small).first()
    assert offer is not None

    first, second = served_twice(client, offer.url)

    assert first.status_code == second.status_code == 200
    assert "csrfmiddlewaretoken" in second.content.decode()
    for response in (first, second):
        assert STATUS not in response
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_two_visitors_never_share_a_csrf_token(client, think_small):
    from django.test import Client

    offer = PartnershipOfferPage.objects.live().descendant_of(think_small).first()
    first = client.get(offer.url)
    second = Client().get(offer.url)

    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


@pytest.mark.parametrize(
    "url", ["/fr/espace-partenaire/connexion/", "/admin/login/", "/health/live"]
)
def test_excluded_paths_are_never_kept(client, url):
    client.get(url)
    response = client.get(url)

    assert STATUS not in response


def test_a_visitor_with_a_session_is_not_served_from_the_cache(client):
    client.get("/fr/")
    client.cookies["sessionid"] = "whatever"

    response = client.get("/fr/")

    assert STATUS not in response
    assert response["Cache-Control"] == "private, no-store"


# Before Django: the WSGI application production serves (portal.wsgi) --------------------------


class DjangoHandler:
    """Stands for Django's handler behind portal.cache.PageCacheApplication: records the
    requests that reach it."""

    def __init__(self):
        self.environs = []

    def __call__(self, environ, start_response):
        self.environs.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"rendered by Django"]


def wsgi_get(application, path, method="GET", **headers):
    """One request through a WSGI application, as gunicorn makes it: (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        **headers,
    }
    answer = {}

    def start_response(status, response_headers):
        answer["status"], answer["headers"] = status, dict(response_headers)

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


@pytest.fixture
def django_handler():
    return DjangoHandler()


@pytest.fixture
def application(django_handler):
    return page_cache.PageCacheApplication(django_handler)


def test_a_kept_page_is_answered_before_django(client, application, django_handler):
    rendered = client.get("/fr/editions/think-small/")

    status, headers, body = wsgi_get(application, "/fr/editions/think-small/")

    assert django_handler.environs == []
    assert status == "200 OK"
    assert body == rendered.content
    assert headers[STATUS] == "hit"
    assert headers["ETag"] == rendered["ETag"]
    assert headers["Content-Security-Policy"] == rendered["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "public, max-age=60"


def test_before_django_a_matching_if_none_match_gets_a_304(client, application, django_handler):
    etag = client.get("/fr/editions/")["ETag"]

    status, headers, body = wsgi_get(application, "/fr/editions/", HTTP_IF_NONE_MATCH=etag)

    assert (status, body, headers["ETag"]) == ("304 Not Modified", b"", etag)
    assert django_handler.environs == []


def test_before_django_head_has_no_body(client, application):
    rendered = client.get("/fr/editions/")

    status, headers, body = wsgi_get(application, "/fr/editions/", method="HEAD")

    assert (status, body) == ("200 OK", b"")
    assert headers["Content-Length"] == str(len(rendered.content))


def test_a_miss_goes_to_django_with_its_lookup_done(application, django_handler):
    status, _headers, body = wsgi_get(application, "/fr/editions/")

    assert (status, body) == ("200 OK", b"rendered by Django")
    (environ,) = django_handler.environs
    key, generation = environ[page_cache.LOOKED_UP]  # the middleware stores under these
    assert key.startswith(page_cache.ENTRY_FORMAT) and generation


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_COOKIE": "sessionid=whatever"},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        {"HTTP_HOST": "attacker.example"},  # not in ALLOWED_HOSTS: Django answers 400
    ],
    ids=["session", "credentials", "unknown host"],
)
def test_requests_the_cache_cannot_answer_go_to_django(
    client, settings, application, django_handler, headers
):
    settings.ALLOWED_HOSTS = ["testserver"]
    client.get("/fr/editions/")

    wsgi_get(application, "/fr/editions/", **headers)

    (environ,) = django_handler.environs
    assert page_cache.LOOKED_UP not in environ


def test_the_cache_switched_off_sends_everything_to_django(
    client, settings, application, django_handler
):
    client.get("/fr/editions/")
    settings.PAGE_CACHE_TIMEOUT = 0

    wsgi_get(application, "/fr/editions/")

    assert len(django_handler.environs) == 1


def test_the_production_application_answers_hits_before_django(client):
    from portal import wsgi

    assert isinstance(wsgi.application, page_cache.PageCacheApplication)
    client.get("/fr/")
    status, headers, _body = wsgi_get(wsgi.application, "/fr/")
    assert (status, headers[STATUS]) == ("200 OK", "hit")


# A process's own memory, with a shared store (Redis) --------------------------------------


@pytest.fixture
def shared_store(monkeypatch):
    """The test cache treated as the shared store Redis is; this process's memory empty."""
    monkeypatch.setattr(page_cache, "_is_shared", lambda backend: True)
    monkeypatch.setattr(page_cache, "_memory", ProcessMemory(1024 * 1024))
    monkeypatch.setattr(page_cache, "_generation", page_cache._Generation())


def purged_by_another_process():
    page_cache.page_cache().set(page_cache.GENERATION_KEY, "another-process", timeout=None)


def test_a_process_answers_from_its_memory_while_it_trusts_the_generation(client, shared_store):
    client.get("/fr/editions/")
    page_cache.page_cache().delete_many(  # the store loses the page, not the generation
        [page_cache.cache_key(RequestFactory().get("/fr/editions/"))]
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/fr/editions/")

    assert response[STATUS] == "hit" and len(queries) == 0


def test_another_processs_purge_is_seen_once_the_generation_is_read_again(
    client, shared_store, monkeypatch
):
    client.get("/fr/editions/")
    purged_by_another_process()
    assert client.get("/fr/editions/")[STATUS] == "hit"  # within the trusted second

    monkeypatch.setattr(page_cache, "GENERATION_TRUSTED_SECONDS", 0)

    assert client.get("/fr/editions/")[STATUS] == "miss"


def test_this_processs_purge_is_seen_at_once(client, shared_store, on_commit, think_small):
    client.get(think_small.url)

    newest_article(on_commit, think_small, "Article Pangolin")

    response = client.get(think_small.url)
    assert response[STATUS] == "miss" and "Article Pangolin" in response.content.decode()


def test_a_read_begun_before_a_purge_never_brings_the_old_generation_back():
    generation = page_cache._Generation()
    began = time.monotonic()
    generation.remember("after the purge", time.monotonic())  # this process purged
    generation.remember("before the purge", began)  # another thread's slower read

    assert generation.trusted() == "after the purge"
