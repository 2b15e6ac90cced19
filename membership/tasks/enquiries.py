"""Enquiry tasks: the e-mail to the routed contact, the acknowledgement to the visitor (both
retried with exponential backoff on SMTP and network errors), the periodic catch-up of what
they could not send or could not queue, and the daily retention purge.

Each e-mail is sent once in normal operation: in one transaction, the task claims it with a
conditional UPDATE of its timestamp (`notified_at`, `acknowledged_at`: set where still empty),
which locks the row on any database, sends the message, then commits. A second run waits for
the first one's commit and then finds nothing to claim, so a task delivered twice, or queued
again by `send_pending_enquiries`, sends nothing more. A failure to send rolls the claim back
for the retry; so does a worker killed before the commit (its transaction dies with its
connection), and the task, acknowledged late, runs again elsewhere. A crash between the SMTP
server's acceptance and the commit may therefore send a message twice; committing the claim
before sending could lose it instead.

The request that stores an enquiry queues its two e-mails with `queue_from_request`, which
gives up at once when the broker is down: the visitor gets their answer, the enquiry stays
unsent, and `send_pending_enquiries` queues it once the broker is back.
"""

import logging
from smtplib import SMTPException

from django.db import transaction
from django.utils import timezone

from celery import shared_task
from celery.exceptions import OperationalError

from .. import enquiries
from ..models import Enquiry

logger = logging.getLogger(__name__)

# About 27 minutes of attempts (2 s, 4 s, … then every 10 minutes, with jitter); after that,
# `send_pending_enquiries` queues the enquiry again at each of its runs (beat) for a week.
ENQUIRY_MAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 10,
    "acks_late": True,
}


# How a request publishes: one immediate retry of the broker connection, no more. kombu's
# default policy holds the request about 0.6 s per task while the broker refuses connections,
# and `retry=False` longer still (it waits for broker_connection_timeout, about 6 s in all).
QUEUE_FROM_REQUEST = {
    "retry": True,
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.1,
    },
}


def queue_from_request(task, enquiry_id) -> bool:
    """Queue `task` for the stored enquiry, from the request that stored it (on commit).

    When the broker can't be reached, log it and return False instead of keeping the visitor
    waiting: the e-mail stays unsent, and `send_pending_enquiries` queues it later."""
    try:
        task.apply_async((enquiry_id,), **QUEUE_FROM_REQUEST)
    except OperationalError as error:
        logger.error(
            "Enquiry %s is stored but %s could not be queued, the broker is unreachable (%s): "
            "send_pending_enquiries will queue it",
            enquiry_id,
            task.name,
            error,
        )
        return False
    return True


def _send_once(enquiry_id, sent_at_field, build_message):
    """Claim, send and mark one of the enquiry's e-mails (see the module's docstring);
    False when it was sent already, the enquiry is spam or no longer exists."""
    with transaction.atomic():
        now = timezone.now()
        claimed = (
            Enquiry.objects.filter(pk=enquiry_id, **{f"{sent_at_field}__isnull": True})
            .exclude(state=Enquiry.State.SPAM)
            .update(**{sent_at_field: now, "updated_at": now})
        )
        if not claimed:
            if not Enquiry.objects.filter(pk=enquiry_id).exists():
                logger.warning("Enquiry %s no longer exists: no e-mail sent", enquiry_id)
            return False
        enquiry = Enquiry.objects.select_related("routed_to", "edition").get(pk=enquiry_id)
        build_message(enquiry).send()
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
    """Queue again the e-mails of enquiries still unsent after their tasks' retries, or never
    queued because the broker was down when they arrived (beat). Returns how many tasks were
    queued; each sends nothing if its e-mail went out meanwhile."""
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
