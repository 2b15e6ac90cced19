from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Page


class PortalSitemap(Sitemap):
    """Every live, public page of the site in every locale, with its translations as alternates.

    Wagtail's own sitemap only walks the default locale's tree; this one walks the site's
    root page and each of its translations.
    """

    def items(self):
        root = self.get_wagtail_site().root_page
        trees = Page.objects.none()
        for home in root.get_translations(inclusive=True):
            trees |= Page.objects.descendant_of(home, inclusive=True)
        return (
            trees.live()
            .public()
            .order_by("locale__language_code", "path")
            .defer_streamfields()
            .specific()
        )
