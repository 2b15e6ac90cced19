"""A prospective partner signs up in a real browser and reaches the payment step."""

import datetime
import re

from django.utils import timezone

import pytest

from editions.models import EditionPage
from membership.models import Adherent, Partnership, PartnershipOfferPage, Price, Tier
from tests.browser import browser_page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def offer_url(committed_content):
    edition = EditionPage.objects.get(locale__language_code="fr", start_year=2016)
    for tier, cents in ((Tier.ADHERENT, 2_000_000), (Tier.NON_MEMBER, 2_500_000)):
        Price.objects.get_or_create(edition=edition, tier=tier, defaults={"amount_cents": cents})
    Adherent.objects.create(
        organisation="Métropole de Lyon",
        membership_number="FING-0777",
        email_domains="grandlyon.com",
        valid_from=timezone.localdate() - datetime.timedelta(days=30),
    )
    offer = PartnershipOfferPage.objects.child_of(edition).live().first()
    return offer.url


def test_adherent_signs_up_and_sees_twenty_thousand_euros(
    live_server,
    browser_page,  # noqa: F811
    offer_url,
):
    page = browser_page
    page.goto(live_server.url + offer_url)
    page.get_by_role("link", name="Devenir partenaire").last.click()

    page.get_by_label("Raison sociale").fill("Métropole de Lyon")
    page.get_by_label("Adresse postale").fill("20 rue du Lac\n69003 Lyon")
    page.get_by_label("Pays").select_option("FR")
    page.get_by_label("Numéro d'adhérent Fing").fill("FING-0777")
    page.get_by_label("Nom et prénom").fill("Alex Bernard")
    page.get_by_label("Fonction").fill("Directeur de la prospective")
    page.get_by_label("E-mail", exact=True).fill("alex.bernard@grandlyon.com")
    page.get_by_label("Téléphone").fill("04 78 63 40 40")
    page.get_by_label("Contact facturation (nom)").fill("Direction financière")
    page.get_by_label("E-mail de facturation").fill("factures@grandlyon.com")
    page.get_by_label(re.compile("J'accepte les conditions")).check()
    page.get_by_role("button", name="Continuer").click()

    page.wait_for_url(re.compile(r"/inscription/QN-[0-9A-F]+/$"))
    amount = page.get_by_test_id("amount").inner_text()
    assert re.sub(r"\s", " ", amount).startswith("20 000 €")
    assert page.get_by_test_id("tier").inner_text() == "Adhérent Fing"
    page.get_by_label("Carte bancaire").check()
    pay = page.get_by_role("button", name=re.compile("Payer"))
    # prices exclude VAT by default (MEMBERSHIP_PRICES_INCLUDE_VAT): 20 000 € + 20 %
    assert re.sub(r"\s", " ", page.get_by_test_id("total").inner_text()) == "24 000 €"
    assert re.sub(r"\s", " ", pay.inner_text()) == "Payer 24 000 €"
    assert Partnership.objects.get().amount_cents == 2_000_000
