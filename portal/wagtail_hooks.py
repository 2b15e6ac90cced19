from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin_views import TranslationReportView
from .failed_tasks import FailedTaskViewSet


@hooks.register("register_admin_urls")
def register_translation_report_urls():
    return [
        path(
            "reports/translations/",
            TranslationReportView.as_view(),
            name="translation_report",
        ),
        path(
            "reports/translations/results/",
            TranslationReportView.as_view(results_only=True),
            name="translation_report_results",
        ),
    ]


class TranslationReportMenuItem(MenuItem):
    def is_shown(self, request):
        return TranslationReportView.permission_policy.user_has_any_permission(
            request.user, TranslationReportView.any_permission_required
        )


@hooks.register("register_reports_menu_item")
def register_translation_report_menu_item():
    return TranslationReportMenuItem(
        _("État des traductions"),
        reverse("translation_report"),
        name="translation-report",
        icon_name="globe",
        order=1000,
    )


@hooks.register("register_admin_viewset")
def register_failed_tasks_viewset():
    return FailedTaskViewSet()
