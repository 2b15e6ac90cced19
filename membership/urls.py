"""The partner space's URLs, mounted inside i18n_patterns (/fr/espace-partenaire/…)."""

from django.urls import path

from . import partner_space

app_name = "membership"

urlpatterns = [
    path("espace-partenaire/", partner_space.space, name="partner_space"),
    path("espace-partenaire/connexion/", partner_space.request_link, name="partner_space_login"),
    path("espace-partenaire/lien/<str:token>/", partner_space.open_link, name="partner_space_link"),
    path("espace-partenaire/deconnexion/", partner_space.log_out, name="partner_space_logout"),
    path(
        "espace-partenaire/factures/<str:number>.pdf",
        partner_space.invoice_pdf,
        name="partner_space_invoice",
    ),
    path(
        "espace-partenaire/calendrier.ics",
        partner_space.calendar_ics,
        name="partner_space_calendar",
    ),
]
