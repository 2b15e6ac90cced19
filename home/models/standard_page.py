from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.search import index

from home.blocks import BaseStreamBlock

from .base import BasePage, translated


class StandardPage(BasePage):
    """A plain page: legal notice, privacy policy, anything editors need."""

    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("contenu"))

    translatable_fields = [*BasePage.translatable_fields, *translated("body")]
    content_panels = [*BasePage.content_panels, FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]
    api_fields = [APIField("introduction"), APIField("body")]

    class Meta:
        verbose_name = _("page standard")
        verbose_name_plural = _("pages standard")
