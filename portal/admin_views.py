import datetime

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Locale
from wagtail.permission_policies.pages import PagePermissionPolicy

from .translation_status import STATUS_LABELS, translation_statuses


class TranslationReportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[("", _("Tous"))] + list(STATUS_LABELS.items()),
    )
    locale = forms.ChoiceField(label=_("Langue"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locale"].choices = [("", _("Toutes"))] + [
            (loc.language_code, loc.get_display_name()) for loc in Locale.objects.all()
        ]


def _edit_url(row):
    page = row.page or row.source_page
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


class TranslationReportView(ReportView):
    """Admin report: every page × language, marked missing, out of date or up to date."""

    results_template_name = "portal/admin/translation_report_results.html"
    page_title = _("État des traductions")
    header_icon = "globe"
    index_url_name = "translation_report"
    index_results_url_name = "translation_report_results"
    paginate_by = 100
    permission_policy = PagePermissionPolicy()
    any_permission_required = ["add", "change", "publish"]
    list_export = ["title", "page_type", "locale.language_code", "label"]
    export_headings = {
        "title": _("Page"),
        "page_type": _("Type"),
        "locale.language_code": _("Langue"),
        "label": _("État"),
    }

    @property
    def columns(self):
        return [
            TitleColumn("title", label=_("Page (source)"), url_name=None, get_url=_edit_url),
            Column("page_type", label=_("Type")),
            Column("locale", label=_("Langue"), accessor="locale.get_display_name"),
            StatusTagColumn(
                "label", label=_("État"), primary=lambda row: row.status in ("current", "original")
            ),
        ]

    def get_filename(self):
        return f"etat-des-traductions-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        form = TranslationReportFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        return translation_statuses(
            status=filters.get("status") or None, locale=filters.get("locale") or None
        )

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["filter_form"] = TranslationReportFilterForm(self.request.GET or None)
        return context
