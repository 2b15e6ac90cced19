"""E-mails to partners: the invoice (exactly one), the receipt (exactly one), the magic link;
retries."""

import threading
from smtplib import SMTPServerDisconnected
from unittest import mock
from urllib.parse import urlparse

from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections

import pytest
from celery.exceptions import Retry

from membership import services
from membership.models import Invoice, Partnership, PaymentMethod
from membership.tasks.mail import send_invoice, send_magic_link, send_receipt
from tests.membership_factories import make_partnership
from tests.test_invoices import flat, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(settings, tmp_path):
    """Tasks run in-process (CI sets CELERY_BROKER_URL, which turns eager mode off)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.MEMBERSHIP_BANK_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.MEMBERSHIP_BANK_BIC = "AGRIFRPP"
    return settings


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_choosing_a_transfer_mails_the_invoice_with_the_bank_details(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = make_partnership(
            state="awaiting_payment", payment_method=PaymentMethod.TRANSFER
        )
    invoice = Invoice.objects.get(partnership=partnership)

    [message] = mailoutbox
    assert message.to == [partnership.billing_email]
    assert message.cc == [partnership.contact_email]
    assert invoice.number in message.subject
    assert "Think Small (2016-2017)" in message.subject
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    for body in (message.body, html_of(message)):
        assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in body
        assert "BIC : AGRIFRPP" in body
        assert invoice.number in body
        assert "30\u00a0000,00\u00a0€" in body
        assert "/fr/espace-partenaire/lien/" in body
    invoice.refresh_from_db()
    assert invoice.pdf  # the attached PDF is the stored one
    assert invoice.sent_at is not None


def test_an_english_invoice_e_mail_has_no_space_before_colons(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = make_partnership(
            state="awaiting_payment", payment_method=PaymentMethod.TRANSFER, language="en"
        )
    invoice = Invoice.objects.get(partnership=partnership)

    [message] = mailoutbox
    body = message.body
    assert "Amount excluding VAT: €25,000.00" in body
    assert "VAT 20%: €5,000.00" in body
    assert "Total including VAT: €30,000.00" in body
    assert "Account holder: Fing" in body
    assert "IBAN: FR76 3000 6000 0112 3456 7890 189" in body
    assert "BIC: AGRIFRPP" in body
    assert f"Transfer reference: {invoice.number}" in body
    assert " :" not in body
    assert " :" not in html_of(message)


def test_a_french_invoice_e_mail_keeps_its_space_before_colons(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = make_partnership(
            state="awaiting_payment", payment_method=PaymentMethod.TRANSFER
        )
    invoice = Invoice.objects.get(partnership=partnership)

    [message] = mailoutbox
    assert "Montant HT : 25\u00a0000,00\u00a0€" in message.body
    assert "TVA 20\u00a0% : 5\u00a0000,00\u00a0€" in message.body
    assert "Total TTC : 30\u00a0000,00\u00a0€" in message.body
    assert "Titulaire du compte : Fing" in message.body
    for body in (message.body, html_of(message)):
        assert f"Référence du virement : {invoice.number}" in body


def test_a_double_click_on_transfer_mails_the_invoice_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    """The confirmation form posted three times: one invoice, one e-mail."""
    partnership = make_partnership()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.choose_bank_transfer(partnership)

    invoice = Invoice.objects.get(partnership=partnership)
    assert len(mailoutbox) == 1
    assert send_invoice.delay(invoice.pk).get() is False  # a late duplicate of the task
    assert len(mailoutbox) == 1
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_an_invoice_whose_sending_failed_is_sent_by_the_retry(mailoutbox):
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = Invoice.objects.get(partnership=partnership)  # on_commit not run: not sent yet

    with mock.patch.object(EmailBackend, "send_messages", side_effect=SMTPServerDisconnected):
        with pytest.raises(Retry):
            send_invoice.delay(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.sent_at is None

    assert send_invoice.delay(invoice.pk).get() is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (set DATABASE_URL; CI does)",
)
def test_three_simultaneous_transfer_choices_mail_one_invoice(committed_content, mailoutbox):
    """Three requests choosing the transfer at once, each committing for real and running its
    e-mail task on commit: the locks decide."""
    partnership = make_partnership()
    barrier = threading.Barrier(3)
    errors = []

    def choose():
        try:
            barrier.wait(timeout=10)
            services.choose_bank_transfer(Partnership.objects.get(pk=partnership.pk))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=choose) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    invoice = Invoice.objects.get(partnership=partnership)
    assert invoice.sent_at is not None
    assert len(mailoutbox) == 1


def test_payment_sends_exactly_one_receipt(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = make_partnership(state="paid")
    invoice = Invoice.objects.get(partnership=partnership)
    [receipt] = mailoutbox
    assert receipt.to == [partnership.contact_email]
    assert receipt.cc == [partnership.billing_email]
    assert receipt.subject.startswith("Paiement reçu")
    assert "30\u00a0000,00\u00a0€" in receipt.body
    assert receipt.attachments[0][0] == f"{invoice.number}.pdf"

    # The same payment notified again, and the task delivered twice: nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_paid(partnership, "Doublon") is False
    assert send_receipt.delay(partnership.pk, invoice.pk).get() is False
    assert send_receipt.delay(partnership.pk, invoice.pk).get() is False

    assert len(mailoutbox) == 1
    partnership.refresh_from_db()
    assert partnership.receipt_sent_at is not None


def test_an_smtp_failure_is_retried_and_the_receipt_sent_once(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    # Eager tasks re-raise a retry to the caller while CELERY_TASK_EAGER_PROPAGATES is on;
    # off, Celery runs the retry in-process at once, as a worker would after the backoff.
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    attempts = []
    deliver = EmailBackend.send_messages

    def disconnected_once(backend, messages):
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return deliver(backend, messages)

    with mock.patch.object(EmailBackend, "send_messages", disconnected_once):
        with django_capture_on_commit_callbacks(execute=True):
            partnership = make_partnership(state="paid")

    assert len(attempts) == 2
    [receipt] = mailoutbox
    assert receipt.subject.startswith("Paiement reçu")
    partnership.refresh_from_db()
    assert partnership.receipt_sent_at is not None


def test_a_failed_send_leaves_the_receipt_to_send(mailoutbox):
    partnership = make_partnership(state="paid")  # on_commit not run: no receipt yet
    invoice = Invoice.objects.get(partnership=partnership)

    # (With CELERY_TASK_EAGER_PROPAGATES on, the retry the task asks for reaches the caller.)
    with mock.patch.object(EmailBackend, "send_messages", side_effect=SMTPServerDisconnected):
        with pytest.raises(Retry):
            send_receipt.delay(partnership.pk, invoice.pk)
    partnership.refresh_from_db()
    assert partnership.receipt_sent_at is None

    assert send_receipt.delay(partnership.pk, invoice.pk).get() is True
    assert len(mailoutbox) == 1


def test_an_english_partner_gets_english_e_mails(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        partnership = make_partnership(state="paid", language="en")

    [receipt] = mailoutbox
    assert (
        receipt.subject
        == "Payment received — Questions Numériques partnership Think Small (2016-2017)"
    )
    assert "€30,000.00" in receipt.body
    assert "/en/espace-partenaire/lien/" in receipt.body
    assert receipt.extra_headers["Content-Language"] == "en"
    assert 'lang="en"' in html_of(receipt)
    assert partnership.reference in receipt.body


def test_the_receipt_of_a_transfer_attaches_the_invoice_marked_paid(
    mailoutbox, django_capture_on_commit_callbacks
):
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = Invoice.objects.get(partnership=partnership)

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_paid(partnership, "Virement reçu")

    [receipt] = mailoutbox
    assert f"La facture {invoice.number}, acquittée, est jointe" in receipt.body
    [(filename, content, _mimetype)] = receipt.attachments
    assert filename == f"{invoice.number}.pdf"
    text = flat(pdf_text(content))
    assert f"Facture n° {invoice.number}" in text
    assert "Acquittée le" in text


def test_the_magic_link_e_mail(mailoutbox, client):
    partnership = make_partnership(state="awaiting_payment")

    assert send_magic_link.delay(partnership.pk).get() is True
    assert send_magic_link.delay(partnership.pk, "someone@else.example").get() is False

    [message] = mailoutbox
    assert message.to == [partnership.contact_email]
    link = next(word for word in message.body.split() if "/espace-partenaire/lien/" in word)
    assert link in html_of(message)
    response = client.get(urlparse(link).path)
    assert response.status_code == 302
    assert response["Location"] == "/fr/espace-partenaire/"


def test_a_magic_link_is_signed_for_the_address_it_is_sent_to(mailoutbox, client):
    partnership = make_partnership(state="awaiting_payment")

    assert send_magic_link.delay(partnership.pk, partnership.billing_email).get() is True

    [message] = mailoutbox
    assert message.to == [partnership.billing_email]
    link = next(word for word in message.body.split() if "/espace-partenaire/lien/" in word)
    # The contact changes: the billing contact's link still works
    Partnership.objects.filter(pk=partnership.pk).update(contact_email="nouveau@example.org")
    assert client.get(urlparse(link).path)["Location"] == "/fr/espace-partenaire/"
    # The billing address changes: the link sent to the old one no longer opens the space
    client.post("/fr/espace-partenaire/deconnexion/")
    Partnership.objects.filter(pk=partnership.pk).update(billing_email="compta@example.net")
    assert client.get(urlparse(link).path).status_code == 403
