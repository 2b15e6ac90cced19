from django.core.management import call_command
from django.utils.module_loading import import_string

from celery import shared_task


@shared_task
def publish_scheduled_pages():
    """Publish pages whose go-live date has passed and unpublish expired ones (run by beat)."""
    call_command("publish_scheduled")


@shared_task(acks_late=True)
def run_django_task(module_path: str, args: list, kwargs: dict):
    """Run a django-tasks task (Wagtail's background work) in a Celery worker."""
    task = import_string(module_path)
    return task.call(*args, **kwargs)
