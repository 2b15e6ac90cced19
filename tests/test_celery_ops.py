"""Production operations of the Celery side: reminders of unpaid invoices, failed tasks kept
and retried from the admin, tasks safe to run twice, and beat's schedule in the database."""

import datetime
import os
import threading
import time
from smtplib import SMTPServerDisconnected
from unittest import mock
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission, User
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.test import Client

import pytest
import time_machine
from celery import shared_task
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from membership import services
from membership.models import Invoice, PartnershipState, PaymentMethod
from membership.tasks.mail import (
    remind_unpaid_invoices,
    send_invoice,
    send_magic_link,
    send_payment_reminder,
)
from portal.celery import app
from portal.models import FailedTask
from tests.membership_factories import make_partnership

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
ISSUED = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=PARIS)
AWAITING = PartnershipState.AWAITING_PAYMENT


@pytest.fixture(autouse=True)
def eager(settings):
    """Tasks run in-process; a failing one is traced as on a worker (propagation off), so
    Celery retries it at once and, its retries spent, signals its failure."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    settings.MEMBERSHIP_BANK_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.MEMBERSHIP_BANK_BIC = "AGRIFRPP"
    return settings


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def on_day(days, hour=9, minute=5):
    """`days` days after the invoice, at the time beat runs the reminders (09:05, Paris)."""
    day = ISSUED.date() + datetime.timedelta(days=days)
    when = datetime.datetime.combine(day, datetime.time(hour, minute), PARIS)
    return time_machine.travel(when, tick=False)


def transfer_partnership(captured, **fields):
    """A partnership paying by transfer whose invoice was issued and mailed on ISSUED."""
    with time_machine.travel(ISSUED), captured(execute=True):
        partnership = make_partnership(
            state=AWAITING, payment_method=PaymentMethod.TRANSFER, **fields
        )
    invoice = Invoice.objects.get(partnership=partnership)
    assert invoice.sent_at is not None
    return partnership, invoice


def run_reminders():
    return remind_unpaid_invoices.delay().get()


# Reminders of unpaid invoices ------------------------------------------------------------------


def test_an_invoice_unpaid_after_30_days_is_reminded_once_then_every_30_days(
    mailoutbox, django_capture_on_commit_callbacks
):
    partnership, invoice = transfer_partnership(django_capture_on_commit_callbacks)
    mailoutbox.clear()  # the invoice itself

    with on_day(29):
        assert run_reminders() == 0
    with on_day(30):  # the due date: still in time
        assert run_reminders() == 0
    assert mailoutbox == []

    with on_day(31):
        assert run_reminders() == 1
    [reminder] = mailoutbox
    assert reminder.to == [partnership.billing_email]
    assert reminder.cc == [partnership.contact_email]
    assert reminder.subject == (
        f"Rappel : facture {invoice.number} en attente de paiement — partenariat Questions "
        "Numériques Think Small (2016-2017)"
    )
    [(filename, content, mimetype)] = reminder.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    with invoice.pdf.open("rb") as stored:
        assert content == stored.read()  # the invoice that was sent
    for body in (reminder.body, html_of(reminder)):
        assert f"la facture {invoice.number} du 1 mars 2027" in body
        assert "30\u00a0000,00\u00a0€ TTC" in body
        assert "au plus tard le 31 mars 2027" in body
        assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in body
        assert f"Référence du virement : {invoice.number}" in body
        assert "/fr/espace-partenaire/lien/" in body
    invoice.refresh_from_db()
    assert invoice.reminder_count == 1
    assert invoice.reminded_at == datetime.datetime(2027, 4, 1, 9, 5, tzinfo=PARIS)

    # Beat running it again the same day, and the reminder task delivered twice: nothing more.
    with on_day(31, hour=18):
        assert run_reminders() == 0
        assert send_payment_reminder.delay(invoice.pk).get() is False
    with on_day(60):  # 29 days after the reminder
        assert run_reminders() == 0
    assert len(mailoutbox) == 1

    with on_day(61):  # 30 days after it
        assert run_reminders() == 1
    assert len(mailoutbox) == 2
    invoice.refresh_from_db()
    assert invoice.reminder_count == 2
    # A reminder is no change of state: the partnership's history is left alone.
    assert list(partnership.transitions.values_list("to_state", flat=True)) == [AWAITING]


def test_a_paid_or_cancelled_partnership_gets_no_reminder(
    mailoutbox, django_capture_on_commit_callbacks
):
    paid, paid_invoice = transfer_partnership(django_capture_on_commit_callbacks)
    cancelled, _ = transfer_partnership(django_capture_on_commit_callbacks)
    with on_day(20), django_capture_on_commit_callbacks(execute=True):
        services.mark_paid(paid, "Virement reçu")
        services.cancel(cancelled, "Ne donne plus suite")
    with time_machine.travel(ISSUED):  # paid online: the invoice was issued when paid
        make_partnership(state=PartnershipState.PAID)
    mailoutbox.clear()

    with on_day(31):
        assert run_reminders() == 0
        assert send_payment_reminder.delay(paid_invoice.pk).get() is False
    assert mailoutbox == []
    assert Invoice.objects.filter(reminder_count__gt=0).count() == 0


def test_an_invoice_whose_mail_never_left_is_not_reminded(mailoutbox):
    with time_machine.travel(ISSUED):  # on_commit not run: the invoice was never mailed
        make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)

    with on_day(31):
        assert run_reminders() == 0
    assert mailoutbox == []


def test_the_reminder_is_in_the_partners_language(mailoutbox, django_capture_on_commit_callbacks):
    partnership, invoice = transfer_partnership(django_capture_on_commit_callbacks, language="en")
    mailoutbox.clear()

    with on_day(31):
        assert run_reminders() == 1
    [reminder] = mailoutbox
    assert reminder.subject == (
        f"Reminder: invoice {invoice.number} awaiting payment — Questions Numériques "
        "partnership Think Small (2016-2017)"
    )
    assert reminder.extra_headers["Content-Language"] == "en"
    assert 'lang="en"' in html_of(reminder)
    assert "€30,000.00 including VAT" in reminder.body
    assert "March 31, 2027" in reminder.body
    assert f"Transfer reference: {invoice.number}" in reminder.body
    assert "/en/espace-partenaire/lien/" in reminder.body
    assert " :" not in reminder.body
    assert " :" not in html_of(reminder)


def test_a_reminder_the_mail_server_refused_is_sent_by_the_retry(
    mailoutbox, django_capture_on_commit_callbacks
):
    _partnership, invoice = transfer_partnership(django_capture_on_commit_callbacks)
    mailoutbox.clear()
    attempts = []
    deliver = EmailBackend.send_messages

    def disconnected_once(backend, messages):
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return deliver(backend, messages)

    with on_day(31), mock.patch.object(EmailBackend, "send_messages", disconnected_once):
        assert run_reminders() == 1
    assert len(attempts) == 2
    assert len(mailoutbox) == 1
    invoice.refresh_from_db()
    assert invoice.reminder_count == 1
    assert not FailedTask.objects.exists()  # a retry is no failure


def test_the_reminder_tasks_go_to_the_email_queue():
    for name in (remind_unpaid_invoices.name, send_payment_reminder.name):
        assert app.amqp.router.route({}, name)["queue"].name == "email"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (set DATABASE_URL; CI does)",
)
def test_three_workers_reminding_the_same_invoice_send_one_reminder(committed_content, mailoutbox):
    with time_machine.travel(ISSUED):
        partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    invoice = Invoice.objects.get(partnership=partnership)
    send_invoice(invoice.pk)
    mailoutbox.clear()
    barrier = threading.Barrier(3)
    results, errors = [], []

    def remind():
        try:
            barrier.wait(timeout=10)
            results.append(send_payment_reminder(invoice.pk))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    with on_day(31):
        threads = [threading.Thread(target=remind) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [False, False, True]
    assert len(mailoutbox) == 1
    assert Invoice.objects.get(pk=invoice.pk).reminder_count == 1


# Tasks safe to run twice -----------------------------------------------------------------------


def test_a_magic_link_task_delivered_twice_sends_one_link(mailoutbox):
    partnership = make_partnership(state=AWAITING)

    assert send_magic_link.apply(args=(partnership.pk,), task_id="delivered-twice").get() is True
    assert send_magic_link.apply(args=(partnership.pk,), task_id="delivered-twice").get() is False
    assert send_magic_link.delay(partnership.pk).get() is True  # asked for again: sent again

    assert len(mailoutbox) == 2


# Failed tasks ----------------------------------------------------------------------------------


@shared_task(name="tests.test_celery_ops.write_marker")
def write_marker(path, text):
    """Writes `text` to `path`: fails (FileNotFoundError) while the folder is missing."""
    with open(path, "w") as marker:
        marker.write(text)
    return text


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("ops", "ops@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def editor(client):
    """Admin access (the Éditeurs group), no right on failed tasks."""
    user = User.objects.create_user("editrice", "editrice@example.org", "pw")
    user.groups.add(Group.objects.get(name="Éditeurs"))
    client.force_login(user)
    return user


def failing_invoice_mail(django_capture_on_commit_callbacks):
    """An invoice mail whose task fails for good: the mail server refuses every attempt."""
    with mock.patch.object(EmailBackend, "send_messages", side_effect=SMTPServerDisconnected):
        with django_capture_on_commit_callbacks(execute=True):
            partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    return Invoice.objects.get(partnership=partnership)


def test_a_task_that_fails_for_good_is_kept_once_its_retries_are_spent(
    mailoutbox, django_capture_on_commit_callbacks
):
    invoice = failing_invoice_mail(django_capture_on_commit_callbacks)

    [failed] = FailedTask.objects.all()  # one row, not one per attempt
    assert failed.task_name == "membership.tasks.mail.send_invoice"
    assert (failed.args, failed.kwargs) == ([invoice.pk], {})
    assert failed.queue == "email"
    assert failed.retries == send_invoice.max_retries
    assert failed.exception_type == "smtplib.SMTPServerDisconnected"
    assert "SMTPServerDisconnected" in failed.traceback
    assert failed.get_status_display() == "À traiter"
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    assert mailoutbox == []


def test_failed_tasks_are_listed_filtered_and_shown_with_their_traceback(
    client, superuser, tmp_path, django_capture_on_commit_callbacks
):
    failing_invoice_mail(django_capture_on_commit_callbacks)
    write_marker.delay(str(tmp_path / "missing" / "marker"), "x")
    invoice_mail = FailedTask.objects.get(task_name="membership.tasks.mail.send_invoice")
    marker = FailedTask.objects.get(task_name=write_marker.name)
    assert (marker.queue, marker.retries, marker.exception_type) == (
        "celery",
        0,
        "FileNotFoundError",
    )

    home = client.get("/admin/")
    assert "/admin/taches-en-echec/" in home.content.decode()  # in the Paramètres menu

    def listed(query=""):
        """The failed tasks the listing's results link to."""
        results = client.get(f"/admin/taches-en-echec/results/{query}").content.decode()
        return {task for task in (invoice_mail, marker) if f"/inspect/{task.pk}/" in results}

    listing = client.get("/admin/taches-en-echec/").content.decode()
    assert "membership.tasks.mail.send_invoice" in listing
    assert "FileNotFoundError" in listing
    assert listed() == {invoice_mail, marker}
    assert listed("?queue=email") == {invoice_mail}
    assert listed(f"?task_name={write_marker.name}") == {marker}
    assert listed("?status=failed") == {invoice_mail, marker}
    assert listed("?status=resolved") == set()
    assert listed("?q=SMTPServerDisconnected") == {invoice_mail}

    detail = client.get(f"/admin/taches-en-echec/inspect/{invoice_mail.pk}/").content.decode()
    assert "Traceback (most recent call last)" in detail
    assert "SMTPServerDisconnected" in detail
    assert f"/admin/taches-en-echec/relancer/{invoice_mail.pk}/" in detail
    assert f"/admin/taches-en-echec/traiter/{invoice_mail.pk}/" in detail


def test_relancer_runs_the_task_again_and_resolves_it(
    superuser, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = failing_invoice_mail(django_capture_on_commit_callbacks)
    failed = FailedTask.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    retry_url = f"/admin/taches-en-echec/relancer/{failed.pk}/"

    confirm = client.get(retry_url)
    assert confirm.status_code == 200
    assert "Oui, relancer" in confirm.content.decode()
    assert client.post(retry_url).status_code == 403  # no CSRF token: refused
    assert mailoutbox == []

    # The mail server is back: the retry (eager here, on the "email" queue in production)
    # sends the invoice and resolves the failure.
    response = client.post(retry_url, {"csrfmiddlewaretoken": confirm.context["csrf_token"]})
    assert response["Location"] == f"/admin/taches-en-echec/inspect/{failed.pk}/"
    [message] = mailoutbox
    assert invoice.number in message.subject
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    failed.refresh_from_db()
    assert failed.resolved
    assert failed.retried_by == superuser
    assert failed.retried_at is not None
    assert failed.resolved_by is None  # resolved by its success
    assert failed.get_status_display() == "Traitée"


def test_a_retry_that_fails_again_stays_to_do(
    client, superuser, tmp_path, django_capture_on_commit_callbacks
):
    folder = tmp_path / "later"
    write_marker.delay(str(folder / "marker"), "written")
    failed = FailedTask.objects.get()

    response = client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/", follow=True)
    assert "a été relancée et a échoué de nouveau" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.failures, failed.resolved) == (2, False)
    assert failed.get_status_display() == "À traiter"

    folder.mkdir()
    client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/")
    assert (folder / "marker").read_text() == "written"
    failed.refresh_from_db()
    assert failed.resolved


def test_marquer_comme_traitee(client, superuser, tmp_path):
    write_marker.delay(str(tmp_path / "missing" / "marker"), "x")
    failed = FailedTask.objects.get()

    assert client.get(f"/admin/taches-en-echec/traiter/{failed.pk}/").status_code == 200
    client.post(f"/admin/taches-en-echec/traiter/{failed.pk}/")
    failed.refresh_from_db()
    assert (failed.resolved, failed.resolved_by) == (True, superuser)
    assert failed.get_status_display() == "Traitée"

    # Resolved: no more retry (nor buttons).
    response = client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/", follow=True)
    assert "déjà marquée comme traitée" in response.content.decode()
    assert failed.retried_at is None
    detail = client.get(f"/admin/taches-en-echec/inspect/{failed.pk}/").content.decode()
    assert f"/admin/taches-en-echec/relancer/{failed.pk}/" not in detail
    resolved = client.get("/admin/taches-en-echec/results/?status=resolved").content.decode()
    assert f"/inspect/{failed.pk}/" in resolved


def test_only_users_allowed_may_see_and_retry_failed_tasks(client, editor, tmp_path):
    folder = tmp_path / "later"
    write_marker.delay(str(folder / "marker"), "x")
    failed = FailedTask.objects.get()
    folder.mkdir()  # a retry would now succeed

    assert "/admin/taches-en-echec/" not in client.get("/admin/").content.decode()
    for url in (
        "/admin/taches-en-echec/",
        f"/admin/taches-en-echec/inspect/{failed.pk}/",
        f"/admin/taches-en-echec/relancer/{failed.pk}/",
    ):
        refused = client.get(url)
        assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/")["Location"] == "/admin/"
    assert client.post(f"/admin/taches-en-echec/traiter/{failed.pk}/")["Location"] == "/admin/"

    # Allowed to look at them, not to act on them.
    editor.user_permissions.add(Permission.objects.get(codename="view_failedtask"))
    client.force_login(User.objects.get(pk=editor.pk))
    assert client.get(f"/admin/taches-en-echec/inspect/{failed.pk}/").status_code == 200
    assert client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/")["Location"] == "/admin/"

    client.logout()
    assert client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/")["Location"].startswith(
        "/admin/login/"
    )
    assert not (folder / "marker").exists()
    failed.refresh_from_db()
    assert (failed.retried_at, failed.resolved) == (None, False)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="needs a real broker: set CELERY_BROKER_URL (CI uses Redis on loopback)",
)
def test_on_a_real_worker_a_failed_task_is_kept_and_retried_on_its_queue(
    settings, tmp_path, request
):
    from celery.contrib.testing.worker import start_worker

    folder = tmp_path / "later"
    user = User.objects.create_superuser("ops", "ops@example.org", "pw")
    client = Client()
    client.force_login(user)

    def wait_for(condition):
        deadline = time.monotonic() + 20
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.1)
        return condition()

    # Celery read its configuration once: the sender must really send, not run eagerly.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    request.addfinalizer(lambda: setattr(app.conf, "task_always_eager", True))
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=["email"]
    ):
        result = write_marker.apply_async(
            (str(folder / "marker"), "from the worker"), queue="email"
        )
        assert wait_for(lambda: FailedTask.objects.filter(task_id=result.id).exists())
        failed = FailedTask.objects.get(task_id=result.id)
        assert (failed.queue, failed.exception_type) == ("email", "FileNotFoundError")

        folder.mkdir()
        client.post(f"/admin/taches-en-echec/relancer/{failed.pk}/")
        assert wait_for(lambda: FailedTask.objects.get(pk=failed.pk).resolved)
    assert (folder / "marker").read_text() == "from the worker"


# Beat: the schedule in the database ------------------------------------------------------------
# Beat runs outside any transaction, and DatabaseScheduler closes old connections as it syncs:
# these tests commit for real, like beat.


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_writes_the_settings_schedule_into_the_database(settings):
    DatabaseScheduler(app=app)  # what `celery -A portal beat` builds when it starts

    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        periodic = PeriodicTask.objects.get(name=name)
        assert periodic.task == entry["task"]
        assert periodic.enabled
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            assert (periodic.interval.every, periodic.interval.period) == (schedule, "seconds")
            assert periodic.crontab is None
        else:
            crontab = periodic.crontab
            assert (crontab.minute, crontab.hour) == (
                str(schedule._orig_minute),
                str(schedule._orig_hour),
            )
            assert (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == (
                "*",
                "*",
                "*",
            )
            assert str(crontab.timezone) == "Europe/Paris"  # 09:05 in Paris, not UTC
            assert periodic.interval is None

    reminders = PeriodicTask.objects.get(name="remind-unpaid-invoices")
    assert (reminders.crontab.hour, reminders.crontab.minute) == ("9", "5")
    assert PeriodicTask.objects.get(name="publish-scheduled-pages").interval.every == 60


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_restarting_updates_the_rows_without_duplicating_them(settings):
    from celery.schedules import crontab

    DatabaseScheduler(app=app)
    count = PeriodicTask.objects.count()
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        "remind-unpaid-invoices": {
            "task": "membership.tasks.mail.remind_unpaid_invoices",
            "schedule": crontab(hour=10, minute=30),
        },
    }

    DatabaseScheduler(app=app)

    assert PeriodicTask.objects.count() == count
    reminders = PeriodicTask.objects.get(name="remind-unpaid-invoices")
    assert (reminders.crontab.hour, reminders.crontab.minute) == ("10", "30")


def test_every_scheduled_task_exists_in_the_workers_registry(settings):
    app.loader.import_default_modules()  # what a worker (and beat) does when it starts

    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert missing == []
