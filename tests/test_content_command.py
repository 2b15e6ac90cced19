"""`load_content` loads the brochure once; running it again changes nothing."""

from io import StringIO

from django.core.management import call_command

from wagtail.models import Page, Revision
from wagtail_localize.models import StringTranslation, Translation

import pytest

from editions.models import EditionPage
from home.models import PersonPage
from membership.models import PartnershipOfferPage, Price

pytestmark = pytest.mark.django_db


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, title="Think Small")


def snapshot():
    return {
        "pages": sorted(Page.objects.values_list("pk", "title", "live", "last_published_at")),
        "revisions": Revision.objects.count(),
        "translations": Translation.objects.count(),
        "strings": sorted(StringTranslation.objects.values_list("pk", "data")),
        "prices": sorted(Price.objects.values_list("pk", "edition_id", "tier", "amount_cents")),
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


def test_think_small_has_its_partnership_offer_in_both_languages(think_small, en):
    offer = PartnershipOfferPage.objects.child_of(think_small).get()
    english = offer.get_translation(en)

    assert offer.live and english.live
    assert english.get_parent().specific == think_small.get_translation(en)
    assert (offer.url, english.url) == (
        "/fr/editions/think-small/devenir-partenaire/",
        "/en/editions/think-small/become-a-partner/",
    )
    assert (offer.title, english.title) == ("Devenir partenaire", "Becoming a partner")
    assert not offer.show_in_menus
    assert [block.value["item"] for block in english.workload] == [
        "Steering committee",
        "National seminar",
        "Learning path",
        "In-house session",
    ]


def test_think_small_links_to_its_offer_in_both_languages(client, think_small, en):
    for edition, offer_url in (
        (think_small, "/fr/editions/think-small/devenir-partenaire/"),
        (think_small.get_translation(en), "/en/editions/think-small/become-a-partner/"),
    ):
        response = client.get(edition.url)
        assert f'href="{offer_url}"' in response.content.decode()


def test_think_small_has_the_brochure_prices(think_small):
    prices = dict(Price.objects.filter(edition=think_small).values_list("tier", "amount_cents"))

    assert prices == {"adherent": 2_000_000, "non_member": 2_500_000}


def test_second_run_keeps_a_price_an_editor_changed(think_small):
    price = Price.objects.get(edition=think_small, tier="adherent")
    price.amount_cents = 1_800_000
    price.save()

    call_command("load_content", verbosity=0)

    price.refresh_from_db()
    assert price.amount_cents == 1_800_000
    assert Price.objects.filter(edition=think_small).count() == 2


def test_a_missing_price_is_created_again(think_small):
    Price.objects.filter(edition=think_small, tier="non_member").delete()
    out = StringIO()

    call_command("load_content", stdout=out)

    assert Price.objects.get(edition=think_small, tier="non_member").amount_cents == 2_500_000
    assert "Created 1 partnership price: Think Small, non_member: €25,000.00." in out.getvalue()
