"""The Stripe gateway: what it sends Stripe over HTTP, and which webhook bodies it trusts."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import stripe

from membership.models import PartnershipState, PaymentAttempt
from membership.payments import stripe_gateway
from tests.membership_factories import make_partnership

SECRET = "whsec_test_gateway"


class FakeStripeAPI:
    """Records the requests it gets and answers each with a canned JSON object.

    A fake, for what no real peer here can do: localstripe has no Checkout Sessions, and
    api.stripe.com is unreachable. It stands at the HTTP layer only, so the real stripe
    client encodes and sends the gateway's parameters.
    """

    def __init__(self):
        self.requests = []
        self.status = 200
        self.response = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)}
                )
                payload = json.dumps(fake.response).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def last(self):
        request = self.requests[-1]
        return request, {key: values[0] for key, values in request["form"].items()}


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripeAPI()
    fake.thread.start()
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = "sk_test_gateway"
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def partnership(db):
    return make_partnership(state=PartnershipState.AWAITING_PAYMENT)


def new_attempt(partnership, method="card"):
    return PaymentAttempt.objects.create(
        partnership=partnership, method=method, amount_cents=partnership.total_cents
    )


def start_checkout(partnership, attempt, methods=("card",)):
    return stripe_gateway.create_checkout_session(
        partnership,
        attempt,
        methods=list(methods),
        success_url="https://portal.example/fr/done/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://portal.example/fr/confirm/",
    )


SESSION = {
    "id": "cs_test_a1",
    "object": "checkout.session",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
    "payment_status": "unpaid",
    "status": "open",
}


# --- Checkout Session ---------------------------------------------------------------------------


def test_a_checkout_session_asks_for_the_partnership_amount_by_card(fake_stripe, partnership):
    fake_stripe.response = SESSION
    attempt = new_attempt(partnership)

    session = start_checkout(partnership, attempt)

    assert session == stripe_gateway.CheckoutSession(id="cs_test_a1", url=SESSION["url"])
    request, form = fake_stripe.last
    assert request["path"] == "/v1/checkout/sessions"
    headers = request["headers"]
    assert headers["Idempotency-Key"] == str(attempt.idempotency_key)
    assert headers["Stripe-Version"] == stripe_gateway.API_VERSION
    assert headers["Authorization"] == "Bearer sk_test_gateway"
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "1"
    assert (
        form["line_items[0][price_data][unit_amount]"]
        == str(partnership.total_cents)
        == "3000000"  # the non-member price, 25 000 €, plus 20 % VAT
    )
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][product_data][name]"] == (
        f"Questions Numériques — partenariat {partnership.edition.title}"
    )
    # API 2026-10-28.endive has no `payment_method_types` on session creation.
    assert request["form"]["allowed_payment_method_types[0]"] == ["card"]
    assert not any(key.startswith("payment_method_types") for key in form)
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert form[f"{prefix}[partnership_reference]"] == partnership.reference
        assert form[f"{prefix}[attempt]"] == str(attempt.idempotency_key)
    assert form["client_reference_id"] == partnership.reference
    assert form["customer_email"] == partnership.billing_email
    assert form["locale"] == "fr"
    assert form["success_url"].endswith("?session_id={CHECKOUT_SESSION_ID}")
    assert form["cancel_url"] == "https://portal.example/fr/confirm/"


def test_a_sepa_checkout_for_an_english_speaking_partner(fake_stripe, db):
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT, language="en")
    fake_stripe.response = SESSION

    start_checkout(partnership, new_attempt(partnership, "sepa_debit"), methods=["sepa_debit"])

    request, form = fake_stripe.last
    assert request["form"]["allowed_payment_method_types[0]"] == ["sepa_debit"]
    assert form["locale"] == "en"


def test_one_attempt_is_one_idempotency_key(fake_stripe, partnership):
    fake_stripe.response = SESSION
    attempt, other = new_attempt(partnership), new_attempt(partnership)

    start_checkout(partnership, attempt)
    start_checkout(partnership, attempt)
    start_checkout(partnership, other)

    keys = [request["headers"]["Idempotency-Key"] for request in fake_stripe.requests]
    assert keys == [str(attempt.idempotency_key)] * 2 + [str(other.idempotency_key)]


def test_only_card_and_sepa_debit_are_offered(fake_stripe, partnership):
    with pytest.raises(ValueError):
        start_checkout(partnership, new_attempt(partnership), methods=["transfer"])
    with pytest.raises(ValueError):
        start_checkout(partnership, new_attempt(partnership), methods=[])
    assert fake_stripe.requests == []


def test_a_stripe_refusal_is_a_gateway_error_safe_to_show(fake_stripe, partnership, caplog):
    fake_stripe.status = 400
    fake_stripe.response = {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_invalid_integer",
            "message": "Invalid integer: sk_live_do_not_show",
            "param": "line_items[0][price_data][unit_amount]",
        }
    }

    with pytest.raises(stripe_gateway.GatewayError) as error:
        start_checkout(partnership, new_attempt(partnership))

    assert "sk_live_do_not_show" not in str(error.value)
    assert "paiement en ligne" in str(error.value)
    assert error.value.code == "parameter_invalid_integer"
    assert "Invalid integer" in error.value.detail
    assert partnership.reference in caplog.text


def test_without_a_secret_key_nothing_is_sent(fake_stripe, partnership, settings):
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(stripe_gateway.GatewayError):
        start_checkout(partnership, new_attempt(partnership))
    assert fake_stripe.requests == []


# --- PaymentIntent --------------------------------------------------------------------------


def test_a_payment_intent_carries_the_amount_metadata_and_idempotency_key(fake_stripe, partnership):
    fake_stripe.response = {
        "id": "pi_test_1",
        "object": "payment_intent",
        "client_secret": "pi_test_1_secret_x",
        "status": "requires_payment_method",
    }
    attempt = new_attempt(partnership)

    intent = stripe_gateway.create_payment_intent(partnership, attempt)

    assert intent == stripe_gateway.PaymentIntent(
        id="pi_test_1", client_secret="pi_test_1_secret_x", status="requires_payment_method"
    )
    request, form = fake_stripe.last
    assert request["path"] == "/v1/payment_intents"
    assert request["headers"]["Idempotency-Key"] == str(attempt.idempotency_key)
    assert request["headers"]["Stripe-Version"] == stripe_gateway.API_VERSION
    assert form == {
        "amount": "3000000",
        "currency": "eur",
        "metadata[partnership_reference]": partnership.reference,
        "metadata[attempt]": str(attempt.idempotency_key),
    }


def test_the_pinned_api_version_is_the_one_the_client_library_is_typed_for():
    """Upgrading stripe-python changes the typed params: re-pin API_VERSION deliberately
    (and the webhook endpoint's version in Stripe's dashboard) when this fails."""
    assert stripe_gateway.API_VERSION == stripe.api_version


# --- Webhook verification -------------------------------------------------------------------


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def signed(body, *, secret=SECRET, timestamp=None):
    return body.encode(), stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp
    )


EVENT = json.dumps(
    {
        "id": "evt_test_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": 1_790_000_000,
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
        "api_version": stripe_gateway.API_VERSION,
        "livemode": False,
    }
)


def test_a_signed_event_is_read(webhook_secret):
    event = stripe_gateway.verify_event(*signed(EVENT))

    assert (event.id, event.type, event.created) == (
        "evt_test_1",
        "payment_intent.succeeded",
        1_790_000_000,
    )
    assert event.data_object == {"id": "pi_1", "object": "payment_intent"}
    assert event.payload == json.loads(EVENT)


@pytest.mark.parametrize(
    "payload, header",
    [
        pytest.param(*signed(EVENT, secret="whsec_other"), id="other-secret"),
        pytest.param(EVENT.replace("pi_1", "pi_2").encode(), signed(EVENT)[1], id="tampered-body"),
        pytest.param(*signed(EVENT, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(EVENT.encode(), "", id="no-header"),
        pytest.param(EVENT.encode(), "v1=abc", id="no-timestamp"),
        pytest.param(*signed("{not json"), id="not-json"),
        pytest.param(*signed('{"object": "charge"}'), id="not-an-event"),
        pytest.param(*signed('{"object": "event", "id": "evt_1"}'), id="incomplete"),
        pytest.param(b"\xff\xfe", "t=1,v1=00", id="not-utf8"),
    ],
)
def test_an_untrustworthy_body_is_refused(webhook_secret, payload, header):
    with pytest.raises(stripe_gateway.InvalidSignature):
        stripe_gateway.verify_event(payload, header)


def test_a_body_signed_a_few_minutes_ago_is_accepted(webhook_secret):
    event = stripe_gateway.verify_event(*signed(EVENT, timestamp=int(time.time()) - 240))
    assert event.id == "evt_test_1"


def test_without_a_webhook_secret_nothing_is_trusted(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(stripe_gateway.WebhookNotConfigured):
        stripe_gateway.verify_event(*signed(EVENT, secret=""))
