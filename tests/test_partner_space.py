"""The partner space: magic links, one partnership's data only, invoices, calendar, and the
partner-only pages served to the edition's paying partners only."""

import datetime
import html
import re
from urllib.parse import urlparse

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

import icalendar
import pytest
import time_machine

from membership.models import (
    Invoice,
    PartnerAreaPage,
    Partnership,
    PartnershipOfferPage,
    PaymentMethod,
    ProgrammeEvent,
)
from membership.partner_space import SALT, SESSION_KEY, magic_link_url
from tests.membership_factories import make_partnership, think_small
from tests.test_invoices import pdf_text

pytestmark = pytest.mark.django_db

SPACE = "/fr/espace-partenaire/"
LOGIN = "/fr/espace-partenaire/connexion/"
CALENDAR = "/fr/espace-partenaire/calendrier.ics"


@pytest.fixture(autouse=True)
def setup(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    cache.clear()  # the link requests' rate limits


def text(response):
    return html.unescape(response.content.decode())


def link_path(partnership):
    return urlparse(magic_link_url(partnership)).path


def open_space(client, partnership):
    response = client.get(link_path(partnership))
    assert response.status_code == 302
    assert response["Location"] == SPACE
    return client.get(SPACE)


def other_edition():
    from editions.models import EditionPage

    return EditionPage.objects.get(locale__language_code="fr", start_year=2015)


@pytest.fixture
def programme():
    edition = think_small()
    paris = datetime.timezone(datetime.timedelta(hours=2))
    return [
        ProgrammeEvent.objects.create(
            edition=edition,
            kind=ProgrammeEvent.Kind.STEERING,
            title="Comité de pilotage de juin",
            title_en="June steering committee",
            starts_at=datetime.datetime(2026, 6, 11, 9, 30, tzinfo=paris),
            ends_at=datetime.datetime(2026, 6, 11, 13, 0, tzinfo=paris),
            location="Fing, Paris",
        ),
        ProgrammeEvent.objects.create(
            edition=edition,
            kind=ProgrammeEvent.Kind.SEMINAR,
            title="Séminaire national",
            starts_at=datetime.datetime(2026, 10, 8, 9, 0, tzinfo=paris),
            ends_at=datetime.datetime(2026, 10, 8, 17, 30, tzinfo=paris),
        ),
    ]


# Magic links -----------------------------------------------------------------------------


def test_a_magic_link_opens_its_partnerships_space_only(client):
    mine = make_partnership(state="paid", legal_name="Mon Organisation")
    other = make_partnership(state="paid", legal_name="Autre Organisation")
    client.get(SPACE)  # an anonymous session first
    before = client.session.session_key

    response = open_space(client, mine)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Mon Organisation" in content
    assert mine.reference in content
    assert "Autre Organisation" not in content
    assert other.reference not in content
    assert client.session[SESSION_KEY] == mine.reference
    assert client.session.session_key != before  # the session key was cycled
    assert "no-store" in response["Cache-Control"]


def test_the_space_shows_state_history_amount_invoices_and_calendar(client, programme):
    partnership = make_partnership(state="paid")
    invoice = Invoice.objects.get(partnership=partnership)

    content = open_space(client, partnership).content.decode()

    assert "Payé" in content
    assert "En attente de paiement" in content  # the history
    assert "25\u00a0000,00\u00a0€" in content
    assert f"/fr/espace-partenaire/factures/{invoice.number}.pdf" in content
    assert "Comité de pilotage de juin" in content
    assert "Séminaire national" in content
    assert CALENDAR in content
    assert 'action="/fr/espace-partenaire/deconnexion/"' in content


def test_an_expired_link_is_refused_with_a_clear_message(client, settings):
    partnership = make_partnership()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        path = link_path(partnership)
    later = start + datetime.timedelta(seconds=settings.MEMBERSHIP_MAGIC_LINK_MAX_AGE + 60)

    with time_machine.travel(later, tick=False):
        response = client.get(path)

    assert response.status_code == 403
    content = response.content.decode()
    assert "Ce lien a expiré" in content
    assert f'action="{LOGIN}"' in content  # the form to ask for a new one
    assert SESSION_KEY not in client.session
    assert client.get(SPACE)["Location"] == LOGIN


def test_a_link_just_within_its_lifetime_works(client, settings):
    partnership = make_partnership()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        path = link_path(partnership)
    later = start + datetime.timedelta(seconds=settings.MEMBERSHIP_MAGIC_LINK_MAX_AGE - 60)

    with time_machine.travel(later, tick=False):
        assert client.get(path)["Location"] == SPACE


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: token.replace(token.split(":")[0], "QN-00000000"),  # reference altered
        lambda token: "QN-12345678:1abcde:bm90LWEtc2lnbmF0dXJl",  # made up
    ],
    ids=["signature", "reference", "made-up"],
)
def test_a_forged_link_is_refused(client, forge):
    partnership = make_partnership()
    token = link_path(partnership).rstrip("/").rsplit("/", 1)[1]

    response = client.get(f"/fr/espace-partenaire/lien/{forge(token)}/")

    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in text(response)
    assert SESSION_KEY not in client.session


def test_a_link_signed_for_another_purpose_is_refused(client):
    from django.core import signing

    partnership = make_partnership()
    token = signing.TimestampSigner(salt="another.purpose").sign(partnership.reference)

    assert client.get(f"/fr/espace-partenaire/lien/{token}/").status_code == 400


def test_a_link_of_the_older_format_is_refused(client):
    """Links signed before they named their address (the reference alone) no longer open."""
    from django.core import signing

    partnership = make_partnership()
    token = signing.TimestampSigner(salt=SALT).sign(partnership.reference)

    assert client.get(f"/fr/espace-partenaire/lien/{token}/").status_code == 400
    assert SESSION_KEY not in client.session


def test_a_link_stops_working_once_its_address_is_no_longer_the_partnerships(client):
    partnership = make_partnership()
    path = link_path(partnership)  # sent to the contact
    Partnership.objects.filter(pk=partnership.pk).update(contact_email="nouvelle@example.org")

    response = client.get(path)

    assert response.status_code == 403
    assert "Ce lien n'est plus valable" in text(response)
    assert f'action="{LOGIN}"' in text(response)
    assert SESSION_KEY not in client.session
    # A link to the new address works
    partnership.refresh_from_db()
    assert client.get(link_path(partnership))["Location"] == SPACE


def test_an_open_space_closes_when_its_address_is_no_longer_the_partnerships(client):
    partnership = make_partnership(state="paid")
    invoice = Invoice.objects.get(partnership=partnership)
    assert open_space(client, partnership).status_code == 200

    Partnership.objects.filter(pk=partnership.pk).update(contact_email="nouvelle@example.org")

    assert client.get(SPACE)["Location"] == LOGIN
    assert client.get(f"/fr/espace-partenaire/factures/{invoice.number}.pdf")["Location"] == (LOGIN)


def test_logging_out_ends_the_space(client):
    partnership = make_partnership()
    open_space(client, partnership)

    assert client.get("/fr/espace-partenaire/deconnexion/").status_code == 405
    response = client.post("/fr/espace-partenaire/deconnexion/")

    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert client.get(SPACE)["Location"] == LOGIN


# Asking for a link -------------------------------------------------------------------------


def test_asking_for_a_link_gives_the_same_answer_for_known_and_unknown_addresses(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    partnership = make_partnership()

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(LOGIN, {"email": partnership.billing_email.upper()})
        unknown = client.post(LOGIN, {"email": "nobody@example.net"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == f"{LOGIN}?envoye=1"
    [message] = mailoutbox
    assert message.to == [partnership.billing_email.upper()]
    assert "/fr/espace-partenaire/lien/" in message.body
    assert "un lien d'accès personnel vient d'y être envoyé" in text(client.get(known["Location"]))


def test_one_address_for_two_partnerships_gets_a_link_for_each(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    first = make_partnership(contact_email="dsi@example.org")
    second = make_partnership(edition=other_edition(), billing_email="dsi@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOGIN, {"email": "dsi@example.org"})

    assert len(mailoutbox) == 2
    assert {m.to[0] for m in mailoutbox} == {"dsi@example.org"}
    bodies = " ".join(m.body for m in mailoutbox)
    assert "Think Small" in bodies and "Transitions" in bodies
    assert first.reference != second.reference


def test_link_requests_are_rate_limited_without_saying_so(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    partnership = make_partnership()

    with django_capture_on_commit_callbacks(execute=True):
        answers = {client.post(LOGIN, {"email": partnership.contact_email})["Location"]}
        for _ in range(9):
            answers.add(client.post(LOGIN, {"email": partnership.contact_email})["Location"])

    assert answers == {f"{LOGIN}?envoye=1"}
    assert len(mailoutbox) == 5


def test_an_invalid_address_gets_a_field_error(client):
    response = client.post(LOGIN, {"email": "pas-une-adresse"})

    assert response.status_code == 400
    assert "field__error" in response.content.decode()


# Invoices and calendar ---------------------------------------------------------------------


def test_a_paid_transfer_invoice_downloads_marked_paid(client):
    from membership import services

    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = Invoice.objects.get(partnership=partnership)
    open_space(client, partnership)
    url = f"/fr/espace-partenaire/factures/{invoice.number}.pdf"
    assert "Acquittée" not in pdf_text(b"".join(client.get(url).streaming_content))

    services.mark_paid(partnership, "Virement reçu")

    assert "Acquittée le" in pdf_text(b"".join(client.get(url).streaming_content))


def test_invoices_download_from_their_own_space_only(client):
    mine = make_partnership(state="paid")
    other = make_partnership(state="paid")
    my_invoice = Invoice.objects.get(partnership=mine)
    other_invoice = Invoice.objects.get(partnership=other)
    anonymous = client.get(f"/fr/espace-partenaire/factures/{my_invoice.number}.pdf")
    assert anonymous.status_code == 302

    open_space(client, mine)
    response = client.get(f"/fr/espace-partenaire/factures/{my_invoice.number}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{my_invoice.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(f"/fr/espace-partenaire/factures/{other_invoice.number}.pdf").status_code == (
        404
    )
    assert client.get("/fr/espace-partenaire/factures/QN-1999-9999.pdf").status_code == 404


@pytest.mark.parametrize("state", ["draft", "awaiting_payment", "cancelled", "refunded"])
def test_the_calendar_is_for_paid_partnerships_only(client, programme, state):
    partnership = make_partnership(state=state)

    content = text(open_space(client, partnership))

    assert "Comité de pilotage de juin" not in content
    assert CALENDAR not in content
    assert "sera accessible ici dès réception de votre paiement" in content
    response = client.get(CALENDAR)
    assert response.status_code == 302
    assert response["Location"] == SPACE


def test_the_calendar_holds_the_editions_events_in_utc(client, programme):
    partnership = make_partnership(state="paid")
    ProgrammeEvent.objects.create(
        edition=other_edition(),
        kind=ProgrammeEvent.Kind.SEMINAR,
        title="Séminaire d'une autre édition",
        starts_at=timezone.now(),
        ends_at=timezone.now() + datetime.timedelta(hours=2),
    )
    open_space(client, partnership)

    response = client.get(CALENDAR)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].endswith('.ics"')
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        "Comité de pilotage de juin",
        "Séminaire national",
    ]
    june = events[0]
    assert june.decoded("DTSTART") == datetime.datetime(2026, 6, 11, 7, 30, tzinfo=datetime.UTC)
    assert june.decoded("DTEND") == datetime.datetime(2026, 6, 11, 11, 0, tzinfo=datetime.UTC)
    assert str(june["LOCATION"]) == "Fing, Paris"
    # The same UIDs on every download, so that calendars update instead of duplicating
    again = icalendar.Calendar.from_ical(client.get(CALENDAR).content).walk("VEVENT")
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in events]
    assert len({str(e["UID"]) for e in events}) == 2


def test_the_calendar_in_english_uses_the_english_titles(client, programme):
    partnership = make_partnership(state="paid")
    open_space(client, partnership)

    response = client.get("/en/espace-partenaire/calendrier.ics")

    summaries = [
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    ]
    assert summaries == ["June steering committee", "Séminaire national"]


# A sign-up left as a draft ---------------------------------------------------------------------


def offer_page(locale=None):
    """Think Small's offer page, in `locale` (default: French, the source)."""
    page = PartnershipOfferPage.objects.child_of(think_small()).live().get()
    return page.get_translation(locale) if locale else page


def finish_link(content, label="Finaliser mon inscription"):
    """The href of the link that finishes the sign-up."""
    match = re.search(rf'<a class="button" href="([^"]+)">{label}</a>', content)
    assert match, f"no « {label} » link"
    return match.group(1)


def test_a_draft_space_links_to_the_confirmation_step_which_opens(client):
    partnership = make_partnership(legal_name="Brouillon & Cie")
    page = offer_page()

    content = text(open_space(client, partnership))

    assert "Votre inscription n'est pas terminée" in content
    url = finish_link(content)
    assert url == page.url + page.reverse_subpage("confirm", args=[partnership.reference])
    confirm = client.get(url)  # in a session that didn't sign up: the magic link is enough
    assert confirm.status_code == 200
    assert "Brouillon &amp; Cie" in confirm.content.decode()
    assert "25\u00a0000" in text(confirm)


def test_an_english_draft_is_sent_to_the_english_offer_page(client, en):
    partnership = make_partnership(language="en")
    page = offer_page(en)

    assert client.get(link_path(partnership))["Location"] == "/en/espace-partenaire/"
    url = finish_link(text(client.get("/en/espace-partenaire/")), "Complete my sign-up")

    assert url.startswith("/en/")
    assert url == page.url + page.reverse_subpage("confirm", args=[partnership.reference])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("state", ["awaiting_payment", "paid"])
def test_a_space_past_the_draft_has_no_finish_link(client, state):
    content = text(open_space(client, make_partnership(state=state)))

    assert "Finaliser mon inscription" not in content


def test_the_session_keeps_the_last_twenty_sign_ups(client):
    partnership = make_partnership()
    session = client.session
    session["membership_signups"] = [f"QN-{n:08d}" for n in range(20)]
    session.save()

    open_space(client, partnership)
    open_space(client, partnership)  # the same link twice: listed once

    signups = client.session["membership_signups"]
    assert len(signups) == 20
    assert signups[-1] == partnership.reference
    assert signups.count(partnership.reference) == 1
    assert "QN-00000000" not in signups


# Partner-only pages ------------------------------------------------------------------------


@pytest.fixture
def learning_path():
    """A partner-only page under the Think Small edition, with a sub-page."""
    area = think_small().add_child(
        instance=PartnerAreaPage(
            title="Parcours apprenant",
            slug="parcours-apprenant",
            introduction="Le parcours en ligne des partenaires.",
        )
    )
    area.add_child(instance=PartnerAreaPage(title="Séance 1", slug="seance-1"))
    return area


def test_a_paid_partner_sees_the_partner_only_pages(client, learning_path):
    partnership = make_partnership(state="paid")
    content = open_space(client, partnership).content.decode()
    assert learning_path.url in content

    response = client.get(learning_path.url)

    assert response.status_code == 200
    assert "Parcours apprenant" in response.content.decode()
    assert "Séance 1" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert client.get(learning_path.url + "seance-1/").status_code == 200


def test_the_english_translation_is_served_to_the_same_partners(client, learning_path, en):
    english = learning_path.copy_for_translation(en)
    english.title = "Learning path"
    english.save_revision().publish()
    partnership = make_partnership(state="paid")

    assert client.get(english.url)["Location"] == "/en/espace-partenaire/connexion/"
    open_space(client, partnership)
    assert client.get(english.url).status_code == 200


@pytest.mark.parametrize("state", ["draft", "awaiting_payment", "cancelled", "refunded"])
def test_an_unpaid_partner_is_sent_to_the_link_page(client, learning_path, state):
    partnership = make_partnership(state=state)
    client.get(link_path(partnership))

    response = client.get(learning_path.url)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "réservée aux partenaires" in client.get(LOGIN).content.decode()


def test_anonymous_visitors_are_sent_to_the_link_page(client, learning_path):
    for url in (learning_path.url, learning_path.url + "seance-1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == LOGIN


def test_a_paid_partner_of_another_edition_is_sent_to_the_link_page(client, learning_path):
    partnership = make_partnership(state="paid", edition=other_edition())
    open_space(client, partnership)

    assert client.get(learning_path.url)["Location"] == LOGIN


def test_editors_see_the_partner_only_pages(client, learning_path):
    editor = get_user_model().objects.create_superuser("editrice", "editrice@example.org", "x")
    client.force_login(editor)

    assert client.get(learning_path.url).status_code == 200


def test_partner_only_pages_are_not_in_the_sitemap(client, learning_path):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert "parcours-apprenant" not in response.content.decode()


def test_paying_partners_bank_transfer_reaches_the_pages_once_recorded(client, learning_path):
    from membership import services

    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    open_space(client, partnership)
    assert client.get(learning_path.url)["Location"] == LOGIN

    services.mark_paid(partnership, "Virement reçu")

    assert client.get(learning_path.url).status_code == 200
