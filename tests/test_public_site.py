"""What a reader sees: every page type in both languages, alternates, switcher, errors."""

import re

from wagtail.models import Page, Site

import pytest

from editions.models import ArticleIndexPage, ArticlePage, EditionIndexPage, EditionPage
from home.models import HomePage, OrganisationPage, PersonIndexPage, PersonPage, StandardPage

pytestmark = pytest.mark.django_db

PAGE_TYPES = [
    HomePage,
    EditionIndexPage,
    EditionPage,
    ArticleIndexPage,
    ArticlePage,
    PersonIndexPage,
    PersonPage,
    OrganisationPage,
    StandardPage,
]
ALTERNATE = re.compile(r'<link rel="alternate" hreflang="([a-zA-Z-]+)" href="([^"]+)"')


def live_pages(model, language):
    return model.objects.live().public().filter(locale__language_code=language)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("model", PAGE_TYPES, ids=lambda model: model.__name__)
def test_each_page_type_renders_in_both_languages(client, model, language):
    page = live_pages(model, language).first()
    assert page is not None, f"the content has no live {model.__name__} in {language}"

    response = client.get(page.url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert page.title in html
    assert page.url.startswith(f"/{language}/")


def test_page_text_is_translated_not_copied(en):
    think_small_fr = EditionPage.objects.get(locale__language_code="fr", start_year=2016)
    think_small_en = think_small_fr.get_translation(en)

    assert think_small_en.theme and think_small_en.theme != think_small_fr.theme
    assert think_small_en.introduction != think_small_fr.introduction


@pytest.mark.parametrize("model", PAGE_TYPES, ids=lambda model: model.__name__)
def test_every_hreflang_alternate_resolves(client, model, en):
    page = live_pages(model, "fr").first()

    html = client.get(page.url).content.decode()
    alternates = dict(ALTERNATE.findall(html))

    assert set(alternates) == {"fr", "en", "x-default"}
    for href in alternates.values():
        assert client.get(href).status_code == 200, href
    assert alternates["en"].endswith(page.get_translation(en).url)


def test_language_switcher_links_each_page_to_its_translation(client, en):
    edition = EditionPage.objects.get(locale__language_code="fr", start_year=2016)
    english = edition.get_translation(en)

    html = client.get(edition.url).content.decode()

    assert f'href="{english.url}"' in html
    assert 'hreflang="en"' in html


def test_language_switcher_keeps_the_search_and_its_query(client):
    html = client.get("/fr/search/?q=petite+%C3%A9chelle&kind=article").content.decode()

    switcher = html[html.index('class="lang-switcher"') :]
    switcher = switcher[: switcher.index("</nav>")]
    assert 'href="/en/search/?q=petite+%C3%A9chelle&amp;kind=article"' in switcher
    assert 'href="/fr/search/?q=petite+%C3%A9chelle&amp;kind=article"' in switcher


def test_language_switcher_of_an_unknown_page_leads_home(client):
    html = client.get("/fr/cette-page-n-existe-pas/").content.decode()

    switcher = html[html.index('class="lang-switcher"') :]
    assert 'href="/en/"' in switcher[: switcher.index("</nav>")]


@pytest.mark.parametrize(
    ("accept_language", "prefix"), [("en-GB,en;q=0.9", "/en/"), ("fr-FR,fr;q=0.9", "/fr/")]
)
def test_root_redirects_by_accept_language(client, accept_language, prefix):
    response = client.get("/", headers={"accept-language": accept_language})

    assert response.status_code == 302
    assert response["Location"] == prefix


def test_unknown_page_is_a_404_page_in_the_site_layout(client):
    response = client.get("/fr/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert "<main" in response.content.decode()


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert "Disallow: /admin/" in response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_site_root_is_the_french_home_page():
    site = Site.objects.get(is_default_site=True)

    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.locale.language_code == "fr"
    assert Page.objects.filter(depth=2).count() == 2  # the French home and its translation


def test_assets_are_served_locally(client):
    html = client.get("/fr/").content.decode()

    external = re.findall(r'(?:src|href)="(https?://[^"]+\.(?:css|js|woff2?))"', html)
    assert external == []


@pytest.mark.parametrize("query", ['"', 'petite "échelle', "x" * 5000, "<script>", "échelles"])
def test_search_answers_any_query_without_error(client, query):
    response = client.get("/fr/search/", {"q": query})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/fr/search/?q=%00", "/api/v2/pages/?search=%00", "/fr/articles/?tag=%00"]
)
def test_nul_bytes_are_refused_with_a_clear_400(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()


def test_robots_txt_answers_head(client):
    assert client.head("/robots.txt").status_code == 200


def test_admin_is_french_whatever_the_browser_asks(client):
    response = client.get("/admin/login/", headers={"accept-language": "en-US,en;q=0.9"})

    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()


def test_configure_site_points_absolute_links_at_the_served_address(client, settings):
    from django.core.management import call_command

    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8765"
    call_command("configure_site", verbosity=0)

    sitemap = client.get("/sitemap.xml", HTTP_HOST="127.0.0.1:8765").content.decode()
    assert "<loc>http://127.0.0.1:8765/fr/</loc>" in sitemap
    html = client.get("/fr/", HTTP_HOST="127.0.0.1:8765").content.decode()
    assert 'hreflang="en" href="http://127.0.0.1:8765/en/"' in html
