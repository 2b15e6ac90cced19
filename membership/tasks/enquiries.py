"""Enquiry tasks: the e-mail to the routed contact, the acknowledgement to the visitor (both
retried with exponential backoff on SMTP and network errors), the hourly catch-up of what
they could not send, and the daily retention purge.

Each e-mail is sent once in normal operation, as `send_receipt` in `mail.py` is: the enquiry
row is locked, its timestamp (`notified_at`, `acknowledged_at`) checked, the message sent,
then the timestamp saved in the same transaction. A task delivered twice, or queued again by
`send_pending_enquiries`, therefore sends nothing more. A crash between the SMTP server's
acceptance and the commit may send a message twice; the opposite order could lose it.
"""

import logging
from smtplib import SMTPException

from django.db import transaction
from django.utils import timezone

from celery import shared_task

from .. import enquiries
from ..models import Enquiry

logger = logging.getLogger(__name__)

# About 27 minutes of attempts (2 s, 4 s, … then every 10 minutes, with jitter); after that,
# `send_pending_enquiries` queues the enquiry again every hour for a week.
ENQUIRY_MAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 10,
    "acks_late": True,
}


def _send_once(enquiry_id, sent_at_field, build_message):
    with transaction.atomic():
        enquiry = (
            Enquiry.objects.select_for_update(of=("self",))
            .select_related("routed_to", "edition")
            .filter(pk=enquiry_id)
            .first()
        )
        if enquiry is None:
            logger.warning("Enquiry %s no longer exists: no e-mail sent", enquiry_id)
            return False
        if getattr(enquiry, sent_at_field) is not None or enquiry.state == Enquiry.State.SPAM:
            return False
        build_message(enquiry).send()
        setattr(enquiry, sent_at_field, timezone.now())
        enquiry.save(update_fields=[sent_at_field, "updated_at"])
    return True


@shared_task(**ENQUIRY_MAIL_TASK_OPTIONS)
def notify_contact(enquiry_id):
    """E-mail the enquiry to its contact, once. Returns True when this call sent it."""
    sent = _send_once(enquiry_id, "notified_at", enquiries.notification_message)
    if sent:
        logger.info("Enquiry %s sent to its contact", enquiry_id)
    return sent


@shared_task(**ENQUIRY_MAIL_TASK_OPTIONS)
def acknowledge_enquiry(enquiry_id):
    """E-mail the visitor that their enquiry arrived, once. Returns True when this call sent it."""
    sent = _send_once(enquiry_id, "acknowledged_at", enquiries.acknowledgement_message)
    if sent:
        logger.info("Enquiry %s acknowledged to its sender", enquiry_id)
    return sent


@shared_task
def send_pending_enquiries():
    """Queue again the e-mails of enquiries still unsent after their tasks' retries (beat,
    hourly). Returns how many tasks were queued."""
    to_notify, to_acknowledge = enquiries.pending()
    queued = 0
    for enquiry_id in to_notify:
        notify_contact.delay(enquiry_id)
        queued += 1
    for enquiry_id in to_acknowledge:
        acknowledge_enquiry.delay(enquiry_id)
        queued += 1
    if queued:
        logger.warning("%d enquiry e-mails were late: queued again", queued)
    return queued


@shared_task
def purge_expired_enquiries():
    """Delete the enquiries older than ENQUIRY_RETENTION_DAYS (beat, daily); returns how many."""
    return enquiries.purge_expired()
