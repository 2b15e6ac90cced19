"""Links to pages in rich text, expanded in one query."""

from django.db.models import F, Q
from django.utils import translation
from django.utils.html import escape

from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page
from wagtail.rich_text.pages import PageLinkHandler


class LocalizedPageLinkHandler(PageLinkHandler):
    """Wagtail's page links, each to the linked page in the active language where it is
    translated and live (what Wagtail's handler gets with `.specific` and `.localized`, in
    three or four queries per rich text), with the linked pages and their translations
    fetched together in one query."""

    @classmethod
    def expand_db_attributes_many(cls, attrs_list: list[dict]) -> list[str]:
        ids = [str(attrs.get("id", "")) for attrs in attrs_list]
        valid = [int(pk) for pk in ids if pk.isdigit()]
        language = get_supported_content_language_variant(translation.get_language())
        linked = Page.objects.filter(pk__in=valid)
        translations = Q(
            translation_key__in=linked.values("translation_key"),
            locale__language_code=language,
            live=True,
        )
        pages = list(
            Page.objects.filter(Q(pk__in=valid) | translations).annotate(
                language_code=F("locale__language_code")
            )
            if valid
            else []
        )
        by_id = {str(page.pk): page for page in pages}
        translated = {
            page.translation_key: page
            for page in pages
            if page.language_code == language and page.live
        }
        links = []
        for pk in ids:
            page = by_id.get(pk)
            if page is None:
                links.append("<a>")
            else:
                url = translated.get(page.translation_key, page).url
                links.append(f'<a href="{escape(url)}">')
        return links
