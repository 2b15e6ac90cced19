import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

django_application = get_wsgi_application()

# Imported once Django is set up. Hits of the page cache are answered before Django's
# handler (portal/cache.py).
from portal.cache import PageCacheApplication  # noqa: E402

application = PageCacheApplication(django_application)
