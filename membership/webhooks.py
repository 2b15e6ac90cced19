"""The Stripe webhook endpoint: verify, store once, hand over to Celery.

Stripe retries a delivery until it gets a 2xx, and may deliver an event twice or out of
order. So the view does as little as possible: it refuses what isn't signed with our
secret (400, nothing stored), stores the event unique by its Stripe id, and queues its
processing once the row is committed. `membership.payments.handlers` does the rest.

A stored event is safe: the view answers 200 even when the broker is down and its
processing can't be queued (that is logged); the event then waits, "pending", for the
periodic `process_pending_webhook_events` or Stripe's next delivery of it.
"""

import logging
from functools import partial

from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import WebhookEvent
from .payments import stripe_gateway
from .tasks.payments import queue_from_webhook

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_gateway.verify_event(
            request.body, request.headers.get("Stripe-Signature", "")
        )
    except stripe_gateway.WebhookNotConfigured:
        logger.error("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return HttpResponseBadRequest("Webhook not configured", content_type="text/plain")
    except stripe_gateway.InvalidSignature as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return HttpResponseBadRequest("Invalid signature", content_type="text/plain")

    stored, created = WebhookEvent.objects.get_or_create(
        stripe_id=event.id, defaults={"type": event.type, "payload": event.payload}
    )
    # A duplicate delivery changes nothing; one whose first dispatch was lost (broker down)
    # is queued again. The task skips an event that was processed meanwhile. Queueing gives
    # up at once when the broker is down (logged; robust: so does any other error).
    if created or stored.status == WebhookEvent.Status.PENDING:
        transaction.on_commit(partial(queue_from_webhook, stored.pk), robust=True)
    return HttpResponse("OK", content_type="text/plain")
