"""E-mails to partners: the invoice, the receipt (exactly one), the magic link; retries."""

from smtplib import SMTPServerDisconnected
from unittest import mock
from urllib.parse import urlparse

from django.core.mail.backends.locmem import EmailBackend

import pytest
from celery.exceptions import Retry

from membership import services
from membership.models import Invoice, PaymentMethod
from membership.tasks.mail import send_magic_link, send_receipt
from tests.membership_factories import make_partnership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager(settings, tmp_path):
    """Tasks run in-process (CI sets CELERY_BROKER_URL, which turns eager mode off)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path)
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
