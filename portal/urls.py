from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from editions.feeds import ArticlesAtomFeed, ArticlesRssFeed
from home import routing
from membership.webhooks import stripe_webhook
from portal import health, two_factor
from portal.api import api_router
from portal.sitemaps import PortalSitemap
from portal.views import robots_txt
from search.views import autocomplete as search_autocomplete
from search.views import search

urlpatterns = [
    # Probes: outside the language prefixes (portal.middleware.UNPREFIXED_PATHS).
    re_path(r"^health/live/?$", health.live, name="health_live"),
    re_path(r"^health/ready/?$", health.ready, name="health_ready"),
    # Before the admin's own URLs: the pages AdminTwoFactorMiddleware sends editors to.
    path("admin/2fa/setup/", two_factor.setup, name="two_factor_setup"),
    path("admin/2fa/verify/", two_factor.verify, name="two_factor_verify"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"pages": PortalSitemap}},
        name="sitemap",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    # with or without the slash: Stripe does not follow redirects
    re_path(r"^stripe/webhook/?$", stripe_webhook, name="stripe_webhook"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("feeds/articles.rss", ArticlesRssFeed(), name="articles_rss"),
    path("feeds/articles.atom", ArticlesAtomFeed(), name="articles_atom"),
    path("search/", search, name="search"),
    path("search/autocomplete/", search_autocomplete, name="search_autocomplete"),
    path("", include("membership.urls")),
    # Wagtail's pages, routed through the tree cache (home/routing.py); Wagtail's own
    # /_util/ views (password-protected pages) and "wagtail_serve" for reversing follow.
    re_path(r"^(?!_util/)((?:[\w\-]+/)*)$", routing.serve, name="page"),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
