import datetime

from django import forms
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager, PageQuerySet
from wagtail.search import index

from home import tree_cache
from home.blocks import BaseStreamBlock
from home.models.base import (
    BasePage,
    ListingImageMixin,
    not_restricted,
    synchronised,
    translated,
)


class ArticlePageQuerySet(PageQuerySet):
    def published_in(self, locale):
        """Live, public articles in `locale` (a Locale or its id)."""
        return self.live().filter(not_restricted(), locale=locale)

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

    def filter_choices(self):
        """The editions (live, public, newest first) and the tags of live, public articles in
        this page's language: the filter's choices, cached until the page tree changes."""
        from .edition import EditionPage

        def compute():
            editions = list(
                EditionPage.objects.live()
                .filter(not_restricted(), locale_id=self.locale_id)
                .order_by("-start_year")
            )
            articles = ArticlePage.objects.published_in(self.locale_id)
            tags = list(
                Tag.objects.filter(editions_articlepagetag_items__content_object__in=articles)
                .distinct()
                .order_by("name")
            )
            return editions, tags

        return tree_cache.get_or_compute(f"article-filters:{self.locale_id}", compute)

    def serve(self, request, *args, **kwargs):
        editions, tags = self.filter_choices()
        articles = (
            ArticlePage.objects.published_in(self.locale_id)
            .select_related("listing_image", "edition")
            .order_by("-date", "-pk")
        )
        form = ArticleFilterForm(request.GET or None, editions=editions, tags=tags)
        status = 200
        selected_edition = None
        if form.is_bound:
            if form.is_valid():
                if form.cleaned_data["edition"]:
                    slug = form.cleaned_data["edition"]
                    selected_edition = next(e for e in editions if e.slug == slug)
                    articles = articles.for_edition(selected_edition)
                if form.cleaned_data["tag"]:
                    articles = articles.filter(tags__slug=form.cleaned_data["tag"])
            else:
                status = 400
        paginator = Paginator(articles, self.per_page)
        # Counting the archive costs more than reading a page of it: kept with the tree.
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        paginator.count = tree_cache.get_or_compute(
            f"article-count:{self.locale_id}:{filters.get('edition', '')}:{filters.get('tag', '')}",
            articles.count,
        )
        page_obj = paginator.get_page(request.GET.get("page"))
        editions_by_key = {edition.translation_key: edition for edition in editions}
        for article in page_obj.object_list:
            article.localize_edition(editions_by_key)
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
        indexes = [
            # Newest first, as every list of articles is: the first page of the listing
            # reads ten rows of it rather than sorting the whole archive.
            models.Index(fields=["-date", "-page_ptr"], name="article_newest_first"),
        ]

    def save(self, *args, **kwargs):
        from .edition import EditionPage

        # Under an edition, an article belongs to it; elsewhere, to the edition chosen.
        if self.path:
            parent = self.get_parent().specific
            if isinstance(parent, EditionPage):
                self.edition = parent
        return super().save(*args, **kwargs)

    def localize_edition(self, editions_by_key):
        """Let `localized_edition` answer without a query: `editions_by_key` maps translation
        keys to the live editions in the active language (an article's edition may be the
        source page, in French)."""
        if self.edition_id and self.edition.translation_key in editions_by_key:
            self._localized_edition = editions_by_key[self.edition.translation_key]

    def _localized_relations(self):
        """(edition, authors), each in the active language where it is translated and live
        (what `.localized` gives): one query, kept on the page."""
        if hasattr(self, "_localized"):
            return self._localized
        if self.pk is None or "authors" in getattr(self, "_cluster_related_objects", {}):
            # A preview: the authors chosen are in memory, not in the database yet.
            edition = self.edition.localized if self.edition_id else None
            self._localized = (edition, [author.localized for author in self.authors.all()])
            return self._localized
        language = get_supported_content_language_variant(translation.get_language())
        authors = ArticlePage.authors.through.objects.filter(articlepage_id=self.pk)
        own = Q(pk__in=authors.values("personpage_id")) | Q(pk=self.edition_id)
        translations = Q(
            translation_key__in=Page.objects.filter(own).values("translation_key"),
            locale__language_code=language,
            live=True,
        )
        pages = list(
            Page.objects.filter(own | translations)
            .annotate(
                language_code=F("locale__language_code"),
                is_author=Exists(authors.filter(personpage_id=OuterRef("pk"))),
            )
            .order_by("path")
        )
        translated = {
            page.translation_key: page
            for page in pages
            if page.language_code == language and page.live
        }
        edition = next((page for page in pages if page.pk == self.edition_id), None)
        self._localized = (
            translated.get(edition.translation_key, edition) if edition else None,
            [translated.get(page.translation_key, page) for page in pages if page.is_author],
        )
        return self._localized

    def localized_authors(self):
        return self._localized_relations()[1]

    def localized_edition(self):
        if hasattr(self, "_localized_edition"):
            return self._localized_edition
        return self._localized_relations()[0] if self.edition_id else None
