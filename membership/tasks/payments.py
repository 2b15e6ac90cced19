"""Payment tasks: processing the Stripe events the webhook stored."""

from celery import shared_task

from membership.payments import handlers


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
