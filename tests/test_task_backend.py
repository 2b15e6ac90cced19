"""Wagtail's background work (django-tasks) runs through Celery when a broker is configured."""

import os
import time

import pytest
from django_tasks import task, task_backends
from django_tasks.base import TaskResultStatus

from portal.celery import app
from portal.task_backend import CeleryBackend

CELERY_TASKS = {"default": {"BACKEND": "portal.task_backend.CeleryBackend"}}


@task()
def write_marker(path: str, text: str) -> str:
    with open(path, "w") as marker:
        marker.write(text)
    return text


@pytest.fixture
def celery_tasks(settings):
    settings.TASKS = CELERY_TASKS
    yield task_backends["default"]


def test_the_settings_choose_celery_only_with_a_broker(settings):
    from django.conf import settings as django_settings

    backend = django_settings.TASKS["default"]["BACKEND"]
    if django_settings.CELERY_BROKER_URL:
        assert backend == "portal.task_backend.CeleryBackend"
    else:
        assert backend == "django_tasks.backends.immediate.ImmediateBackend"


def test_a_task_waits_for_the_commit_then_runs_through_celery(
    db, celery_tasks, tmp_path, django_capture_on_commit_callbacks
):
    assert isinstance(celery_tasks, CeleryBackend)
    marker = tmp_path / "marker"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = write_marker.enqueue(str(marker), "ran")
        assert result.status == TaskResultStatus.READY
    assert not marker.exists()  # nothing before the commit
    for callback in callbacks:
        callback()  # eager Celery: the worker's work happens here
    assert marker.read_text() == "ran"


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="needs a real broker: set CELERY_BROKER_URL (CI uses Redis on loopback)",
)
def test_a_real_worker_runs_wagtails_tasks(celery_tasks, tmp_path, transactional_db):
    from celery.contrib.testing.worker import start_worker

    marker = tmp_path / "marker"
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            write_marker.enqueue(str(marker), "from the worker")  # autocommit: sent at once
            deadline = time.monotonic() + 20
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
    assert marker.read_text() == "from the worker"


def test_scheduled_publication_runs_once_at_a_time(db):
    from django.core.cache import cache

    from portal.tasks import PUBLISH_LOCK, publish_scheduled_pages

    cache.add(PUBLISH_LOCK, "running", timeout=60)  # another worker is publishing
    try:
        assert publish_scheduled_pages() == "skipped: another run is in progress"
    finally:
        cache.delete(PUBLISH_LOCK)
    assert publish_scheduled_pages() == "done"
    assert cache.get(PUBLISH_LOCK) is None
