"""Load the brochure's content in French, with its English translations.

Idempotent: only missing pages and missing translations are created; what editors changed is
never overwritten, and a second run changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from home.content import ContentError, load_content


class Command(BaseCommand):
    help = "Create the brochure's pages (French) and their English translations, if missing."

    def handle(self, *args, **options):
        try:
            summary = load_content()
        except ContentError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] >= 1:
            self.stdout.write(str(summary))
        if options["verbosity"] >= 2:
            for title in summary.pages_created + summary.translations_created:
                self.stdout.write(f"  + {title}")
