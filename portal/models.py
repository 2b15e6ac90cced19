"""Celery tasks that failed for good, kept so that an operator sees them and runs them again.

`portal.celery` connects Celery's `task_failure` signal to `FailedTask.record()`. Celery sends
that signal only when a task ends in failure: an `autoretry_for` task raising again while it
may still retry raises `Retry`, which is not a failure; once its retries are exhausted it
raises its last exception, which is. A task given back to the queue because its worker died
(`task_reject_on_worker_lost`) is not a failure either.

One row per Celery task id. "Relancer" in the admin (portal/failed_tasks.py) sends the task
again under the same id, so a retry that fails again updates its row (`failures` counts them)
and one that succeeds marks it resolved (`task_success`, `FailedTask.task_succeeded()`).
"""

import logging

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


def exception_type_name(exception) -> str:
    """`ValueError`, `smtplib.SMTPServerDisconnected`: builtins without their module."""
    kind = type(exception)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def task_queue(task) -> str:
    """The queue the running task was taken from: the routing key of its message (each queue
    of this project is bound under its own name), else where the routes send it."""
    request = task.request
    routing_key = (getattr(request, "delivery_info", None) or {}).get("routing_key")
    if routing_key:
        return routing_key
    route = task.app.amqp.router.route({}, task.name, request.args or (), request.kwargs or {})
    queue = route.get("queue")
    return getattr(queue, "name", queue) or task.app.conf.task_default_queue


class FailedTask(models.Model):
    class Status(models.TextChoices):
        FAILED = "failed", _("À traiter")
        RETRIED = "retried", _("Relancée")
        RESOLVED = "resolved", _("Traitée")

    task_name = models.CharField(_("tâche"), max_length=255, db_index=True)
    task_id = models.CharField(_("identifiant Celery"), max_length=255, unique=True)
    args = models.JSONField(_("arguments positionnels"), default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(_("arguments nommés"), default=dict, encoder=DjangoJSONEncoder)
    queue = models.CharField(_("file d'attente"), max_length=100, blank=True)
    exception_type = models.CharField(_("type d'exception"), max_length=255)
    exception_message = models.TextField(_("message d'erreur"), blank=True)
    traceback = models.TextField(_("trace de l'erreur"), blank=True)
    failed_at = models.DateTimeField(_("dernier échec le"), default=timezone.now, db_index=True)
    retries = models.PositiveIntegerField(
        _("nouvelles tentatives de Celery"),
        default=0,
        help_text=_("Tentatives automatiques faites avant l'abandon, lors du dernier échec."),
    )
    failures = models.PositiveIntegerField(
        _("échecs"), default=1, help_text=_("Une tâche relancée peut échouer de nouveau.")
    )
    retried_at = models.DateTimeField(_("relancée le"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relancée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved = models.BooleanField(_("traitée"), default=False, db_index=True)
    resolved_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traitée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Vide quand la tâche relancée a réussi."),
    )

    class Meta:
        verbose_name = _("tâche en échec")
        verbose_name_plural = _("tâches en échec")
        ordering = ["-failed_at", "-pk"]
        # Rows are written by the workers, never added nor deleted in the admin: "view" to
        # see them, "change" to retry them or mark them resolved.
        default_permissions = ("view", "change")

    def __str__(self):
        return f"{self.task_name} [{self.task_id}]"

    @property
    def status(self) -> str:
        if self.resolved:
            return self.Status.RESOLVED
        if self.retried_at is not None and self.retried_at >= self.failed_at:
            return self.Status.RETRIED
        return self.Status.FAILED

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @classmethod
    def record(cls, task, task_id, exception, args, kwargs, einfo=None):
        """Keep (or update) the row of task `task_id`, which has just failed for good.

        Written in its own savepoint: a task run eagerly inside a transaction (a request's)
        leaves that transaction usable even if this write fails, which is logged.
        """
        values = {
            "task_name": task.name,
            "args": list(args or ()),
            "kwargs": dict(kwargs or {}),
            "queue": task_queue(task),
            "exception_type": exception_type_name(exception)[:255],
            "exception_message": str(exception),
            "traceback": str(getattr(einfo, "traceback", "") or ""),
            "failed_at": timezone.now(),
            "retries": getattr(task.request, "retries", 0) or 0,
            "resolved": False,
            "resolved_at": None,
            "resolved_by": None,
        }
        try:
            with transaction.atomic():
                failed, created = cls.objects.select_for_update().get_or_create(
                    task_id=task_id, defaults=values
                )
                if not created:
                    for name, value in values.items():
                        setattr(failed, name, value)
                    failed.failures = F("failures") + 1
                    failed.save()
                    failed.refresh_from_db(fields=["failures"])
        except DatabaseError:
            logger.exception("Could not record the failure of task %s[%s]", task.name, task_id)
            return None
        logger.warning("Task %s[%s] failed for good: %r", task.name, task_id, exception)
        return failed

    @classmethod
    def task_succeeded(cls, task_id) -> bool:
        """A task that had failed ran again and succeeded: its failure is resolved."""
        if not task_id:
            return False
        try:
            with transaction.atomic():
                return bool(
                    cls.objects.filter(task_id=task_id, resolved=False).update(
                        resolved=True, resolved_at=timezone.now(), resolved_by=None
                    )
                )
        except DatabaseError:
            logger.exception("Could not mark the failure of task %s resolved", task_id)
            return False
