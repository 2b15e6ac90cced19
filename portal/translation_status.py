"""Which page exists in which language, and whether its translation is still current.

For every page of the tree and every content language, one row:
- ``original``: the page in its source language;
- ``missing``: no page in that language;
- ``outdated``: the source page changed after its translation was last synchronised
  (a newer revision than wagtail-localize's TranslationSource, or, for a translation
  made without wagtail-localize, than the translated page's own latest revision);
- ``current``: translated and synchronised since the source last changed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from wagtail.models import Locale, Page
from wagtail_localize.models import TranslationSource

STATUS_LABELS = {
    "original": _("Original"),
    "missing": _("Manquante"),
    "outdated": _("Pas à jour"),
    "current": _("À jour"),
}


@dataclass(frozen=True)
class TranslationStatus:
    source_page: Page
    locale: Locale
    status: str
    page: Page | None

    @property
    def label(self):
        return STATUS_LABELS[self.status]

    @property
    def title(self):
        return self.source_page.title

    @property
    def page_type(self):
        return self.source_page.specific_class._meta.verbose_name


def _changed_at(page) -> datetime | None:
    return page.latest_revision_created_at or page.last_published_at


def translation_statuses(status=None, locale=None):
    """Every (page, locale) pair of the content tree, in tree order of the source pages."""
    locales = list(Locale.objects.order_by("pk"))
    default_locale = Locale.get_default()
    pages = Page.objects.filter(depth__gt=1).select_related("locale", "content_type")
    by_key: dict = {}
    for page in pages.order_by("path"):
        by_key.setdefault(page.translation_key, {})[page.locale_id] = page
    synced_at = {
        (source.object_id, source.locale_id): source.last_updated_at
        for source in TranslationSource.objects.all().only(
            "object_id", "locale_id", "last_updated_at"
        )
    }

    rows = []
    for key, versions in by_key.items():
        source_locale_id = next(
            (lid for (obj, lid) in synced_at if obj == key and lid in versions),
            default_locale.pk if default_locale.pk in versions else next(iter(versions)),
        )
        source_page = versions[source_locale_id]
        for loc in locales:
            page = versions.get(loc.pk)
            if loc.pk == source_locale_id:
                state = "original"
            elif page is None:
                state = "missing"
            else:
                reference = synced_at.get((key, source_locale_id)) or _changed_at(page)
                changed = _changed_at(source_page)
                state = "outdated" if changed and reference and changed > reference else "current"
            rows.append(TranslationStatus(source_page, loc, state, page))

    if status:
        rows = [row for row in rows if row.status == status]
    if locale:
        rows = [row for row in rows if row.locale.language_code == locale]
    return rows
