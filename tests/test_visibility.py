"""A draft or private page appears nowhere; a page in moderation is not live until approved."""

import xml.etree.ElementTree as ET

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import PageViewRestriction

import pytest

from editions.models import ArticlePage, EditionPage
from home import tree_cache
from tests.factories import ArticlePageFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


@pytest.fixture
def draft_article(think_small):
    article = ArticlePageFactory(
        parent=think_small, title="Brouillon confidentiel", slug="brouillon", live=False
    )
    article.save_revision()
    return article


@pytest.fixture
def private_article(think_small):
    article = ArticlePageFactory(parent=think_small, title="Article réservé", slug="reserve")
    article.save_revision().publish()
    PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    return article


@pytest.fixture
def public_article(think_small):
    article = ArticlePageFactory(parent=think_small, title="Article public", slug="public")
    article.save_revision().publish()
    return article


def places_a_reader_can_look(client, think_small):
    """The text of every public listing, feed, sitemap and API answer."""
    urls = [
        "/fr/",
        think_small.url,
        ArticlePage.objects.live().filter(locale=think_small.locale).first().get_parent().url,
        "/fr/search/?q=article",
        "/fr/feeds/articles.rss",
        "/fr/feeds/articles.atom",
        "/sitemap.xml",
        "/api/v2/pages/?type=editions.ArticlePage&limit=100",
        "/api/v2/pages/?search=article",
    ]
    from editions.models import ArticleIndexPage

    urls.append(ArticleIndexPage.objects.get(locale=think_small.locale).url)
    texts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = response.content.decode()
    return texts


@pytest.mark.parametrize("hidden", ["draft_article", "private_article"])
def test_hidden_pages_appear_nowhere(client, request, think_small, public_article, hidden):
    article = request.getfixturevalue(hidden)

    texts = places_a_reader_can_look(client, think_small)

    for url, text in texts.items():
        assert article.title not in text, f"{hidden} leaks through {url}"
        assert f"/{article.slug}/" not in text, f"{hidden} leaks through {url}"
    # the same places do show a public article, so the check above can fail
    assert public_article.title in texts["/fr/feeds/articles.rss"]
    assert public_article.title in texts["/api/v2/pages/?type=editions.ArticlePage&limit=100"]
    assert f"/{public_article.slug}/" in texts["/sitemap.xml"]


def test_draft_page_is_not_served(client, draft_article):
    assert client.get(f"{draft_article.get_parent().url}brouillon/").status_code == 404


def test_private_page_asks_for_its_password(client, private_article):
    response = client.get(private_article.url)

    assert response.status_code == 200
    assert private_article.title not in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_sitemap_lists_every_live_page_in_both_languages_and_nothing_else(
    client, draft_article, private_article
):
    from wagtail.models import Page

    response = client.get("/sitemap.xml")
    locations = {
        node.text for node in ET.fromstring(response.content).findall("sm:url/sm:loc", SITEMAP_NS)
    }

    expected = {
        page.get_full_url()
        for page in Page.objects.filter(depth__gt=1).live().public().exclude(pk=private_article.pk)
    }
    assert locations == expected
    assert any("/en/" in url for url in locations) and any("/fr/" in url for url in locations)


@pytest.fixture
def editor():
    user = User.objects.create_user("editrice", password="pw")
    user.groups.add(Group.objects.get(name="Éditeurs"))
    return user


@pytest.fixture
def reviewer():
    user = User.objects.create_user("relecteur", password="pw")
    user.groups.add(Group.objects.get(name="Relecteurs"))
    return user


def test_page_in_moderation_is_not_live_until_approved(client, think_small, editor, reviewer):
    article = ArticlePageFactory(parent=think_small, title="En relecture", slug="relecture")
    article.live = False
    article.save()
    assert not article.permissions_for_user(editor).can_publish()

    revision = article.save_revision(user=editor)
    workflow = article.get_workflow()
    assert workflow.name == "Relecture"
    workflow_state = workflow.start(article, editor)

    article.refresh_from_db()
    assert not article.live
    assert client.get(article.url or f"{think_small.url}relecture/").status_code == 404

    task_state = workflow_state.current_task_state
    assert task_state.task.specific.user_can_access_editor(article, reviewer)
    task_state.task.specific.on_action(task_state, reviewer, "approve")

    article.refresh_from_db()
    assert article.live
    assert article.live_revision_id == revision.pk
    assert client.get(article.url).status_code == 200


def test_partner_only_pages_are_listed_nowhere_public(client, think_small):
    from membership.models import PartnerAreaPage

    area = think_small.add_child(
        instance=PartnerAreaPage(title="Parcours apprenant réservé", slug="parcours-reserve")
    )
    area.save_revision().publish()

    texts = places_a_reader_can_look(client, think_small)
    texts["search"] = client.get("/fr/search/", {"q": "parcours"}).content.decode()
    texts["api"] = client.get("/api/v2/pages/", {"type": "membership.PartnerAreaPage"}).content
    texts["robots"] = client.get("/robots.txt").content.decode()

    for url, text in texts.items():
        if url == "robots":
            continue
        assert "Parcours apprenant réservé" not in str(text), url
    assert (
        client.get("/api/v2/pages/", {"type": "membership.PartnerAreaPage"}).json()["items"] == []
    )
    assert "Disallow: /fr/espace-partenaire/" in texts["robots"]
    assert client.get(area.url).status_code == 302


# Routes kept in the tree cache (home/routing.py) -------------------------------------------


def asks_for_password(response):
    return response.status_code == 200 and 'name="password"' in response.content.decode()


def routed(client, url):
    """The answer, and whether the page was routed (Wagtail's routing query) or found from
    the kept route."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, any("UNION" in query["sql"] for query in queries.captured_queries)


def test_a_private_page_asks_for_its_password_from_its_kept_route(
    client, shared_tree_cache, private_article
):
    tree_cache.reset()  # the fixtures' pages, as if committed
    first, first_routed = routed(client, private_article.url)
    again, again_routed = routed(client, private_article.url)

    assert first_routed and not again_routed  # the second came from the kept route
    for response in (first, again):
        assert asks_for_password(response)
        assert private_article.title not in response.content.decode()


def test_restricting_an_edition_protects_its_articles_already_read(
    client, shared_tree_cache, on_commit, think_small, public_article
):
    tree_cache.reset()  # the fixtures' pages, as if committed
    client.get(public_article.url)
    response, was_routed = routed(client, public_article.url)
    assert public_article.title in response.content.decode() and not was_routed

    on_commit(
        lambda: PageViewRestriction.objects.create(
            page=think_small, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
    )

    for _ in range(2):
        assert asks_for_password(client.get(public_article.url))


def test_without_redis_routes_are_not_kept(client, monkeypatch, public_article):
    monkeypatch.setattr(tree_cache, "is_shared", lambda: False)  # each process's own memory
    tree_cache.reset()
    client.get(public_article.url)

    _response, was_routed = routed(client, public_article.url)

    assert was_routed
