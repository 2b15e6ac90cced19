from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Accueil, équipe et Fing")

    def ready(self):
        from . import tree_cache

        tree_cache.connect()
