import datetime

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import PageManager, PageQuerySet
from wagtail.search import index

from home.blocks import BaseStreamBlock
from home.models.base import BasePage, ListingImageMixin, synchronised, translated


class ArticlePageQuerySet(PageQuerySet):
    def published_in(self, locale):
        return self.live().public().filter(locale=locale)

    def for_edition(self, edition):
        """Articles attached to this edition, in whichever locale the queryset holds."""
        return self.filter(edition__translation_key=edition.translation_key)


ArticlePageManager = PageManager.from_queryset(ArticlePageQuerySet)


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "editions.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticleFilterForm(forms.Form):
    """The listing's query string: ?edition=<slug>&tag=<slug>&page=<n>."""

    edition = forms.ChoiceField(required=False, label=_("Édition"))
    tag = forms.ChoiceField(required=False, label=_("Thème"))

    def __init__(self, *args, editions, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].choices = [("", _("Toutes les éditions"))] + [
            (edition.slug, f"{edition.title} ({edition.years})") for edition in editions
        ]
        self.fields["tag"].choices = [("", _("Tous les thèmes"))] + [
            (tag.slug, tag.name) for tag in tags
        ]
        self.fields["edition"].error_messages["invalid_choice"] = _(
            "L'édition « %(value)s » n'existe pas ; choisissez-en une dans la liste."
        )
        self.fields["tag"].error_messages["invalid_choice"] = _(
            "Le thème « %(value)s » n'existe pas ; choisissez-en un dans la liste."
        )


class ArticleIndexPage(BasePage):
    """All articles of every edition, paginated, filterable by edition and tag."""

    per_page = 10
    subpage_types = ["editions.ArticlePage"]

    class Meta:
        verbose_name = _("index des articles")
        verbose_name_plural = _("index des articles")

    def serve(self, request, *args, **kwargs):
        from .edition import EditionPage

        editions = (
            EditionPage.objects.live().public().filter(locale=self.locale).order_by("-start_year")
        )
        articles = (
            ArticlePage.objects.published_in(self.locale)
            .select_related("listing_image", "edition")
            .order_by("-date", "-pk")
        )
        tags = (
            Tag.objects.filter(editions_articlepagetag_items__content_object__in=articles)
            .distinct()
            .order_by("name")
        )
        form = ArticleFilterForm(request.GET or None, editions=editions, tags=tags)
        status = 200
        selected_edition = None
        if form.is_bound:
            if form.is_valid():
                if form.cleaned_data["edition"]:
                    selected_edition = editions.get(slug=form.cleaned_data["edition"])
                    articles = articles.for_edition(selected_edition)
                if form.cleaned_data["tag"]:
                    articles = articles.filter(tags__slug=form.cleaned_data["tag"])
            else:
                status = 400
        paginator = Paginator(articles, self.per_page)
        page_obj = paginator.get_page(request.GET.get("page"))
        context = self.get_context(request, *args, **kwargs)
        context.update(
            form=form,
            page_obj=page_obj,
            articles=page_obj.object_list,
            selected_edition=selected_edition,
            query_without_page=_query_without_page(request),
        )
        return TemplateResponse(request, self.get_template(request), context, status=status)


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


class ArticlePage(ListingImageMixin, BasePage):
    """An article, under an edition or under the general articles index."""

    date = models.DateField(_("date de publication"), default=datetime.date.today)
    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Rempli automatiquement quand l'article est rangé sous une édition."),
    )
    authors = ParentalManyToManyField(
        "home.PersonPage", blank=True, related_name="+", verbose_name=_("auteurs")
    )
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True, verbose_name=_("thèmes"))
    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("contenu"))

    objects = ArticlePageManager()

    parent_page_types = ["editions.EditionPage", "editions.ArticleIndexPage"]
    subpage_types = []

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("body"),
        *synchronised("date", "edition", "authors", "tags", "listing_image"),
    ]

    content_panels = [
        *BasePage.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("date"),
                FieldPanel("edition"),
                FieldPanel("authors"),
                FieldPanel("tags"),
                FieldPanel("listing_image"),
            ],
            _("Métadonnées"),
        ),
        FieldPanel("body"),
    ]

    search_fields = [
        *BasePage.search_fields,
        index.SearchField("body"),
        index.FilterField("date"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]

    api_fields = [
        APIField("date"),
        APIField("edition"),
        APIField("authors"),
        APIField("tags"),
        APIField("introduction"),
        APIField("body"),
    ]

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def save(self, *args, **kwargs):
        from .edition import EditionPage

        # Under an edition, an article belongs to it; elsewhere, to the edition chosen.
        if self.path:
            parent = self.get_parent().specific
            if isinstance(parent, EditionPage):
                self.edition = parent
        return super().save(*args, **kwargs)

    def localized_authors(self):
        return [author.localized for author in self.authors.all()]

    def localized_edition(self):
        return self.edition.localized if self.edition_id else None
