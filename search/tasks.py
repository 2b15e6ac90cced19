"""Celery tasks that keep the public search index in step with the site (queue "search",
routed by ``CELERY_TASK_ROUTES``).

Each task recomputes the entries from the current state of the database, so running one
twice, or late, leaves the same result: safe to retry and to acknowledge late.
"""

from celery import shared_task

from . import indexing
from .services import SearchUnavailable, get_search_service

RETRY = {
    "autoretry_for": (SearchUnavailable,),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "max_retries": 12,
    "acks_late": True,
}


@shared_task(**RETRY)
def sync_pages(page_ids: list[int]) -> dict:
    result = indexing.sync_pages(page_ids)
    return {"indexed": len(result.indexed), "removed": len(result.removed)}


@shared_task(**RETRY)
def sync_page_tree(page_id: int) -> dict:
    """A page, its descendants and the articles that show its title."""
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    page_ids = indexing.dependent_page_ids(page) if page else [page_id]
    counts = sync_pages.run(page_ids)
    # The documents these pages show may change language, edition or visibility with them.
    document_ids = indexing.documents_referenced_by(page_ids)
    if document_ids:
        documents = sync_documents.run(document_ids)
        counts = {key: counts[key] + documents[key] for key in counts}
    return counts


@shared_task(**RETRY)
def sync_documents(document_ids: list[int]) -> dict:
    result = indexing.SyncResult()
    for document_id in document_ids:
        result += indexing.sync_document(document_id)
    indexing.apply(result)
    return {"indexed": len(result.indexed), "removed": len(result.removed)}


@shared_task(**RETRY)
def remove_entries(entry_ids: list[int]) -> int:
    get_search_service().remove_entries(entry_ids)
    return len(entry_ids)


@shared_task(**RETRY)
def rebuild(skip_entries: bool = False) -> int:
    """Everything again: after a site's root or host name changes, every URL does."""
    from .models import ArchiveEntry

    if not skip_entries:
        indexing.rebuild_entries()
    return get_search_service().rebuild(ArchiveEntry.objects.all())


@shared_task(**RETRY)
def check_consistency() -> dict:
    """Nightly (beat): the index matches the site, or is repaired and the repair logged."""
    return indexing.check_consistency()
