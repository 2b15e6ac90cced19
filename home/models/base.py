"""The abstract page every portal page type builds on.

It declares the translation policy wagtail-localize follows: text is translated,
structure (dates, images, links to other records) stays synchronised with the
French source page.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField, TranslatableField


class IntroductionMixin(models.Model):
    introduction = models.TextField(
        _("introduction"),
        blank=True,
        help_text=_("Un court paragraphe d'accroche, repris dans les listes et les résultats."),
    )

    class Meta:
        abstract = True


class ListingImageMixin(models.Model):
    listing_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class BasePage(IntroductionMixin, Page):
    """A page with an introduction, searchable, translated by wagtail-localize."""

    translatable_fields = [
        TranslatableField("title"),
        TranslatableField("slug"),
        TranslatableField("seo_title"),
        TranslatableField("search_description"),
        TranslatableField("introduction"),
    ]

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.FilterField("locale"),
    ]

    class Meta:
        abstract = True

    @property
    def summary(self):
        return self.introduction or self.search_description


def synchronised(*names):
    return [SynchronizedField(name) for name in names]


def translated(*names):
    return [TranslatableField(name) for name in names]
