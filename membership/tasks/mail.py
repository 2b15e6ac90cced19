"""E-mail tasks: invoices, receipts, magic links. All retried on SMTP and network errors.

`send_receipt` sends at most one receipt per partnership in normal operation: the partnership
row is locked, `receipt_sent_at` checked, the message sent, then `receipt_sent_at` saved in
the same transaction. If the process dies after the SMTP server accepted the message but
before the transaction commits, `receipt_sent_at` stays empty and the (late-acknowledged)
task runs again: the partner may then get the receipt twice. We chose that over the
opposite order (mark, commit, then send), where the same crash would lose the receipt and
nobody would know: a duplicate receipt is harmless, a missing one is not.
"""

import logging
from smtplib import SMTPException

from django.db import transaction
from django.utils import timezone

from celery import shared_task

from .. import emails
from ..documents import attach_pdf
from ..models import Invoice, Partnership, PartnershipState

logger = logging.getLogger(__name__)

MAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(**MAIL_TASK_OPTIONS)
def send_invoice(invoice_id):
    """Mail the invoice (PDF attached) to the billing contact, the contact in copy."""
    invoice = Invoice.objects.select_related("partnership__edition").get(pk=invoice_id)
    attach_pdf(invoice)
    emails.invoice_message(invoice).send()
    logger.info("Invoice %s sent", invoice.number)


@shared_task(**MAIL_TASK_OPTIONS)
def send_receipt(partnership_id, invoice_id):
    """Mail the receipt of the payment, once per partnership (see the module's docstring).
    Returns True when this call sent it."""
    invoice = Invoice.objects.select_related("partnership__edition").get(
        pk=invoice_id, partnership_id=partnership_id
    )
    attach_pdf(invoice)
    with transaction.atomic():
        partnership = (
            Partnership.objects.select_for_update().select_related("edition").get(pk=partnership_id)
        )
        if partnership.receipt_sent_at is not None:
            return False
        if partnership.state not in (PartnershipState.PAID, PartnershipState.REFUNDED):
            logger.warning("No receipt for %s: it is %s", partnership.reference, partnership.state)
            return False
        invoice.partnership = partnership
        emails.receipt_message(partnership, invoice).send()
        partnership.receipt_sent_at = timezone.now()
        partnership.save(update_fields=["receipt_sent_at", "updated_at"])
    logger.info("Receipt sent for %s", partnership.reference)
    return True


@shared_task(**MAIL_TASK_OPTIONS)
def send_magic_link(partnership_id, email=None):
    """Mail a link to the partner space to `email` (default: the contact), provided it is the
    partnership's contact or billing address."""
    partnership = Partnership.objects.select_related("edition").get(pk=partnership_id)
    email = email or partnership.contact_email
    known = {partnership.contact_email.lower(), partnership.billing_email.lower()}
    if email.lower() not in known:
        logger.warning("No partner space link for %s to an unknown address", partnership.reference)
        return False
    emails.magic_link_message(partnership, email).send()
    return True
