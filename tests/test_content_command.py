"""`load_content` loads the brochure once; running it again changes nothing."""

from django.core.management import call_command

from wagtail.models import Page, Revision
from wagtail_localize.models import StringTranslation, Translation

import pytest

from editions.models import EditionPage
from home.models import PersonPage

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "pages": sorted(Page.objects.values_list("pk", "title", "live", "last_published_at")),
        "revisions": Revision.objects.count(),
        "translations": Translation.objects.count(),
        "strings": sorted(StringTranslation.objects.values_list("pk", "data")),
    }


def test_second_run_changes_nothing():
    before = snapshot()

    call_command("load_content", verbosity=0)

    assert snapshot() == before


def test_second_run_keeps_editorial_changes(fr):
    edition = EditionPage.objects.get(locale=fr, title="Tensions")
    edition.introduction = "Texte revu par la rédaction."
    edition.save_revision().publish()

    call_command("load_content", verbosity=0)

    edition.refresh_from_db()
    assert edition.introduction == "Texte revu par la rédaction."


def test_content_holds_the_six_editions_and_three_people_in_both_languages():
    for language in ("fr", "en"):
        editions = EditionPage.objects.live().filter(locale__language_code=language)
        people = PersonPage.objects.live().filter(locale__language_code=language)
        assert editions.count() == 6
        assert people.count() == 3
    names = set(
        PersonPage.objects.filter(locale__language_code="fr").values_list("title", flat=True)
    )
    assert names == {"Jacques-François Marchandise", "Sophie Mahéo", "Cécile Christodoulou"}


def test_english_pages_are_wagtail_localize_translations():
    english = Page.objects.filter(locale__language_code="en", depth__gt=1)

    assert english.exists()
    synced = Translation.objects.filter(target_locale__language_code="en").values_list(
        "source__object_id", flat=True
    )
    assert set(english.values_list("translation_key", flat=True)) <= set(synced)
