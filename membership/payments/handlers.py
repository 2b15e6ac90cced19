"""Stored Stripe events → partnership changes, through membership.services only.

`HANDLERS` maps an event type to its handler. Each handler finds the partnership by the
`partnership_reference` the gateway put in the metadata, checks what Stripe charged, and
calls the services, which are idempotent: a duplicated or late event changes nothing.

`process()` runs one stored event once (the Celery task `process_webhook_event` calls it);
`replay()` runs a stored event again, whatever became of it before.

A refund may arrive before the payment it refunds: kept "unmatched" (its payment intent isn't
known yet) or "failed" (the partnership isn't paid yet; the task retries for a while). When an
event then makes the partnership paid, that partnership's waiting refunds are processed again
once the payment is committed (`requeue_early_refunds`).
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from membership import services
from membership.models import Partnership, PartnershipState, PaymentAttempt, WebhookEvent

from . import stripe_gateway

logger = logging.getLogger(__name__)

Status = WebhookEvent.Status


class Unmatched(Exception):
    """The event names no partnership we know: it is kept for review (and replay)."""


class Rejected(Exception):
    """The event can't be applied and retrying won't change that (e.g. a wrong amount)."""

    def __init__(self, message, partnership=None):
        super().__init__(message)
        self.partnership = partnership


class PaymentNotRecordedYet(Exception):
    """A refund arrived before the payment it refunds: retried later, once the payment
    event has been processed (Stripe doesn't promise delivery order)."""


@dataclass
class Outcome:
    status: str
    partnership: Partnership | None = None
    note: str = ""


# --- Finding what an event is about -------------------------------------------------------


def _id(value) -> str:
    """An object id from an event field, expanded or not."""
    if isinstance(value, dict):
        value = value.get("id")
    return value or ""


def _metadata(obj) -> dict:
    return obj.get("metadata") or {}


def find_partnership(obj, payment_intent_id="") -> Partnership:
    """The partnership named in `obj`'s metadata (or Checkout's client_reference_id), else
    the one whose payment attempt has `payment_intent_id`. Raises Unmatched."""
    reference = _metadata(obj).get("partnership_reference") or obj.get("client_reference_id")
    if reference:
        partnership = Partnership.objects.filter(reference=reference).first()
        if partnership is None:
            raise Unmatched(f"Unknown partnership reference {reference}")
        return partnership
    if payment_intent_id:
        attempt = (
            PaymentAttempt.objects.select_related("partnership")
            .filter(payment_intent_id=payment_intent_id)
            .first()
        )
        if attempt is not None:
            return attempt.partnership
    raise Unmatched("No partnership reference in the event")


def find_attempt(partnership, obj, payment_intent_id="", session_id="") -> PaymentAttempt | None:
    """The attempt by the idempotency key in the metadata, else by Stripe's ids."""
    attempts = partnership.payment_attempts.all()
    key = _metadata(obj).get("attempt")
    if key:
        try:
            attempt = attempts.filter(idempotency_key=uuid.UUID(str(key))).first()
        except ValueError:
            attempt = None
        if attempt is not None:
            return attempt
    if payment_intent_id:
        attempt = attempts.filter(payment_intent_id=payment_intent_id).first()
        if attempt is not None:
            return attempt
    if session_id:
        return attempts.filter(checkout_session_id=session_id).first()
    return None


def record_attempt(attempt, *, status=None, payment_intent_id="", session_id="", failure=""):
    """Note Stripe's ids on the attempt, and its result. A succeeded attempt stays so."""
    if attempt is None:
        return
    fields = []
    if payment_intent_id and attempt.payment_intent_id != payment_intent_id:
        attempt.payment_intent_id = payment_intent_id
        fields.append("payment_intent_id")
    if session_id and attempt.checkout_session_id != session_id:
        attempt.checkout_session_id = session_id
        fields.append("checkout_session_id")
    if status == PaymentAttempt.Status.SUCCEEDED and attempt.status != status:
        attempt.status = status
        attempt.failure_message = ""
        fields += ["status", "failure_message"]
    elif status == PaymentAttempt.Status.FAILED and attempt.status == PaymentAttempt.Status.CREATED:
        attempt.status = status
        attempt.failure_message = failure[:1000]
        fields += ["status", "failure_message"]
    if fields:
        attempt.save(update_fields=fields)


def check_amount(partnership, amount, currency):
    """Stripe charged what the partnership owes, in its currency; else Rejected."""
    expected = stripe_gateway.amount_due(partnership)
    if amount != expected or str(currency or "").lower() != partnership.currency.lower():
        raise Rejected(
            f"amount mismatch: Stripe says {amount} {currency}, "
            f"the partnership owes {expected} {partnership.currency}",
            partnership,
        )


def _cause(event) -> str:
    return f"Stripe {event.type} ({event.stripe_id})"[:255]


def _paid(event, partnership) -> Outcome:
    if services.mark_paid(partnership, _cause(event)):
        transaction.on_commit(partial(requeue_early_refunds, partnership.pk))
    else:
        partnership.refresh_from_db(fields=["state"])
        if partnership.state == PartnershipState.CANCELLED:
            raise Rejected(
                "payment received for a cancelled partnership: to review (refund?)", partnership
            )
    return Outcome(Status.PROCESSED, partnership)


# Refunds that came before their payment wait in these states.
WAITING_REFUND = (Status.UNMATCHED, Status.FAILED)


def early_refunds(partnership):
    """The stored `charge.refunded` events still waiting (unmatched or failed) that name
    `partnership`: by reference in their metadata, or by one of its payment intents."""
    about = Q(payload__data__object__metadata__partnership_reference=partnership.reference)
    intents = list(
        partnership.payment_attempts.exclude(payment_intent_id="").values_list(
            "payment_intent_id", flat=True
        )
    )
    if intents:
        about |= Q(payload__data__object__payment_intent__in=intents)
        about |= Q(payload__data__object__payment_intent__id__in=intents)
    return WebhookEvent.objects.filter(type="charge.refunded", status__in=WAITING_REFUND).filter(
        about
    )


def requeue_early_refunds(partnership_id) -> list[int]:
    """Process again the partnership's refunds that arrived before its payment (run once the
    payment is committed). Returns the ids of the events queued."""
    from membership.tasks.payments import process_webhook_event

    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None:
        return []
    queued = []
    for event_id in early_refunds(partnership).values_list("pk", flat=True):
        # Only the call that moves the event back to "pending" queues it.
        if WebhookEvent.objects.filter(pk=event_id, status__in=WAITING_REFUND).update(
            status=Status.PENDING, error="", processed_at=None
        ):
            logger.info("Stripe event #%s: refund queued again after the payment", event_id)
            process_webhook_event.delay(event_id)
            queued.append(event_id)
    return queued


# --- Handlers -----------------------------------------------------------------------------


def checkout_session_completed(event, session) -> Outcome:
    """The partner finished Checkout. Card: paid now. SEPA debit: "unpaid" until the debit
    clears (async_payment_succeeded or _failed follows)."""
    partnership = find_partnership(session)
    payment_intent_id = _id(session.get("payment_intent"))
    attempt = find_attempt(partnership, session, payment_intent_id, session["id"])
    if session.get("payment_status") == "paid":
        check_amount(partnership, session.get("amount_total"), session.get("currency"))
        record_attempt(
            attempt,
            status=PaymentAttempt.Status.SUCCEEDED,
            payment_intent_id=payment_intent_id,
            session_id=session["id"],
        )
        return _paid(event, partnership)
    record_attempt(attempt, payment_intent_id=payment_intent_id, session_id=session["id"])
    return Outcome(Status.PROCESSED, partnership)


def checkout_session_async_payment_succeeded(event, session) -> Outcome:
    partnership = find_partnership(session)
    payment_intent_id = _id(session.get("payment_intent"))
    check_amount(partnership, session.get("amount_total"), session.get("currency"))
    record_attempt(
        find_attempt(partnership, session, payment_intent_id, session["id"]),
        status=PaymentAttempt.Status.SUCCEEDED,
        payment_intent_id=payment_intent_id,
        session_id=session["id"],
    )
    return _paid(event, partnership)


def checkout_session_async_payment_failed(event, session) -> Outcome:
    partnership = find_partnership(session)
    payment_intent_id = _id(session.get("payment_intent"))
    message = "Le prélèvement SEPA a échoué"
    record_attempt(
        find_attempt(partnership, session, payment_intent_id, session["id"]),
        status=PaymentAttempt.Status.FAILED,
        payment_intent_id=payment_intent_id,
        session_id=session["id"],
        failure=message,
    )
    services.mark_payment_failed(partnership, f"{_cause(event)}: {message}")
    return Outcome(Status.PROCESSED, partnership)


def payment_intent_succeeded(event, intent) -> Outcome:
    partnership = find_partnership(intent, intent["id"])
    amount = intent.get("amount_received") or intent.get("amount")
    check_amount(partnership, amount, intent.get("currency"))
    record_attempt(
        find_attempt(partnership, intent, intent["id"]),
        status=PaymentAttempt.Status.SUCCEEDED,
        payment_intent_id=intent["id"],
    )
    return _paid(event, partnership)


def payment_intent_payment_failed(event, intent) -> Outcome:
    partnership = find_partnership(intent, intent["id"])
    error = intent.get("last_payment_error") or {}
    message = error.get("message") or error.get("code") or "Le paiement a échoué"
    record_attempt(
        find_attempt(partnership, intent, intent["id"]),
        status=PaymentAttempt.Status.FAILED,
        payment_intent_id=intent["id"],
        failure=message,
    )
    services.mark_payment_failed(partnership, f"{_cause(event)}: {message}")
    return Outcome(Status.PROCESSED, partnership)


def charge_refunded(event, charge) -> Outcome:
    """A full refund makes the partnership "refunded"; a partial one is only recorded."""
    payment_intent_id = _id(charge.get("payment_intent"))
    partnership = find_partnership(charge, payment_intent_id)
    amount, refunded = charge.get("amount") or 0, charge.get("amount_refunded") or 0
    if not (charge.get("refunded") or (amount and refunded >= amount)):
        return Outcome(
            Status.IGNORED,
            partnership,
            f"partial refund ({refunded} of {amount} {charge.get('currency')}): state unchanged",
        )
    if not services.mark_refunded(partnership, _cause(event)):
        partnership.refresh_from_db(fields=["state"])
        if partnership.state in (PartnershipState.DRAFT, PartnershipState.AWAITING_PAYMENT):
            raise PaymentNotRecordedYet(
                f"{partnership.reference} is {partnership.state}: the refunded payment "
                "hasn't been recorded yet"
            )
    return Outcome(Status.PROCESSED, partnership)


Handler = Callable[[WebhookEvent, dict], Outcome]

HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": checkout_session_async_payment_succeeded,
    "checkout.session.async_payment_failed": checkout_session_async_payment_failed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_payment_failed,
    "charge.refunded": charge_refunded,
}


# --- Processing ---------------------------------------------------------------------------


def dispatch(event) -> Outcome:
    """What `event` does, through its handler. Raises on unexpected errors."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome(Status.IGNORED, note=f"No handler for {event.type}")
    data_object = event.payload["data"]["object"]
    try:
        return handler(event, data_object)
    except Unmatched as exc:
        logger.warning("Stripe event %s kept for review: %s", event.stripe_id, exc)
        return Outcome(Status.UNMATCHED, note=str(exc))
    except Rejected as exc:
        logger.error("Stripe event %s rejected: %s", event.stripe_id, exc)
        return Outcome(Status.FAILED, exc.partnership, str(exc))


# An event is processed while it is in one of these states; the others are final until replay.
PROCESSABLE = {Status.PENDING, Status.FAILED}


def process(event_id, *, raise_errors=True) -> WebhookEvent | None:
    """Process the stored event `event_id` unless it was already processed.

    The event's row is locked meanwhile, so two workers can't process it together. An
    unexpected error is logged and recorded (status "failed", its text) and, with
    `raise_errors`, raised again so that the Celery task retries; the handler's own changes
    are rolled back.
    """
    error = None
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            logger.warning("Stripe event #%s no longer exists", event_id)
            return None
        if event.status not in PROCESSABLE:
            return event
        event.attempts += 1
        try:
            with transaction.atomic():
                outcome = dispatch(event)
        except Exception as exc:
            logger.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
            outcome = Outcome(Status.FAILED, note=f"{type(exc).__name__}: {exc}")
            error = exc
        event.status = outcome.status
        event.error = outcome.note
        if outcome.partnership is not None:
            event.partnership = outcome.partnership
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "error", "partnership", "attempts", "processed_at"])
    if error is not None and raise_errors:
        raise error
    return event


def replay(event) -> WebhookEvent:
    """Process a stored event again, whatever its status (handlers are idempotent).

    Returns the event as it ends; an error is recorded on it rather than raised.
    """
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.PENDING, error="", processed_at=None
    )
    process(event.pk, raise_errors=False)
    event.refresh_from_db()
    return event
