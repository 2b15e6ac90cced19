"""Filters of the membership admin listings."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet

import django_filters

from editions.models import EditionPage

from .models import (
    Adherent,
    Partnership,
    PartnershipState,
    Price,
    ProgrammeEvent,
    Tier,
    WebhookEvent,
)


def source_editions(request=None):
    """Editions in the source language: prices, partnerships and dates point at these."""
    return EditionPage.objects.filter(locale__language_code="fr").order_by("-start_year")


class EditionFilterMixin(django_filters.FilterSet):
    edition = django_filters.ModelChoiceFilter(
        label=_("Édition"), queryset=source_editions, empty_label=_("Toutes")
    )


class AdherentFilterSet(WagtailFilterSet):
    VALID, EXPIRED, UPCOMING = "valid", "expired", "upcoming"

    validity = django_filters.ChoiceFilter(
        label=_("Adhésion"),
        method="filter_validity",
        choices=[
            (VALID, _("Valide aujourd'hui")),
            (EXPIRED, _("Expirée")),
            (UPCOMING, _("Pas encore commencée")),
        ],
        empty_label=_("Toutes"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Adherent
        fields = []

    def filter_validity(self, queryset, name, value):
        today = timezone.localdate()
        if value == self.VALID:
            return queryset.valid_on(today)
        if value == self.EXPIRED:
            return queryset.filter(valid_to__lt=today)
        if value == self.UPCOMING:
            return queryset.filter(valid_from__gt=today)
        return queryset


class PartnershipFilterSet(EditionFilterMixin, WagtailFilterSet):
    tier = django_filters.ChoiceFilter(
        label=_("Tarif"), choices=Tier.choices, empty_label=_("Tous"), widget=forms.RadioSelect
    )
    state = django_filters.ChoiceFilter(
        label=_("État"),
        choices=PartnershipState.choices,
        empty_label=_("Tous"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Partnership
        fields = ["edition", "tier", "state"]


class WebhookEventFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("État"),
        choices=WebhookEvent.Status.choices,
        empty_label=_("Tous"),
        widget=forms.RadioSelect,
    )
    type = django_filters.ChoiceFilter(label=_("Type"), choices=[], empty_label=_("Tous"))

    class Meta:
        model = WebhookEvent
        fields = ["status", "type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = WebhookEvent.objects.order_by("type").values_list("type", flat=True).distinct()
        self.filters["type"].extra["choices"] = [(t, t) for t in types]


class PriceFilterSet(EditionFilterMixin, WagtailFilterSet):
    class Meta:
        model = Price
        fields = ["edition", "tier"]


class ProgrammeEventFilterSet(EditionFilterMixin, WagtailFilterSet):
    class Meta:
        model = ProgrammeEvent
        fields = ["edition", "kind"]
