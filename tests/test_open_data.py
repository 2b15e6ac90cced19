"""The Wagtail API v2 and the feeds expose the published archive as open data."""

import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.django_db

EDITIONS = {
    "Tensions": (2011, None),
    "Ruptures": (2012, None),
    "Promesses": (2013, None),
    "Controverses": (2014, None),
    "Transitions": (2015, 2016),
    "Think Small": (2016, 2017),
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_api_lists_six_editions_per_locale_with_their_years(client, language):
    response = client.get(
        "/api/v2/pages/",
        {"type": "editions.EditionPage", "locale": language, "fields": "start_year,end_year"},
    )

    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 6
    years = sorted((item["start_year"], item["end_year"]) for item in items)
    assert years == sorted(EDITIONS.values())
    assert {item["meta"]["locale"] for item in items} == {language}


def test_api_french_edition_titles_are_the_brochures(client):
    response = client.get("/api/v2/pages/", {"type": "editions.EditionPage", "locale": "fr"})

    assert {item["title"] for item in response.json()["items"]} == set(EDITIONS)


@pytest.mark.parametrize("endpoint", ["images", "documents"])
def test_api_images_and_documents_endpoints_answer(client, endpoint):
    response = client.get(f"/api/v2/{endpoint}/")

    assert response.status_code == 200
    assert "items" in response.json()


def test_api_rejects_an_unknown_filter_with_a_clear_error(client):
    response = client.get("/api/v2/pages/", {"type": "editions.NoSuchPage"})

    assert response.status_code == 400
    assert "message" in response.json()


@pytest.mark.parametrize(("language", "fmt"), [("fr", "rss"), ("en", "rss"), ("en", "atom")])
def test_feed_lists_the_articles_of_its_language(client, language, fmt):
    from editions.models import ArticlePage

    response = client.get(f"/{language}/feeds/articles.{fmt}")

    assert response.status_code == 200
    body = response.content.decode()
    ET.fromstring(response.content)  # well-formed XML
    articles = ArticlePage.objects.live().filter(locale__language_code=language)
    other = ArticlePage.objects.live().exclude(locale__language_code=language)
    assert articles.exists()
    for article in articles:
        assert article.title in body
    for article in other:
        assert article.url not in body


@pytest.mark.parametrize("url", ["/api/v2/pages/999999/", "/api/v2/nothing-here/"])
def test_api_not_found_is_a_404_not_a_redirect(client, url):
    response = client.get(url)

    assert response.status_code == 404


def test_feed_items_are_dated_by_the_article_date(client):
    from editions.models import ArticlePage

    article = ArticlePage.objects.live().filter(locale__language_code="fr").first()

    body = client.get("/fr/feeds/articles.rss").content.decode()

    assert article.date.strftime("%d %b %Y") in body
