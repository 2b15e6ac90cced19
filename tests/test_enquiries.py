"""Visitors' enquiries: routed to the brochure's contacts, abuse kept aside, bad input refused,
old enquiries deleted. (Delivery through a real SMTP server: test_enquiry_delivery.py.)"""

import datetime
import email
import os
import re
import subprocess
import sys
from email import policy
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

import pytest
import time_machine

from editions.models import EditionPage
from home.content import load_content
from membership.models import Contact, Enquiry, EnquiryPage, PartnershipOfferPage, TopicRoute
from membership.tasks.enquiries import (
    acknowledge_enquiry,
    notify_contact,
    purge_expired_enquiries,
    send_pending_enquiries,
)

pytestmark = pytest.mark.django_db

CECILE = "cch@fing.org"
SOPHIE = "smaheo@fing.org"


@pytest.fixture(autouse=True)
def eager_and_fresh_limits(settings):
    """Tasks run in-process (CI sets CELERY_BROKER_URL, which turns eager mode off), and the
    rate-limit counters (in Redis when REDIS_URL is set) start from zero."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.clear()
    yield settings
    cache.clear()


@pytest.fixture
def contact_page(fr):
    return EnquiryPage.objects.get(locale=fr)


@pytest.fixture
def english_contact_page(en):
    return EnquiryPage.objects.get(locale=en)


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


def form_data(**overrides):
    data = {
        "name": "Camille Martin",
        "organisation": "Métropole de Lyon",
        "email": "camille.martin@grandlyon.com",
        "phone": "",
        "topic": "partnership",
        "edition": "",
        "message": "Bonjour,\nnous aimerions rejoindre le cycle Think Small.",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def send(client, page, ip="192.0.2.10", **overrides):
    return client.post(page.url, form_data(**overrides), REMOTE_ADDR=ip)


def make_enquiry(**fields):
    values = {
        "name": "Camille Martin",
        "organisation": "Métropole de Lyon",
        "email": "camille.martin@grandlyon.com",
        "topic": "programme",
        "message": "Une question.",
        "language": "fr",
        "consent_at": timezone.now(),
    }
    values.update(fields)
    return Enquiry.objects.create(**values)


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def header(message, name):
    """A header as a mail client reads it (decoded)."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    return str(parsed[name])


# --- Routing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "address"),
    [("partnership", CECILE), ("programme", SOPHIE), ("press", SOPHIE), ("other", SOPHIE)],
)
def test_each_topic_reaches_the_contact_the_content_routes_it_to(
    client, contact_page, mailoutbox, django_capture_on_commit_callbacks, topic, address
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, contact_page, topic=topic)

    assert response.status_code == 303
    enquiry = Enquiry.objects.get()
    assert enquiry.routed_to.email == address
    assert enquiry.state == Enquiry.State.NEW
    notification, acknowledgement = mailoutbox
    assert notification.to == [address]
    assert acknowledgement.to == ["camille.martin@grandlyon.com"]
    enquiry.refresh_from_db()
    assert enquiry.notified_at is not None
    assert enquiry.acknowledged_at is not None


def test_the_contact_gets_every_field_a_link_to_the_admin_and_can_reply(
    client, contact_page, think_small, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, contact_page, phone="04 78 63 40 40", edition=str(think_small.pk))

    enquiry = Enquiry.objects.get()
    notification = mailoutbox[0]
    assert notification.subject == "Demande de contact — Partenariat — Métropole de Lyon"
    assert header(notification, "Reply-To") == "Camille Martin <camille.martin@grandlyon.com>"
    assert notification.extra_headers["Content-Language"] == "fr"
    for body in (notification.body, html_of(notification)):
        for text in (
            "Camille Martin",
            "Métropole de Lyon",
            "camille.martin@grandlyon.com",
            "+33478634040",
            "Partenariat",
            "Think Small (2016-2017)",
            "nous aimerions rejoindre le cycle Think Small",
            f"http://testserver/admin/demandes/inspect/{enquiry.pk}/",
        ):
            assert text in body, text


def test_an_english_visitor_is_acknowledged_in_english(
    client, english_contact_page, mailoutbox, django_capture_on_commit_callbacks
):
    assert english_contact_page.url == "/en/contact-us/"
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, english_contact_page, topic="partnership")

    assert response["Location"] == "/en/contact-us/merci/"
    enquiry = Enquiry.objects.get()
    assert enquiry.language == "en"
    notification, acknowledgement = mailoutbox
    assert notification.extra_headers["Content-Language"] == "fr"  # Cécile reads French
    assert acknowledgement.extra_headers["Content-Language"] == "en"
    assert 'lang="en"' in html_of(acknowledgement)
    assert "Partnership" in acknowledgement.body
    assert "/en/" in acknowledgement.body
    assert str(enquiry.reference) in acknowledgement.body
    # replies to the acknowledgement go to the contact; the message is not repeated
    assert header(acknowledgement, "Reply-To") == f"Cécile Christodoulou <{CECILE}>"
    assert "rejoindre le cycle" not in acknowledgement.body


def test_without_a_route_the_programme_contact_answers_then_server_email(
    client, contact_page, settings, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    settings.SERVER_EMAIL = "webmaster@fing.example"
    TopicRoute.objects.filter(topic="press").delete()
    with django_capture_on_commit_callbacks(execute=True):
        send(client, contact_page, topic="press")
    assert mailoutbox[0].to == [SOPHIE]
    assert "No active contact for the enquiry topic 'press'" in caplog.text

    TopicRoute.objects.all().delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        send(client, contact_page, topic="partnership", email="autre@example.org")
    assert Enquiry.objects.filter(routed_to=None).count() == 1
    assert mailoutbox[0].to == ["webmaster@fing.example"]
    assert "Aucun contact n'est désigné" in mailoutbox[0].body.replace("&#x27;", "'")


def test_an_inactive_contact_is_passed_over(
    client, contact_page, mailoutbox, django_capture_on_commit_callbacks
):
    Contact.objects.filter(email=CECILE).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, contact_page, topic="partnership")

    assert Enquiry.objects.get().routed_to.email == SOPHIE


# --- The page and the form --------------------------------------------------------------


def test_the_contact_page_is_in_the_menu_in_both_languages(client):
    for url, title in (("/fr/", "Nous contacter"), ("/en/", "Contact us")):
        html = client.get(url).content.decode()
        nav = html[html.index('class="main-nav"') :]
        assert re.search(rf'<a href="{url}[a-z-]+/">{title}</a>', nav), title


def test_the_phone_field_asks_mobiles_for_the_phone_keypad(client, contact_page):
    html = client.get(contact_page.url).content.decode()
    phone = re.search(r'<input[^>]*name="phone"[^>]*>', html).group()
    assert re.findall(r'\stype="([a-z]+)"', phone) == ["tel"]


def test_the_form_states_the_retention_period(client, contact_page, settings):
    html = client.get(contact_page.url).content.decode()
    assert "Elles sont conservées 3 ans, puis effacées." in html
    assert 'name="website" autocomplete="off" tabindex="-1" aria-hidden="true"' in html

    settings.ENQUIRY_RETENTION_DAYS = 730
    assert "conservées 2 ans" in client.get(contact_page.url).content.decode()


def test_the_thank_you_step_follows_the_post(client, contact_page):
    response = send(client, contact_page)

    assert response.status_code == 303
    assert response["Location"] == "/fr/nous-contacter/merci/"
    thanks = client.get(response["Location"]).content.decode()
    assert "Merci, votre message nous est bien parvenu." in thanks


def test_the_offer_page_offers_the_form_with_partnership_and_its_edition_chosen(
    client, fr, en, think_small
):
    for locale, action in ((fr, "/fr/nous-contacter/"), (en, "/en/contact-us/")):
        offer = PartnershipOfferPage.objects.get(locale=locale)
        html = client.get(offer.url).content.decode()
        form = html[html.index('class="form enquiry-form"') :]
        assert f'action="{action}"' in html
        assert '<option value="partnership" selected>' in form
        assert f'<option value="{think_small.pk}" selected>' in form
    # the English page names the editions in English
    assert "Disruptions (2012)" in form


def test_an_enquiry_sent_from_the_offer_page_names_its_edition_in_each_language(
    client, fr, en, think_small, mailoutbox, django_capture_on_commit_callbacks
):
    offer = PartnershipOfferPage.objects.get(locale=en)
    html = client.get(offer.url).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" novalidate class="form enquiry', html)
    ruptures = EditionPage.objects.get(locale=fr, start_year=2012)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action.group(1), form_data(edition=str(ruptures.pk)))

    assert response.status_code == 303
    enquiry = Enquiry.objects.get()
    assert enquiry.edition == ruptures  # the French (source) page
    assert enquiry.language == "en"
    notification, acknowledgement = mailoutbox
    assert "Ruptures (2012)" in notification.body
    assert "Disruptions (2012)" in acknowledgement.body


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "camille.martin@", "Cette adresse e-mail n'est pas valide"),
        ("email", "", "Indiquez votre adresse e-mail"),
        ("message", "", "Écrivez votre message."),
        ("message", "   \n  ", "Écrivez votre message."),
        ("name", "", "Indiquez votre nom."),
        ("organisation", "", "Indiquez votre organisation."),
        ("topic", "", "Choisissez le sujet de votre demande."),
        ("topic", "jobs", "Sélectionnez un choix valide"),
        ("edition", "999999", "Choisissez une édition de la liste."),
        ("phone", "12", "numéro de téléphone n'est pas valide"),
        ("consent", "", "Vous devez accepter le traitement de ces informations"),
    ],
)
def test_bad_input_gets_a_field_error_and_stores_nothing(
    client, contact_page, mailoutbox, field, value, error
):
    response = send(client, contact_page, **{field: value})

    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert 'class="error-summary"' in html
    assert f'<a href="#id_{field}">' in html  # the summary links to the field
    field_error = re.search(rf'<p class="field__error" id="id_{field}_error">([^<]*)</p>', html)
    assert field_error is not None and error in field_error.group(1)
    assert Enquiry.objects.count() == 0
    assert mailoutbox == []
    # what the visitor typed is still in the form
    typed = {
        "name": "Camille Martin",
        "organisation": "Métropole de Lyon",
        "message": "nous aimerions rejoindre le cycle Think Small.",
    }
    for name, text in typed.items():
        if name != field:
            assert text in html, name


def test_a_message_over_the_limit_is_refused_with_its_length(client, contact_page, settings):
    settings.ENQUIRY_MAX_MESSAGE_LENGTH = 40
    response = send(client, contact_page, message="x" * 41)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Votre message est trop long : 41 caractères pour 40 au plus." in html
    assert 'maxlength="40"' in html
    assert Enquiry.objects.count() == 0


def test_the_phone_is_stored_in_international_format(client, contact_page):
    send(client, contact_page, phone="04 78 63 40 40")
    assert Enquiry.objects.get().phone == "+33478634040"


def test_a_newline_cannot_reach_the_e_mail_subject(
    client, contact_page, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, contact_page, organisation="ACME\r\nBcc: victim@example.org")

    assert Enquiry.objects.get().organisation == "ACME Bcc: victim@example.org"
    assert mailoutbox[0].subject.endswith("ACME Bcc: victim@example.org")
    assert "victim@example.org" not in mailoutbox[0].recipients()


# --- Abuse ----------------------------------------------------------------------------


def test_a_filled_honeypot_is_kept_as_spam_and_mails_nobody(
    client, contact_page, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(client, contact_page, website="http://spam.example")

    assert response.status_code == 303  # the same thank-you page: a robot learns nothing
    assert response["Location"] == "/fr/nous-contacter/merci/"
    enquiry = Enquiry.objects.get()
    assert (enquiry.state, enquiry.spam_reason) == (Enquiry.State.SPAM, "honeypot")
    assert callbacks == []
    # even if somebody queued its e-mails, nothing would be sent
    assert notify_contact.delay(enquiry.pk).get() is False
    assert acknowledge_enquiry.delay(enquiry.pk).get() is False
    assert mailoutbox == []
    enquiry.refresh_from_db()
    assert enquiry.notified_at is None


def test_a_burst_from_one_address_is_kept_as_spam_after_the_limit(
    client, contact_page, mailoutbox, settings, django_capture_on_commit_callbacks
):
    assert settings.ENQUIRY_RATE_LIMIT_PER_IP == "5/h"
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(8):
            response = send(client, contact_page, email=f"visitor{number}@example.org")
            assert response.status_code == 303

    states = list(Enquiry.objects.order_by("pk").values_list("state", "spam_reason"))
    assert states == [("new", "")] * 5 + [("spam", "rate limit")] * 3
    assert len(mailoutbox) == 5 * 2  # a notification and an acknowledgement per legitimate one
    spam_addresses = {f"visitor{number}@example.org" for number in (5, 6, 7)}
    assert not spam_addresses & {address for m in mailoutbox for address in m.recipients()}

    # another visitor is not affected, and the window ends after an hour
    send(client, contact_page, ip="198.51.100.7", email="other@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        send(client, contact_page, email="later@example.org")
    assert Enquiry.objects.filter(state="new").count() == 7


def test_one_e_mail_address_is_limited_whatever_the_ip(client, contact_page, mailoutbox):
    for number in range(4):
        send(client, contact_page, ip=f"203.0.113.{number}", email="Same@Example.org")

    states = list(Enquiry.objects.order_by("pk").values_list("spam_reason", flat=True))
    assert states == ["", "", "", "rate limit"]


def test_behind_a_proxy_the_forwarded_address_is_limited(client, contact_page, settings):
    settings.ENQUIRY_TRUSTED_PROXIES = 1
    settings.ENQUIRY_RATE_LIMIT_PER_IP = "1/h"
    for number, forwarded in enumerate(["spoofed, 192.0.2.1", "192.0.2.2", "spoofed, 192.0.2.1"]):
        client.post(
            contact_page.url,
            form_data(email=f"v{number}@example.org"),
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    states = list(Enquiry.objects.order_by("pk").values_list("spam_reason", flat=True))
    assert states == ["", "", "rate limit"]


def test_the_client_is_kept_as_a_keyed_hash_never_its_address(client, contact_page):
    send(client, contact_page, ip="192.0.2.44", email="a@example.org")
    send(client, contact_page, ip="192.0.2.44", email="b@example.org")
    send(client, contact_page, ip="192.0.2.45", email="c@example.org")

    first, second, third = Enquiry.objects.order_by("pk")
    assert re.fullmatch(r"[0-9a-f]{64}", first.client_key)
    assert first.client_key == second.client_key != third.client_key
    stored = " ".join(str(value) for value in Enquiry.objects.values_list())
    assert "192.0.2.44" not in stored


# --- E-mails sent once, and late ones sent anyway ----------------------------------------


def test_each_e_mail_is_sent_once_however_often_its_task_runs(mailoutbox):
    enquiry = make_enquiry(routed_to=Contact.objects.get(email=SOPHIE))

    assert notify_contact.delay(enquiry.pk).get() is True
    assert notify_contact.delay(enquiry.pk).get() is False
    assert acknowledge_enquiry.delay(enquiry.pk).get() is True
    assert acknowledge_enquiry.delay(enquiry.pk).get() is False
    assert [message.to for message in mailoutbox] == [[SOPHIE], [enquiry.email]]


def test_e_mails_whose_tasks_were_lost_are_sent_by_the_hourly_task(mailoutbox):
    # stored, but its tasks never ran (the broker was down when the request committed)
    enquiry = make_enquiry(routed_to=Contact.objects.get(email=SOPHIE))
    make_enquiry(state=Enquiry.State.SPAM, spam_reason="honeypot")

    assert send_pending_enquiries.delay().get() == 0  # too recent: its own tasks may be running
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        assert send_pending_enquiries.delay().get() == 2
        assert send_pending_enquiries.delay().get() == 0
    assert [message.to for message in mailoutbox] == [[SOPHIE], [enquiry.email]]


# --- Retention ------------------------------------------------------------------------


def test_retention_deletes_only_expired_enquiries(settings):
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=3 * 365 + 1)):
        expired = make_enquiry()
        expired_spam = make_enquiry(state=Enquiry.State.SPAM, spam_reason="honeypot")
    with time_machine.travel(now - datetime.timedelta(days=3 * 365 - 1)):
        almost = make_enquiry()
    recent = make_enquiry()

    assert purge_expired_enquiries.delay().get() == 2

    remaining = set(Enquiry.objects.values_list("pk", flat=True))
    assert remaining == {almost.pk, recent.pk}
    assert not remaining & {expired.pk, expired_spam.pk}

    settings.ENQUIRY_RETENTION_DAYS = 30
    with time_machine.travel(now + datetime.timedelta(days=31)):
        assert purge_expired_enquiries.delay().get() == 2
    assert not Enquiry.objects.exists()


def test_the_purge_command_counts_then_deletes():
    with time_machine.travel(timezone.now() - datetime.timedelta(days=4 * 365)):
        make_enquiry()
        make_enquiry()
    make_enquiry()

    out = StringIO()
    call_command("purge_enquiries", "--dry-run", stdout=out)
    assert out.getvalue() == "2 enquiry(ies) older than 1095 days would be deleted.\n"
    assert Enquiry.objects.count() == 3

    out = StringIO()
    call_command("purge_enquiries", stdout=out)
    assert out.getvalue() == "2 enquiry(ies) older than 1095 days deleted.\n"
    assert Enquiry.objects.count() == 1


# --- The content ------------------------------------------------------------------------


def test_the_content_holds_the_brochures_two_contacts_and_the_routing():
    contacts = {(c.name, c.role, c.email, c.languages, c.active) for c in Contact.objects.all()}
    assert contacts == {
        ("Cécile Christodoulou", "Contact partenariats", CECILE, "fr", True),
        ("Sophie Mahéo", "Contact projet", SOPHIE, "fr", True),
    }
    routes = dict(TopicRoute.objects.values_list("topic", "contact__email"))
    assert routes == {
        "partnership": CECILE,
        "programme": SOPHIE,
        "press": SOPHIE,
        "other": SOPHIE,
    }


def test_loading_the_content_again_keeps_the_editors_contacts_and_routing():
    cecile = Contact.objects.get(email=CECILE)
    cecile.email = "cecile.christodoulou@fing.org"
    cecile.save()
    TopicRoute.objects.filter(topic="press").update(contact=cecile)
    EnquiryPage.objects.filter(locale__language_code="fr").update(default_topic="programme")

    summary = load_content()

    assert not summary.changed, str(summary)
    assert Contact.objects.count() == 2
    assert TopicRoute.objects.get(topic="press").contact == cecile
    assert EnquiryPage.objects.get(locale__language_code="fr").default_topic == "programme"


def test_loading_the_content_routes_a_topic_an_editor_left_without_a_route():
    TopicRoute.objects.filter(topic="other").delete()

    summary = load_content()

    assert summary.routes_created == ["other → Sophie Mahéo"]
    assert Contact.objects.count() == 2


# --- Local runs ---------------------------------------------------------------------------


def test_local_runs_never_send_mail_out(settings):
    """The contacts' real addresses are content: the tests keep mail in memory, and `make run`
    (development settings, no EMAIL_URL) prints it to the console."""
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    dotenv = settings.BASE_DIR / ".env"
    if dotenv.exists() and "EMAIL_URL" in dotenv.read_text():
        pytest.skip("this checkout's .env chooses its own mail backend")
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("EMAIL_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.dev"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
