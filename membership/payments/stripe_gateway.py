"""Stripe, behind plain functions and dataclasses. The only module of the project that
imports `stripe`; the API version it speaks is pinned in `API_VERSION`.

    session = create_checkout_session(partnership, attempt, methods=["card"], …)
    event = verify_event(request.body, request.headers.get("Stripe-Signature", ""))

Errors from Stripe come out as `GatewayError` (its text can be shown to the partner); a
webhook body that cannot be trusted comes out as `InvalidSignature`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext

import stripe
from stripe.params import PaymentIntentCreateParams
from stripe.params.checkout import SessionCreateParams

logger = logging.getLogger(__name__)

# The API version every request is sent with (the version stripe-python 16.1 is generated
# from). Events are rendered in the version of the endpoint set in Stripe's dashboard: keep
# that one equal to this.
API_VERSION = "2026-10-28.endive"

# A signed webhook older than this (seconds) is refused, so a captured body can't be replayed.
WEBHOOK_TOLERANCE = 300

# Seconds a request to Stripe may take (connecting and reading), and how many times a request
# that failed on the network is sent again. The partner waits for these requests: at worst
# (1 + NETWORK_RETRIES) × HTTP_TIMEOUT, plus the client's short backoff, then "unavailable".
HTTP_TIMEOUT = 15
NETWORK_RETRIES = 1

# The online payment methods Checkout may offer, as Stripe names them.
METHODS = frozenset({"card", "sepa_debit"})

PRODUCT_NAME = "Questions Numériques — partenariat {edition}"


class GatewayError(Exception):
    """Stripe refused or could not be reached. `str()` is safe to show to the partner;
    `detail` (logged) says what Stripe answered."""

    def __init__(self, message: str, *, detail: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail
        self.code = code


class InvalidSignature(Exception):
    """A webhook body whose signature, timestamp or format can't be trusted."""


class WebhookNotConfigured(InvalidSignature):
    """No webhook signing secret is configured, so no webhook can be trusted."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    client_secret: str
    status: str


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data_object: dict[str, Any]
    created: int
    payload: dict[str, Any] = field(repr=False, default_factory=dict)


class _Edition(Protocol):
    title: str


class Payable(Protocol):
    """What the gateway reads of a partnership (membership.models.Partnership)."""

    reference: str
    amount_cents: int
    total_cents: int
    currency: str
    language: str
    contact_email: str
    billing_email: str
    edition: _Edition


class Attempt(Protocol):
    """What the gateway reads of a payment attempt (membership.models.PaymentAttempt)."""

    idempotency_key: uuid.UUID


def amount_due(partnership: Payable) -> int:
    """The amount charged online for `partnership`, in cents: the invoice's gross amount
    (VAT included). Webhook handlers check Stripe's amounts against it."""
    return int(partnership.total_cents)


def metadata(partnership: Payable, attempt: Attempt) -> dict[str, str]:
    """What Stripe keeps on the session, the payment intent and its charge, and sends back
    in every event: how a webhook finds its partnership and its attempt."""
    return {
        "partnership_reference": str(partnership.reference),
        "attempt": str(attempt.idempotency_key),
    }


def create_checkout_session(
    partnership: Payable,
    attempt: Attempt,
    *,
    methods: Sequence[str],
    success_url: str,
    cancel_url: str,
) -> CheckoutSession:
    """A Stripe Checkout Session for paying `partnership` once; redirect the partner to `.url`.

    `methods` is a subset of METHODS (["card"] or ["sepa_debit"]). Retrying with the same
    `attempt` sends the same idempotency key, so Stripe returns the same session.
    """
    unknown = set(methods) - METHODS
    if not methods or unknown:
        raise ValueError(f"Unsupported payment methods: {sorted(unknown) or 'none'}")
    meta = metadata(partnership, attempt)
    product = PRODUCT_NAME.format(edition=partnership.edition.title)
    # API 2026-09-30.endive removed `payment_method_types` from session creation:
    # `allowed_payment_method_types` restricts the session to these methods.
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": _currency(partnership),
                    "unit_amount": amount_due(partnership),
                    "product_data": {"name": product},
                },
            }
        ],
        "allowed_payment_method_types": list(methods),
        "customer_email": str(partnership.billing_email or partnership.contact_email),
        "client_reference_id": str(partnership.reference),
        "locale": _locale(partnership),
        "metadata": meta,
        "payment_intent_data": {
            "metadata": meta,
            "description": f"{product} ({partnership.reference})",
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    try:
        session = _client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": str(attempt.idempotency_key)}
        )
    except stripe.StripeError as exc:
        raise _gateway_error(exc, "checkout session", partnership) from exc
    if not session.url:
        raise GatewayError(_unavailable(), detail=f"Checkout session {session.id} has no URL")
    return CheckoutSession(id=session.id, url=session.url)


def create_payment_intent(partnership: Payable, attempt: Attempt) -> PaymentIntent:
    """A PaymentIntent for `partnership`, confirmed by the client with its `client_secret`
    (Stripe's payment element). Same metadata and idempotency as the Checkout path."""
    params: PaymentIntentCreateParams = {
        "amount": amount_due(partnership),
        "currency": _currency(partnership),
        "metadata": metadata(partnership, attempt),
    }
    try:
        intent = _client().v1.payment_intents.create(
            params=params, options={"idempotency_key": str(attempt.idempotency_key)}
        )
    except stripe.StripeError as exc:
        raise _gateway_error(exc, "payment intent", partnership) from exc
    if not intent.client_secret:
        raise GatewayError(_unavailable(), detail=f"Payment intent {intent.id} has no secret")
    return PaymentIntent(id=intent.id, client_secret=intent.client_secret, status=intent.status)


def verify_event(payload: bytes, signature_header: str) -> Event:
    """The event Stripe signed, from a webhook's raw body and its Stripe-Signature header.

    Raises InvalidSignature when the signature doesn't match STRIPE_WEBHOOK_SECRET, the
    timestamp is older than WEBHOOK_TOLERANCE, or the body isn't a Stripe event;
    WebhookNotConfigured when no secret is set.
    """
    secret = str(settings.STRIPE_WEBHOOK_SECRET or "")
    if not secret.strip():
        raise WebhookNotConfigured("STRIPE_WEBHOOK_SECRET is not set")
    if not signature_header:
        raise InvalidSignature("No Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE
        )
        body = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(exc.user_message or "Invalid signature") from exc
    except ValueError as exc:  # not UTF-8, not JSON
        raise InvalidSignature(f"Unreadable body: {exc}") from exc
    if not isinstance(body, dict) or body.get("object") != "event":
        raise InvalidSignature("The body is not a Stripe event")
    try:
        event_id, event_type = str(body["id"]), str(body["type"])
        data_object = body["data"]["object"]
        created = int(body.get("created") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidSignature(f"Incomplete Stripe event: {exc!r}") from exc
    if not isinstance(data_object, dict):
        raise InvalidSignature("The event has no data object")
    return Event(
        id=event_id, type=event_type, data_object=data_object, created=created, payload=body
    )


def _client() -> stripe.StripeClient:
    api_key = str(settings.STRIPE_SECRET_KEY or "")
    if not api_key:
        raise GatewayError(_unavailable(), detail="STRIPE_SECRET_KEY is not set")
    api_base = str(settings.STRIPE_API_BASE or "")
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses={"api": api_base} if api_base else None,
        # Retries reuse the request's idempotency key, so they can't charge twice.
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT),
    )


def _currency(partnership: Payable) -> str:
    return str(partnership.currency).lower()


def _locale(partnership: Payable) -> str:
    return "fr" if str(partnership.language).startswith("fr") else "en"


def _unavailable() -> str:
    return str(
        gettext(
            "Le paiement en ligne est momentanément indisponible. Réessayez dans quelques "
            "minutes ou choisissez le paiement par virement."
        )
    )


def _gateway_error(exc: stripe.StripeError, what: str, partnership: Payable) -> GatewayError:
    logger.warning(
        "Stripe refused to create a %s for %s: %s (status %s, code %s, request %s)",
        what,
        partnership.reference,
        exc.user_message,
        exc.http_status,
        exc.code,
        exc.request_id,
    )
    return GatewayError(_unavailable(), detail=str(exc), code=exc.code)
