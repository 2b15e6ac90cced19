"""The Celery application, configured from Django settings (CELERY_* names).

Tasks that fail for good are kept in the database (`portal.models.FailedTask`, listed in the
admin under Paramètres → Tâches en échec, where they can be run again): the receivers below
are connected wherever this module is imported, which `portal/__init__.py` does in the web
process, in workers and in beat alike.
"""

import os

from celery import Celery
from celery.signals import task_failure, task_success

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect(dispatch_uid="portal.record_failed_task")
def record_failed_task(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra):
    """Sent once a task has failed for good (never for `Retry`, which is not a failure)."""
    from portal.models import FailedTask

    FailedTask.record(sender, task_id, exception, args, kwargs, einfo=extra.get("einfo"))


@task_success.connect(dispatch_uid="portal.resolve_failed_task")
def resolve_failed_task(sender=None, **extra):
    """A failed task run again (under its id) that succeeds resolves its failure."""
    from portal.models import FailedTask

    FailedTask.task_succeeded(getattr(sender.request, "id", None))
