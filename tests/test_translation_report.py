"""The admin's translation report: every page × locale, missing / out of date / up to date."""

from django.contrib.auth.models import User

import pytest

from editions.models import ArticlePage, EditionPage
from portal.translation_status import translation_statuses
from tests.factories import ArticlePageFactory

pytestmark = pytest.mark.django_db


def status_of(page, language):
    (row,) = [
        row
        for row in translation_statuses(locale=language)
        if row.source_page.translation_key == page.translation_key
    ]
    return row.status


def test_loaded_content_is_fully_translated():
    rows = translation_statuses()

    assert rows
    assert {row.status for row in rows} == {"original", "current"}


def test_a_page_whose_source_changed_is_flagged_out_of_date(fr):
    edition = EditionPage.objects.get(locale=fr, start_year=2016)
    assert status_of(edition, "en") == "current"

    edition.introduction = "Nouvelle introduction."
    edition.save_revision(log_action=True)

    assert status_of(edition, "en") == "outdated"
    assert status_of(edition, "fr") == "original"


def test_a_page_without_translation_is_missing(fr):
    edition = EditionPage.objects.get(locale=fr, start_year=2016)
    article = ArticlePageFactory(parent=edition, title="Seulement en français")

    assert status_of(article, "en") == "missing"


def test_report_page_in_the_admin_shows_the_states(client, fr):
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)
    edition = EditionPage.objects.get(locale=fr, start_year=2016)
    edition.introduction = "Nouvelle introduction."
    edition.save_revision()

    response = client.get("/admin/reports/translations/", {"status": "outdated"})

    assert response.status_code == 200
    html = response.content.decode()
    assert edition.title in html
    assert "Pas à jour" in html
    other = ArticlePage.objects.filter(locale=fr).first()
    assert other.title not in html


def test_report_is_refused_to_anonymous_visitors(client):
    response = client.get("/admin/reports/translations/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
