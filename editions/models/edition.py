from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.search import index

from editions.blocks import DeliverableBlock, PhaseBlock, QuestionBlock
from home.blocks import BaseStreamBlock
from home.models.base import (
    BasePage,
    ListingImageMixin,
    not_restricted,
    synchronised,
    translated,
)


class EditionIndexPage(BasePage):
    """Lists every edition of the programme, the most recent first."""

    subpage_types = ["editions.EditionPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("index des éditions")
        verbose_name_plural = _("index des éditions")

    def editions(self):
        return (
            EditionPage.objects.child_of(self)
            .live()
            .filter(not_restricted())
            .select_related("listing_image")
            .order_by("-start_year")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["editions"] = self.editions()
        return context


class EditionPage(ListingImageMixin, BasePage):
    """One yearly edition (Tensions 2011 … Think Small 2016/2017)."""

    start_year = models.PositiveSmallIntegerField(_("année de début"))
    end_year = models.PositiveSmallIntegerField(
        _("année de fin"),
        null=True,
        blank=True,
        help_text=_("Pour une édition à cheval sur deux années (2015-2016) ; sinon, laisser vide."),
    )
    theme = models.CharField(_("thème"), max_length=255, blank=True)
    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("contenu"))
    timeline = StreamField(
        [("phase", PhaseBlock())], blank=True, verbose_name=_("déroulé (phases)")
    )
    deliverables = StreamField(
        [("deliverable", DeliverableBlock())], blank=True, verbose_name=_("livrables")
    )
    questions = StreamField(
        [("question", QuestionBlock())], blank=True, verbose_name=_("questions soulevées")
    )

    parent_page_types = ["editions.EditionIndexPage"]
    subpage_types = [
        "editions.ArticlePage",
        "membership.PartnershipOfferPage",
        "membership.PartnerAreaPage",
    ]

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("theme", "body", "timeline", "deliverables", "questions"),
        *synchronised("start_year", "end_year", "listing_image"),
    ]

    content_panels = [
        *BasePage.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start_year"), FieldPanel("end_year")]),
                FieldPanel("theme"),
                FieldPanel("listing_image"),
            ],
            _("Édition"),
        ),
        FieldPanel("body"),
        FieldPanel("timeline"),
        FieldPanel("deliverables"),
        FieldPanel("questions"),
    ]

    search_fields = [
        *BasePage.search_fields,
        index.SearchField("theme", boost=2),
        index.SearchField("body"),
        index.SearchField("questions"),
        index.FilterField("start_year"),
    ]

    api_fields = [
        APIField("start_year"),
        APIField("end_year"),
        APIField("years"),
        APIField("theme"),
        APIField("introduction"),
        APIField("timeline"),
        APIField("deliverables"),
        APIField("questions"),
    ]

    class Meta:
        verbose_name = _("édition")
        verbose_name_plural = _("éditions")

    def clean(self):
        super().clean()
        if self.end_year is not None and self.start_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("L'année de fin précède l'année de début.")})

    @property
    def years(self):
        if self.end_year and self.end_year != self.start_year:
            return f"{self.start_year}-{self.end_year}"
        return str(self.start_year)

    def edition_partners(self):
        from .partner import Partner

        return Partner.objects.filter(edition__translation_key=self.translation_key).select_related(
            "logo"
        )

    def articles(self):
        from .article import ArticlePage

        return ArticlePage.objects.published_in(self.locale_id).for_edition(self).order_by("-date")

    def latest_articles(self):
        """The six newest articles, for the edition's page."""
        return self.articles()[:6]
