"""The abstract page every portal page type builds on.

It declares the translation policy wagtail-localize follows: text is translated,
structure (dates, images, links to other records) stays synchronised with the
French source page.
"""

from django.db import models
from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page, PageViewRestriction
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField, TranslatableField


def not_restricted():
    """A condition on pages: no view restriction applies to the page or an ancestor (what
    `PageQuerySet.public()` checks, without a query beforehand)."""
    page_path = ExpressionWrapper(OuterRef("path"), output_field=CharField())
    restrictions = PageViewRestriction.objects.alias(page_path=page_path).filter(
        page_path__startswith=F("page__path")
    )
    return ~Exists(restrictions)


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

    def route(self, request, path_components):
        """Find the page at `path_components` below this one in two queries (Wagtail's own
        routing makes two per level): one for the pages along the path, with their ancestors
        and whether a view restriction applies to each, then the page itself.

        A page on the way whose type routes on its own (a RoutablePageMixin page, say) is
        handed the rest of the path, as Wagtail would. The page found keeps its parent
        (`get_parent()` makes no query), what it needs to check its view restrictions, and
        its live, public translations (`route_translations`, for the hreflang links and the
        language switcher), all from the first query.
        """
        if not path_components and hasattr(self, "route_translations"):
            return super().route(request, path_components)  # found by the routing below
        steps = range(1, len(path_components) + 1)
        url_paths = [self.url_path + "/".join(path_components[:n]) + "/" for n in steps]
        # This page and its ancestors, for their view restrictions.
        ancestor_paths = [self.path[: self.steplen * depth] for depth in range(1, self.depth + 1)]
        if path_components:
            target = Page.objects.filter(url_path=url_paths[-1], path__startswith=self.path)
            target_keys = target.values("translation_key")
        else:
            target_keys = [self.translation_key]
        # A union rather than one OR of the three: each part is found through its own index
        # (url_path, path, translation_key), where the OR read the whole page table.
        parts = [
            Q(url_path__in=url_paths, path__startswith=self.path, depth__gt=self.depth),
            Q(path__in=ancestor_paths),
            Q(translation_key__in=target_keys, live=True),
        ]
        first, *others = (
            Page.objects.filter(part)
            .annotate(
                is_restricted=Exists(PageViewRestriction.objects.filter(page=OuterRef("pk"))),
                is_public=not_restricted(),
            )
            .select_related("locale")
            .order_by()
            for part in parts
        )
        rows = first.union(*others).order_by("depth", "path")
        walked, below, by_key = [], [], {}
        for row in rows:
            if path_components and row.url_path in url_paths and row.depth > self.depth:
                below.append(row)
            elif row.path in ancestor_paths:
                walked.append(row)
            if row.live and row.is_public:
                by_key.setdefault(row.translation_key, []).append(row)
        if not path_components:
            self.route_restricted = _restricted(walked)
            self.route_translations = by_key.get(self.translation_key, [])
            return super().route(request, path_components)
        parent = self
        for position, page in enumerate(below):
            if page.depth != parent.depth + 1 or not page.path.startswith(parent.path):
                break
            page._cached_parent_obj = parent
            walked.append(page)
            remaining = path_components[position + 1 :]
            model = page.specific_class
            if not remaining or model is None or model.route not in _PLAIN_ROUTES:
                specific = page.specific
                specific.route_restricted = _restricted(walked)
                if not remaining:
                    specific.route_translations = by_key.get(page.translation_key, [])
                return specific.route(request, remaining)
            parent = page
        raise Http404

    def get_view_restrictions(self):
        """The view restrictions of this page and its ancestors; none at all, without a
        query, when routing already found that none applies (see `route`)."""
        restricted = getattr(self, "route_restricted", None)
        if restricted is None:
            return super().get_view_restrictions()
        if not restricted:
            return PageViewRestriction.objects.none()
        return PageViewRestriction.objects.filter(page_id__in=restricted)


def _restricted(walked):
    """The ids of the pages on the way (the page found included) that have a view
    restriction of their own; None when an alias is on the way (Wagtail then looks at the
    original's restrictions)."""
    if any(page.alias_of_id for page in walked):
        return None
    return [page.pk for page in walked if getattr(page, "is_restricted", True)]


def synchronised(*names):
    return [SynchronizedField(name) for name in names]


def translated(*names):
    return [TranslatableField(name) for name in names]


_PLAIN_ROUTES = (Page.route, BasePage.route)
