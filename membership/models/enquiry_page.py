"""The contact page: the enquiry form and its thank-you step (views in membership.enquiries)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField

from home.models.base import BasePage, synchronised, translated

from .enquiry import Topic


class EnquiryPage(RoutablePageMixin, BasePage):
    """A page with the enquiry form; the introduction is shown above it."""

    thank_you = RichTextField(
        _("message de remerciement"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("Affiché après l'envoi d'une demande."),
    )
    default_topic = models.CharField(
        _("sujet proposé par défaut"),
        max_length=20,
        choices=Topic.choices,
        blank=True,
        help_text=_("Laissez vide pour que le visiteur choisisse le sujet."),
    )

    parent_page_types = ["home.HomePage"]
    subpage_types = []

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("thank_you"),
        *synchronised("default_topic"),
    ]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("default_topic"),
        FieldPanel("thank_you"),
    ]

    class Meta:
        verbose_name = _("page de contact")
        verbose_name_plural = _("pages de contact")

    @path("")
    def index_route(self, request, *args, **kwargs):
        from membership import enquiries

        return enquiries.enquiry_form(request, self)

    @path("merci/", name="thanks")
    def thanks_view(self, request):
        from membership import enquiries

        return enquiries.thanks(request, self)
