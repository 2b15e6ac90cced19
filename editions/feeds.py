"""RSS and Atom feeds of the articles published in the requested language."""

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from wagtail.models import Locale, Site

from .models import ArticlePage


class ArticlesRssFeed(Feed):
    limit = 30

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return get_object_or_404(Locale, language_code=get_language())

    def title(self, locale):
        return _("Questions Numériques — articles")

    def link(self, locale):
        site = Site.find_for_request(self.request)
        home = site.root_page.localized if site else None
        return home.url if home else "/"

    def description(self, locale):
        return _("Les derniers articles du cycle de prospective Questions Numériques de la Fing.")

    def items(self, locale):
        return (
            ArticlePage.objects.published_in(locale)
            .select_related("edition")
            .order_by("-date", "-pk")[: self.limit]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(self.request)

    def item_pubdate(self, item):
        """The article's own date (midnight, Paris time), not when it was loaded or edited."""
        return timezone.make_aware(datetime.datetime.combine(item.date, datetime.time()))

    def item_updateddate(self, item):
        return item.last_published_at


class ArticlesAtomFeed(ArticlesRssFeed):
    feed_type = Atom1Feed
    subtitle = ArticlesRssFeed.description
