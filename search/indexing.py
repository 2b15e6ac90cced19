"""From pages and documents to ``ArchiveEntry`` rows, and on to the active search engine.

What the public may find: live pages without view restrictions (their own or an ancestor's),
outside the partners' area, and documents in collections without view restrictions. A page
or document that stops qualifying loses its entry. Celery tasks (search.tasks) call the
``sync_*`` functions after each change; ``rebuild_entries`` regenerates everything.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.html import strip_tags

from wagtail.documents import get_document_model
from wagtail.models import Page, ReferenceIndex
from wagtail.search import index

from .models import ArchiveEntry
from .services import get_search_service

logger = logging.getLogger(__name__)

PDF_MAX_PAGES = 500
PDF_MAX_CHARACTERS = 2_000_000
SKIPPED_FIELDS = {"title", "introduction"}


@dataclass
class SyncResult:
    indexed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.indexed += other.indexed
        self.removed += other.removed
        return self


# Pages -------------------------------------------------------------------------------------


def _page_kind(page) -> str:
    from editions.models import ArticlePage, EditionPage
    from home.models import PersonPage

    for model, kind in (
        (EditionPage, ArchiveEntry.Kind.EDITION),
        (ArticlePage, ArchiveEntry.Kind.ARTICLE),
        (PersonPage, ArchiveEntry.Kind.PERSON),
    ):
        if isinstance(page, model):
            return kind
    return ArchiveEntry.Kind.PAGE


def is_public_page(page: Page) -> bool:
    """Live, reachable by URL, without view restriction, outside the partners' area."""
    from membership.models import PartnerAreaPage

    if not page.live or page.depth <= 1 or page.get_view_restrictions().exists():
        return False
    partner_area = PartnerAreaPage.objects.filter(path__in=_ancestor_paths(page, inclusive=True))
    if partner_area.exists():
        return False
    return page.get_url() is not None


def _ancestor_paths(page: Page, *, inclusive: bool) -> list[str]:
    steps = range(1, page.depth + (1 if inclusive else 0))
    return [page.path[: Page.steplen * depth] for depth in steps]


def _edition_of(page):
    from editions.models import ArticlePage, EditionPage

    if isinstance(page, EditionPage):
        return page
    if isinstance(page, ArticlePage) and page.edition_id:
        edition = page.edition
        return edition.get_translation_or_none(page.locale) or edition
    return EditionPage.objects.filter(path__in=_ancestor_paths(page, inclusive=False)).first()


def _text(model_field, value) -> list[str]:
    if value is None:
        return []
    if hasattr(model_field, "get_searchable_content"):
        return [str(part) for part in model_field.get_searchable_content(value)]
    if isinstance(value, str):
        return [strip_tags(value)]
    return []


def page_body(page: Page) -> str:
    """The text of every searchable field the page type declares, but title and introduction."""
    parts: list[str] = []
    for search_field in type(page).get_search_fields():
        if isinstance(search_field, index.RelatedFields):
            if search_field.field_name == "tags":
                parts.extend(tag.name for tag in page.tags.all())
            continue
        if not isinstance(search_field, index.SearchField):
            continue
        if search_field.field_name in SKIPPED_FIELDS:
            continue
        try:
            model_field = search_field.get_field(type(page))
        except FieldDoesNotExist:  # a method or property
            parts.extend(_text(None, search_field.get_value(page)))
        else:
            parts.extend(_text(model_field, getattr(page, model_field.attname)))
    return "\n".join(part.strip() for part in parts if part and part.strip())


def _authors(page) -> str:
    from editions.models import ArticlePage
    from home.models import PersonPage

    if not isinstance(page, ArticlePage):
        return ""
    keys = [author.translation_key for author in page.authors.all()]
    by_key = {}
    for person in PersonPage.objects.filter(translation_key__in=keys).select_related("locale"):
        if person.locale_id == page.locale_id or person.translation_key not in by_key:
            by_key[person.translation_key] = person.title
    return ", ".join(by_key[key] for key in keys if key in by_key)


def _page_values(page) -> dict:
    from editions.models import ArticlePage, EditionPage

    edition = _edition_of(page)
    # Only what has a date of its own is dated (pages such as « Contact » are not: ordered
    # by date, they come last).
    if isinstance(page, ArticlePage):
        date = page.date
    elif isinstance(page, EditionPage):
        date = datetime.date(page.start_year, 1, 1)
    else:
        date = None
    if isinstance(page, ArticlePage):
        year = page.date.year
    else:
        year = edition.start_year if edition else None
    return {
        "kind": _page_kind(page),
        "document": None,
        "locale": page.locale.language_code,
        "url": page.get_url(),
        "title": page.title,
        "introduction": strip_tags(getattr(page, "introduction", "") or page.search_description),
        "body": page_body(page),
        "authors": _authors(page),
        "edition_key": str(edition.translation_key) if edition else "",
        "edition_title": edition.title if edition else "",
        "year": year,
        "date": date,
    }


def sync_page(page_id: int) -> SyncResult:
    """Create, update or remove the entry of one page."""
    result = SyncResult()
    page = Page.objects.filter(pk=page_id).select_related("locale").first()
    page = page.specific if page else None
    if page is not None and is_public_page(page):
        entry, _created = ArchiveEntry.objects.update_or_create(
            page_id=page.pk, defaults=_page_values(page)
        )
        result.indexed.append(entry.pk)
    else:
        removed = list(ArchiveEntry.objects.filter(page_id=page_id).values_list("pk", flat=True))
        ArchiveEntry.objects.filter(pk__in=removed).delete()
        result.removed += removed
    return result


def dependent_page_ids(page: Page) -> list[int]:
    """The page, its descendants, and the articles that show its title (edition, author)."""
    from editions.models import ArticlePage, EditionPage
    from home.models import PersonPage

    ids = list(Page.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True))
    specific = page.specific
    if isinstance(specific, EditionPage):
        editions = EditionPage.objects.filter(translation_key=specific.translation_key)
        ids += ArticlePage.objects.filter(edition__in=editions).values_list("pk", flat=True)
    elif isinstance(specific, PersonPage):
        ids += ArticlePage.objects.filter(
            authors__translation_key=specific.translation_key
        ).values_list("pk", flat=True)
    return list(dict.fromkeys(ids))


# Documents ---------------------------------------------------------------------------------


def extract_pdf_text(file) -> str:
    """The text of a PDF (pypdf); an unreadable or encrypted file yields what could be read."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    parts: list[str] = []
    size = 0
    try:
        reader = PdfReader(file)
        if reader.is_encrypted and not reader.decrypt(""):
            logger.warning("PDF %s is encrypted; indexed by its title only", file)
            return ""
        for number, pdf_page in enumerate(reader.pages):
            if number >= PDF_MAX_PAGES or size >= PDF_MAX_CHARACTERS:
                break
            text = pdf_page.extract_text() or ""
            parts.append(text)
            size += len(text)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        logger.warning("Could not read the text of PDF %s: %s", file, error)
    return "\n".join(parts)[:PDF_MAX_CHARACTERS]


def _referencing_pages(document):
    references = ReferenceIndex.objects.filter(
        to_content_type=ContentType.objects.get_for_model(type(document)),
        to_object_id=str(document.pk),
        base_content_type=ContentType.objects.get_for_model(Page),
    ).values_list("object_id", flat=True)
    return Page.objects.filter(pk__in=[int(pk) for pk in references]).select_related("locale")


def is_public_document(document) -> bool:
    """In a collection without restriction, and not attached to a private or partners' page.

    Wagtail serves any document by URL to whoever knows it; search must not tell the public
    about a document only partners were shown.
    """
    if document.collection.get_view_restrictions().exists():
        return False
    return all(is_public_page(page.specific) for page in _referencing_pages(document).live())


def _referencing_page(document):
    pages = _referencing_pages(document).live().public()
    return pages.order_by("depth", "pk").first()


def documents_referenced_by(page_ids) -> list[int]:
    """The documents these pages link to (Wagtail's reference index)."""
    document_type = ContentType.objects.get_for_model(get_document_model())
    references = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id__in=[str(pk) for pk in page_ids],
        to_content_type=document_type,
    ).values_list("to_object_id", flat=True)
    return sorted({int(pk) for pk in references})


def _document_values(document, previous: ArchiveEntry | None) -> dict:
    page = _referencing_page(document)
    page = page.specific if page else None
    edition = _edition_of(page) if page else None
    if previous is not None and previous.source_hash and previous.source_hash == document.file_hash:
        body = previous.body
    elif document.file_extension.lower() == "pdf":
        with document.open_file() as file:
            body = extract_pdf_text(file)
    else:
        body = ""
    created = document.created_at.date() if document.created_at else None
    return {
        "kind": ArchiveEntry.Kind.DOCUMENT,
        "page": None,
        "locale": page.locale.language_code if page else settings.LANGUAGE_CODE[:2],
        "url": document.url,
        "title": document.title,
        "introduction": "",
        "body": body,
        "authors": "",
        "edition_key": str(edition.translation_key) if edition else "",
        "edition_title": edition.title if edition else "",
        "year": edition.start_year if edition else (created.year if created else None),
        "date": created,
        "source_hash": document.file_hash or "",
    }


def sync_document(document_id: int) -> SyncResult:
    result = SyncResult()
    document = get_document_model().objects.filter(pk=document_id).first()
    previous = ArchiveEntry.objects.filter(document_id=document_id).first()
    if document is not None and is_public_document(document):
        entry, _created = ArchiveEntry.objects.update_or_create(
            document_id=document.pk, defaults=_document_values(document, previous)
        )
        result.indexed.append(entry.pk)
    elif previous is not None:
        result.removed.append(previous.pk)
        previous.delete()
    return result


# Putting entries into the engine -----------------------------------------------------------


def apply(result: SyncResult) -> None:
    """Tell the active engine what changed (after the entries are committed)."""
    service = get_search_service()
    if result.removed:
        service.remove_entries(result.removed)
    if result.indexed:
        service.index_entries(ArchiveEntry.objects.filter(pk__in=result.indexed))


def sync_pages(page_ids: Iterable[int]) -> SyncResult:
    result = SyncResult()
    with transaction.atomic():
        for page_id in page_ids:
            result += sync_page(page_id)
    apply(result)
    return result


def rebuild_entries(progress=None) -> int:
    """Regenerate every entry from the pages and documents; returns how many there are."""
    page_ids = list(Page.objects.filter(depth__gt=1).values_list("pk", flat=True))
    document_ids = list(get_document_model().objects.values_list("pk", flat=True))
    total = len(page_ids) + len(document_ids)
    done = 0
    with transaction.atomic():
        ArchiveEntry.objects.exclude(page_id__in=page_ids).exclude(
            document_id__in=document_ids
        ).delete()
        for page_id in page_ids:
            sync_page(page_id)
            done += 1
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        for document_id in document_ids:
            sync_document(document_id)
            done += 1
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
    if progress and done == 0:
        progress(0, 0)
    return ArchiveEntry.objects.count()


def check_consistency(*, repair: bool = True) -> dict[str, int]:
    """Compare the site, the entries and the engine; resynchronise what differs.

    - live pages without an entry, and entries whose page is no longer live (a missed task);
    - entries the engine lacks, and ids the engine holds without an entry.
    """
    service = get_search_service()
    indexed_before = set(ArchiveEntry.objects.values_list("pk", flat=True))
    live_pages = set(Page.objects.live().filter(depth__gt=1).values_list("pk", flat=True))
    entry_pages = set(
        ArchiveEntry.objects.filter(page__isnull=False).values_list("page_id", flat=True)
    )
    # A live page may rightly have no entry (private, partners' area): only re-check them.
    suspects = sorted((live_pages - entry_pages) | (entry_pages - live_pages))
    changed = SyncResult()
    if repair and suspects:
        with transaction.atomic():
            for page_id in suspects:
                changed += sync_page(page_id)
    documents = set(get_document_model().objects.values_list("pk", flat=True))
    documents |= set(
        ArchiveEntry.objects.filter(document__isnull=False).values_list("document_id", flat=True)
    )
    if repair:
        with transaction.atomic():
            for document_id in sorted(documents):
                result = sync_document(document_id)
                # Re-saving an unchanged entry is not a change; appearing or leaving is.
                changed.removed += result.removed
                changed.indexed += [pk for pk in result.indexed if pk not in indexed_before]
    entries_changed = len(changed.indexed) + len(changed.removed)
    entries = set(ArchiveEntry.objects.values_list("pk", flat=True))
    indexed = service.indexed_ids()
    missing = entries - indexed - set(changed.indexed)
    orphans = indexed - entries - set(changed.removed)
    if repair:
        changed.indexed += sorted(missing)
        changed.removed += sorted(orphans)
        apply(changed)
    report = {
        "pages_rechecked": len(suspects),
        "entries_changed": entries_changed,
        "missing_from_engine": len(missing),
        "orphans_in_engine": len(orphans),
    }
    if report["entries_changed"] or missing or orphans:
        logger.warning("Search index was inconsistent, repaired: %s", report)
    else:
        logger.info("Search index consistent: %s entries", len(entries))
    return report
