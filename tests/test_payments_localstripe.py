"""End to end against localstripe: a PaymentIntent created through the gateway, confirmed with
the test card, and localstripe's signed `payment_intent.succeeded` webhook, POSTed over HTTP
to the live server, makes the partnership "paid".

localstripe (GPL) is a test-only dependency, started by tests/localstripe_server.py on
loopback with its own state file.
"""

import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import stripe

from membership.models import Invoice, PartnershipState, PaymentAttempt, WebhookEvent
from membership.payments import stripe_gateway
from tests.membership_factories import make_partnership

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SERVER = Path(__file__).with_name("localstripe_server.py")
API_KEY = "sk_test_localstripe"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.2)


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    """localstripe's URL, on a free loopback port, for this module."""
    state = tmp_path_factory.mktemp("localstripe")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = state / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 (our own script, fixed arguments)
            [sys.executable, str(SERVER), "--port", str(port), "--state", str(state)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def answers():
        if server.poll() is not None:
            pytest.fail(f"localstripe exited:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(url + "/v1/balance", timeout=1)  # noqa: S310 (loopback)
        except urllib.error.HTTPError:
            return True  # 401 without a key: it is up
        except OSError:
            return False
        return True

    try:
        wait_until(answers, 15, "localstripe did not start within 15 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def register_webhook(localstripe, url, secret):
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{localstripe}/_config/webhooks/portal", data=data, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert response.status == 200


def test_a_card_payment_through_localstripe_ends_paid(
    localstripe, live_server, committed_content, settings, mailoutbox
):
    secret = "whsec_" + secrets.token_hex(16)
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = secret
    settings.CELERY_TASK_ALWAYS_EAGER = True
    register_webhook(localstripe, live_server.url + "/stripe/webhook/", secret)

    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    intent = stripe_gateway.create_payment_intent(partnership, attempt)
    assert intent.status == "requires_payment_method"
    attempt.payment_intent_id = intent.id
    attempt.save(update_fields=["payment_intent_id"])

    # What Stripe.js does in the partner's browser: attach the test card, confirm.
    client = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe})
    client.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"

    def paid_and_recorded():
        # the live server's thread commits the payment, then the event's status
        partnership.refresh_from_db()
        return (
            partnership.state == PartnershipState.PAID
            and WebhookEvent.objects.filter(
                type="payment_intent.succeeded", status=WebhookEvent.Status.PROCESSED
            ).exists()
        )

    wait_until(paid_and_recorded, 15, f"still {partnership.state} 15 s after the payment")

    event = WebhookEvent.objects.get(type="payment_intent.succeeded")
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.partnership == partnership
    assert event.payload["data"]["object"]["id"] == intent.id
    assert Invoice.objects.filter(partnership=partnership).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED
    wait_until(lambda: len(mailoutbox) == 1, 5, "no receipt")
