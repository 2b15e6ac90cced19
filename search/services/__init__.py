"""The search service the settings choose: ``get_search_service()``.

``SEARCH_SERVICE`` names the implementation's dotted path; base settings pick
Elasticsearch when ``ELASTICSEARCH_URL`` is set, the database otherwise.
"""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import (
    FACETS,
    FacetValue,
    Hit,
    SearchPage,
    SearchRequest,
    SearchService,
    SearchUnavailable,
    Suggestion,
)

__all__ = [
    "FACETS",
    "FacetValue",
    "Hit",
    "SearchPage",
    "SearchRequest",
    "SearchService",
    "SearchUnavailable",
    "Suggestion",
    "get_search_service",
]


@cache
def get_search_service() -> SearchService:
    return import_string(settings.SEARCH_SERVICE)()


def _reset(*, setting, **kwargs):
    if setting in {
        "SEARCH_SERVICE",
        "ELASTICSEARCH_URL",
        "ELASTICSEARCH_INDEX_PREFIX",
        "ELASTICSEARCH_TIMEOUT",
    }:
        get_search_service.cache_clear()


setting_changed.connect(_reset)
