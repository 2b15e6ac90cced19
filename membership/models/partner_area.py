"""Partner-only pages of an edition (the online learning path, seminar material…).

They are served only to a partner space session whose partnership is paid for the edition:
see `membership.partner_space.restrict_partner_area` (a `before_serve_page` hook).
"""

from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.search import index

from home.blocks import BaseStreamBlock
from home.models.base import BasePage, translated


class PartnerAreaPage(BasePage):
    """A page (and its sub-pages) reserved to an edition's paying partners."""

    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("contenu"))

    parent_page_types = ["editions.EditionPage", "membership.PartnerAreaPage"]
    subpage_types = ["membership.PartnerAreaPage"]
    template = "membership/partner_space/partner_area_page.html"

    translatable_fields = [*BasePage.translatable_fields, *translated("body")]
    content_panels = [*BasePage.content_panels, FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("page réservée aux partenaires")
        verbose_name_plural = _("pages réservées aux partenaires")

    @property
    def edition(self):
        """The edition (EditionPage, in this page's locale) this page belongs to, or None."""
        from editions.models import EditionPage

        return EditionPage.objects.ancestor_of(self).order_by("-depth").first()

    def get_sitemap_urls(self, request=None):
        """Never listed in a sitemap: these pages are private."""
        return []

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["subpages"] = PartnerAreaPage.objects.child_of(self).live().order_by("path")
        return context

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        # A partner's page must never be stored by a shared cache.
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response
