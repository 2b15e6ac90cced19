"""Forget every page kept by the anonymous page cache (portal/cache.py).

Publications purge it by themselves; this is for what they do not see: a deployment that
changes templates but no static file, or `rebuild_search_index` (search pages).
"""

from django.core.management.base import BaseCommand

from portal.cache import purge


class Command(BaseCommand):
    help = "Forget every page kept by the anonymous page cache."

    def handle(self, *args, **options):
        purge()
        self.stdout.write("Page cache purged.")
