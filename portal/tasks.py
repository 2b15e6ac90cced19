from django.core.management import call_command

from celery import shared_task


@shared_task
def publish_scheduled_pages():
    """Publish pages whose go-live date has passed and unpublish expired ones (run by beat)."""
    call_command("publish_scheduled")
