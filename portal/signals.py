"""What purges the page cache (portal/cache.py) and the fragments cached from the page tree
(home/tree_cache.py): any change to what public pages show.

- pages: saved (published, unpublished, a draft, a translation or an alias synchronised),
  moved, deleted; their view restrictions;
- what pages show besides themselves: snippets and inline models of the content apps
  (``PAGE_CACHE_CONTENT_APPS``), images, documents, collections and their restrictions,
  sites, locales, site settings, redirects;
- the search index (the ``search.*`` Celery tasks): entries reach the engine after the pages
  they come from are committed, and a search page rendered between the two must not stay.

Receivers are connected per model (``connect_purge_signals``, from PortalConfig.ready), not
for every sender: a ``post_delete`` receiver on every model would stop Django from deleting
rows of other models (sessions, login attempts, enquiries) in bulk.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_delete, post_save

from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.documents.models import AbstractDocument
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import (
    BaseViewRestriction,
    Collection,
    Locale,
    Page,
    Site,
)
from wagtail.signals import page_published, page_unpublished, post_page_move

from celery.signals import task_postrun

from home import tree_cache
from portal.cache import purge_after_commit

CONTENT_BASES = (
    Page,
    BaseViewRestriction,
    Collection,
    Locale,
    Site,
    BaseSiteSetting,
    BaseGenericSetting,
    AbstractImage,
    AbstractDocument,
    Redirect,
)


def is_content_model(model) -> bool:
    if model._meta.abstract or model._meta.proxy:
        return False
    if issubclass(model, AbstractRendition):
        return False  # made while a page renders: not a change of content
    return (
        issubclass(model, CONTENT_BASES)
        or model._meta.app_label in settings.PAGE_CACHE_CONTENT_APPS
    )


def content_changed(sender, using=None, **kwargs):
    tree_cache.tree_changed()
    purge_after_commit(using or "default")


def search_task_finished(sender=None, **kwargs):
    if sender is not None and sender.name.startswith("search.tasks."):
        purge_after_commit()


def connect_purge_signals() -> None:
    for model in apps.get_models():
        if is_content_model(model):
            uid = f"page-cache-purge:{model._meta.label}"
            post_save.connect(content_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(content_changed, sender=model, dispatch_uid=uid)
    # Moving runs queryset updates (no post_save); publication and withdrawal also save the
    # page, and are connected anyway: they are what the cache is purged for.
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(content_changed, dispatch_uid="page-cache-purge")
    task_postrun.connect(search_task_finished, dispatch_uid="page-cache-purge")
