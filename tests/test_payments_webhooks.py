"""Stripe webhooks as Stripe sends them: signed JSON bodies POSTed to /stripe/webhook/.

The bodies are signed with `stripe.WebhookSignature.generate_signature_header`, so the real
verification path runs; Celery runs the processing task eagerly, after the request commits.
"""

import json
import threading
import time
import uuid
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import Client

import pytest
import stripe
from celery.exceptions import Retry

from membership.models import (
    Invoice,
    Partnership,
    PartnershipState,
    PartnershipTransition,
    PaymentAttempt,
    WebhookEvent,
)
from membership.payments import handlers
from membership.payments.stripe_gateway import API_VERSION
from membership.tasks.payments import process_webhook_event
from tests.membership_factories import make_partnership

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_payments_webhooks"
URL = "/stripe/webhook/"


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    # CI sets CELERY_BROKER_URL, which turns eager mode off: these tests run the task inline.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


# --- Stripe-format bodies ---------------------------------------------------------------------


def new_id(prefix):
    return f"{prefix}_test_{uuid.uuid4().hex[:20]}"


def event_body(event_type, data_object, *, event_id=None, created=None):
    return json.dumps(
        {
            "id": event_id or new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": data_object},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )


def stripe_metadata(partnership, attempt=None):
    key = str(attempt.idempotency_key) if attempt else str(uuid.uuid4())
    return {"partnership_reference": partnership.reference, "attempt": key}


def checkout_session(partnership, attempt, *, payment_status="paid", amount=None, **fields):
    return {
        "id": new_id("cs"),
        "object": "checkout.session",
        "amount_total": partnership.total_cents if amount is None else amount,
        "currency": "eur",
        "client_reference_id": partnership.reference,
        "customer_email": partnership.billing_email,
        "metadata": stripe_metadata(partnership, attempt),
        "mode": "payment",
        "payment_intent": new_id("pi"),
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "status": "complete",
        **fields,
    }


def payment_intent(partnership, attempt, *, pi_id, status="succeeded", **fields):
    succeeded = status == "succeeded"
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": partnership.total_cents,
        "amount_received": partnership.total_cents if succeeded else 0,
        "currency": "eur",
        "metadata": stripe_metadata(partnership, attempt),
        "status": status,
        "last_payment_error": None
        if succeeded
        else {"code": "card_declined", "message": "Your card was declined."},
        **fields,
    }


def charge(partnership, *, pi_id, amount_refunded=None, metadata=None):
    amount = partnership.total_cents
    refunded = amount if amount_refunded is None else amount_refunded
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "currency": "eur",
        "metadata": {} if metadata is None else metadata,
        "payment_intent": pi_id,
        "refunded": refunded == amount,
        "status": "succeeded",
    }


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a body as Stripe does; the task queued on commit runs (eagerly) before return."""

    def deliver(body, *, secret=SECRET, timestamp=None, signature=None, execute=True):
        if signature is None:
            signature = stripe.WebhookSignature.generate_signature_header(
                body, secret, timestamp=timestamp
            )
        headers = {"Stripe-Signature": signature} if signature else {}
        with django_capture_on_commit_callbacks(execute=execute):
            return client.post(URL, data=body, content_type="application/json", headers=headers)

    return deliver


@pytest.fixture
def awaiting():
    """A partnership sent to Stripe Checkout by card, and its payment attempt."""
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    return partnership, attempt


def paid_transitions(partnership):
    return PartnershipTransition.objects.filter(partnership=partnership, to_state="paid").count()


# --- Payment ----------------------------------------------------------------------------------


def test_a_completed_checkout_makes_the_partnership_paid(deliver, awaiting, mailoutbox):
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt)

    response = deliver(event_body("checkout.session.completed", session))

    assert response.status_code == 200
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert paid_transitions(partnership) == 1
    assert len(mailoutbox) == 1  # the receipt
    assert partnership.billing_email in mailoutbox[0].to + mailoutbox[0].cc
    assert partnership.receipt_sent_at is not None
    event = WebhookEvent.objects.get()
    assert (event.type, event.status, event.partnership) == (
        "checkout.session.completed",
        WebhookEvent.Status.PROCESSED,
        partnership,
    )
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED
    assert attempt.checkout_session_id == session["id"]
    assert attempt.payment_intent_id == session["payment_intent"]


def test_a_payment_intent_succeeded_makes_the_partnership_paid(deliver, awaiting, mailoutbox):
    partnership, attempt = awaiting

    deliver(
        event_body("payment_intent.succeeded", payment_intent(partnership, attempt, pi_id="pi_1"))
    )

    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert len(mailoutbox) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_id) == ("succeeded", "pi_1")


# --- What must change nothing -----------------------------------------------------------------


def assert_nothing_changed(partnership):
    assert WebhookEvent.objects.count() == 0
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT
    assert not Invoice.objects.filter(partnership=partnership).exists()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: {"body": body, "secret": "whsec_guessed"}, id="other-secret"),
        pytest.param(
            lambda body: {
                "body": body.replace('"payment_status": "unpaid"', '"payment_status": "paid"'),
                "signature": stripe.WebhookSignature.generate_signature_header(body, SECRET),
            },
            id="tampered-body",
        ),
        pytest.param(lambda body: {"body": body, "signature": "t=1,v1=00ff"}, id="garbage"),
        pytest.param(lambda body: {"body": body, "signature": ""}, id="no-header"),
    ],
)
def test_a_forged_webhook_is_refused_and_changes_nothing(deliver, awaiting, forge, mailoutbox):
    partnership, attempt = awaiting
    body = event_body(
        "checkout.session.completed",
        checkout_session(partnership, attempt, payment_status="unpaid"),
    )
    arguments = forge(body)

    response = deliver(arguments.pop("body"), **arguments)

    assert response.status_code == 400
    assert_nothing_changed(partnership)
    assert mailoutbox == []


def test_a_stale_webhook_is_refused(deliver, awaiting):
    partnership, attempt = awaiting
    body = event_body("checkout.session.completed", checkout_session(partnership, attempt))

    response = deliver(body, timestamp=int(time.time()) - 600)

    assert response.status_code == 400
    assert_nothing_changed(partnership)


def test_a_signed_body_that_is_not_an_event_is_refused(deliver):
    assert deliver("not json").status_code == 400
    assert deliver(json.dumps({"object": "charge", "id": "ch_1"})).status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_without_a_configured_secret_every_webhook_is_refused(deliver, awaiting, settings, caplog):
    partnership, attempt = awaiting
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = event_body("checkout.session.completed", checkout_session(partnership, attempt))

    response = deliver(body, secret="whsec_anything")

    assert response.status_code == 400
    assert any(
        r.levelname == "ERROR" and "STRIPE_WEBHOOK_SECRET" in r.message for r in caplog.records
    )
    assert_nothing_changed(partnership)


def test_the_endpoint_only_accepts_post(client):
    assert client.get(URL).status_code == 405


def test_one_event_delivered_five_times_and_events_out_of_order_pay_once(
    deliver, awaiting, mailoutbox
):
    """Card: completed ×5, the payment intent's own success, then a late failure."""
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt)
    completed = event_body("checkout.session.completed", session)
    pi = session["payment_intent"]

    responses = [deliver(completed) for _ in range(5)]
    responses.append(
        deliver(
            event_body("payment_intent.succeeded", payment_intent(partnership, attempt, pi_id=pi))
        )
    )
    failed = payment_intent(partnership, attempt, pi_id=pi, status="requires_payment_method")
    responses.append(deliver(event_body("payment_intent.payment_failed", failed)))

    assert [r.status_code for r in responses] == [200] * 7
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert Partnership.objects.filter(state=PartnershipState.PAID).count() == 1
    assert paid_transitions(partnership) == 1
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert len(mailoutbox) == 1
    assert WebhookEvent.objects.count() == 3
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED


def test_sepa_success_before_the_completed_checkout_pays_once(deliver, awaiting, mailoutbox):
    """SEPA debit: async_payment_succeeded arrives (×5) before checkout.session.completed
    ("unpaid", the debit was processing when the partner left Checkout)."""
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt)
    succeeded = event_body("checkout.session.async_payment_succeeded", session)
    completed = event_body("checkout.session.completed", {**session, "payment_status": "unpaid"})

    responses = [deliver(succeeded) for _ in range(5)] + [deliver(completed), deliver(completed)]
    responses.append(
        deliver(
            event_body(
                "payment_intent.succeeded",
                payment_intent(partnership, attempt, pi_id=session["payment_intent"]),
            )
        )
    )

    assert all(r.status_code == 200 for r in responses)
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert paid_transitions(partnership) == 1
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert len(mailoutbox) == 1
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED


def test_a_processing_sepa_debit_waits_then_its_failure_is_recorded(deliver, awaiting):
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt, payment_status="unpaid")

    deliver(event_body("checkout.session.completed", session))

    partnership.refresh_from_db()
    attempt.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT
    assert attempt.payment_intent_id == session["payment_intent"]
    assert attempt.status == PaymentAttempt.Status.CREATED
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED

    deliver(event_body("checkout.session.async_payment_failed", session))

    partnership.refresh_from_db()
    attempt.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT
    assert attempt.status == PaymentAttempt.Status.FAILED
    assert attempt.failure_message
    assert not Invoice.objects.filter(partnership=partnership).exists()


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"amount_total": 100}, id="amount"),
        pytest.param({"currency": "usd"}, id="currency"),
    ],
)
def test_a_payment_of_the_wrong_amount_does_not_pay(deliver, awaiting, fields, mailoutbox):
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt, **fields)

    response = deliver(event_body("checkout.session.completed", session))

    assert response.status_code == 200
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT
    assert not Invoice.objects.filter(partnership=partnership).exists()
    assert mailoutbox == []
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.error.startswith("amount mismatch")
    assert event.partnership == partnership


def test_an_unhandled_event_type_is_stored_and_ignored(deliver):
    deliver(event_body("customer.created", {"id": "cus_1", "object": "customer"}))

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


# --- Unknown references, replay ----------------------------------------------------------------


def test_an_event_for_an_unknown_reference_is_kept_then_replayed(
    deliver, mailoutbox, django_capture_on_commit_callbacks
):
    reference = "QN-" + uuid.uuid4().hex[:8].upper()
    session = {
        "id": new_id("cs"),
        "object": "checkout.session",
        "amount_total": 3_000_000,  # 25 000 € + 20 % VAT
        "currency": "eur",
        "client_reference_id": reference,
        "metadata": {"partnership_reference": reference, "attempt": str(uuid.uuid4())},
        "payment_intent": new_id("pi"),
        "payment_status": "paid",
    }
    partnerships = Partnership.objects.count()

    response = deliver(event_body("checkout.session.completed", session))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.UNMATCHED
    assert reference in event.error
    assert Partnership.objects.count() == partnerships
    assert not Invoice.objects.exists()

    # The partnership turns up (e.g. restored from a backup): the operator replays.
    partnership = make_partnership(
        state=PartnershipState.AWAITING_PAYMENT, reference=reference, amount_cents=2_500_000
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_webhook_events", "--status", "unmatched", stdout=out)

    assert f"{event.stripe_id} checkout.session.completed: unmatched → processed" in out.getvalue()
    event.refresh_from_db()
    assert (event.status, event.partnership) == (WebhookEvent.Status.PROCESSED, partnership)
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert len(mailoutbox) == 1


def test_replaying_a_processed_event_changes_nothing(deliver, awaiting, mailoutbox):
    partnership, attempt = awaiting
    deliver(event_body("checkout.session.completed", checkout_session(partnership, attempt)))
    event = WebhookEvent.objects.get()

    out = StringIO()
    call_command("replay_webhook_events", str(event.pk), event.stripe_id, stdout=out)

    assert "processed → processed" in out.getvalue()
    assert paid_transitions(partnership) == 1
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert len(mailoutbox) == 1


def test_the_replay_command_needs_a_selection():
    with pytest.raises(CommandError):
        call_command("replay_webhook_events")
    with pytest.raises(CommandError, match="evt_nope"):
        call_command("replay_webhook_events", "evt_nope")


# --- Refunds ----------------------------------------------------------------------------------


def pay(deliver, partnership, attempt):
    session = checkout_session(partnership, attempt)
    deliver(event_body("checkout.session.completed", session))
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    return session["payment_intent"]


def test_a_full_refund_makes_the_partnership_refunded(deliver, awaiting, mailoutbox):
    partnership, attempt = awaiting
    pi = pay(deliver, partnership, attempt)

    # The charge carries no metadata: the partnership is found by its payment intent.
    refund = event_body("charge.refunded", charge(partnership, pi_id=pi))
    assert deliver(refund).status_code == 200
    assert deliver(refund).status_code == 200

    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.REFUNDED
    assert partnership.transitions.filter(to_state="refunded").count() == 1
    assert len(mailoutbox) == 1  # the receipt of the payment, nothing more


def test_a_partial_refund_is_recorded_without_changing_the_state(deliver, awaiting):
    partnership, attempt = awaiting
    pi = pay(deliver, partnership, attempt)

    deliver(
        event_body(
            "charge.refunded",
            charge(
                partnership,
                pi_id=pi,
                amount_refunded=50_000,
                metadata=stripe_metadata(partnership, attempt),
            ),
        )
    )

    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    event = WebhookEvent.objects.get(type="charge.refunded")
    assert event.status == WebhookEvent.Status.IGNORED
    assert "partial refund" in event.error


def test_a_refund_delivered_before_its_payment_is_retried(deliver, awaiting):
    """Stripe doesn't promise order: the refund waits (task retry) for the payment."""
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt)
    pi = session["payment_intent"]
    refund = event_body(
        "charge.refunded", charge(partnership, pi_id=pi, metadata=session["metadata"])
    )

    deliver(refund, execute=False)  # stored; its task hasn't run yet
    event = WebhookEvent.objects.get()
    with pytest.raises(handlers.PaymentNotRecordedYet):
        handlers.process(event.pk)  # what the Celery worker runs; it will retry
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert "hasn't been recorded yet" in event.error

    deliver(event_body("checkout.session.completed", session))
    handlers.process(event.pk)  # the retry

    event.refresh_from_db()
    partnership.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.attempts == 2
    assert partnership.state == PartnershipState.REFUNDED


def test_a_refund_unmatched_before_its_payment_is_applied_once_the_payment_arrives(
    deliver, awaiting, mailoutbox
):
    """The charge names no partnership, and its payment intent isn't known until the checkout
    event: the refund is kept "unmatched", then applied once that event pays."""
    partnership, attempt = awaiting
    session = checkout_session(partnership, attempt)
    deliver(event_body("charge.refunded", charge(partnership, pi_id=session["payment_intent"])))
    deliver(event_body("charge.refunded", charge(partnership, pi_id=new_id("pi"))))  # another
    refund, other = WebhookEvent.objects.order_by("received_at", "pk")
    assert refund.status == other.status == WebhookEvent.Status.UNMATCHED

    deliver(event_body("checkout.session.completed", session))

    partnership.refresh_from_db()
    refund.refresh_from_db()
    other.refresh_from_db()
    assert partnership.state == PartnershipState.REFUNDED
    assert [t.to_state for t in partnership.transitions.all()][-2:] == ["paid", "refunded"]
    assert refund.status == WebhookEvent.Status.PROCESSED
    assert refund.partnership == partnership
    assert other.status == WebhookEvent.Status.UNMATCHED  # not this partnership's
    assert len(mailoutbox) == 1  # the receipt of the payment


def test_a_refund_that_gave_up_waiting_is_applied_once_the_payment_arrives(deliver, awaiting):
    """The refund names the partnership but came first: its retries ran out ("failed")."""
    partnership, attempt = awaiting
    pi = new_id("pi")
    refund = event_body(
        "charge.refunded",
        charge(partnership, pi_id=pi, metadata=stripe_metadata(partnership, attempt)),
    )
    deliver(refund, execute=False)
    event = WebhookEvent.objects.get()
    handlers.process(event.pk, raise_errors=False)  # the worker's last retry
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED

    deliver(event_body("payment_intent.succeeded", payment_intent(partnership, attempt, pi_id=pi)))

    partnership.refresh_from_db()
    event.refresh_from_db()
    assert partnership.state == PartnershipState.REFUNDED
    assert event.status == WebhookEvent.Status.PROCESSED
    assert partnership.transitions.filter(to_state="refunded").count() == 1


# --- The task -----------------------------------------------------------------------------------


def test_an_unexpected_error_is_recorded_and_the_task_retries(deliver, awaiting):
    partnership, attempt = awaiting
    intent = payment_intent(partnership, attempt, pi_id="pi_broken")
    del intent["id"]  # a body this code doesn't understand
    deliver(event_body("payment_intent.succeeded", intent), execute=False)
    event = WebhookEvent.objects.get()

    # A worker would schedule the retry with backoff; eager mode raises it instead.
    with pytest.raises(Retry) as retry:
        process_webhook_event.delay(event.pk)

    assert isinstance(retry.value.exc, KeyError)
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEvent.Status.FAILED, 1)
    assert event.error.startswith("KeyError")
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT


def test_a_redelivery_queues_an_event_whose_task_was_lost(deliver, awaiting):
    """The broker lost the first task (or was down): Stripe's next delivery gets it done."""
    partnership, attempt = awaiting
    body = event_body("checkout.session.completed", checkout_session(partnership, attempt))

    deliver(body, execute=False)  # stored, its task never runs
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PENDING
    deliver(body)

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID


def test_the_task_skips_an_event_already_processed(deliver, awaiting):
    partnership, attempt = awaiting
    deliver(event_body("checkout.session.completed", checkout_session(partnership, attempt)))
    event = WebhookEvent.objects.get()

    assert process_webhook_event.delay(event.pk).get() == "processed"

    event.refresh_from_db()
    assert event.attempts == 1


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (set DATABASE_URL; CI does)",
)
def test_simultaneous_deliveries_pay_once(committed_content, mailoutbox):
    """Ten deliveries at once (the same checkout event ×5, its payment intent's ×5): each
    request commits for real and runs its task, so the locks decide."""
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    session = checkout_session(partnership, attempt)
    intent = payment_intent(partnership, attempt, pi_id=session["payment_intent"])
    bodies = [event_body("checkout.session.completed", session)] * 5 + [
        event_body("payment_intent.succeeded", intent)
    ] * 5
    barrier = threading.Barrier(len(bodies))
    statuses = []

    def deliver(body):
        signature = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        try:
            barrier.wait(timeout=10)
            response = Client().post(
                URL,
                data=body,
                content_type="application/json",
                headers={"Stripe-Signature": signature},
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * len(bodies)
    assert WebhookEvent.objects.count() == 2
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    assert paid_transitions(partnership) == 1
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    assert len(mailoutbox) == 1


# --- The Stripe client ------------------------------------------------------------------------


def test_a_stripe_api_that_does_not_answer_times_out_after_one_retry(settings, monkeypatch):
    """Stripe not answering must not hold the partner's request for minutes: each request
    times out (HTTP_TIMEOUT) and is sent once more, then the gateway gives up."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from membership.payments import stripe_gateway

    requests = []
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_POST(self):
            requests.append(self.path)
            release.wait(timeout=10)  # never answers in time

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_SECRET_KEY = "sk_test_timeout"
    assert (stripe_gateway.HTTP_TIMEOUT, stripe_gateway.NETWORK_RETRIES) == (15, 1)
    monkeypatch.setattr(stripe_gateway, "HTTP_TIMEOUT", 0.5)  # not to wait 2 × 15 s here
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    started = time.monotonic()
    try:
        with pytest.raises(stripe_gateway.GatewayError):
            stripe_gateway.create_checkout_session(
                partnership,
                attempt,
                methods=["card"],
                success_url="http://testserver/ok",
                cancel_url="http://testserver/ko",
            )
        elapsed = time.monotonic() - started
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert len(requests) == 2  # the request and its one retry
    assert elapsed < 5
