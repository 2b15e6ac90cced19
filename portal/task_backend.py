"""Wagtail's background work (django-tasks) handed to Celery.

Wagtail 8 enqueues its own tasks (search index and reference index updates, file deletion,
image focal points) through django-tasks. With a Celery broker configured, this backend
sends each one, after the current transaction commits, to the Celery task
``portal.tasks.run_django_task``, which imports the task by its path and runs it in a worker;
without a broker the settings choose django-tasks' immediate backend instead.
"""

from django.db import transaction

from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id


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
        transaction.on_commit(
            lambda: run_django_task.apply_async(
                (task.module_path, result.args, result.kwargs), **options
            )
        )
        return result
