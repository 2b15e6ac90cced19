"""Template tags for the site's layout: home page, menus, language switcher, hreflang links.

Every tag takes the request from the template context and keeps what it fetches on it. What
the layout shows (home pages, menu, footer, articles index) comes from one query, and each
page's translations from another, both kept in the Django cache until the page tree changes
(home.tree_cache): a steady-state request makes no query for its layout.
"""

import re
from dataclasses import dataclass

from django import template
from django.conf import settings
from django.db.models import Q
from django.urls import translate_url
from django.utils import translation

from wagtail.models import Page, Site

from home import routing, tree_cache
from home.models.base import not_restricted

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    """One language version of a page (or of the site, for locale home pages)."""

    language_code: str
    name: str
    url: str
    full_url: str
    is_current: bool
    is_default: bool
    """True for the site's default language (settings.LANGUAGE_CODE), the x-default."""
    is_fallback: bool = False
    """True when the page has no translation in this language and the link leads home."""


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str
    is_current: bool
    is_ancestor: bool


def _cache(context):
    request = context.get("request")
    if request is None:
        return None, {}
    if not hasattr(request, "_portal_tags_cache"):
        request._portal_tags_cache = {}
    return request, request._portal_tags_cache


def _language_order():
    return {code: position for position, (code, _name) in enumerate(settings.LANGUAGES)}


def _language_name(code):
    try:
        return translation.get_language_info(code)["name_local"].capitalize()
    except KeyError:
        return code


def _current_language():
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _language_links(pages, request, is_fallback=False):
    """LanguageLinks for pages (select_related("locale")), in the LANGUAGES order."""
    order = _language_order()
    current = _current_language()
    links = []
    for page in sorted(pages, key=lambda p: order.get(p.locale.language_code, len(order))):
        url = page.get_url(request)
        if url is None:
            continue
        code = page.locale.language_code
        links.append(
            LanguageLink(
                language_code=code,
                name=_language_name(code),
                url=url,
                full_url=page.get_full_url(request) or url,
                is_current=code == current,
                is_default=code == settings.LANGUAGE_CODE,
                is_fallback=is_fallback,
            )
        )
    return links


def _site(request):
    site = routing.site_for(request) if request is not None else None
    if site is None:
        site = Site.objects.select_related("root_page").filter(is_default_site=True).first()
    return site


def _layout_pages(root):
    """The live translations of the site's root page and the live pages just below them, each
    marked `is_public`, in tree order: one query (see _layout)."""
    return list(
        Page.objects.live()
        .filter(Q(translation_key=root.translation_key) | Q(depth=root.depth + 1))
        .annotate(is_public=not_restricted())
        .select_related("locale")
        .order_by("path")
    )


def _article_index_below(home):
    from editions.models import ArticleIndexPage

    return (
        ArticleIndexPage.objects.descendant_of(home)
        .live()
        .filter(not_restricted())
        .order_by("path")
        .first()
    )


def _compute_layout(root):
    """{"homes": [...], language code: {"menu", "footer", "article_index"}} for a site."""
    from editions.models import ArticleIndexPage
    from home.models import OrganisationPage, StandardPage

    pages = _layout_pages(root)
    homes = [page for page in pages if page.translation_key == root.translation_key]
    layout = {"homes": homes}
    for home in homes:
        children = [
            page
            for page in pages
            if page.depth == home.depth + 1 and page.path.startswith(home.path) and page.is_public
        ]
        indexes = [p for p in children if issubclass(p.specific_class or Page, ArticleIndexPage)]
        article_index = indexes[0] if indexes else None
        if article_index is None:
            article_index = _article_index_below(home)
        layout[home.locale.language_code] = {
            "menu": [page for page in children if page.show_in_menus],
            "footer": [
                page
                for page in children
                if issubclass(page.specific_class or Page, StandardPage | OrganisationPage)
            ],
            "article_index": article_index,
        }
    return layout


def _layout(context):
    """What the site's layout shows, cached until the page tree changes (home.tree_cache):
    a query when the tree changed, none otherwise."""
    request, cache = _cache(context)
    if "layout" not in cache:
        site = _site(request)
        if site is None:
            cache["layout"] = {"homes": []}
        else:
            cache["layout"] = tree_cache.get_or_compute(
                f"layout:{site.pk}:{site.root_page_id}",
                lambda: _compute_layout(site.root_page),
            )
    return cache["layout"]


def _locale_home_pages(context):
    """The live translations of the site's root page, with their locales."""
    return _layout(context)["homes"]


def _current_home(context):
    homes = _locale_home_pages(context)
    by_language = {home.locale.language_code: home for home in homes}
    return by_language.get(_current_language()) or by_language.get(settings.LANGUAGE_CODE)


def _home_layout(context):
    home = _current_home(context)
    if home is None:
        return {"menu": [], "footer": [], "article_index": None}
    return _layout(context)[home.locale.language_code]


@register.simple_tag(takes_context=True)
def site_home(context):
    """`{% site_home as home %}`: the site's home page in the active language, else the
    home page in the default language, else None."""
    return _current_home(context)


@register.simple_tag(takes_context=True)
def locale_homes(context):
    """`{% locale_homes as homes %}`: a LanguageLink to the home page of each language."""
    request, cache = _cache(context)
    if "locale_homes" not in cache:
        cache["locale_homes"] = _language_links(_locale_home_pages(context), request)
    return cache["locale_homes"]


def _translations(translation_key):
    return list(
        Page.objects.filter(translation_key=translation_key)
        .live()
        .filter(not_restricted())
        .select_related("locale")
    )


@register.simple_tag(takes_context=True)
def page_translations(context, page):
    """`{% page_translations page as translations %}`: a LanguageLink for each live, public
    translation of `page`, the page itself included (for hreflang links)."""
    request, cache = _cache(context)
    if not isinstance(page, Page) or page.pk is None:
        return []
    key = ("translations", page.pk)
    if key not in cache:
        # Routing fetched them with the page (home.models.base.BasePage.route).
        translations = getattr(page, "route_translations", None)
        if translations is None:
            translations = tree_cache.get_or_compute(
                f"translations:{page.translation_key}",
                lambda: _translations(page.translation_key),
            )
        cache[key] = _language_links(translations, request)
    return cache[key]


@register.simple_tag(takes_context=True)
def language_links(context, page=None):
    """`{% language_links page as links %}`: one LanguageLink per site language, for the
    language switcher. A language the page is not translated into links to that language's
    home page (`is_fallback`). Without a page, a view of our own (the search, with its query)
    links to the same view in each language; anything else (an error page), to each home."""
    homes = locale_homes(context)
    if page is None or not isinstance(page, Page):
        return _view_links(context, homes)
    translated = {link.language_code: link for link in page_translations(context, page)}
    links = []
    for home in homes:
        if home.language_code in translated:
            links.append(translated[home.language_code])
        else:
            links.append(
                LanguageLink(
                    language_code=home.language_code,
                    name=home.name,
                    url=home.url,
                    full_url=home.full_url,
                    is_current=home.is_current,
                    is_default=home.is_default,
                    is_fallback=True,
                )
            )
    return links


# Views that exist in every language under the same name (i18n_patterns).
TRANSLATED_VIEWS = frozenset({"search"})


def _view_links(context, homes):
    """The same view and query string in each language, for TRANSLATED_VIEWS."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in TRANSLATED_VIEWS:
        return homes
    links = []
    for home in homes:
        url = translate_url(request.get_full_path(), home.language_code)
        links.append(
            LanguageLink(
                language_code=home.language_code,
                name=home.name,
                url=url,
                full_url=request.build_absolute_uri(url),
                is_current=home.is_current,
                is_default=home.is_default,
            )
        )
    return links


@register.simple_tag(takes_context=True)
def main_menu(context):
    """`{% main_menu as items %}`: the live, public, "show in menus" children of the home page
    in the active language, each marked current or ancestor of the page being shown."""
    request, _cache_dict = _cache(context)
    page = context.get("page")
    current_path = page.path if isinstance(page, Page) and page.path else None
    return [
        MenuItem(
            title=item.title,
            url=item.get_url(request),
            is_current=current_path == item.path,
            is_ancestor=bool(current_path)
            and current_path != item.path
            and current_path.startswith(item.path),
        )
        for item in _home_layout(context)["menu"]
    ]


@register.simple_tag(takes_context=True)
def footer_pages(context):
    """`{% footer_pages as pages %}`: the home page's live, public standard pages (legal
    notice, privacy policy…) and organisation page, in the active language, in tree order."""
    return _home_layout(context)["footer"]


@register.simple_tag(takes_context=True)
def article_index(context):
    """`{% article_index as index %}`: the live articles index page in the active language,
    or None (to link tags and editions to the filtered article list)."""
    return _home_layout(context)["article_index"]


@register.simple_tag
def page_range(page_obj, on_each_side=2, on_ends=1):
    """`{% page_range page_obj as numbers %}`: the page numbers to link to, with
    `Paginator.ELLIPSIS` ("…") standing for the elided ones."""
    return list(
        page_obj.paginator.get_elided_page_range(
            page_obj.number, on_each_side=on_each_side, on_ends=on_ends
        )
    )


@register.filter
def choice_label(struct_value, name):
    """`{{ value|choice_label:"kind" }}`: the label of a ChoiceBlock child of a StructBlock."""
    block = struct_value.block.child_blocks[name]
    raw = struct_value.get(name)
    return dict(block.field.choices).get(raw, raw)


@register.filter
def tel_uri(phone):
    """`{{ phone|tel_uri }}`: "+33 1 23 45 67 89" → "tel:+33123456789"."""
    phone = str(phone).strip()
    digits = re.sub(r"[^0-9]", "", phone)
    return f"tel:+{digits}" if phone.startswith("+") else f"tel:{digits}"


@register.filter
def page_type(page):
    """`{{ page|page_type }}`: the translated verbose name of a page's type."""
    model = page.specific_class if isinstance(page, Page) else type(page)
    return model._meta.verbose_name if model else ""


class TreeCachedNode(template.Node):
    def __init__(self, nodelist, parts):
        self.nodelist = nodelist
        self.parts = parts

    def render(self, context):
        request = context.get("request")
        if getattr(request, "is_preview", False):
            return self.nodelist.render(context)  # a draft: never cached, never from the cache
        parts = [str(part.resolve(context)) for part in self.parts]
        key = ":".join(["fragment", _current_language(), *parts])
        return tree_cache.get_or_compute(key, lambda: self.nodelist.render(context))


@register.tag
def tree_cached(parser, token):
    """`{% tree_cached "edition-body" page.pk %}…{% endtree_cached %}`: the fragment rendered
    once per language and kept until the page tree, an image or a document changes
    (home.tree_cache); for content that depends on nothing else (StreamFields: their rich
    text links, documents and images). Previews are always rendered."""
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("tree_cached needs at least a name")
    nodelist = parser.parse(("endtree_cached",))
    parser.delete_first_token()
    return TreeCachedNode(nodelist, [parser.compile_filter(bit) for bit in bits])
