from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Partenariats")

    def ready(self):
        from . import partner_space  # noqa: F401  (registers the before_serve_page hook)
