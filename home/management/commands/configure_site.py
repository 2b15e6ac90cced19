"""Point the default Wagtail site at the address the portal is served from.

Canonical links, hreflang alternates, the sitemap and the API build absolute URLs from the
Site record; this command sets its hostname and port from WAGTAILADMIN_BASE_URL (which
`make run` derives from PORT). Running it again with the same setting changes nothing.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wagtail.models import Site


class Command(BaseCommand):
    help = "Set the default site's hostname and port from WAGTAILADMIN_BASE_URL."

    def handle(self, *args, **options):
        url = urlsplit(settings.WAGTAILADMIN_BASE_URL)
        if not url.hostname:
            raise CommandError(f"WAGTAILADMIN_BASE_URL is not a URL: {url.geturl()!r}")
        port = url.port or (443 if url.scheme == "https" else 80)
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            raise CommandError("No default site: run `manage.py load_content` first.")
        if (site.hostname, site.port) == (url.hostname, port):
            self.stdout.write(f"The site already answers at {url.hostname}:{port}.")
            return
        site.hostname, site.port = url.hostname, port
        site.save(update_fields=["hostname", "port"])
        self.stdout.write(self.style.SUCCESS(f"The site now answers at {url.hostname}:{port}."))
