from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import StreamField
from wagtail.search import index

from home.blocks import BaseStreamBlock

from .base import BasePage, not_restricted, synchronised, translated


class EraBlock(blocks.StructBlock):
    """« À l'heure… » : a list of trends, then the question they raise and who it concerns."""

    heading = blocks.CharBlock(label=_("Accroche"), default="À l'heure…")
    trends = blocks.ListBlock(blocks.CharBlock(label=_("Tendance")), label=_("Tendances"))
    question = blocks.CharBlock(label=_("Question"))
    subjects = blocks.ListBlock(blocks.CharBlock(label=_("Acteur")), label=_("Concerne"))

    class Meta:
        icon = "time"
        label = _("À l'heure…")
        template = "home/blocks/era_block.html"


class BenefitBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Apport"))

    class Meta:
        icon = "tick"
        label = _("Apport")


class HomePage(BasePage):
    """The programme's front page: its framing, the current edition, the latest articles."""

    tagline = models.CharField(_("sous-titre"), max_length=255, blank=True)
    framing_question = models.TextField(_("question d'ouverture"), blank=True)
    benefits_heading = models.CharField(_("titre des apports"), max_length=255, blank=True)
    benefits = StreamField(
        [("benefit", BenefitBlock())], blank=True, verbose_name=_("apports de la démarche")
    )
    eras = StreamField([("era", EraBlock())], blank=True, verbose_name=_("« À l'heure… »"))
    motto = models.CharField(_("devise"), max_length=255, blank=True)
    motto_body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("texte de la devise"))
    featured_edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition mise en avant"),
        help_text=_("Sinon, l'édition la plus récente."),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    max_count = None
    parent_page_types = ["wagtailcore.Page"]

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("tagline", "framing_question", "benefits_heading", "benefits", "eras"),
        *translated("motto", "motto_body"),
        *synchronised("featured_edition"),
    ]

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("tagline"),
        FieldPanel("framing_question"),
        MultiFieldPanel([FieldPanel("benefits_heading"), FieldPanel("benefits")], _("Apports")),
        FieldPanel("eras"),
        MultiFieldPanel([FieldPanel("motto"), FieldPanel("motto_body")], _("Devise")),
        FieldPanel("featured_edition"),
    ]

    search_fields = [*BasePage.search_fields, index.SearchField("framing_question")]
    api_fields = [APIField("tagline"), APIField("introduction"), APIField("motto")]

    class Meta:
        verbose_name = _("page d'accueil")
        verbose_name_plural = _("pages d'accueil")

    def current_edition(self):
        from editions.models import EditionPage

        if self.featured_edition_id:
            # The featured edition in the active language when translated and live (what
            # `.localized` gives), in one query.
            language = get_supported_content_language_variant(translation.get_language())
            featured = EditionPage.objects.filter(pk=self.featured_edition_id)
            candidates = EditionPage.objects.filter(
                Q(pk=self.featured_edition_id)
                | Q(
                    translation_key__in=featured.values("translation_key"),
                    locale__language_code=language,
                    live=True,
                )
            ).annotate(language_code=F("locale__language_code"))
            by_language = {edition.language_code: edition for edition in candidates}
            edition = by_language.get(language)
            if edition is None or not edition.live:
                edition = next(e for e in by_language.values() if e.pk == self.featured_edition_id)
            if edition.live:
                return edition
        return (
            EditionPage.objects.live()
            .filter(not_restricted(), locale_id=self.locale_id)
            .order_by("-start_year")
            .first()
        )

    def latest_articles(self, count=3):
        from editions.models import ArticlePage

        return ArticlePage.objects.published_in(self.locale_id).order_by("-date")[:count]
