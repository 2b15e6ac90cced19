"""E-mail tasks: invoices, receipts, magic links, reminders of unpaid invoices. All retried on
SMTP and network errors.

`send_invoice` sends each invoice at most once, and `send_receipt` at most one receipt per
partnership, in normal operation: the row (invoice, partnership) is locked, its `sent_at` /
`receipt_sent_at` checked, the message sent, then the time saved in the same transaction.
If the process dies after the SMTP server accepted the message but before the transaction
commits, the time stays empty and the (late-acknowledged) task runs again: the partner may
then get the message twice. We chose that over the opposite order (mark, commit, then send),
where the same crash would lose the message and nobody would know: a duplicate is harmless,
a missing invoice or receipt is not.

`send_payment_reminder` works the same way on the invoice's `reminded_at`, so that at most
one reminder goes out per invoice and period whatever the number of workers, beat runs or
deliveries of the task. `send_magic_link` is asked for by the partner, as often as they like;
a delivery of the same task message twice sends one link (see `_sent_by_this_task`).
"""

import datetime
import logging
from smtplib import SMTPException

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from celery import shared_task

from .. import emails
from ..documents import PAYMENT_TERM_DAYS, attach_pdf
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


def _sent_by_this_task(task) -> str | None:
    """The cache key saying that this very task message (its id) already sent its e-mail, for
    tasks that no row of the database tracks. Shared by the workers when the cache is Redis
    (REDIS_URL); per process otherwise."""
    task_id = task.request.id
    return f"membership:mail-sent:{task.name}:{task_id}" if task_id else None


@shared_task(bind=True, **MAIL_TASK_OPTIONS)
def send_magic_link(self, partnership_id, email=None):
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
    sent_key = _sent_by_this_task(self)
    if sent_key and cache.get(sent_key):
        return False  # the same message delivered again (acks_late, broker redelivery)
    emails.magic_link_message(partnership, email).send()
    if sent_key:
        cache.set(sent_key, True, timeout=24 * 3600)
    return True


# Reminders of unpaid invoices ------------------------------------------------------------------

REMINDER_INTERVAL_DAYS = 30
"""Days between two reminders of the same invoice."""


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def reminder_due(today: datetime.date | None = None) -> Q:
    """The invoices to remind on `today` (local date): sent, still unpaid (their partnership
    awaits the payment: neither paid, refunded nor cancelled), past their due date (issued
    more than PAYMENT_TERM_DAYS days ago) and not reminded in the last REMINDER_INTERVAL_DAYS
    days. Counted in calendar days, so the daily run's exact time doesn't matter."""
    today = today or timezone.localdate()
    overdue = _start_of(today - datetime.timedelta(days=PAYMENT_TERM_DAYS))
    last_period = _start_of(today - datetime.timedelta(days=REMINDER_INTERVAL_DAYS - 1))
    return (
        Q(partnership__state=PartnershipState.AWAITING_PAYMENT)
        & Q(sent_at__isnull=False)
        & Q(issued_at__lt=overdue)
        & (Q(reminded_at__isnull=True) | Q(reminded_at__lt=last_period))
    )


def reminder_message(invoice):
    """The reminder of an unpaid invoice, to the billing contact with the contact in copy, in
    the partner's language: the amount, the due date that has passed, the bank details and
    the invoice (PDF attached, which must be stored) and the link to the partner space.

    Built with the helpers the other partner e-mails use (membership.emails)."""
    partnership = invoice.partnership
    to, cc = emails._recipients(partnership.billing_email, partnership.contact_email)
    context = emails._context(partnership, to[0], invoice)
    with translation.override(partnership.language):
        subject = _(
            "Rappel : facture %(number)s en attente de paiement — partenariat Questions "
            "Numériques %(edition)s"
        ) % {"number": invoice.number, "edition": context["edition"]}
    with invoice.pdf.open("rb") as pdf:
        attachment = (f"{invoice.number}.pdf", pdf.read())
    return emails._message("payment_reminder", subject, context, to, cc, attachment)


@shared_task(**MAIL_TASK_OPTIONS)
def send_payment_reminder(invoice_id):
    """Mail one reminder of the unpaid invoice `invoice_id` if it is still due one today
    (`reminder_due`), and record it on the invoice (`reminded_at`, `reminder_count`).

    The partnership's row is locked first (a payment recorded meanwhile waits, or is seen),
    then the invoice's, and the conditions are read again under the locks: two workers, or
    the same task delivered twice, send one reminder. Returns True when this call sent it."""
    invoice = Invoice.objects.select_related("partnership__edition").get(pk=invoice_id)
    if not Invoice.objects.filter(reminder_due(), pk=invoice_id).exists():
        return False
    attach_pdf(invoice)
    with transaction.atomic():
        Partnership.objects.select_for_update().only("pk").get(pk=invoice.partnership_id)
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .filter(reminder_due(), pk=invoice_id)
            .only("pk", "reminded_at", "reminder_count")
            .first()
        )
        if locked is None:
            return False
        reminder_message(invoice).send()
        locked.reminded_at = timezone.now()
        locked.reminder_count += 1
        locked.save(update_fields=["reminded_at", "reminder_count"])
    logger.info("Invoice %s: payment reminder %d sent", invoice.number, locked.reminder_count)
    return True


@shared_task
def remind_unpaid_invoices():
    """Queue the reminder of every invoice due one today (beat, daily; `reminder_due`).

    Each reminder is its own task on the e-mail queue, retried on its own; running this
    twice the same day queues them twice and sends them once. Returns how many were queued."""
    invoice_ids = list(
        Invoice.objects.filter(reminder_due()).order_by("pk").values_list("pk", flat=True)
    )
    for invoice_id in invoice_ids:
        send_payment_reminder.delay(invoice_id)
    if invoice_ids:
        logger.info("%d unpaid invoice reminders queued", len(invoice_ids))
    return len(invoice_ids)
