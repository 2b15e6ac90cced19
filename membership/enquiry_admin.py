"""Admin views of enquiries: the inbox (listing, export, detail with the follow-up form), the
contacts and the topic → contact routing table, and the dashboard's "new enquiries" panel.

The viewsets that put these views together are in `wagtail_hooks.py` (menu "Demandes").
Enquiries are only created by the public form; here staff follow them up (state, assignee,
internal notes) and never change what the visitor sent.
"""

import re
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Count, F, ProtectedError, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BaseColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views.generic import DeleteView, EditView, IndexView, InspectView
from wagtail.permissions import policy_registry

import django_filters

from .admin_views import InspectTitleMixin, ReadableInspectMixin, SafeSpreadsheetExportMixin
from .filters import source_editions
from .models import Contact, Enquiry, Topic, TopicRoute

State = Enquiry.State


def staff_users():
    """Active users who may sign in to the admin: the only ones an enquiry can be given to."""
    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=access_admin)
            | Q(user_permissions__in=access_admin)
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# Inbox -----------------------------------------------------------------------------------------


class LabelledModelChoiceField(django_filters.fields.ModelChoiceField):
    """Users by their display name; the "none" choice by its label, also in the active-filter
    pills above the listing (which otherwise show the raw "null")."""

    def label_from_instance(self, obj):
        if obj == self.null_value:
            return str(self.null_label)
        if isinstance(obj, get_user_model()):
            return get_user_display_name(obj)
        return super().label_from_instance(obj)


class LabelledModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = LabelledModelChoiceField


class EnquiryFilterSet(WagtailFilterSet):
    ALL = "all"

    state = django_filters.ChoiceFilter(
        label=gettext_lazy("État"),
        choices=[*State.choices, (ALL, gettext_lazy("Toutes, indésirables comprises"))],
        empty_label=gettext_lazy("Toutes sauf les indésirables"),
        method="filter_state",
        widget=forms.RadioSelect,
    )
    topic = django_filters.ChoiceFilter(
        label=gettext_lazy("Sujet"),
        choices=Topic.choices,
        empty_label=gettext_lazy("Tous"),
        widget=forms.RadioSelect,
    )
    routed_to = LabelledModelChoiceFilter(
        label=gettext_lazy("Transmise à"),
        queryset=Contact.objects.order_by("name"),
        empty_label=gettext_lazy("Tous les contacts"),
        null_label=gettext_lazy("Aucun contact"),
    )
    assignee = LabelledModelChoiceFilter(
        label=gettext_lazy("Suivie par"),
        queryset=lambda request: staff_users(),
        empty_label=gettext_lazy("Tout le monde"),
        null_label=gettext_lazy("Personne"),
    )
    edition = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Édition"),
        queryset=source_editions,
        empty_label=gettext_lazy("Toutes"),
        method="filter_edition",
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Reçue entre le"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Enquiry
        fields = ["state", "topic", "routed_to", "assignee", "edition", "created_at"]

    def filter_state(self, queryset, name, value):
        if value == self.ALL:
            return queryset
        return queryset.filter(state=value)

    def filter_edition(self, queryset, name, edition):
        # An enquiry sent from the English site may point at the edition's translation.
        return queryset.filter(edition__translation_key=edition.translation_key)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.shows_spam:
            return queryset
        return queryset.exclude(state=State.SPAM)

    @property
    def shows_spam(self):
        return self.form.cleaned_data.get("state") in (State.SPAM, self.ALL)


def _routed_to(enquiry):
    contact = enquiry.routed_to
    return f"{contact.name} <{contact.email}>" if contact else ""


def _assignee(enquiry):
    return get_user_display_name(enquiry.assignee) if enquiry.assignee else ""


class EnquiryIndexView(SafeSpreadsheetExportMixin, InspectTitleMixin, IndexView):
    results_template_name = "membership/admin/enquiry_index_results.html"
    export_columns = {
        "reference": (gettext_lazy("Référence"), lambda e: str(e.reference)),
        "created_at": (gettext_lazy("Reçue le"), lambda e: e.created_at),
        "state": (gettext_lazy("État"), lambda e: e.get_state_display()),
        "topic": (gettext_lazy("Sujet"), lambda e: e.get_topic_display()),
        "edition": (gettext_lazy("Édition"), lambda e: e.edition.title if e.edition else ""),
        "name": (gettext_lazy("Nom"), lambda e: e.name),
        "organisation": (gettext_lazy("Organisation"), lambda e: e.organisation),
        "email": (gettext_lazy("E-mail"), lambda e: e.email),
        "phone": (gettext_lazy("Téléphone"), lambda e: e.phone),
        "language": (gettext_lazy("Langue"), lambda e: e.language),
        "message": (gettext_lazy("Message"), lambda e: e.message),
        "routed_to": (gettext_lazy("Transmise à"), _routed_to),
        "assignee": (gettext_lazy("Suivie par"), _assignee),
        "notes": (gettext_lazy("Notes internes"), lambda e: e.notes),
        "consent_at": (gettext_lazy("Consentement donné le"), lambda e: e.consent_at),
        "notified_at": (gettext_lazy("Transmise le"), lambda e: e.notified_at),
        "acknowledged_at": (gettext_lazy("Accusé de réception le"), lambda e: e.acknowledged_at),
        "spam_reason": (gettext_lazy("Motif (indésirable)"), lambda e: e.spam_reason),
    }

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("edition", "routed_to", "assignee")

    @cached_property
    def columns(self):
        """The name links to the enquiry, though the date of receipt comes first."""
        columns = []
        for field in self.list_display:
            if isinstance(field, BaseColumn):
                columns.append(field)
            elif field == "name":
                columns.append(self._get_title_column(field))
            else:
                columns.append(self._get_custom_column(field))
        return columns

    @cached_property
    def spam_query(self):
        """The current filters and search, on the spam only."""
        query = self.request.GET.copy()
        for param in (self.page_kwarg, "export", "_w_filter_fragment"):
            query.pop(param, None)
        query["state"] = State.SPAM
        return query

    def get_hidden_spam_count(self):
        """How many enquiries matching the filters and search the listing leaves out as spam,
        when no state is asked for."""
        if not self.filters or not self.filters.is_valid():
            return 0
        if self.filters.form.cleaned_data.get("state"):
            return 0
        spam = self.filterset_class(
            self.spam_query, queryset=self.model.objects.all(), request=self.request
        )
        if not spam.is_valid():
            return 0
        return self.search_queryset(spam.qs).count()

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if not self.is_export:
            context["hidden_spam_count"] = self.get_hidden_spam_count()
            context["spam_url"] = f"{self.index_url}?{self.spam_query.urlencode()}"
        return context


class EnquiryFollowUpForm(WagtailAdminModelForm):
    """State, assignee and notes: all that staff change on an enquiry. Any other field posted
    is ignored, so what the visitor sent stays as it was received."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        users = staff_users()
        if self.instance.assignee_id:  # kept as a choice if they have since lost admin access
            users = get_user_model().objects.filter(
                Q(pk__in=users.values("pk")) | Q(pk=self.instance.assignee_id)
            )
        assignee.queryset = users.order_by("first_name", "last_name", "username")
        assignee.label_from_instance = get_user_display_name
        assignee.empty_label = _("Personne")


class EnquiryInspectView(ReadableInspectMixin, InspectView):
    """The whole enquiry, and the follow-up form for those who may change enquiries."""

    template_name = "membership/admin/enquiry_inspect.html"
    follow_up_form_class = None
    field_labels = {"reference": gettext_lazy("Référence")}

    def get_fields_context(self):
        fields = [f for f in self.fields if f != "spam_reason" or self.object.state == State.SPAM]
        return [self.get_context_for_field(field) for field in fields]

    def get_routed_to_display_value(self):
        contact = self.object.routed_to
        if contact is None:
            return _("Personne")
        label = f"{contact.name} <{contact.email}>"
        return f"{label}, {contact.role}" if contact.role else label

    def get_assignee_display_value(self):
        return get_user_display_name(self.object.assignee) if self.object.assignee else None

    def get_notified_at_display_value(self):
        if self.object.notified_at:
            return self.object.notified_at
        if self.object.state == State.SPAM:
            return _("non transmise (indésirable)")
        return _("pas encore")

    def get_acknowledged_at_display_value(self):
        return self.object.acknowledged_at or _("pas encore")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enquiry = self.object
        can_change = self.user_has_permission("change")
        with translation.override(enquiry.language):
            subject = f"{enquiry.get_topic_display()} — Questions Numériques"
        context.update(
            {
                "form": (
                    self.follow_up_form_class(instance=enquiry, for_user=self.request.user)
                    if can_change
                    else None
                ),
                "action_url": (
                    reverse(self.edit_url_name, args=[quote(enquiry.pk)]) if can_change else None
                ),
                "reply_url": "mailto:{}?{}".format(
                    enquiry.email, urlencode({"subject": subject}, quote_via=url_quote)
                ),
                "contact_url": (
                    reverse("enquiry_contact:edit", args=[enquiry.routed_to_id])
                    if enquiry.routed_to_id
                    and policy_registry.get_by_type(Contact).user_has_permission(
                        self.request.user, "change"
                    )
                    else None
                ),
            }
        )
        return context


class EnquiryEditView(EditView):
    """Saves the follow-up form (posted from the enquiry's page) and goes back to that page.
    On an error, the form is shown again here, under a reminder of the enquiry."""

    template_name = "membership/admin/enquiry_edit.html"

    def get_success_url(self):
        return self.get_inspect_url()

    def get_success_message(self):
        enquiry = self.object
        return _("Demande de %(name)s : %(state)s, suivie par %(assignee)s.") % {
            "name": enquiry.name,
            "state": enquiry.get_state_display().lower(),
            "assignee": (
                get_user_display_name(enquiry.assignee) if enquiry.assignee else _("personne")
            ),
        }

    def get_success_buttons(self):
        return []


# Contacts and routing -------------------------------------------------------------------------


class ContactForm(WagtailAdminModelForm):
    def clean_languages(self):
        """ "EN fr;en" → "en, fr": known codes, each once, as the help text shows them."""
        words = re.split(r"[\s,;]+", self.cleaned_data["languages"].lower())
        codes = list(dict.fromkeys(word for word in words if word))
        known = dict(settings.LANGUAGES)
        unknown = [code for code in codes if code not in known]
        if unknown or not codes:
            raise ValidationError(
                _("Codes de langue possibles : %(known)s (séparés par des virgules)."),
                params={"known": ", ".join(known)},
                code="languages",
            )
        return ", ".join(codes)


def _topics(contact):
    return ", ".join(str(label) for label in contact.topics)


class ContactIndexView(IndexView):
    add_item_label = gettext_lazy("Ajouter un contact")

    def get_base_queryset(self):
        return super().get_base_queryset().prefetch_related("routes")


class ContactDeleteView(DeleteView):
    """A contact that still receives a topic cannot be deleted (the routing table protects
    it): the page says which topics to route elsewhere first. Enquiries already sent to the
    contact stay in the inbox, routed to nobody."""

    template_name = "membership/admin/enquiry_contact_delete.html"

    def get_usage_url(self):
        # Wagtail's reference index misses routes loaded by the content command; the routes
        # themselves are listed instead.
        return None

    @cached_property
    def route_topics(self):
        return _topics(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "route_topics": self.route_topics,
                "is_protected": bool(self.route_topics),
                "enquiry_count": self.object.enquiries.count(),
                "routing_url": reverse("enquiry_route:index"),
            }
        )
        return context

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(
                self.request,
                _("%(name)s reçoit encore des demandes : rien n'a été supprimé.")
                % {"name": self.object.name},
            )
            return HttpResponseRedirect(self.get_delete_url())


class TopicRouteForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Active contacts, and the current one even if it has since been deactivated.
        self.fields["contact"].queryset = Contact.objects.filter(
            Q(active=True) | Q(pk=self.instance.contact_id)
        ).order_by("name")

    def clean_topic(self):
        topic = self.cleaned_data["topic"]
        taken = (
            TopicRoute.objects.filter(topic=topic)
            .exclude(pk=self.instance.pk)
            .select_related("contact")
            .first()
        )
        if taken:
            raise ValidationError(
                _(
                    "Le sujet « %(topic)s » est déjà aiguillé vers %(contact)s : modifiez cette "
                    "ligne de l'aiguillage plutôt que d'en ajouter une seconde."
                ),
                params={"topic": taken.get_topic_display(), "contact": taken.contact.name},
                code="unique",
            )
        return topic


class TopicRoutePaginator(WagtailPaginator):
    """ "2 sujets aiguillés" under the listing, rather than "2 aiguillage des demandes"."""

    verbose_name = gettext_lazy("sujet aiguillé")
    verbose_name_plural = gettext_lazy("sujets aiguillés")


class TopicRouteIndexView(IndexView):
    template_name = "membership/admin/enquiry_topicroute_index.html"
    paginator_class = TopicRoutePaginator
    add_item_label = gettext_lazy("Aiguiller un sujet")
    verbose_name_plural = TopicRoutePaginator.verbose_name_plural

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("contact")

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        active = set(
            TopicRoute.objects.filter(contact__active=True).values_list("topic", flat=True)
        )
        context["uncovered_topics"] = [
            str(label) for value, label in Topic.choices if value not in active
        ]
        return context


# Dashboard -------------------------------------------------------------------------------------


def may_view_enquiries(user):
    return policy_registry.get_by_type(Enquiry).user_has_any_permission(
        user, ["view", "change", "delete"]
    )


class NewEnquiriesPanel(Component):
    """ "Nouvelles demandes": how many new enquiries each contact has, each line opening the
    inbox on that contact's new enquiries."""

    name = "new_enquiries"
    template_name = "membership/admin/dashboard_enquiries.html"
    order = 100  # before Wagtail's own panels: these wait for an answer

    def get_context_data(self, parent_context):
        index_url = reverse("enquiry:index")
        rows = (
            Enquiry.objects.filter(state=State.NEW)
            .values("routed_to", "routed_to__name")
            .annotate(count=Count("pk"))
            .order_by(F("routed_to__name").asc(nulls_last=True))
        )
        lines = [
            {
                "label": row["routed_to__name"] or _("Sans contact"),
                "count": row["count"],
                "url": "{}?{}".format(
                    index_url,
                    urlencode({"state": State.NEW, "routed_to": row["routed_to"] or "null"}),
                ),
            }
            for row in rows
        ]
        return {
            "lines": lines,
            "total": sum(line["count"] for line in lines),
            "index_url": f"{index_url}?{urlencode({'state': State.NEW})}",
        }
