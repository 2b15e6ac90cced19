"""What the search page asks of a search engine, whatever the engine.

Views and tasks use ``get_search_service()`` (search.services) and these plain types only;
the database and Elasticsearch implementations live beside this module.
"""

from __future__ import annotations

import abc
import datetime
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

# The facets the page offers, in the order it shows them.
FACETS = ("locale", "kind", "edition", "year")


class SearchUnavailable(Exception):
    """The search engine cannot answer (down, timing out, refusing the query)."""


@dataclass(frozen=True)
class SearchRequest:
    query: str
    # Facet filters: an empty tuple leaves that dimension open.
    locales: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    editions: tuple[str, ...] = ()  # edition translation keys
    years: tuple[int, ...] = ()
    order: str = "relevance"  # or "date" (newest first)
    page: int = 1
    per_page: int = 10
    # The reader's language: snippets and suggestions are cut for it.
    language: str = "fr"

    def filters(self, *, without: str | None = None) -> dict[str, tuple]:
        """The active filters, by facet name, leaving one facet out (for its own counts)."""
        active = {
            "locale": self.locales,
            "kind": self.kinds,
            "edition": self.editions,
            "year": self.years,
        }
        return {name: values for name, values in active.items() if values and name != without}

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Hit:
    entry_id: int
    kind: str
    locale: str
    url: str
    title: str
    # HTML: the engine's highlighted fragments, everything else escaped.
    title_html: str
    snippet_html: str
    authors: str = ""
    edition_key: str = ""
    edition_title: str = ""
    year: int | None = None
    date: datetime.date | None = None


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool = False


@dataclass
class SearchPage:
    request: SearchRequest
    hits: list[Hit]
    total: int
    # Disjunctive counts: each facet counted with every other active filter applied.
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.request.per_page))


@dataclass(frozen=True)
class Suggestion:
    title: str
    url: str
    kind: str
    locale: str


ProgressCallback = Callable[[int, int], None]


class SearchService(abc.ABC):
    """One search engine behind the public archive."""

    name: str

    @abc.abstractmethod
    def search(self, request: SearchRequest) -> SearchPage:
        """Results, facets and a suggestion; raises SearchUnavailable when it cannot answer."""

    @abc.abstractmethod
    def autocomplete(
        self, prefix: str, *, locales: Sequence[str] = (), limit: int = 8
    ) -> list[Suggestion]:
        """Titles that start with what the reader has typed so far."""

    @abc.abstractmethod
    def index_entries(self, entries: Iterable) -> None:
        """Add or replace these ArchiveEntry rows in the engine."""

    @abc.abstractmethod
    def remove_entries(self, entry_ids: Iterable[int]) -> None:
        """Forget these ArchiveEntry ids (already deleted from the database or not)."""

    @abc.abstractmethod
    def rebuild(self, entries, *, progress: ProgressCallback | None = None) -> int:
        """Index every entry of the queryset from scratch without interrupting searches.

        Returns the number of entries indexed; ``progress(done, total)`` is called as it goes.
        """

    @abc.abstractmethod
    def clear(self) -> None:
        """Drop everything this engine holds for the archive (tests, uninstalling)."""

    @abc.abstractmethod
    def indexed_ids(self) -> set[int]:
        """The entry ids the engine holds (for consistency checks)."""
