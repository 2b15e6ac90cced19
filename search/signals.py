"""Site changes that reach the search index, each through a Celery task after commit."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from wagtail.documents import get_document_model
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import tasks
from .models import ArchiveEntry
from .services import SearchUnavailable

logger = logging.getLogger(__name__)


def _after_commit(task, *args):
    """Send the task once the change is committed.

    Without a broker (tasks run in-process), an engine that is down must not hold the
    editor's request through a dozen retries: the task runs once, and what it could not
    index waits for the nightly consistency check (or `rebuild_search_index`).
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _run_once(task, args))
    else:
        transaction.on_commit(lambda: task.delay(*args))


def _run_once(task, args):
    try:
        task.run(*args)
    except SearchUnavailable as error:
        logger.warning("Search index not updated (%s): %s%r", error, task.name, args)


@receiver(page_published)
@receiver(page_unpublished)
def page_changed(sender, instance, **kwargs):
    _after_commit(tasks.sync_page_tree, instance.pk)


@receiver(post_page_move)
def page_moved(sender, instance, **kwargs):
    _after_commit(tasks.sync_page_tree, instance.pk)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def page_restriction_changed(sender, instance, **kwargs):
    _after_commit(tasks.sync_page_tree, instance.page_id)


@receiver(pre_delete)
def source_deleted(sender, instance, **kwargs):
    """The entries go with their page or document (cascade); the engine is told after commit."""
    if isinstance(instance, Page):
        entries = ArchiveEntry.objects.filter(page_id=instance.pk)
    elif isinstance(instance, get_document_model()):
        entries = ArchiveEntry.objects.filter(document_id=instance.pk)
    else:
        return
    entry_ids = list(entries.values_list("pk", flat=True))
    if entry_ids:
        _after_commit(tasks.remove_entries, entry_ids)


def document_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _after_commit(tasks.sync_documents, [instance.pk])


@receiver(post_save, sender=CollectionViewRestriction)
@receiver(post_delete, sender=CollectionViewRestriction)
def collection_restriction_changed(sender, instance, **kwargs):
    documents = get_document_model().objects.filter(collection_id=instance.collection_id)
    document_ids = list(documents.values_list("pk", flat=True))
    if document_ids:
        _after_commit(tasks.sync_documents, document_ids)


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def site_changed(sender, instance, raw=False, **kwargs):
    """A new root page or host name changes every URL: the index is rebuilt."""
    if not raw:
        _after_commit(tasks.rebuild)


post_save.connect(document_saved, sender=get_document_model(), dispatch_uid="search-document")
