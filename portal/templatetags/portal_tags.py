"""Template tags for the site's layout: home page, menus, language switcher, hreflang links.

Every tag takes the request from the template context and caches what it fetches on it, so
the layout costs a handful of queries per request whatever the number of links it prints.
"""

import re
from dataclasses import dataclass

from django import template
from django.conf import settings
from django.utils import translation

from wagtail.models import Page, PageViewRestriction, Site

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


def _public(queryset, cache):
    """`queryset.public()`, with the view restrictions fetched once per request."""
    if "restricted_paths" not in cache:
        cache["restricted_paths"] = list(
            PageViewRestriction.objects.values_list("page__path", flat=True)
        )
    for path in cache["restricted_paths"]:
        queryset = queryset.exclude(path__startswith=path)
    return queryset


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


def _locale_home_pages(context):
    """The live translations of the site's root page, with their locales (one query)."""
    request, cache = _cache(context)
    if "homes" not in cache:
        site = Site.find_for_request(request) if request is not None else None
        if site is None:
            site = Site.objects.select_related("root_page").filter(is_default_site=True).first()
        if site is None:
            cache["homes"] = []
        else:
            cache["homes"] = list(
                Page.objects.filter(translation_key=site.root_page.translation_key)
                .live()
                .select_related("locale")
            )
    return cache["homes"]


@register.simple_tag(takes_context=True)
def site_home(context):
    """`{% site_home as home %}`: the site's home page in the active language, else the
    home page in the default language, else None."""
    homes = _locale_home_pages(context)
    by_language = {home.locale.language_code: home for home in homes}
    return by_language.get(_current_language()) or by_language.get(settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def locale_homes(context):
    """`{% locale_homes as homes %}`: a LanguageLink to the home page of each language."""
    return _language_links(_locale_home_pages(context), context.get("request"))


@register.simple_tag(takes_context=True)
def page_translations(context, page):
    """`{% page_translations page as translations %}`: a LanguageLink for each live, public
    translation of `page`, the page itself included (for hreflang links)."""
    request, cache = _cache(context)
    if not isinstance(page, Page) or page.pk is None:
        return []
    key = ("translations", page.pk)
    if key not in cache:
        translations = _public(
            Page.objects.filter(translation_key=page.translation_key).live(), cache
        ).select_related("locale")
        cache[key] = _language_links(translations, request)
    return cache[key]


@register.simple_tag(takes_context=True)
def language_links(context, page=None):
    """`{% language_links page as links %}`: one LanguageLink per site language, for the
    language switcher. A language the page is not translated into links to that language's
    home page (`is_fallback`); without a page, every language links to its home page."""
    homes = locale_homes(context)
    if page is None or not isinstance(page, Page):
        return homes
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


@register.simple_tag(takes_context=True)
def main_menu(context):
    """`{% main_menu as items %}`: the live, public, "show in menus" children of the home page
    in the active language, each marked current or ancestor of the page being shown."""
    request, cache = _cache(context)
    key = ("main_menu", _current_language())
    if key not in cache:
        home = site_home(context)
        cache[key] = list(_public(home.get_children().live().in_menu(), cache)) if home else []
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
        for item in cache[key]
    ]


@register.simple_tag(takes_context=True)
def footer_pages(context):
    """`{% footer_pages as pages %}`: the home page's live, public standard pages (legal
    notice, privacy policy…) and organisation page, in the active language, in tree order."""
    from home.models import OrganisationPage, StandardPage

    request, cache = _cache(context)
    key = ("footer_pages", _current_language())
    if key not in cache:
        home = site_home(context)
        cache[key] = (
            list(
                _public(home.get_children().live(), cache)
                .type(StandardPage, OrganisationPage)
                .order_by("path")
            )
            if home
            else []
        )
    return cache[key]


@register.simple_tag(takes_context=True)
def article_index(context):
    """`{% article_index as index %}`: the live articles index page in the active language,
    or None (to link tags and editions to the filtered article list)."""
    from editions.models import ArticleIndexPage

    request, cache = _cache(context)
    key = ("article_index", _current_language())
    if key not in cache:
        home = site_home(context)
        cache[key] = (
            _public(ArticleIndexPage.objects.descendant_of(home).live(), cache)
            .order_by("path")
            .first()
            if home
            else None
        )
    return cache[key]


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
