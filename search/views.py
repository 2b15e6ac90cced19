"""The public search page, its autocomplete endpoint, and what readers see when it is down.

Both ask ``get_search_service()`` (search.services) and know nothing of the engine behind it.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .forms import (
    ALL_LANGUAGES,
    AUTOCOMPLETE_MIN_LENGTH,
    LANGUAGE_LABELS,
    MAX_QUERY_LENGTH,  # noqa: F401 (importable from here, as before the form existed)
    PER_PAGE,
    AutocompleteForm,
    SearchForm,
    clean_query,  # noqa: F401 (importable from here, as before the form existed)
    kind_label,
)
from .models import ArchiveEntry
from .services import FACETS, Hit, SearchPage, SearchUnavailable, get_search_service

logger = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 8
AUTOCOMPLETE_MAX_AGE = 60
RETRY_AFTER = 60
FACET_TITLES = {
    "locale": gettext_lazy("Langue"),
    "kind": gettext_lazy("Type"),
    "edition": gettext_lazy("Édition"),
    "year": gettext_lazy("Année"),
}
# Kinds whose date says something to a reader (an edition has its years, a person none).
DATED_KINDS = {ArchiveEntry.Kind.ARTICLE, ArchiveEntry.Kind.DOCUMENT, ArchiveEntry.Kind.PAGE}


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    options: list[FacetOption]


@dataclass(frozen=True)
class Result:
    hit: Hit
    kind_label: str
    # The hit's language, named, when it is not the page's.
    language_label: str
    # "Title (years)" of the edition it belongs to, in the reader's language.
    edition_label: str
    # The years of an edition, or of an entry outside any edition.
    years: str
    show_date: bool


@dataclass(frozen=True)
class Edition:
    title: str
    years: str
    start_year: int

    @property
    def label(self) -> str:
        return f"{self.title} ({self.years})"


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _url(params: dict[str, list[str]]) -> str:
    query = urlencode(params, doseq=True)
    return f"{reverse('search')}?{query}" if query else reverse("search")


def _editions(keys: set[str], language: str) -> dict[str, Edition]:
    """Edition translation key → Edition, titled in the reader's language where the edition
    is translated into it; one query."""
    from editions.models import EditionPage

    if not keys:
        return {}
    rows = (
        EditionPage.objects.live()
        .filter(translation_key__in=keys)
        .values_list("translation_key", "locale__language_code", "title", "start_year", "end_year")
    )
    editions: dict[str, Edition] = {}
    for key, code, title, start, end in rows:
        key = str(key)
        if key in editions and code != language:
            continue
        years = f"{start}-{end}" if end and end != start else str(start)
        editions[key] = Edition(title, years, start)
    return editions


def _toggled(selected: list[str], value) -> list[str]:
    if value.selected:
        return [chosen for chosen in selected if chosen != value.value]
    return [*selected, value.value]


def _facets(form: SearchForm, page: SearchPage, editions) -> list[Facet]:
    """Each facet's values with the link that ticks or unticks it, in a reading order:
    languages as the site lists them, types as the model does, editions and years newest
    first."""
    params = form.parameters()
    languages = [code for code, _name in settings.LANGUAGES]
    kinds = ArchiveEntry.Kind.values
    facets = []
    for name in FACETS:
        values = page.facets.get(name) or []
        selected = [value.value for value in values if value.selected]
        options = []
        for value in values:
            chosen = _toggled(selected, value)
            if name == "locale":
                chosen = chosen or [ALL_LANGUAGES]  # no language ticked: every language
                label = str(LANGUAGE_LABELS.get(value.value, value.value))
                order = languages.index(value.value) if value.value in languages else 99
            elif name == "kind":
                label = kind_label(value.value)
                order = kinds.index(value.value) if value.value in kinds else 99
            elif name == "edition":
                edition = editions.get(value.value)
                label = edition.label if edition else _("Édition inconnue")
                order = -edition.start_year if edition else 0
            else:
                label, order = value.value, -int(value.value)
            option = FacetOption(
                value.value, label, value.count, value.selected, _url({**params, name: chosen})
            )
            options.append((order, option))
        if options:
            options.sort(key=lambda pair: pair[0])
            facets.append(Facet(name, str(FACET_TITLES[name]), [o for _order, o in options]))
    return facets


def _result(hit: Hit, editions: dict[str, Edition], language: str) -> Result:
    edition = editions.get(hit.edition_key)
    edition_label, years = "", str(hit.year or "")
    if hit.kind == ArchiveEntry.Kind.EDITION:
        years = edition.years if edition else years
    elif edition or hit.edition_title:
        edition_label, years = (edition.label if edition else hit.edition_title), ""
    return Result(
        hit=hit,
        kind_label=kind_label(hit.kind),
        language_label=""
        if hit.locale == language
        else str(LANGUAGE_LABELS.get(hit.locale, hit.locale)),
        edition_label=edition_label,
        years=years,
        show_date=bool(hit.date) and hit.kind in DATED_KINDS,
    )


def _unavailable(request, query: str, error: Exception, language: str):
    from editions.models import EditionIndexPage

    logger.warning("Search is unavailable (%s); query %r", error, query)
    editions_index = (
        EditionIndexPage.objects.live().public().filter(locale__language_code=language).first()
    )
    response = TemplateResponse(
        request,
        "search/unavailable.html",
        {
            "query": query,
            "editions_index": editions_index,
            "retry_url": request.get_full_path(),
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


@require_safe
def search(request):
    """Full-text search over the public archive, faceted, in the reader's language first."""
    language = _language()
    form = SearchForm(request.GET, language=language)
    context = {"form": form}
    if not form.is_valid():
        query = form.cleaned_data.get("q", "")
        context.update(query=query, retry_url=_url({"q": [query]} if query else {}))
        return TemplateResponse(request, "search/search.html", context, status=400)

    query = form.cleaned_data["q"]
    params = form.parameters()
    context.update(
        query=query,
        kept_parameters=[
            (name, value) for name in ("locale", "order") for value in params.get(name, [])
        ],
    )
    if not query:
        return TemplateResponse(request, "search/search.html", context)

    service = get_search_service()
    search_request = form.search_request()
    try:
        page = service.search(search_request)
        if search_request.page > page.num_pages:
            page = service.search(form.search_request(page=page.num_pages))
    except SearchUnavailable as error:
        return _unavailable(request, query, error, language)

    keys = {value.value for value in page.facets.get("edition", [])}
    keys |= {hit.edition_key for hit in page.hits if hit.edition_key}
    editions = _editions(keys, language)
    facets = _facets(form, page, editions)
    if not form.has_filters and not any(o.count for facet in facets for o in facet.options):
        facets = []  # nothing to refine, nothing to remove
    paginator = Paginator(range(page.total), PER_PAGE)
    locale_counts = {value.value: value.count for value in page.facets.get("locale", [])}
    other_languages = sum(
        count for code, count in locale_counts.items() if code not in page.request.locales
    )
    context.update(
        search_page=page,
        results=[_result(hit, editions, language) for hit in page.hits],
        facets=facets,
        page_obj=paginator.page(page.request.page),
        pagination_query=urlencode(params, doseq=True),
        order_links=[
            (order, label, _url({**params, "order": [order] if order != "relevance" else []}))
            for order, label in form.fields["order"].choices
        ],
        current_order=page.request.order,
        clear_filters_url=_url(
            {name: values for name, values in params.items() if name in ("q", "order")}
        )
        if form.has_filters
        else "",
        suggestion_url=_url({**params, "q": [page.suggestion]}) if page.suggestion else "",
        # The reader's language alone is searched: say how many results the others hold.
        other_languages_count=other_languages if page.request.locales == (language,) else 0,
        all_languages_url=_url({**params, "locale": [ALL_LANGUAGES]}),
    )
    return TemplateResponse(request, "search/search.html", context)


@require_safe
def autocomplete(request):
    """``{"results": [{"title", "url", "kind", "kind_label"}]}``: titles in the reader's
    language that start with what they typed (at least two characters)."""
    form = AutocompleteForm(request.GET)
    if not form.is_valid():
        return JsonResponse(
            {"error": " ".join(form.errors["q"])},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    query = form.cleaned_data["q"]
    results = []
    if len(query) >= AUTOCOMPLETE_MIN_LENGTH:
        try:
            suggestions = get_search_service().autocomplete(
                query, locales=(_language(),), limit=AUTOCOMPLETE_LIMIT
            )
        except SearchUnavailable as error:
            logger.warning("Search autocomplete is unavailable (%s); prefix %r", error, query)
            response = JsonResponse(
                {"error": _("La recherche est momentanément indisponible.")},
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
            response["Retry-After"] = str(RETRY_AFTER)
            return response
        results = [
            {
                "title": suggestion.title,
                "url": suggestion.url,
                "kind": suggestion.kind,
                "kind_label": kind_label(suggestion.kind),
            }
            for suggestion in suggestions
        ]
    response = JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, max_age=AUTOCOMPLETE_MAX_AGE)
    return response
