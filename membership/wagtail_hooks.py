"""The admin's "Partenariats" menu (partnerships, the adhérent registry, prices, programme
dates and stored Stripe events), its "Demandes" menu (the enquiries' inbox, contacts and
routing) and the dashboard's "Nouvelles demandes" panel.

Permissions are Django's model permissions through Wagtail's default ModelPermissionPolicy
(superusers have them all):

- Partenariats: "view" to see them, "change" to correct contact and billing details and to
  use the actions (record a transfer, cancel, mark refunded). Nobody adds or deletes a
  partnership from the admin: sign-ups create them, services change their state.
- Adhérents: "add" + "change" to edit the registry and import a CSV; "delete" to delete.
- Tarifs, Dates du programme: add / change / delete as usual.
- Événements Stripe: "view" to see them, "change" to replay them; they are otherwise
  read-only.
- Demandes: "view" to read them (and see the dashboard panel), "change" to follow them up
  (state, assignee, notes: never what the visitor sent), "delete" to delete them. Nobody
  adds an enquiry from the admin: the public form creates them.
- Contacts, Aiguillage des demandes: add / change / delete as usual; a contact that still
  receives a topic cannot be deleted.
"""

from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_permission_codename, get_user_model
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import (
    BooleanColumn,
    Column,
    DateColumn,
    StatusTagColumn,
)
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import ModelLogEntry

# Imported so that Celery registers the registry import's task: Celery only autodiscovers
# `tasks` modules, while Wagtail imports every app's wagtail_hooks module at start-up, in the
# web process and in Celery workers alike (wagtail.snippets' AppConfig.ready() looks for hooks).
from membership import registry_import  # noqa: F401

from .admin_views import (
    VALIDITY_LABELS,
    AdherentImportDetailView,
    AdherentImportStatusView,
    AdherentImportView,
    AdherentIndexView,
    CancelPartnershipView,
    InvoicePdfView,
    PartnershipIndexView,
    PartnershipInspectView,
    RecordTransferView,
    RefundPartnershipView,
    ReplayWebhookEventsBulkAction,
    WebhookEventIndexView,
    WebhookEventInspectView,
    WebhookEventReplayView,
    adherent_validity,
    format_euros,
)
from .enquiry_admin import (
    ContactDeleteView,
    ContactForm,
    ContactIndexView,
    EnquiryEditView,
    EnquiryFilterSet,
    EnquiryFollowUpForm,
    EnquiryIndexView,
    EnquiryInspectView,
    NewEnquiriesPanel,
    TopicRouteForm,
    TopicRouteIndexView,
    may_view_enquiries,
)
from .filters import (
    AdherentFilterSet,
    PartnershipFilterSet,
    PriceFilterSet,
    ProgrammeEventFilterSet,
    WebhookEventFilterSet,
)
from .models import (
    Adherent,
    Contact,
    Enquiry,
    Partnership,
    PartnershipState,
    Price,
    ProgrammeEvent,
    TopicRoute,
    WebhookEvent,
)


class RestrictedViewsMixin:
    """Leaves out some of the generic views ("add", "edit", "delete"): no URL, no button,
    and their permissions are not offered in the group editor."""

    disabled_views = ()
    copy_view_enabled = False
    #: Links from elsewhere in the admin (history, reports) open the detail page, not the form.
    link_to_inspect = False

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in self.disabled_views:
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name not in self.disabled_views]

    def get_permissions_to_register(self):
        codenames = [
            get_permission_codename(action, self.model_opts)
            for action in self.disabled_views
            if action in ("add", "delete")
        ]
        return super().get_permissions_to_register().exclude(codename__in=codenames)

    @property
    def url_finder_class(self):
        if "edit" not in self.disabled_views and not self.link_to_inspect:
            return super().url_finder_class
        inspect_url_name = self.get_url_name("inspect")

        class InspectURLFinder(ModelAdminURLFinder):
            def construct_edit_url(self, instance):
                return reverse(inspect_url_name, args=(quote(instance.pk),))

        return InspectURLFinder


def edition_panel():
    """A plain list of the editions in French (not a page chooser, which would also offer the
    English translations, which prices and dates must not point at)."""
    return FieldPanel("edition", widget=forms.Select)


class PartnershipViewSet(RestrictedViewsMixin, ModelViewSet):
    model = Partnership
    name = "partnership"
    url_prefix = "partenariats"
    icon = "clipboard-list"
    menu_label = _("Partenariats")
    disabled_views = ("add", "delete")
    inspect_view_enabled = True
    index_view_class = PartnershipIndexView
    inspect_view_class = PartnershipInspectView
    inspect_view_fields_exclude = ["organisation_key"]
    list_per_page = 50
    ordering = "-created_at"
    list_display = [
        "reference",
        Column("legal_name", label=_("Organisation"), sort_key="legal_name"),
        Column("edition", label=_("Édition"), sort_key="edition__title"),
        "tier",
        Column(
            "amount",
            label=_("Montant"),
            accessor=lambda p: format_euros(p.amount_cents),
            sort_key="amount_cents",
        ),
        StatusTagColumn(
            "state",
            label=_("État"),
            accessor="get_state_display",
            primary=lambda p: p.state == PartnershipState.PAID,
            sort_key="state",
        ),
        DateColumn("created_at", label=_("Créé le"), sort_key="created_at"),
    ]
    filterset_class = PartnershipFilterSet
    search_fields = ["reference", "legal_name", "contact_name", "contact_email", "billing_email"]
    search_backend_name = None
    export_filename = "partenariats"
    panels = [
        HelpPanel(
            _(
                "Seules les coordonnées se corrigent ici. L'état, le tarif et le montant ne "
                "changent que par les actions de la fiche du partenariat (virement reçu, "
                "annulation, remboursement) et par les paiements en ligne."
            )
        ),
        MultiFieldPanel(
            [FieldPanel("address"), FieldPanel("country"), FieldPanel("registration_number")],
            heading=_("Organisation"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_role"),
                FieldPanel("contact_email"),
                FieldPanel("contact_phone"),
            ],
            heading=_("Contact"),
        ),
        MultiFieldPanel(
            [FieldPanel("billing_name"), FieldPanel("billing_email"), FieldPanel("purchase_order")],
            heading=_("Facturation"),
        ),
    ]

    def get_action_view_kwargs(self):
        return {
            "index_url_name": self.get_url_name("index"),
            "inspect_url_name": self.get_url_name("inspect"),
        }

    def get_urlpatterns(self):
        action = self.get_action_view_kwargs()
        return [
            *super().get_urlpatterns(),
            path(
                "virement-recu/<int:pk>/",
                RecordTransferView.as_view(**action),
                name="record_transfer",
            ),
            path("annuler/<int:pk>/", CancelPartnershipView.as_view(**action), name="cancel"),
            path("rembourse/<int:pk>/", RefundPartnershipView.as_view(**action), name="refund"),
            path("facture/<int:pk>/pdf/", InvoicePdfView.as_view(), name="invoice_pdf"),
        ]


class AdherentViewSet(ModelViewSet):
    model = Adherent
    name = "adherent"
    url_prefix = "adherents"
    icon = "group"
    menu_label = _("Adhérents")
    copy_view_enabled = False
    index_view_class = AdherentIndexView
    list_per_page = 50
    list_display = [
        "organisation",
        "membership_number",
        Column("domains", label=_("Domaines e-mail"), accessor=lambda a: ", ".join(a.domains)),
        "valid_from",
        "valid_to",
        StatusTagColumn(
            "validity",
            label=_("Adhésion"),
            accessor=lambda a: VALIDITY_LABELS[adherent_validity(a)],
            primary=lambda a: adherent_validity(a) == "valid",
        ),
    ]
    filterset_class = AdherentFilterSet
    search_fields = ["organisation", "membership_number"]
    search_backend_name = None
    export_filename = "adherents"
    panels = [
        FieldPanel("organisation"),
        FieldPanel("membership_number"),
        FieldPanel("email_domains"),
        FieldPanel("valid_from"),
        FieldPanel("valid_to"),
    ]

    def get_urlpatterns(self):
        index = {"index_url_name": self.get_url_name("index")}
        return [
            *super().get_urlpatterns(),
            path("import/", AdherentImportView.as_view(**index), name="import"),
            path(
                "import/<int:pk>/", AdherentImportDetailView.as_view(**index), name="import_detail"
            ),
            path(
                "import/<int:pk>/status/", AdherentImportStatusView.as_view(), name="import_status"
            ),
        ]


class PriceViewSet(ModelViewSet):
    model = Price
    name = "price"
    url_prefix = "tarifs"
    icon = "tag"
    menu_label = _("Tarifs")
    list_display = [
        "edition",
        "tier",
        Column(
            "amount",
            label=_("Montant"),
            accessor=lambda p: format_euros(p.amount_cents),
            sort_key="amount_cents",
        ),
    ]
    filterset_class = PriceFilterSet
    panels = [edition_panel(), FieldPanel("tier"), FieldPanel("amount_cents")]


class ProgrammeEventViewSet(ModelViewSet):
    model = ProgrammeEvent
    name = "programme_event"
    url_prefix = "dates-du-programme"
    icon = "date"
    menu_label = _("Dates du programme")
    ordering = "starts_at"
    list_display = ["title", "edition", "kind", "starts_at", "ends_at", "location"]
    filterset_class = ProgrammeEventFilterSet
    search_fields = ["title", "title_en", "location"]
    search_backend_name = None
    panels = [
        edition_panel(),
        FieldPanel("kind"),
        FieldPanel("title"),
        FieldPanel("title_en"),
        FieldPanel("starts_at"),
        FieldPanel("ends_at"),
        FieldPanel("location"),
    ]


class WebhookEventViewSet(RestrictedViewsMixin, ModelViewSet):
    model = WebhookEvent
    name = "webhook_event"
    url_prefix = "evenements-stripe"
    icon = "resubmit"
    menu_label = _("Événements Stripe")
    disabled_views = ("add", "edit", "delete")
    inspect_view_enabled = True
    index_view_class = WebhookEventIndexView
    inspect_view_class = WebhookEventInspectView
    # The payload is shown apart, pretty-printed.
    inspect_view_fields = [
        "type",
        "stripe_id",
        "status",
        "partnership",
        "error",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_per_page = 50
    ordering = "-received_at"
    list_display = [
        "type",
        "stripe_id",
        StatusTagColumn(
            "status",
            label=_("État"),
            accessor="get_status_display",
            primary=lambda e: e.status == WebhookEvent.Status.PROCESSED,
            sort_key="status",
        ),
        Column(
            "partnership",
            label=_("Partenariat"),
            accessor=lambda e: e.partnership.reference if e.partnership else "",
        ),
        DateColumn("received_at", label=_("Reçu le"), sort_key="received_at"),
    ]
    filterset_class = WebhookEventFilterSet
    search_fields = ["stripe_id", "type"]
    search_backend_name = None
    # No form is ever shown (the add and edit views are left out), but ModelViewSet builds
    # one before their URLs are dropped.
    exclude_form_fields = []

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "rejouer/<int:pk>/",
                WebhookEventReplayView.as_view(
                    index_url_name=self.get_url_name("index"),
                    inspect_url_name=self.get_url_name("inspect"),
                ),
                name="replay",
            ),
        ]


class PartnershipsMenu(ViewSetGroup):
    menu_label = _("Partenariats")
    menu_icon = "clipboard-list"
    menu_order = 250
    items = (
        PartnershipViewSet,
        AdherentViewSet,
        PriceViewSet,
        ProgrammeEventViewSet,
        WebhookEventViewSet,
    )


@hooks.register("register_admin_viewset")
def register_partnerships_menu():
    return PartnershipsMenu()


hooks.register("register_bulk_action", ReplayWebhookEventsBulkAction)


# Enquiries -------------------------------------------------------------------------------------


class EnquiryViewSet(RestrictedViewsMixin, ModelViewSet):
    model = Enquiry
    name = "enquiry"
    url_prefix = "demandes"
    icon = "mail"
    menu_label = _("Boîte de réception")
    disabled_views = ("add",)
    link_to_inspect = True
    # An enquiry's page is /admin/demandes/inspect/<pk>/ (the e-mails to contacts link there).
    inspect_view_enabled = True
    # Enquiries pointing at an edition must not count as "uses" of the edition's page.
    add_to_reference_index = False
    index_view_class = EnquiryIndexView
    inspect_view_class = EnquiryInspectView
    edit_view_class = EnquiryEditView
    inspect_view_fields = [
        "name",
        "organisation",
        "email",
        "phone",
        "topic",
        "edition",
        "language",
        "created_at",
        "consent_at",
        "routed_to",
        "notified_at",
        "acknowledged_at",
        "spam_reason",
        "reference",
    ]
    list_per_page = 50
    ordering = "-created_at"
    list_display = [
        DateColumn("created_at", label=_("Reçue le"), sort_key="created_at"),
        "name",
        Column("organisation", label=_("Organisation"), sort_key="organisation"),
        Column("topic", label=_("Sujet"), accessor="get_topic_display", sort_key="topic"),
        Column(
            "edition",
            label=_("Édition"),
            accessor=lambda e: e.edition.title if e.edition else "",
            sort_key="edition__title",
        ),
        Column(
            "routed_to",
            label=_("Transmise à"),
            accessor=lambda e: e.routed_to.name if e.routed_to else "",
            sort_key="routed_to__name",
        ),
        StatusTagColumn(
            "state",
            label=_("État"),
            accessor="get_state_display",
            primary=lambda e: e.state == Enquiry.State.NEW,
            sort_key="state",
        ),
        Column(
            "assignee",
            label=_("Suivie par"),
            accessor=lambda e: get_user_display_name(e.assignee) if e.assignee else "",
            sort_key="assignee__first_name",
        ),
    ]
    filterset_class = EnquiryFilterSet
    search_fields = ["name", "organisation", "email", "message"]
    search_backend_name = None
    export_filename = "demandes"
    edit_handler = ObjectList(
        [
            FieldPanel("state", widget=forms.RadioSelect),
            FieldPanel("assignee"),
            FieldPanel("notes"),
        ],
        base_form_class=EnquiryFollowUpForm,
    )

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            follow_up_form_class=self.get_form_class(for_update=True), **kwargs
        )


class ContactViewSet(ModelViewSet):
    model = Contact
    name = "enquiry_contact"
    url_prefix = "demandes/contacts"
    icon = "user"
    menu_label = _("Contacts")
    copy_view_enabled = False
    index_view_class = ContactIndexView
    delete_view_class = ContactDeleteView
    list_display = [
        "name",
        "role",
        "email",
        Column("languages", label=_("Langues")),
        BooleanColumn("active", label=_("Actif")),
        Column(
            "topics",
            label=_("Sujets reçus"),
            accessor=lambda c: ", ".join(str(topic) for topic in c.topics),
        ),
    ]
    search_fields = ["name", "role", "email"]
    search_backend_name = None
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("role"),
            FieldPanel("email"),
            FieldPanel("languages"),
            FieldPanel("active"),
            HelpPanel(
                _(
                    "Les sujets qu'un contact reçoit se choisissent dans « Aiguillage des "
                    "demandes ». Un contact inactif ne reçoit plus rien, même s'il reste "
                    "aiguillé."
                )
            ),
        ],
        base_form_class=ContactForm,
    )


class TopicRouteViewSet(ModelViewSet):
    model = TopicRoute
    name = "enquiry_route"
    url_prefix = "demandes/aiguillage"
    icon = "redirect"
    menu_label = _("Aiguillage")
    copy_view_enabled = False
    index_view_class = TopicRouteIndexView
    ordering = "topic"
    list_display = [
        "topic",
        Column("contact", label=_("Contact"), accessor="contact.name", sort_key="contact__name"),
        Column("email", label=_("E-mail"), accessor="contact.email"),
        BooleanColumn("active", label=_("Contact actif"), accessor="contact.active"),
    ]
    edit_handler = ObjectList(
        [FieldPanel("topic"), FieldPanel("contact")], base_form_class=TopicRouteForm
    )


class EnquiriesMenu(ViewSetGroup):
    menu_label = _("Demandes")
    menu_icon = "mail"
    menu_order = 240
    items = (EnquiryViewSet, ContactViewSet, TopicRouteViewSet)


@hooks.register("register_admin_viewset")
def register_enquiries_menu():
    return EnquiriesMenu()


@hooks.register("construct_homepage_panels")
def add_new_enquiries_panel(request, panels):
    if may_view_enquiries(request.user):
        panels.append(NewEnquiriesPanel())


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    actions.register_action(
        "membership.transition", _("Changement d'état"), _("État du partenariat changé")
    )
    actions.register_action("membership.payment", _("Paiement"), _("Paiement enregistré"))
    actions.register_action("portal.export", _("Export"), _("Données exportées"))
    # An export is recorded against the user who made it.
    actions.register_model(get_user_model(), ModelLogEntry)
