from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.translation import get_language

from wagtail.models import Locale, Page

from membership.models import PartnerAreaPage

MAX_QUERY_LENGTH = 200


def clean_query(raw: str) -> str:
    """Printable text, at most MAX_QUERY_LENGTH characters, quotes only when balanced."""
    query = "".join(ch for ch in raw if ch.isprintable()).strip()[:MAX_QUERY_LENGTH]
    if query.count('"') % 2:
        query = query.replace('"', " ").strip()
    return query


def search(request):
    """Full-text search over the live, public pages of the current language."""
    query = clean_query(request.GET.get("q", ""))
    results = Page.objects.none()
    if query:
        locale = Locale.objects.filter(language_code=get_language()).first()
        pages = Page.objects.live().public().not_type(PartnerAreaPage).specific()
        if locale:
            pages = pages.filter(locale=locale)
        results = pages.search(query)
    page_obj = Paginator(results, 10).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "search/search.html",
        {"query": query, "page_obj": page_obj, "results": page_obj.object_list},
    )
