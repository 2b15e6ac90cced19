from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Accueil, équipe et Fing")

    def ready(self):
        from django.core.signals import request_finished, request_started

        from . import tree_cache

        # A request sees one tree version throughout (home/tree_cache.py).
        request_started.connect(tree_cache.request_started, dispatch_uid="tree-cache")
        request_finished.connect(tree_cache.request_finished, dispatch_uid="tree-cache")
