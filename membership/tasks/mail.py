"""E-mail tasks: invoices, receipts, magic links. All retried on SMTP and network errors.

`send_invoice` sends each invoice at most once, and `send_receipt` at most one receipt per
partnership, in normal operation: the row (invoice, partnership) is locked, its `sent_at` /
`receipt_sent_at` checked, the message sent, then the time saved in the same transaction.
If the process dies after the SMTP server accepted the message but before the transaction
commits, the time stays empty and the (late-acknowledged) task runs again: the partner may
then get the message twice. We chose that over the opposite order (mark, commit, then send),
where the same crash would lose the message and nobody would know: a duplicate is harmless,
a missing invoice or receipt is not.
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
    """Mail the invoice (PDF attached) to the billing contact, the contact in copy, once
    (see the module's docstring). Returns True when this call sent it."""
    invoice = Invoice.objects.select_related("partnership__edition").get(pk=invoice_id)
    if invoice.sent_at is not None:
        return False
    attach_pdf(invoice)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().only("pk", "sent_at").get(pk=invoice_id)
        if locked.sent_at is not None:
            return False
        emails.invoice_message(invoice).send()
        locked.sent_at = timezone.now()
        locked.save(update_fields=["sent_at"])
    logger.info("Invoice %s sent", invoice.number)
    return True


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
    partnership's contact or billing address. The link is signed for that address and opens
    the space only while it remains one of the partnership's two addresses.

    When the contact's e-mail address changes, `send_magic_link.delay(partnership.pk)` (on
    commit) sends the new contact their link; links sent to the old address stop working."""
    partnership = Partnership.objects.select_related("edition").get(pk=partnership_id)
    email = email or partnership.contact_email
    known = {partnership.contact_email.lower(), partnership.billing_email.lower()}
    if email.lower() not in known:
        logger.warning("No partner space link for %s to an unknown address", partnership.reference)
        return False
    emails.magic_link_message(partnership, email).send()
    return True
