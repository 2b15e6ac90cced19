"""Signing up as a partner: the server decides the tier and amount; bad input loses nothing."""

import datetime
import re

from django.utils import timezone

import pytest

from editions.models import EditionPage
from membership.models import Adherent, Partnership, PartnershipOfferPage, Price, Tier

pytestmark = pytest.mark.django_db

ADHERENT_NUMBER = "FING-0042"


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


@pytest.fixture
def offer(think_small):
    for tier, cents in ((Tier.ADHERENT, 2_000_000), (Tier.NON_MEMBER, 2_500_000)):
        Price.objects.get_or_create(
            edition=think_small, tier=tier, defaults={"amount_cents": cents}
        )
    page = PartnershipOfferPage.objects.child_of(think_small).first()
    if page is None:
        page = think_small.add_child(
            instance=PartnershipOfferPage(title="Devenir partenaire", slug="devenir-partenaire")
        )
    return page


@pytest.fixture
def adherent():
    today = timezone.localdate()
    return Adherent.objects.create(
        organisation="Ville de Marseille",
        membership_number=ADHERENT_NUMBER,
        email_domains="marseille.fr",
        valid_from=today - datetime.timedelta(days=100),
        valid_to=today + datetime.timedelta(days=100),
    )


def form_data(**overrides):
    data = {
        "legal_name": "Ville de Marseille",
        "address": "Quai du Port\n13002 Marseille",
        "country": "FR",
        "registration_number": "",
        "contact_name": "Camille Martin",
        "contact_role": "Directrice de l'innovation",
        "contact_email": "camille.martin@marseille.fr",
        "contact_phone": "+33 4 91 55 11 11",
        "membership_number": "",
        "billing_name": "Service comptable",
        "billing_email": "compta@marseille.fr",
        "purchase_order": "BC-2016-17",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def sign_up(client, offer, **overrides):
    return client.post(offer.url + "inscription/", form_data(**overrides))


def amount_shown(response):
    html = response.content.decode()
    match = re.search(r'data-testid="amount">([^<]+)<', html)
    return match.group(1).replace("\xa0", " ").replace("\u202f", " ").strip()


def test_offer_page_shows_both_prices(client, offer):
    html = client.get(offer.url).content.decode().replace("\xa0", " ").replace("\u202f", " ")

    assert "20 000 €" in html
    assert "25 000 €" in html


@pytest.mark.parametrize(
    ("number", "email", "tier", "amount"),
    [
        (ADHERENT_NUMBER, "camille.martin@marseille.fr", Tier.ADHERENT, "20 000 €"),
        ("fing-0042 ", "camille.martin@MARSEILLE.fr", Tier.ADHERENT, "20 000 €"),
        ("", "camille.martin@marseille.fr", Tier.NON_MEMBER, "25 000 €"),
        ("FING-9999", "camille.martin@marseille.fr", Tier.NON_MEMBER, "25 000 €"),
        (ADHERENT_NUMBER, "camille.martin@gmail.com", Tier.NON_MEMBER, "25 000 €"),
    ],
    ids=["adherent", "adherent-normalised", "non-member", "unknown-number", "foreign-domain"],
)
def test_tier_and_amount_are_decided_by_the_registry(
    client, offer, adherent, number, email, tier, amount
):
    response = sign_up(client, offer, membership_number=number, contact_email=email)

    assert response.status_code == 302
    confirmation = client.get(response["Location"])
    partnership = Partnership.objects.get()
    assert partnership.tier == tier
    assert amount_shown(confirmation) == amount
    assert partnership.state == "draft"


def test_expired_membership_pays_the_non_member_price(client, offer, adherent):
    adherent.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    adherent.save()

    response = client.get(sign_up(client, offer, membership_number=ADHERENT_NUMBER)["Location"])

    assert amount_shown(response) == "25 000 €"
    assert "ne correspond à aucune adhésion en cours" in response.content.decode()


def test_tampered_amount_or_tier_in_the_post_is_ignored(client, offer):
    sign_up(client, offer, amount_cents="100", tier="adherent", amount="1", price="1")

    partnership = Partnership.objects.get()
    assert partnership.tier == Tier.NON_MEMBER
    assert partnership.amount_cents == 2_500_000


def test_the_price_comes_from_the_editors_data(client, offer, think_small):
    Price.objects.filter(edition=think_small, tier=Tier.NON_MEMBER).update(amount_cents=2_600_000)

    response = client.get(sign_up(client, offer)["Location"])

    assert amount_shown(response) == "26 000 €"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "pas-un-email", "Saisissez une adresse e-mail valide"),
        ("contact_phone", "12", "numéro de téléphone n'est pas valide"),
        ("registration_number", "12345678901234", "n'est pas valide"),
        ("registration_number", "FR00000000000", "TVA"),
        ("legal_name", "", "Champ requis"),
        ("accept_terms", "", "accepter les conditions"),
        ("country", "XX", "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_gets_a_field_error_and_stores_nothing(client, offer, field, value, message):
    response = sign_up(client, offer, **{field: value})

    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert message in html
    assert 'class="error-summary"' in html
    assert Partnership.objects.count() == 0
    # what the visitor typed is still in the form
    assert "Camille Martin" in html


def test_valid_siret_and_vat_numbers_are_accepted(client, offer):
    sign_up(client, offer, registration_number="732 829 320 00074")
    assert Partnership.objects.get().registration_number == "73282932000074"


def test_second_sign_up_of_the_same_organisation_gets_a_clear_message(client, offer):
    sign_up(client, offer)

    other_browser = type(client)()
    response = sign_up(other_browser, offer, legal_name="VILLE DE MARSEILLE ")

    assert response.status_code == 400
    html = response.content.decode()
    assert "déjà inscrite à cette édition" in html
    assert Partnership.objects.get().reference not in html  # nothing revealed to a stranger
    assert Partnership.objects.count() == 1


def test_the_draft_can_be_corrected_before_paying(client, offer, adherent):
    confirm_url = sign_up(client, offer)["Location"]
    partnership = Partnership.objects.get()
    assert partnership.tier == Tier.NON_MEMBER

    response = client.post(
        offer.url + "inscription/",
        form_data(membership_number=ADHERENT_NUMBER, ref=partnership.reference),
    )

    assert response["Location"] == confirm_url
    partnership.refresh_from_db()
    assert partnership.tier == Tier.ADHERENT
    assert Partnership.objects.count() == 1


def test_confirmation_page_belongs_to_the_browser_that_signed_up(client, offer):
    confirm_url = sign_up(client, offer)["Location"]

    assert type(client)().get(confirm_url).status_code == 404


def test_bank_transfer_waits_for_payment_and_issues_an_invoice(
    client, offer, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    confirm_url = sign_up(client, offer)["Location"]

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(confirm_url, {"method": "transfer"})

    assert response.status_code == 302
    partnership = Partnership.objects.get()
    assert partnership.state == "awaiting_payment"
    assert partnership.payment_method == "transfer"
    (invoice,) = partnership.invoices.all()
    assert re.fullmatch(r"QN-\d{4}-\d{4}", invoice.number)
    assert [t.to_state for t in partnership.transitions.all()] == ["awaiting_payment"]


def test_no_payment_method_chosen_is_a_clear_error(client, offer):
    confirm_url = sign_up(client, offer)["Location"]

    response = client.post(confirm_url, {})

    assert response.status_code == 400
    assert "Choisissez un moyen de paiement" in response.content.decode()
    assert Partnership.objects.get().state == "draft"


def test_the_back_button_resubmission_continues_the_same_sign_up(client, offer):
    first = sign_up(client, offer)["Location"]

    again = sign_up(client, offer, contact_role="Directrice générale")

    assert again.status_code == 302
    assert again["Location"] == first
    partnership = Partnership.objects.get()
    assert partnership.contact_role == "Directrice générale"


@pytest.mark.parametrize(("first", "second"), [("Сбербанк", "株式会社トヨタ"), ("SAS", "The SA")])
def test_names_in_other_scripts_are_different_organisations(client, offer, first, second):
    sign_up(client, offer, legal_name=first)
    sign_up(type(client)(), offer, legal_name=second)

    assert Partnership.objects.count() == 2


def test_an_abandoned_online_payment_can_be_retried_or_paid_by_transfer(
    client, offer, django_capture_on_commit_callbacks
):
    from membership.services import await_online_payment

    confirm_url = sign_up(client, offer)["Location"]
    await_online_payment(Partnership.objects.get(), "card")  # sent to Stripe, came back

    page = client.get(confirm_url).content.decode()
    assert 'name="method"' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(confirm_url, {"method": "transfer"})
        client.post(confirm_url, {"method": "transfer"})  # a double click

    partnership = Partnership.objects.get()
    assert (partnership.state, partnership.payment_method) == ("awaiting_payment", "transfer")
    assert partnership.invoices.count() == 1
    # Wagtail's own tasks (reference index) also wait for the commit when a broker is set.
    ours = [c for c in callbacks if "CeleryBackend" not in c.__qualname__]
    assert len(ours) == 1  # one invoice e-mail scheduled, not two


def test_card_payment_with_stripe_unreachable_says_so_clearly(client, offer, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    confirm_url = sign_up(client, offer)["Location"]

    response = client.post(confirm_url, {"method": "card"}, follow=True)

    assert response.status_code == 200
    assert "paiement en ligne est indisponible" in response.content.decode()
    partnership = Partnership.objects.get()
    assert partnership.state == "draft"
    assert partnership.payment_attempts.get().status == "failed"


def test_online_methods_are_offered_only_when_stripe_is_configured(client, offer, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = client.get(sign_up(client, offer)["Location"]).content.decode()

    assert 'value="transfer"' in page
    assert 'value="card"' not in page


def test_the_thanks_page_sends_a_draft_back_to_the_confirmation(client, offer):
    confirm_url = sign_up(client, offer)["Location"]

    response = client.get(confirm_url + "merci/")

    assert response.status_code == 302
    assert response["Location"] == confirm_url


def test_the_form_is_accessible_to_assistive_technology(client, offer):
    html = client.get(offer.url + "inscription/").content.decode()

    assert 'type="tel"' in html and html.count('type="tel"') == 1
    assert 'aria-describedby="id_contact_phone_helptext"' in html
    assert 'id="id_contact_phone_helptext"' in html
    errors = sign_up(client, offer, contact_email="x").content.decode()
    assert 'aria-invalid="true"' in errors
    assert 'id="id_contact_email_error"' in errors
