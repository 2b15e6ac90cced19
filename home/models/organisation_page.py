from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.search import index

from .base import BasePage, synchronised, translated


class OfficeBlock(blocks.StructBlock):
    city = blocks.CharBlock(label=_("Ville"))
    address = blocks.TextBlock(label=_("Adresse"))
    phone = blocks.CharBlock(required=False, label=_("Téléphone"))

    class Meta:
        icon = "site"
        label = _("Bureau")


class LinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Libellé"))
    url = blocks.URLBlock(label=_("Adresse web"))

    class Meta:
        icon = "link"
        label = _("Lien")


class OrganisationPage(BasePage):
    """Fing's own profile: mission, legal status, offices and links."""

    mission = models.TextField(_("mission"), blank=True)
    legal_status = models.CharField(_("statut"), max_length=255, blank=True)
    member_count = models.PositiveIntegerField(_("nombre d'adhérents"), null=True, blank=True)
    description = RichTextField(
        _("présentation"), blank=True, features=["bold", "italic", "link", "ul"]
    )
    offices = StreamField([("office", OfficeBlock())], blank=True, verbose_name=_("bureaux"))
    links = StreamField([("link", LinkBlock())], blank=True, verbose_name=_("liens"))

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("mission", "legal_status", "description", "offices", "links"),
        *synchronised("member_count"),
    ]

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("mission"),
        MultiFieldPanel([FieldPanel("legal_status"), FieldPanel("member_count")], _("Statut")),
        FieldPanel("description"),
        FieldPanel("offices"),
        FieldPanel("links"),
    ]

    search_fields = [
        *BasePage.search_fields,
        index.SearchField("mission"),
        index.SearchField("description"),
    ]
    api_fields = [
        APIField("mission"),
        APIField("legal_status"),
        APIField("member_count"),
        APIField("offices"),
        APIField("links"),
    ]

    class Meta:
        verbose_name = _("page organisation")
        verbose_name_plural = _("pages organisation")
