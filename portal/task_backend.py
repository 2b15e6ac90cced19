"""Wagtail's background work (django-tasks) handed to Celery.

Wagtail 8 enqueues its own tasks (search index and reference index updates, file deletion,
image focal points) through django-tasks. With a Celery broker configured, this backend
sends each one, after the current transaction commits, to the Celery task
``portal.tasks.run_django_task``, which imports the task by its path and runs it in a worker;
without a broker the settings choose django-tasks' immediate backend instead.
"""

import logging

from django.db import transaction

from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)
# Publishing from a request: one retry, at once, then give up.
QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class CeleryBackend(BaseTaskBackend):
    supports_defer = True

    def enqueue(self, task, args, kwargs):
        from .tasks import run_django_task

        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        options = {"task_id": result.id, "queue": self.options.get("QUEUE", "celery")}
        if task.run_after is not None:
            options["eta"] = task.run_after
        # robust, with one quick retry: a broker that is down must not turn the editor's save
        # into an error page. What Wagtail's tasks maintain (search and reference indexes) is
        # rebuilt by `update_index` / `rebuild_references_index`; the failure is logged.
        transaction.on_commit(
            lambda: _send(run_django_task, (task.module_path, result.args, result.kwargs), options),
            robust=True,
        )
        return result


def _send(celery_task, args, options):
    try:
        celery_task.apply_async(args, retry_policy=QUICK_RETRY, **options)
    except OperationalError as error:
        logger.error("Could not queue %s, the broker is unreachable: %s", args[0], error)
