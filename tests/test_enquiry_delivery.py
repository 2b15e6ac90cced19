"""An enquiry reaches its contact through a real SMTP server on loopback (aiosmtpd), even when
that server is down for a while: stored first, retried, then delivered exactly once."""

import datetime
import email
import socket
from contextlib import contextmanager
from email import policy

from django.core.cache import cache
from django.utils import timezone

import pytest
import time_machine
from aiosmtpd.controller import Controller
from celery.exceptions import Retry

from membership.models import Enquiry, EnquiryPage
from membership.tasks.enquiries import notify_contact, send_pending_enquiries

pytestmark = pytest.mark.django_db

CECILE = "cch@fing.org"
VISITOR = "camille.martin@grandlyon.com"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp_port(settings):
    """A free loopback port, with Django's SMTP backend pointed at it; nothing listens yet,
    so connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.clear()  # rate-limit counters (in Redis when REDIS_URL is set)
    yield port
    cache.clear()


@contextmanager
def smtp_server(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def send_enquiry(client, django_capture_on_commit_callbacks):
    """The visitor sends a partnership enquiry from the contact page; returns it and the
    callbacks its request queued for after the commit (not run yet)."""
    page = EnquiryPage.objects.get(locale__language_code="fr")
    with django_capture_on_commit_callbacks() as callbacks:
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
    assert response.status_code == 303
    return Enquiry.objects.get(), callbacks


def test_refused_then_accepted_the_contact_gets_exactly_one_e_mail(
    client, smtp_port, django_capture_on_commit_callbacks
):
    enquiry, callbacks = send_enquiry(client, django_capture_on_commit_callbacks)
    assert enquiry.routed_to.email == CECILE
    assert len(callbacks) == 2  # the notification and the acknowledgement

    # The server is down: the connection is refused and the task asks to be retried.
    with pytest.raises(Retry) as retry:
        notify_contact.delay(enquiry.pk)
    assert isinstance(retry.value.exc, ConnectionRefusedError)
    enquiry.refresh_from_db()
    assert enquiry.notified_at is None
    assert enquiry.state == Enquiry.State.NEW  # stored, waiting

    with smtp_server(smtp_port) as inbox:
        # The retry, once the server accepts: what the request queued runs now.
        for callback in callbacks:
            callback()
        # A duplicate delivery of the task (acks_late) or a second run sends nothing more.
        assert notify_contact.delay(enquiry.pk).get() is False

    [notification] = inbox.to(CECILE)
    assert len(inbox.messages) == 2
    # (Django folds the encoded subject onto a continuation line: the parser keeps its space)
    assert notification["Subject"].strip() == "Demande de contact — Partenariat — Métropole de Lyon"
    assert str(notification["Reply-To"]) == f"Camille Martin <{VISITOR}>"
    body = notification.get_body(("plain",)).get_content()
    assert "Nous aimerions devenir partenaires de Think Small." in body
    assert f"http://testserver/admin/demandes/inspect/{enquiry.pk}/" in body
    [acknowledgement] = inbox.to(VISITOR)
    assert str(acknowledgement["Reply-To"]) == f"Cécile Christodoulou <{CECILE}>"
    enquiry.refresh_from_db()
    assert enquiry.notified_at is not None
    assert enquiry.acknowledged_at is not None


def test_down_longer_than_the_retries_the_hourly_task_delivers_once(
    client, smtp_port, settings, django_capture_on_commit_callbacks
):
    enquiry, callbacks = send_enquiry(client, django_capture_on_commit_callbacks)

    # Off, Celery runs each retry in-process at once, as a worker would after the backoff:
    # every attempt is refused until the task gives up.
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    result = notify_contact.delay(enquiry.pk)
    assert result.failed()
    assert isinstance(result.result, ConnectionRefusedError)
    enquiry.refresh_from_db()
    assert enquiry.notified_at is None

    with smtp_server(smtp_port) as inbox:
        with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
            assert send_pending_enquiries.delay().get() == 2
            assert send_pending_enquiries.delay().get() == 0
        for callback in callbacks:  # the original tasks, delivered late: nothing more
            callback()

    assert len(inbox.to(CECILE)) == 1
    assert len(inbox.to(VISITOR)) == 1
    assert len(inbox.messages) == 2
