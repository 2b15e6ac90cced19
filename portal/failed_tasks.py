"""The admin's "Tâches en échec" (Paramètres menu): the Celery tasks that failed for good
(`portal.models.FailedTask`), filtered by state, task, queue and date; each one's error and
traceback; "Relancer" (send the task again, by name, with its arguments, to its queue) and
"Marquer comme traitée".

Permissions (Django's, through Wagtail's model policy; superusers have them): "view" to see
the list and the details, "change" to retry and mark resolved. Nobody adds or deletes one.
"""

import datetime
import json

from django import forms
from django.contrib.admin.utils import quote
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet

import django_filters
from kombu.exceptions import OperationalError

from .celery import app
from .models import FailedTask

Status = FailedTask.Status


def filter_status(queryset, status):
    """The rows in `status` (see FailedTask.status), in SQL."""
    retried = Q(retried_at__isnull=False, retried_at__gte=F("failed_at"))
    if status == Status.RESOLVED:
        return queryset.filter(resolved=True)
    if status == Status.RETRIED:
        return queryset.filter(retried, resolved=False)
    if status == Status.FAILED:
        return queryset.filter(resolved=False).exclude(retried)
    return queryset


def registered_task(name):
    """The task called `name`, once every app's tasks module is imported (as a worker does
    when it starts: the web process only imports those it uses); None when no task has that
    name any more."""
    app.autodiscover_tasks(force=True)
    return app.tasks.get(name)


class FailedTaskFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("État"),
        choices=Status.choices,
        method="filter_by_status",
        empty_label=gettext_lazy("Tous"),
        widget=forms.RadioSelect,
    )
    task_name = django_filters.ChoiceFilter(
        label=gettext_lazy("Tâche"), choices=[], empty_label=gettext_lazy("Toutes")
    )
    queue = django_filters.ChoiceFilter(
        label=gettext_lazy("File d'attente"), choices=[], empty_label=gettext_lazy("Toutes")
    )
    failed_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Date de l'échec"), widget=DateRangePickerWidget
    )

    class Meta:
        model = FailedTask
        fields = ["status", "task_name", "queue", "failed_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("task_name", "queue"):
            values = FailedTask.objects.order_by(name).values_list(name, flat=True).distinct()
            self.filters[name].extra["choices"] = [(value, value) for value in values if value]

    def filter_by_status(self, queryset, name, value):
        return filter_status(queryset, value)


def _local(value):
    return timezone.localtime(value) if isinstance(value, datetime.datetime) else value


class FailedTaskInspectView(InspectView):
    template_name = "portal/admin/failedtask_inspect.html"
    retry_url_name = None
    resolve_url_name = None

    def get_field_label(self, field_name, field):
        if field_name == "resolved":  # shown as the state: to do, retried, resolved
            return _("État")
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        if field_name in ("args", "kwargs"):
            return json.dumps(getattr(self.object, field_name), ensure_ascii=False)
        if field_name == "resolved":
            return self.object.get_status_display()
        value = _local(super().get_field_display_value(field_name, field))
        return "—" if value is None or value == "" else value

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        may_act = self.user_has_permission("change") and not self.object.resolved
        context.update(
            {
                "retry_url": (
                    reverse(self.retry_url_name, args=[quote(self.object.pk)]) if may_act else None
                ),
                "resolve_url": (
                    reverse(self.resolve_url_name, args=[quote(self.object.pk)])
                    if may_act
                    else None
                ),
            }
        )
        return context


class FailedTaskActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm (GET) then do (POST) one action on a failed task that isn't resolved yet."""

    model = FailedTask
    permission_required = "change"
    template_name = "portal/admin/failedtask_action.html"
    header_icon = "warning"
    index_url_name = None
    inspect_url_name = None
    confirmation = ""
    button_label = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(FailedTask, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return self.object.task_name

    def get_inspect_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(FailedTask._meta.verbose_name_plural),
            },
            {"url": self.get_inspect_url(), "label": str(self.object)},
            {"url": "", "label": self.get_page_title(), "sublabel": self.object.task_name},
        ]

    def already_resolved(self):
        messages.error(
            self.request,
            _("La tâche %(task)s est déjà marquée comme traitée : rien n'a été fait.")
            % {"task": self.object.task_name},
        )
        return redirect(self.get_inspect_url())

    def get(self, request, *args, **kwargs):
        if self.object.resolved:
            return self.already_resolved()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.object.resolved:
            return self.already_resolved()
        self.perform()
        return redirect(self.get_inspect_url())

    def perform(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "object": self.object,
                "confirmation": self.confirmation,
                "button_label": self.button_label,
                "cancel_url": self.get_inspect_url(),
            }
        )
        return context


class RetryFailedTaskView(FailedTaskActionView):
    page_title = gettext_lazy("Relancer la tâche")
    button_label = gettext_lazy("Oui, relancer")
    confirmation = gettext_lazy(
        "Envoyer de nouveau cette tâche, avec les mêmes arguments, à sa file ? Les tâches "
        "du portail peuvent s'exécuter deux fois sans refaire ce qui a déjà été fait. Si elle "
        "réussit, elle sera marquée comme traitée ; si elle échoue de nouveau, elle restera "
        "dans cette liste."
    )

    def perform(self):
        failed = self.object
        task = registered_task(failed.task_name)
        if task is None:
            messages.error(
                self.request,
                _(
                    "La tâche « %(task)s » n'existe plus dans le code : elle ne peut pas "
                    "être relancée."
                )
                % {"task": failed.task_name},
            )
            return
        # Recorded first: a failure of the retry (later on a worker; right here without a
        # broker) then shows as newer than the retry, and its row as "À traiter" again.
        previous = {"retried_at": failed.retried_at, "retried_by": failed.retried_by}
        FailedTask.objects.filter(pk=failed.pk).update(
            retried_at=timezone.now(), retried_by=self.request.user
        )
        options = {"task_id": failed.task_id}
        if failed.queue:
            options["queue"] = failed.queue
        try:
            # Under the same id: a new failure updates this row, a success resolves it.
            task.apply_async(args=failed.args, kwargs=failed.kwargs, **options)
        except OperationalError as error:
            FailedTask.objects.filter(pk=failed.pk).update(**previous)
            messages.error(
                self.request,
                _("La tâche n'a pas pu être envoyée à sa file : %(error)s") % {"error": error},
            )
            return
        failed.refresh_from_db()
        names = {"task": failed.task_name, "queue": failed.queue or app.conf.task_default_queue}
        if failed.resolved:
            messages.success(
                self.request, _("La tâche %(task)s a été relancée et a réussi.") % names
            )
        elif failed.status == Status.FAILED:
            messages.error(
                self.request, _("La tâche %(task)s a été relancée et a échoué de nouveau.") % names
            )
        else:
            messages.success(
                self.request, _("La tâche %(task)s a été relancée (file « %(queue)s »).") % names
            )


class ResolveFailedTaskView(FailedTaskActionView):
    page_title = gettext_lazy("Marquer comme traitée")
    button_label = gettext_lazy("Oui, marquer comme traitée")
    confirmation = gettext_lazy(
        "Marquer cette tâche comme traitée ? Elle ne sera pas relancée ; elle reste "
        "consultable avec le filtre « Traitée »."
    )

    def perform(self):
        done = FailedTask.objects.filter(pk=self.object.pk, resolved=False).update(
            resolved=True, resolved_at=timezone.now(), resolved_by=self.request.user
        )
        if not done:  # marked meanwhile, by someone else or by its retry's success
            self.already_resolved()
            return
        messages.success(
            self.request,
            _("La tâche %(task)s est marquée comme traitée.") % {"task": self.object.task_name},
        )


class FailedTaskViewSet(ModelViewSet):
    model = FailedTask
    name = "failed_task"
    url_prefix = "taches-en-echec"
    icon = "warning"
    menu_label = gettext_lazy("Tâches en échec")
    add_to_settings_menu = True
    menu_order = 900
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = FailedTaskInspectView
    #: Rows come from the workers: no form, no deletion.
    disabled_views = ("add", "edit", "delete", "history", "usage")
    exclude_form_fields = []
    inspect_view_fields = [
        "task_name",
        "task_id",
        "queue",
        "args",
        "kwargs",
        "exception_type",
        "exception_message",
        "failed_at",
        "retries",
        "failures",
        "retried_at",
        "retried_by",
        "resolved",
        "resolved_at",
        "resolved_by",
    ]
    list_per_page = 50
    ordering = "-failed_at"
    list_display = [
        "task_name",
        Column(
            "exception_type",
            label=gettext_lazy("Erreur"),
            accessor=lambda t: f"{t.exception_type}: {t.exception_message[:120]}",
        ),
        Column("queue", label=gettext_lazy("File d'attente"), sort_key="queue"),
        DateColumn("failed_at", label=gettext_lazy("Dernier échec"), sort_key="failed_at"),
        Column("failures", label=gettext_lazy("Échecs"), sort_key="failures"),
        StatusTagColumn(
            "status",
            label=gettext_lazy("État"),
            accessor="get_status_display",
            primary=lambda t: t.resolved,
        ),
    ]
    filterset_class = FailedTaskFilterSet
    search_fields = ["task_name", "task_id", "exception_type", "exception_message"]
    search_backend_name = None

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in self.disabled_views:
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            retry_url_name=self.get_url_name("retry"),
            resolve_url_name=self.get_url_name("resolve"),
            **kwargs,
        )

    @cached_property
    def action_view_kwargs(self):
        return {
            "index_url_name": self.get_url_name("index"),
            "inspect_url_name": self.get_url_name("inspect"),
        }

    def get_urlpatterns(self):
        return [
            *(p for p in super().get_urlpatterns() if p.name not in self.disabled_views),
            path(
                "relancer/<int:pk>/",
                RetryFailedTaskView.as_view(**self.action_view_kwargs),
                name="retry",
            ),
            path(
                "traiter/<int:pk>/",
                ResolveFailedTaskView.as_view(**self.action_view_kwargs),
                name="resolve",
            ),
        ]
