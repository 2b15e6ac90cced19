from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField
from wagtail.search import index

from .base import BasePage, ListingImageMixin, not_restricted, synchronised, translated


class PersonIndexPage(BasePage):
    """The project team."""

    subpage_types = ["home.PersonPage"]

    class Meta:
        verbose_name = _("page équipe")
        verbose_name_plural = _("pages équipe")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["people"] = (
            PersonPage.objects.child_of(self)
            .live()
            .filter(not_restricted())
            .select_related("listing_image")
            .order_by("path")
        )
        return context


class PersonPage(ListingImageMixin, BasePage):
    """A member of the team; the page title is the person's name."""

    role = models.CharField(_("fonction"), max_length=255, blank=True)
    biography = RichTextField(_("biographie"), blank=True, features=["bold", "italic", "link"])
    email = models.EmailField(_("e-mail"), blank=True)

    parent_page_types = ["home.PersonIndexPage"]
    subpage_types = []

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("role", "biography"),
        *synchronised("email", "listing_image"),
    ]

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("role"),
        FieldPanel("listing_image"),
        FieldPanel("biography"),
        FieldPanel("email"),
    ]

    search_fields = [
        *BasePage.search_fields,
        index.SearchField("role"),
        index.SearchField("biography"),
    ]
    api_fields = [APIField("role"), APIField("biography"), APIField("email")]

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")

    @property
    def name(self):
        return self.title
