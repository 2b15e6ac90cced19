"""Admin views of the membership app: partnerships and their actions, the adhérent registry
and its CSV import, stored Stripe events and their replay.

The viewsets that put these views together are in `wagtail_hooks.py`. A partnership's state
only changes through `membership.services`; the views here call those functions and report.
"""

import datetime
import json
import logging
from collections import OrderedDict
from decimal import Decimal
from functools import partial

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView, View

from wagtail.admin import messages
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, TitleColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log

from . import services
from .filters import WebhookEventFilterSet
from .models import (
    Adherent,
    AdherentImport,
    Invoice,
    Partnership,
    PartnershipState,
    WebhookEvent,
)
from .registry_import import MAX_FILE_SIZE, run_import

logger = logging.getLogger(__name__)


def format_euros(cents):
    """20 000 € / 20 000,50 €, in the active language's number format."""
    if cents is None:
        return ""
    decimals = 0 if cents % 100 == 0 else 2
    amount = number_format(Decimal(cents) / 100, decimals, use_l10n=True, force_grouping=True)
    return f"{amount}\u00a0€"


def yes_no(value):
    return _("oui") if value else _("non")


class InspectTitleMixin:
    """The listing's first column links to the detail (inspect) page, not to the edit form."""

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(
            field_name, column_class, get_url=self.get_inspect_url, **kwargs
        )


class SafeSpreadsheetExportMixin:
    """Exports that open well in a French spreadsheet: computed columns, local times, a BOM
    so Excel reads the CSV as UTF-8, and cells that would start a formula neutralised."""

    #: field name → (heading, function of the row's object)
    export_columns: dict = {}

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # Who exported what, in the audit trail (Reports → Site history); logged against the
        # user (the real model: request.user is a lazy wrapper the log registry can't place).
        user = get_user_model().objects.get(pk=self.request.user.pk)
        log(
            instance=user,
            action="portal.export",
            user=user,
            data={
                "model": queryset.model._meta.label,
                "format": spreadsheet_format,
                "rows": queryset.count(),
            },
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    @property
    def list_export(self):
        return list(self.export_columns)

    @property
    def export_headings(self):
        return {name: heading for name, (heading, _getter) in self.export_columns.items()}

    def to_row_dict(self, item):
        return OrderedDict(
            (name, getter(item)) for name, (_heading, getter) in self.export_columns.items()
        )

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None, microsecond=0)
            return value if export_format == self.FORMAT_XLSX else value.isoformat(" ")
        value = super().preprocess_field_value(field, value, export_format)
        if (
            export_format == self.FORMAT_CSV
            and isinstance(value, str)
            and value[:1] in ("=", "+", "-", "@", "\t", "\r")
        ):
            return "'" + value
        return value

    def stream_csv(self, queryset):
        yield "\ufeff"
        yield from super().stream_csv(queryset)


# Partnerships ---------------------------------------------------------------------------------


def _invoice_numbers(partnership):
    return ", ".join(invoice.number for invoice in partnership.invoices.all())


class PartnershipIndexView(SafeSpreadsheetExportMixin, InspectTitleMixin, IndexView):
    export_columns = {
        "reference": (gettext_lazy("Référence"), lambda p: p.reference),
        "created_at": (gettext_lazy("Créé le"), lambda p: p.created_at),
        "state": (gettext_lazy("État"), lambda p: p.get_state_display()),
        "edition": (gettext_lazy("Édition"), lambda p: str(p.edition)),
        "tier": (gettext_lazy("Tarif"), lambda p: p.get_tier_display()),
        "amount": (gettext_lazy("Montant (€)"), lambda p: Decimal(p.amount_cents) / 100),
        "vat_rate": (gettext_lazy("Taux de TVA (%)"), lambda p: p.vat_rate),
        "prices_include_vat": (gettext_lazy("Prix TTC"), lambda p: yes_no(p.prices_include_vat)),
        "payment_method": (
            gettext_lazy("Moyen de paiement"),
            lambda p: p.get_payment_method_display(),
        ),
        "invoices": (gettext_lazy("Factures"), _invoice_numbers),
        "legal_name": (gettext_lazy("Raison sociale"), lambda p: p.legal_name),
        "registration_number": (gettext_lazy("SIRET / TVA"), lambda p: p.registration_number),
        "address": (gettext_lazy("Adresse"), lambda p: p.address),
        "country": (gettext_lazy("Pays"), lambda p: p.country),
        "membership_number": (gettext_lazy("N° d'adhérent"), lambda p: p.membership_number),
        "contact_name": (gettext_lazy("Contact"), lambda p: p.contact_name),
        "contact_role": (gettext_lazy("Fonction"), lambda p: p.contact_role),
        "contact_email": (gettext_lazy("E-mail du contact"), lambda p: p.contact_email),
        "contact_phone": (gettext_lazy("Téléphone"), lambda p: p.contact_phone),
        "billing_name": (gettext_lazy("Contact facturation"), lambda p: p.billing_name),
        "billing_email": (gettext_lazy("E-mail de facturation"), lambda p: p.billing_email),
        "purchase_order": (gettext_lazy("Bon de commande"), lambda p: p.purchase_order),
        "language": (gettext_lazy("Langue"), lambda p: p.language),
    }

    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related("edition")
        if self.is_export:
            queryset = queryset.prefetch_related("invoices")
        return queryset


class ReadableInspectMixin:
    """Inspect views showing local times (the generic template shows aware datetimes in UTC),
    labels for fields without a French verbose name, and a dash for empty values."""

    field_labels = {}

    def get_field_label(self, field_name, field):
        if field_name in self.field_labels:
            return self.field_labels[field_name]
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value)
        if value is None or value == "":
            return "—"
        return value


class PartnershipInspectView(ReadableInspectMixin, InspectView):
    template_name = "membership/admin/partnership_inspect.html"
    field_labels = {
        "id": gettext_lazy("Identifiant"),
        "amount_cents": gettext_lazy("Montant"),
        "currency": gettext_lazy("Devise"),
        "vat_rate": gettext_lazy("Taux de TVA"),
    }

    def get_amount_cents_display_value(self):
        return format_euros(self.object.amount_cents)

    def get_vat_rate_display_value(self):
        return f"{number_format(self.object.vat_rate, 2)}\u00a0%"

    def get_prices_include_vat_display_value(self):
        return yes_no(self.object.prices_include_vat)

    def available_actions(self):
        if not self.user_has_permission("change"):
            return []
        return [
            {"label": view.action_label, "url": reverse(url_name, args=[self.object.pk])}
            for view, url_name in (
                (RecordTransferView, "partnership:record_transfer"),
                (CancelPartnershipView, "partnership:cancel"),
                (RefundPartnershipView, "partnership:refund"),
            )
            if view.is_available(self.object)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partnership = self.object
        context.update(
            {
                "transitions": partnership.transitions.select_related("actor"),
                "payment_attempts": [
                    (attempt, format_euros(attempt.amount_cents))
                    for attempt in partnership.payment_attempts.all()
                ],
                "invoices": [
                    {
                        "invoice": invoice,
                        "net": format_euros(invoice.net_cents),
                        "vat": format_euros(invoice.vat_cents),
                        "gross": format_euros(invoice.gross_cents),
                        "pdf_url": (
                            reverse("partnership:invoice_pdf", args=[invoice.pk])
                            if invoice.pdf
                            else None
                        ),
                    }
                    for invoice in partnership.invoices.all()
                ],
                "webhook_events": partnership.webhook_events.all(),
                "actions": self.available_actions(),
                "state_is_final": not any(
                    partnership.can_transition(s) for s in PartnershipState.values
                ),
            }
        )
        return context


class PartnershipActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Confirm (GET) then perform (POST) one state change through `membership.services`."""

    model = Partnership
    permission_required = "change"
    template_name = "membership/admin/partnership_action.html"
    index_url_name = None
    inspect_url_name = None
    header_icon = "clipboard-list"
    action_label = ""
    confirmation = ""
    button_class = ""
    form_class = forms.Form

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Partnership, pk=kwargs["pk"])

    @classmethod
    def is_available(cls, partnership) -> bool:
        raise NotImplementedError

    def perform(self, cause, form) -> bool:
        raise NotImplementedError

    def get_cause(self, form):
        raise NotImplementedError

    @property
    def actor_name(self):
        return get_user_display_name(self.request.user)

    def get_page_title(self):
        return self.action_label

    def get_page_subtitle(self):
        return str(self.object)

    def get_inspect_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Partnership._meta.verbose_name_plural),
            },
            {"url": self.get_inspect_url(), "label": self.object.reference},
            {"url": "", "label": self.action_label, "sublabel": self.object.legal_name},
        ]

    def unavailable_message(self):
        return _(
            "Action impossible pour %(reference)s dans l'état « %(state)s » : rien n'a été modifié."
        ) % {"reference": self.object.reference, "state": self.object.get_state_display()}

    def get(self, request, *args, **kwargs):
        if not self.is_available(self.object):
            messages.error(request, self.unavailable_message())
            return redirect(self.get_inspect_url())
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        if not self.is_available(self.object):
            messages.error(self.request, self.unavailable_message())
            return redirect(self.get_inspect_url())
        done = self.perform(self.get_cause(form)[:255], form)
        self.object.refresh_from_db()
        if done:
            messages.success(self.request, self.success_message())
        else:
            messages.error(self.request, self.unavailable_message())
        return redirect(self.get_inspect_url())

    def success_message(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "object": self.object,
                "confirmation": self.confirmation,
                "action_label": self.action_label,
                "button_class": self.button_class,
                "cancel_url": self.get_inspect_url(),
                "amount": format_euros(self.object.amount_cents),
            }
        )
        return context


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif (facultatif)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Enregistré dans l'historique du partenariat."),
    )


def with_reason(cause, form):
    """The history's cause, followed by the reason the staff member typed, if any."""
    if reason := form.cleaned_data.get("reason"):
        return f"{cause} : {reason}"
    return cause


class RecordTransferView(PartnershipActionView):
    action_label = gettext_lazy("Enregistrer le virement reçu")
    confirmation = gettext_lazy(
        "Le virement de ce partenaire a-t-il bien été reçu sur le compte de la Fing ? "
        "Le partenariat passera à l'état « Payé » et le reçu sera envoyé au partenaire."
    )

    @classmethod
    def is_available(cls, partnership):
        # whatever the partner chose first: a card payment abandoned on Stripe may still
        # end in a transfer
        return partnership.state == PartnershipState.AWAITING_PAYMENT

    def get_cause(self, form):
        return f"Virement reçu, enregistré par {self.actor_name}"

    def perform(self, cause, form):
        return services.mark_paid(self.object, cause, actor=self.request.user)

    def success_message(self):
        return _("Virement enregistré : le partenariat %(reference)s est payé.") % {
            "reference": self.object.reference
        }


class CancelPartnershipView(PartnershipActionView):
    action_label = gettext_lazy("Annuler le partenariat")
    form_class = ReasonForm
    button_class = "serious"
    confirmation = gettext_lazy(
        "Annuler ce partenariat ? L'organisation pourra s'inscrire de nouveau à cette édition. "
        "Un partenariat annulé ne peut pas être rétabli."
    )

    @classmethod
    def is_available(cls, partnership):
        return partnership.can_transition(PartnershipState.CANCELLED)

    def get_cause(self, form):
        return with_reason(f"Annulé par {self.actor_name}", form)

    def perform(self, cause, form):
        return services.cancel(self.object, cause, actor=self.request.user)

    def success_message(self):
        return _("Le partenariat %(reference)s est annulé.") % {"reference": self.object.reference}


class RefundPartnershipView(PartnershipActionView):
    action_label = gettext_lazy("Marquer remboursé")
    form_class = ReasonForm
    button_class = "serious"
    confirmation = gettext_lazy(
        "Marquer ce partenariat comme remboursé ? Cette action n'effectue aucun remboursement : "
        "elle enregistre un remboursement déjà fait (virement retourné, remboursement dans "
        "Stripe)."
    )

    @classmethod
    def is_available(cls, partnership):
        return partnership.can_transition(PartnershipState.REFUNDED)

    def get_cause(self, form):
        return with_reason(f"Remboursement enregistré par {self.actor_name}", form)

    def perform(self, cause, form):
        return services.mark_refunded(self.object, cause, actor=self.request.user)

    def success_message(self):
        return _("Le partenariat %(reference)s est marqué remboursé.") % {
            "reference": self.object.reference
        }


class InvoicePdfView(PermissionCheckedMixin, View):
    """An invoice's PDF, for whoever may see the partnership (invoices are not public media)."""

    model = Partnership
    any_permission_required = ["add", "change", "delete", "view"]

    def get(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        if not invoice.pdf:
            raise Http404
        return FileResponse(
            invoice.pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{invoice.number}.pdf",
        )


# Adhérent registry -----------------------------------------------------------------------------


def adherent_validity(adherent, day=None):
    day = day or timezone.localdate()
    if adherent.valid_from > day:
        return "upcoming"
    if adherent.valid_to and adherent.valid_to < day:
        return "expired"
    return "valid"


VALIDITY_LABELS = {
    "valid": gettext_lazy("Valide"),
    "expired": gettext_lazy("Expirée"),
    "upcoming": gettext_lazy("À venir"),
}


class AdherentIndexView(SafeSpreadsheetExportMixin, IndexView):
    export_columns = {
        "organisation": (gettext_lazy("organisation"), lambda a: a.organisation),
        "membership_number": (gettext_lazy("numéro d'adhérent"), lambda a: a.membership_number),
        "email_domains": (gettext_lazy("domaines"), lambda a: "; ".join(a.domains)),
        "valid_from": (gettext_lazy("début"), lambda a: a.valid_from.isoformat()),
        "valid_to": (
            gettext_lazy("fin"),
            lambda a: a.valid_to.isoformat() if a.valid_to else "",
        ),
    }

    def user_can_import(self):
        return self.user_has_permission("add") and self.user_has_permission("change")

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.user_can_import():
            buttons.append(
                HeaderButton(
                    _("Importer un CSV"),
                    url=reverse("adherent:import"),
                    icon_name="upload",
                    priority=20,
                )
            )
        return buttons


class RegistryImportPermissionMixin(PermissionCheckedMixin):
    """Importing creates and updates adhérents: both permissions are needed."""

    model = Adherent

    def dispatch(self, request, *args, **kwargs):
        if not (self.user_has_permission("add") and self.user_has_permission("change")):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AdherentImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV"),
        help_text=gettext_lazy("Fichier .csv en UTF-8, 2 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError(
                _(
                    "« %(name)s » n'est pas un fichier CSV : choisissez un fichier .csv "
                    "(dans un tableur : Enregistrer sous… « CSV UTF-8 »)."
                ),
                params={"name": upload.name},
                code="extension",
            )
        if upload.size > MAX_FILE_SIZE:
            raise ValidationError(
                _("Le fichier fait %(size)s ; la taille maximale est de %(max)s."),
                params={
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(MAX_FILE_SIZE),
                },
                code="size",
            )
        head = upload.read(8192)
        upload.seek(0)
        if not head.strip():
            raise ValidationError(_("Le fichier est vide."), code="empty")
        if b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
            raise ValidationError(
                _(
                    "« %(name)s » n'est pas un fichier texte CSV (un classeur Excel ou "
                    "LibreOffice ?). Enregistrez-le au format « CSV UTF-8 » et importez-le "
                    "à nouveau."
                ),
                params={"name": upload.name},
                code="binary",
            )
        return upload


class AdherentImportView(RegistryImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    form_class = AdherentImportForm
    template_name = "membership/admin/adherent_import.html"
    page_title = gettext_lazy("Importer des adhérents")
    header_icon = "upload"
    index_url_name = None

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Adherent._meta.verbose_name_plural),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form):
        registry_import = AdherentImport.objects.create(
            file=form.cleaned_data["file"], created_by=self.request.user
        )
        # The task reads the row once the request's transaction is committed. Without a
        # broker it runs right here (eagerly); `robust` keeps a failure from turning this
        # response into an error page: the import page shows it.
        transaction.on_commit(partial(run_import.delay, registry_import.pk), robust=True)
        messages.success(
            self.request,
            _("Fichier « %(name)s » reçu.") % {"name": registry_import_name(registry_import)},
        )
        return redirect("adherent:import_detail", registry_import.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = AdherentImport.objects.select_related("created_by")[:10]
        return context


def registry_import_name(registry_import):
    return registry_import.file.name.rsplit("/", 1)[-1]


def import_status(registry_import):
    """What the import page and its JSON status endpoint show."""
    error_rows = len({e["line"] for e in registry_import.errors if e.get("line")})
    unchanged = max(
        registry_import.processed_rows
        - registry_import.created_count
        - registry_import.updated_count
        - error_rows,
        0,
    )
    finished = registry_import.status in (AdherentImport.Status.DONE, AdherentImport.Status.FAILED)
    summary = _(
        "%(processed)s ligne(s) traitée(s) sur %(total)s (%(percent)s %%) : %(created)s créée(s), "
        "%(updated)s mise(s) à jour, %(unchanged)s inchangée(s), %(errors)s en erreur."
    ) % {
        "processed": registry_import.processed_rows,
        "total": registry_import.total_rows,
        "percent": registry_import.percent,
        "created": registry_import.created_count,
        "updated": registry_import.updated_count,
        "unchanged": unchanged,
        "errors": error_rows,
    }
    return {
        "id": registry_import.pk,
        "status": registry_import.status,
        "status_label": str(registry_import.get_status_display()),
        "finished": finished,
        "percent": registry_import.percent,
        "total_rows": registry_import.total_rows,
        "processed_rows": registry_import.processed_rows,
        "created_count": registry_import.created_count,
        "updated_count": registry_import.updated_count,
        "unchanged_count": unchanged,
        "error_rows": error_rows,
        "summary": summary,
    }


class AdherentImportDetailView(
    RegistryImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView
):
    template_name = "membership/admin/adherent_import_detail.html"
    header_icon = "upload"
    index_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(
            AdherentImport.objects.select_related("created_by"), pk=kwargs["pk"]
        )

    def get_page_title(self):
        return _("Import d'adhérents n° %(pk)s") % {"pk": self.object.pk}

    def get_page_subtitle(self):
        return registry_import_name(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Adherent._meta.verbose_name_plural),
            },
            {"url": reverse("adherent:import"), "label": _("Importer des adhérents")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registry_import = self.object
        file_errors = [e for e in registry_import.errors if not e.get("line")]
        row_errors = [e for e in registry_import.errors if e.get("line")]
        context.update(
            {
                "object": registry_import,
                "file_name": registry_import_name(registry_import),
                "progress": import_status(registry_import),
                "file_errors": file_errors,
                "row_errors": row_errors,
                "status_url": reverse("adherent:import_status", args=[registry_import.pk]),
            }
        )
        return context


class AdherentImportStatusView(RegistryImportPermissionMixin, View):
    def get(self, request, pk):
        registry_import = get_object_or_404(AdherentImport, pk=pk)
        return JsonResponse(import_status(registry_import))


# Stripe events ---------------------------------------------------------------------------------


def replay_event(event):
    """Process a stored event again (the payments work's `replay`, which records an error on
    the event rather than raising it). Returns the event as it ends."""
    # Imported here: the admin must keep working even if the payments modules (written
    # separately, and importing the Stripe client) fail to import.
    from membership.payments.handlers import replay

    with transaction.atomic():
        replay(event)
    event.refresh_from_db()
    return event


def replay_failed(event):
    return event.status == WebhookEvent.Status.FAILED


class WebhookEventIndexView(IndexView):
    template_name = "membership/admin/webhookevent_index.html"

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("partnership")

    def get_edit_url(self, instance):
        return None

    @cached_property
    def columns(self):
        columns = super().columns
        return [BulkActionsCheckboxColumn("bulk_actions", obj_type="webhookevent"), *columns]

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(
            field_name,
            column_class,
            get_url=self.get_inspect_url,
            get_title_id=lambda event: f"webhookevent_{event.pk}_title",
            **kwargs,
        )


class WebhookEventInspectView(ReadableInspectMixin, InspectView):
    template_name = "membership/admin/webhookevent_inspect.html"
    field_labels = {
        "id": gettext_lazy("Identifiant"),
        "attempts": gettext_lazy("Traitements"),
        "partnership": gettext_lazy("Partenariat"),
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partnership = self.object.partnership
        context.update(
            {
                "payload": json.dumps(
                    self.object.payload, indent=2, ensure_ascii=False, sort_keys=True
                ),
                "partnership_url": (
                    reverse("partnership:inspect", args=[partnership.pk]) if partnership else None
                ),
                "replay_url": (
                    reverse("webhook_event:replay", args=[self.object.pk])
                    if self.user_has_permission("change")
                    else None
                ),
            }
        )
        return context


class WebhookEventReplayView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    model = WebhookEvent
    permission_required = "change"
    template_name = "membership/admin/webhookevent_replay.html"
    header_icon = "resubmit"
    index_url_name = None
    inspect_url_name = None
    page_title = gettext_lazy("Rejouer l'événement")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(WebhookEvent, pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def get_inspect_url(self):
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(WebhookEvent._meta.verbose_name_plural),
            },
            {"url": self.get_inspect_url(), "label": self.object.stripe_id},
            {"url": "", "label": self.get_page_title(), "sublabel": self.object.type},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"object": self.object, "cancel_url": self.get_inspect_url()})
        return context

    def post(self, request, *args, **kwargs):
        event = replay_event(self.object)
        if replay_failed(event):
            messages.error(
                request,
                _("Le rejeu de %(event)s a échoué : %(error)s")
                % {"event": event.stripe_id, "error": event.error or event.get_status_display()},
            )
        else:
            messages.success(
                request,
                _("Événement %(event)s rejoué ; état : %(status)s.")
                % {"event": event.stripe_id, "status": event.get_status_display()},
            )
        return redirect(self.get_inspect_url())


class ReplayWebhookEventsBulkAction(PermissionCheckedMixin, BulkAction):
    """ "Rejouer" for the events selected in the listing."""

    models = [WebhookEvent]
    permission_required = "change"
    display_name = gettext_lazy("Rejouer")
    action_type = "replay"
    aria_label = gettext_lazy("Rejouer les événements sélectionnés")
    template_name = "membership/admin/webhookevent_bulk_replay.html"
    action_priority = 10

    def get_all_objects_in_listing_query(self, parent_id):
        """'Select all' means all the events of the filtered listing, not every event."""
        filters = WebhookEventFilterSet(self.request.GET, queryset=WebhookEvent.objects.all())
        queryset = filters.qs if filters.is_valid() else WebhookEvent.objects.all()
        if query := self.request.GET.get("q"):
            queryset = queryset.filter(stripe_id__icontains=query) | queryset.filter(
                type__icontains=query
            )
        return queryset.values_list("pk", flat=True)

    def get_execution_context(self):
        return {"request": self.request}

    @classmethod
    def execute_action(cls, objects, request=None, **kwargs):
        replayed, failures = 0, []
        for event in objects:
            event = replay_event(event)
            if replay_failed(event):
                failures.append(f"{event.stripe_id} ({event.error or event.get_status_display()})")
            else:
                replayed += 1
        if failures and request is not None:
            messages.error(
                request,
                ngettext(
                    "Rejeu en échec pour %(count)s événement : %(events)s",
                    "Rejeu en échec pour %(count)s événements : %(events)s",
                    len(failures),
                )
                % {"count": len(failures), "events": "; ".join(failures)},
            )
        return replayed, len(failures)

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None
        return ngettext(
            "%(count)s événement rejoué.", "%(count)s événements rejoués.", num_parent_objects
        ) % {"count": num_parent_objects}
