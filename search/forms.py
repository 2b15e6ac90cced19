"""The search page's and the autocomplete's query strings, validated.

Every parameter but ``q`` may be repeated (``?kind=article&kind=edition``). A value the page
cannot use is an error naming the parameter (the view answers 400), never a silent guess.
"""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ArchiveEntry
from .services import SearchRequest

MAX_QUERY_LENGTH = 200
AUTOCOMPLETE_MIN_LENGTH = 2
AUTOCOMPLETE_MAX_LENGTH = 100
PER_PAGE = 10
# Beyond this page an engine may refuse the query (Elasticsearch's 10,000-hit window).
MAX_PAGE = 10_000 // PER_PAGE
MIN_YEAR, MAX_YEAR = 1990, 2100
ALL_LANGUAGES = "all"

LANGUAGE_LABELS = {"fr": _("Français"), "en": _("Anglais")}


def clean_query(raw: str) -> str:
    """Printable text, at most MAX_QUERY_LENGTH characters, quotes only when balanced."""
    query = "".join(ch for ch in raw if ch.isprintable()).strip()[:MAX_QUERY_LENGTH]
    if query.count('"') % 2:
        query = query.replace('"', " ").strip()
    return query


def kind_label(kind: str) -> str:
    """The result type as readers read it (ArchiveEntry.Kind's labels carry a context:
    « Personne » alone means "nobody" elsewhere in the catalogue)."""
    return str(ArchiveEntry.Kind(kind).label) if kind in ArchiveEntry.Kind.values else kind


class RepeatedField(forms.Field):
    """A parameter given any number of times; each value cleaned by ``clean_value``.

    Duplicates are dropped, the first occurrence's order kept.
    """

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        cleaned = []
        for raw in value:
            item = self.clean_value(str(raw).strip())
            if item not in cleaned:
                cleaned.append(item)
        return cleaned

    def clean_value(self, raw: str):
        return raw


class LanguageField(RepeatedField):
    def clean_value(self, raw):
        codes = [code for code, _name in settings.LANGUAGES]
        if raw not in (*codes, ALL_LANGUAGES):
            raise ValidationError(
                _("« %(value)s » n'est pas une langue proposée (%(choices)s)."),
                code="invalid_choice",
                params={"value": raw, "choices": ", ".join((*codes, ALL_LANGUAGES))},
            )
        return raw


class KindField(RepeatedField):
    def clean_value(self, raw):
        if raw not in ArchiveEntry.Kind.values:
            raise ValidationError(
                _("« %(value)s » n'est pas un type de résultat (%(choices)s)."),
                code="invalid_choice",
                params={"value": raw, "choices": ", ".join(ArchiveEntry.Kind.values)},
            )
        return raw


class EditionField(RepeatedField):
    def clean_value(self, raw):
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            raise ValidationError(
                _("« %(value)s » n'est pas un identifiant d'édition."),
                code="invalid",
                params={"value": raw},
            ) from None


class YearField(RepeatedField):
    def clean_value(self, raw):
        if not (raw.isascii() and raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR):
            raise ValidationError(
                _("« %(value)s » n'est pas une année entre %(min)s et %(max)s."),
                code="invalid",
                params={"value": raw, "min": MIN_YEAR, "max": MAX_YEAR},
            )
        return int(raw)


class SearchForm(forms.Form):
    """``?q=…&locale=…&kind=…&edition=…&year=…&order=relevance|date&page=…``."""

    q = forms.CharField(required=False, strip=False, label=_("Mots-clés"))
    locale = LanguageField(required=False, label=_("Langue"))
    kind = KindField(required=False, label=_("Type"))
    edition = EditionField(required=False, label=_("Édition"))
    year = YearField(required=False, label=_("Année"))
    order = forms.ChoiceField(
        required=False,
        label=_("Ordre"),
        choices=[("relevance", _("Pertinence")), ("date", _("Date"))],
        error_messages={
            "invalid_choice": _("« %(value)s » n'est pas un ordre proposé (relevance ou date).")
        },
    )
    page = forms.IntegerField(
        required=False,
        label=_("Page"),
        min_value=1,
        error_messages={
            "invalid": _("Le numéro de page doit être un nombre entier positif."),
            "min_value": _("Le numéro de page doit être un nombre entier positif."),
        },
    )

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language

    def clean_q(self):
        return clean_query(self.cleaned_data.get("q") or "")

    def clean_order(self):
        return self.cleaned_data.get("order") or "relevance"

    def clean_page(self):
        return min(self.cleaned_data.get("page") or 1, MAX_PAGE)

    def locales(self) -> tuple[str, ...]:
        """The languages searched: the page's by default, every one for ``all``."""
        chosen = self.cleaned_data["locale"]
        if ALL_LANGUAGES in chosen:
            return ()
        return tuple(chosen) or (self.language,)

    def search_request(self, *, page: int | None = None) -> SearchRequest:
        data = self.cleaned_data
        return SearchRequest(
            query=data["q"],
            locales=self.locales(),
            kinds=tuple(data["kind"]),
            editions=tuple(data["edition"]),
            years=tuple(data["year"]),
            order=data["order"],
            page=page or data["page"],
            per_page=PER_PAGE,
            language=self.language,
        )

    def parameters(self) -> dict[str, list[str]]:
        """The valid query string, normalised (for links that change one parameter)."""
        data = self.cleaned_data
        params = {
            "q": [data["q"]] if data["q"] else [],
            "locale": list(data["locale"]),
            "kind": list(data["kind"]),
            "edition": list(data["edition"]),
            "year": [str(year) for year in data["year"]],
            "order": [data["order"]] if data["order"] != "relevance" else [],
        }
        return {name: values for name, values in params.items() if values}

    @property
    def has_filters(self) -> bool:
        return any(self.cleaned_data[name] for name in ("locale", "kind", "edition", "year"))


class AutocompleteForm(forms.Form):
    """``?q=…``: what the reader has typed so far."""

    q = forms.CharField(required=False, strip=False, label=_("Mots-clés"))

    def clean_q(self):
        # The limit applies to the cleaned text, not to the raw parameter.
        query = clean_query(self.cleaned_data.get("q") or "")
        if len(query) > AUTOCOMPLETE_MAX_LENGTH:
            raise ValidationError(
                _("Le paramètre « q » ne doit pas dépasser %(max)s caractères."),
                code="max_length",
                params={"max": AUTOCOMPLETE_MAX_LENGTH},
            )
        return query
