"""Delete the enquiries older than ENQUIRY_RETENTION_DAYS, as the daily Celery beat task does."""

from django.core.management.base import BaseCommand

from membership.enquiries import purge_expired, retention_days


class Command(BaseCommand):
    help = (
        "Delete the enquiries received more than ENQUIRY_RETENTION_DAYS days ago (spam "
        "included) and print how many; --dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the expired enquiries, delete none"
        )

    def handle(self, *args, dry_run, **options):
        count = purge_expired(dry_run=dry_run)
        days = retention_days()
        if dry_run:
            self.stdout.write(f"{count} enquiry(ies) older than {days} days would be deleted.")
        else:
            self.stdout.write(f"{count} enquiry(ies) older than {days} days deleted.")
