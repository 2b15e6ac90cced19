"""Faults of the real services, reproduced on loopback: the broker stopped, the database
connection killed in the middle of a request, a Celery worker killed in the middle of a task.

The broker is a private `redis-server` on a free port (tests/redis_server.py), stopped and
started again by the test: CI's shared Redis and PostgreSQL are never stopped. The workers are
real ones: Celery's embedded worker in a thread of this process, or `celery -A portal worker`
as a separate process that the test kills with SIGKILL. The tests are transactional, so that
workers (other connections) see what the requests committed.
"""

import asyncio
import datetime
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from urllib.parse import quote

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.models.signals import post_save
from django.utils import timezone

import pytest
import redis as redis_client
import stripe
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging

from editions.models import EditionPage
from membership import enquiries
from membership.models import (
    Enquiry,
    EnquiryPage,
    Partnership,
    PartnershipOfferPage,
    PartnershipState,
    PaymentAttempt,
    Price,
    Tier,
    WebhookEvent,
)
from membership.tasks import payments
from membership.tasks.enquiries import send_pending_enquiries
from membership.tasks.payments import process_pending_webhook_events
from portal.celery import app
from portal.db_errors import DatabaseUnavailableMiddleware
from tests.membership_factories import make_partnership
from tests.redis_server import RedisServer, free_port
from tests.test_payments_webhooks import checkout_session, event_body

# Committed for real: workers and killers use their own connections.
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)
on_sqlite = connection.vendor != "postgresql"
kills_a_postgresql_connection = pytest.mark.skipif(
    on_sqlite,
    reason="kills the request's connection with pg_terminate_backend, which only PostgreSQL "
    "has: set DATABASE_URL to PostgreSQL (CI does)",
)
worker_process_shares_the_database = pytest.mark.skipif(
    on_sqlite,
    reason="a worker in another process can't open SQLite's in-memory test database: set "
    "DATABASE_URL to PostgreSQL (CI does)",
)

QUEUES = ["celery", "email", "payments", "search"]
CECILE = "cch@fing.org"
VISITOR = "camille.martin@grandlyon.com"
WEBHOOK_SECRET = "whsec_test_faults"
# A request that only stores something must answer at once, broker or not.
FAST_ANSWER_SECONDS = 2.0


def wait_for(condition, what, timeout=20.0):
    """Poll `condition` until it is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(0.1)


# --- The broker: a private Redis, and the app pointed at it -------------------------------------


@pytest.fixture
def redis(tmp_path):
    """A private redis-server on a free port, running; stopped after the test."""
    if not RedisServer.available():
        pytest.skip("needs the redis-server binary, to start a private broker (CI has it)")
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def _forget_broker_connections(close=False):
    """The app keeps a pool of connections to the broker it first used: forget it, so that
    the next task goes to the broker configured now. kombu keeps the pools, by URL, for
    whoever asks again; `close` closes the connections of the current one (reusable)."""
    if close and app._pool is not None:
        app._pool.force_close_all(close_pool=False)
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis, monkeypatch):
    """This process sends its tasks for real (not eagerly) to the private Redis, then goes
    back to the test settings. `app.conf` is overridden directly, and CELERY_BROKER_URL in
    the environment too: Celery reads it before any setting (CI sets it to the shared Redis)."""
    values = {"broker_url": redis.url(), "task_always_eager": False}
    changes = app.conf.changes
    saved = {key: changes[key] for key in values if key in changes}
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url())
    _forget_broker_connections()
    app.conf.update(values)
    try:
        yield redis
    finally:
        for key in values:
            changes.pop(key, None)
        changes.update(saved)
        _forget_broker_connections(close=True)


@contextmanager
def embedded_worker(monkeypatch):
    """Celery's test worker in a thread of this process, consuming every queue of the private
    broker; it leaves logging as it is (a `setup_logging` receiver tells Celery so)."""

    def keep_logging(**kwargs):
        pass

    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    saved_env = {
        key: os.environ.get(key)
        for key in ("CELERY_LOG_LEVEL", "CELERY_LOG_FILE", "CELERY_LOG_REDIRECT")
    }
    setup_logging.connect(keep_logging)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="INFO",
            queues=QUEUES,
            shutdown_timeout=15,
        ) as worker:
            yield worker
    finally:
        setup_logging.disconnect(keep_logging)
        logging.captureWarnings(False)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def errors_from(caplog, logger_name):
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == logger_name and record.levelname == "ERROR"
    ]


# --- 1. The broker stopped while a visitor sends an enquiry or Stripe a webhook ------------------


def post_enquiry(client):
    """The visitor sends a partnership enquiry from the contact page; returns the response
    and how long it took."""
    page = EnquiryPage.objects.get(locale__language_code="fr")
    started = time.monotonic()
    response = client.post(
        page.url,
        {
            "name": "Camille Martin",
            "organisation": "Métropole de Lyon",
            "email": VISITOR,
            "topic": "partnership",
            "message": "Nous aimerions devenir partenaires de Think Small.",
            "consent": "on",
            "website": "",
        },
    )
    return response, time.monotonic() - started


@transactional
def test_an_enquiry_sent_while_the_broker_is_down_is_mailed_once_it_is_back(
    client, committed_content, broker, mailoutbox, monkeypatch, caplog
):
    """Fault: Redis, the Celery broker, is stopped when a visitor sends the contact form.

    Publishing the two e-mail tasks fails (connection refused). The visitor must still get
    the thank-you page at once (no 500, no wait for kombu's connection retries), the enquiry
    must be stored unsent, and once Redis is back the periodic `send_pending_enquiries`,
    run by a real worker through the broker, must send both e-mails, once each."""
    cache.clear()  # the rate-limit counters
    broker.stop()

    response, took = post_enquiry(client)

    assert response.status_code == 303
    assert took < FAST_ANSWER_SECONDS, f"the visitor waited {took:.1f} s for the broker"
    enquiry = Enquiry.objects.get()
    assert enquiry.state == Enquiry.State.NEW
    assert (enquiry.notified_at, enquiry.acknowledged_at) == (None, None)
    assert len(errors_from(caplog, "membership.tasks.enquiries")) == 2  # both tasks, logged
    assert mailoutbox == []

    # Half an hour later (the sweep leaves younger enquiries to their own tasks), Redis is back.
    Enquiry.objects.filter(pk=enquiry.pk).update(
        created_at=timezone.now() - enquiries.PENDING_AFTER - datetime.timedelta(minutes=1)
    )
    broker.start()
    with embedded_worker(monkeypatch):
        send_pending_enquiries.delay()  # what beat sends
        wait_for(lambda: len(mailoutbox) == 2, "the two e-mails of the enquiry")
        wait_for(
            lambda: Enquiry.objects.filter(
                pk=enquiry.pk, notified_at__isnull=False, acknowledged_at__isnull=False
            ).exists(),
            "the enquiry marked as sent",
        )

    assert sorted(message.to[0] for message in mailoutbox) == sorted([CECILE, VISITOR])
    assert send_pending_enquiries() == 0  # nothing left to send, nothing sent twice
    assert len(mailoutbox) == 2


@transactional
def test_a_stripe_event_received_while_the_broker_is_down_is_processed_once_it_is_back(
    client, committed_content, broker, mailoutbox, monkeypatch, settings, caplog
):
    """Fault: Redis is stopped when Stripe delivers `checkout.session.completed`.

    The webhook can't queue the event's processing. It must still store the event and
    answer 200 at once (the event is safe: a 5xx or a timeout would only make Stripe retry
    for days), and once Redis is back `process_pending_webhook_events`, run by a real worker
    through the broker, must apply it: the partnership paid, one receipt e-mailed."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    body = event_body("checkout.session.completed", checkout_session(partnership, attempt))
    signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    broker.stop()

    started = time.monotonic()
    response = client.post(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    took = time.monotonic() - started

    assert response.status_code == 200
    assert took < FAST_ANSWER_SECONDS, f"Stripe waited {took:.1f} s for the broker"
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.PENDING
    assert errors_from(caplog, "membership.tasks.payments")
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.AWAITING_PAYMENT

    # Minutes later, Redis is back.
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - payments.PENDING_AFTER - datetime.timedelta(minutes=1)
    )
    broker.start()
    with embedded_worker(monkeypatch):
        process_pending_webhook_events.delay()  # what beat sends
        wait_for(lambda: len(mailoutbox) == 1, "the receipt of the payment")

    event.refresh_from_db()
    partnership.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEvent.Status.PROCESSED, 1)
    assert partnership.state == PartnershipState.PAID
    assert partnership.transitions.filter(to_state=PartnershipState.PAID).count() == 1
    [receipt] = mailoutbox
    assert receipt.subject.startswith("Paiement reçu")
    assert (receipt.to, receipt.cc) == ([partnership.contact_email], [partnership.billing_email])
    assert process_pending_webhook_events() == 0


@pytest.mark.django_db
def test_the_sweep_queues_only_the_events_left_pending(settings):
    """`process_pending_webhook_events` leaves a young pending event to its own task (it may
    be queued still), and an event already processed alone; what it queues is applied once."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    partnership = make_partnership(state=PartnershipState.AWAITING_PAYMENT)
    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method="card", amount_cents=partnership.total_cents
    )
    session = checkout_session(partnership, attempt)
    pending = WebhookEvent.objects.create(
        stripe_id="evt_test_left_pending",
        type="checkout.session.completed",
        payload={"data": {"object": session}},
    )
    processed = WebhookEvent.objects.create(
        stripe_id="evt_test_processed",
        type="payment_intent.succeeded",
        payload={},
        status=WebhookEvent.Status.PROCESSED,
    )

    assert process_pending_webhook_events() == 0  # too young
    long_ago = timezone.now() - payments.PENDING_AFTER - datetime.timedelta(seconds=1)
    WebhookEvent.objects.update(received_at=long_ago)
    assert process_pending_webhook_events() == 1
    assert process_pending_webhook_events() == 0

    pending.refresh_from_db()
    processed.refresh_from_db()
    assert (pending.status, pending.attempts) == (WebhookEvent.Status.PROCESSED, 1)
    assert processed.attempts == 0
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID


# --- 2. The database connection killed in the middle of a request --------------------------------

SIGNUP = {
    "legal_name": "Ville de Marseille",
    "address": "Quai du Port\n13002 Marseille",
    "country": "FR",
    "registration_number": "",
    "contact_name": "Camille Martin",
    "contact_role": "Directrice de l'innovation",
    "contact_email": "camille.martin@marseille.fr",
    "contact_phone": "+33 4 91 55 11 11",
    "membership_number": "",
    "billing_name": "Service comptable",
    "billing_email": "compta@marseille.fr",
    "purchase_order": "BC-2016-17",
    "accept_terms": "on",
}
MIDDLEWARE = "portal.db_errors.DatabaseUnavailableMiddleware"


@pytest.fixture
def offer(committed_content):
    """Think Small's offer page, with its prices."""
    edition = EditionPage.objects.get(locale__language_code="fr", start_year=2016)
    for tier, cents in ((Tier.ADHERENT, 2_000_000), (Tier.NON_MEMBER, 2_500_000)):
        Price.objects.get_or_create(edition=edition, tier=tier, defaults={"amount_cents": cents})
    page = PartnershipOfferPage.objects.child_of(edition).first()
    if page is None:
        page = edition.add_child(
            instance=PartnershipOfferPage(title="Devenir partenaire", slug="devenir-partenaire")
        )
    return page


@pytest.fixture
def database_middleware(settings):
    """The 503 middleware right after SecurityMiddleware, where the settings put it."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        after = middleware.index("django.middleware.security.SecurityMiddleware") + 1
        middleware.insert(after, MIDDLEWARE)
        settings.MIDDLEWARE = middleware


def terminate_backend(pid, timeout=5.0):
    """Kill PostgreSQL's backend `pid` from another connection, as a restart, a failover or
    an administrator would, and wait until it is gone."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            deadline = time.monotonic() + timeout
            while True:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"PostgreSQL backend {pid} still alive")
                time.sleep(0.05)
    finally:
        other.close()


@transactional
@kills_a_postgresql_connection
def test_the_database_connection_killed_during_a_sign_up_is_a_503_and_saves_nothing(
    client, offer, database_middleware, caplog
):
    """Fault: the request's PostgreSQL connection dies while the sign-up is being saved
    (the server restarted, failed over, or killed it), right after the partnership's INSERT.

    The visitor must get a clear 503 page (French and English, Retry-After) rather than a
    500; the request's transaction (ATOMIC_REQUESTS) must leave no partnership behind; the
    error must be logged; and the next request must work on a new connection."""
    before = Partnership.objects.count()
    killed = []

    def kill_the_request_connection(sender, instance, created, **kwargs):
        if killed:
            return
        with connection.cursor() as cursor:  # the request's own connection (this thread's)
            cursor.execute("SELECT pg_backend_pid()")
            [pid] = cursor.fetchone()
        terminate_backend(pid)
        killed.append(pid)

    post_save.connect(kill_the_request_connection, sender=Partnership, weak=False)
    try:
        response = client.post(offer.url + "inscription/", SIGNUP)
    finally:
        post_save.disconnect(kill_the_request_connection, sender=Partnership)

    assert killed, "the sign-up never saved a partnership"
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "Service momentanément indisponible" in html
    assert "Service temporarily unavailable" in html
    assert "/static/portal/css/site.css" in html
    assert errors_from(caplog, "portal.db_errors")

    assert Partnership.objects.count() == before  # Django reconnects; nothing was kept
    assert client.get(offer.url + "inscription/").status_code == 200


def test_the_503_page_reads_nothing_from_the_database(rf):
    """The page must render when the database is what is missing: this test has no database
    access at all (pytest-django refuses any query)."""
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(
        rf.post("/fr/nous-contacter/"), OperationalError("server closed the connection")
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Service temporarily unavailable" in response.content.decode()
    assert middleware.process_exception(rf.get("/"), ValueError("not ours")) is None


# --- 3. A worker killed in the middle of a task --------------------------------------------------


class HoldingInbox:
    """An aiosmtpd handler that holds the first message before answering its DATA, until
    released, then refuses it (451: its sender is gone by then); it keeps the others.

    A held message was never acknowledged by the server, so it was not delivered: only the
    messages in `accepted` count."""

    def __init__(self):
        self.accepted = []
        self.held = threading.Event()
        self.released = threading.Event()
        self.held_at = None
        self.data_commands = 0

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if not self.held.is_set():
            self.held_at = time.monotonic()
            self.held.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Interrupted, try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.accepted.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [message for recipients, message in self.accepted if address in recipients]


@pytest.fixture
def holding_smtp():
    """An SMTP server on a free loopback port (aiosmtpd, in this process), holding the first
    message; yields it and its port."""
    inbox = HoldingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        inbox.released.set()
        controller.stop()


def database_url() -> str:
    """The test database's URL, for a worker in another process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


WORKER_SETTINGS = """\
# The test settings, with e-mail to the test's SMTP server (test.py keeps it in memory).
from portal.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = {port}
EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 10
"""
VISIBILITY_TIMEOUT = 3


class WorkerProcess:
    """`celery -A portal worker` in its own process, as deployed (solo pool), its output in a
    file. The broker gives its unacknowledged task to another worker VISIBILITY_TIMEOUT
    seconds after delivery."""

    def __init__(self, name, tmp_path, broker_url, smtp_port):
        (tmp_path / "fault_worker_settings.py").write_text(WORKER_SETTINGS.format(port=smtp_port))
        self.log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(django_settings.BASE_DIR)]),
            "DJANGO_SETTINGS_MODULE": "fault_worker_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_SKIP_CHECKS": "1",
        }
        command = [
            os.path.join(os.path.dirname(sys.executable), "celery"),
            *("-A", "portal", "worker"),
            *("-Q", ",".join(QUEUES)),
            *("--pool", "solo", "--concurrency", "1"),
            *("-n", f"{name}@%h", "-l", "info"),
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our venv's celery, our arguments)
                command,
                cwd=django_settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self):
        """SIGKILL: no warm shutdown, nothing acknowledged or given back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers(tmp_path, broker, holding_smtp):
    """Start worker processes; each is stopped (killed if need be) after the test."""
    started = []
    _inbox, smtp_port = holding_smtp

    def start(name):
        worker = WorkerProcess(name, tmp_path, broker.url(), smtp_port)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


@transactional
@worker_process_shares_the_database
def test_a_worker_killed_while_mailing_an_enquiry_the_mail_goes_out_once(
    client, committed_content, broker, holding_smtp, workers
):
    """Fault: the worker process dies (SIGKILL: OOM killer, node lost) in the middle of
    `notify_contact`, while the SMTP server has the message but hasn't accepted it yet.

    The task is acknowledged late, so the broker hands it to the next worker once the
    visibility timeout has passed; the dead worker's transaction rolled back with its
    connection, so the enquiry is still unsent and the new worker sends it. In the end each
    e-mail was accepted by the SMTP server exactly once and the enquiry is marked sent by the
    second worker, with nothing left in the broker."""
    inbox, _port = holding_smtp
    cache.clear()
    response, _took = post_enquiry(client)  # queues notify_contact and acknowledge_enquiry
    assert response.status_code == 303
    enquiry = Enquiry.objects.get()

    first = workers("fault-first")
    try:
        wait_for(inbox.held.is_set, "the first worker to send its first e-mail", timeout=30)
    except AssertionError:
        raise AssertionError(first.log()) from None
    first.kill()
    killed_at = timezone.now()
    inbox.released.set()
    assert inbox.accepted == []
    # The message is redelivered once the visibility timeout has passed since its delivery
    # (the next worker gives back such messages when it starts).
    time.sleep(max(0.0, inbox.held_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))

    second = workers("fault-second")
    try:
        wait_for(lambda: len(inbox.accepted) == 2, "the two e-mails, from the second worker", 30)
        wait_for(
            lambda: Enquiry.objects.filter(
                pk=enquiry.pk, notified_at__isnull=False, acknowledged_at__isnull=False
            ).exists(),
            "the enquiry marked as sent",
        )
        queued = redis_client.Redis.from_url(broker.url())
        wait_for(
            lambda: queued.hlen("unacked") == 0 and queued.llen("email") == 0,
            "the broker to have nothing left to deliver",
            timeout=10,
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{second.log()}") from None
    second.stop()

    assert len(inbox.to(CECILE)) == 1
    assert len(inbox.to(VISITOR)) == 1
    assert inbox.data_commands == 3  # the interrupted attempt, then one per e-mail
    enquiry.refresh_from_db()
    assert enquiry.notified_at > killed_at and enquiry.acknowledged_at > killed_at
    assert "sent to its contact" not in first.log()
    assert second.log().count(f"Enquiry {enquiry.pk} sent to its contact") == 1
