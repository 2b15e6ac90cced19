"""Payment tasks: processing the Stripe events the webhook stored.

The webhook queues each event's processing once it is stored (`queue_from_webhook`). When the
broker is down at that moment the event stays "pending" in the database and the webhook still
answers 200, since the event is safe; `process_pending_webhook_events` (beat) queues the
events left pending once the broker is back. Processing is idempotent (`handlers.process`
locks the event's row and skips an event already processed), so an event queued twice by the
webhook, Stripe's redelivery and the sweep is applied once.
"""

import datetime
import logging

from django.utils import timezone

from celery import shared_task
from celery.exceptions import OperationalError

from membership.models import WebhookEvent
from membership.payments import handlers

logger = logging.getLogger(__name__)

# A stored event still pending this long after it arrived has no task coming: it was never
# queued (the broker was down) or its message was lost. Longer than a normal queue's delay.
PENDING_AFTER = datetime.timedelta(minutes=5)

# How the webhook publishes: one immediate retry of the broker connection, no more, so that a
# broker that is down doesn't hold Stripe's request (kombu's default policy waits about 0.6 s
# while connections are refused, `retry=False` about 6 s).
QUEUE_FROM_WEBHOOK = {
    "retry": True,
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.1,
    },
}


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
)
def process_webhook_event(self, event_id):
    """Apply the stored WebhookEvent `event_id` (once: a processed event is skipped).

    Acknowledged after it ran, so a worker lost mid-way leaves the message for another
    worker; an unexpected error is recorded on the event and retried with backoff.
    """
    event = handlers.process(event_id)
    return event.status if event is not None else None


def queue_from_webhook(event_id) -> bool:
    """Queue the processing of the stored event `event_id`, from the webhook (on commit).

    When the broker can't be reached, log it and return False: the event stays pending and
    `process_pending_webhook_events` queues it later (as does Stripe's next delivery)."""
    try:
        process_webhook_event.apply_async((event_id,), **QUEUE_FROM_WEBHOOK)
    except OperationalError as error:
        logger.error(
            "Stripe event #%s is stored but its processing could not be queued, the broker is "
            "unreachable (%s): process_pending_webhook_events will queue it",
            event_id,
            error,
        )
        return False
    return True


@shared_task
def process_pending_webhook_events():
    """Queue again the stored events still pending PENDING_AFTER after they arrived, oldest
    first (beat). Returns how many were queued; each is applied once whatever the number of
    times it is queued."""
    event_ids = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING,
            received_at__lt=timezone.now() - PENDING_AFTER,
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    for event_id in event_ids:
        process_webhook_event.delay(event_id)
    if event_ids:
        logger.warning("%d Stripe events were still pending: queued again", len(event_ids))
    return len(event_ids)
