from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail"

    def ready(self):
        from .signals import connect_purge_signals

        connect_purge_signals()  # what purges the page cache (portal/cache.py)
