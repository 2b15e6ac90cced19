from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class Partner(index.Indexed, models.Model):
    """An organisation that took part in an edition, shown with its logo."""

    name = models.CharField(_("nom"), max_length=255)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    website = models.URLField(_("site web"), blank=True)
    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        on_delete=models.CASCADE,
        related_name="partners",
        limit_choices_to={"locale__language_code": "fr"},
    )
    year = models.PositiveSmallIntegerField(
        _("année"),
        null=True,
        blank=True,
        help_text=_("Année du partenariat ; par défaut, la première année de l'édition."),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("logo"),
        FieldPanel("website"),
        FieldPanel("edition"),
        FieldPanel("year"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "name"], name="unique_partner_per_edition")
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"

    def save(self, *args, **kwargs):
        if self.year is None and self.edition_id:
            self.year = self.edition.start_year
        super().save(*args, **kwargs)
