from django.core.cache import cache
from django.core.management import call_command
from django.utils.module_loading import import_string

from celery import shared_task

PUBLISH_LOCK = "portal:publish-scheduled-pages"


@shared_task
def publish_scheduled_pages():
    """Publish pages whose go-live date has passed and unpublish expired ones (run by beat).

    Beat sends it every minute and a task may be delivered twice (late acknowledgement): a
    lock in the cache (Redis in production) lets only one run at a time.
    """
    if not cache.add(PUBLISH_LOCK, "running", timeout=300):
        return "skipped: another run is in progress"
    try:
        call_command("publish_scheduled")
    finally:
        cache.delete(PUBLISH_LOCK)
    return "done"


@shared_task(acks_late=True)
def run_django_task(module_path: str, args: list, kwargs: dict):
    """Run a django-tasks task (Wagtail's background work) in a Celery worker."""
    task = import_string(module_path)
    return task.call(*args, **kwargs)
