"""Wagtail's page view, with what routing finds kept in the tree cache (home/tree_cache.py).

Finding the page for an address costs Wagtail several queries: the site for the request's
host, the home page in the request's language, then the pages along the path with their view
restrictions and translations (home.models.base.BasePage.route), then the page's own row.
None of it changes until the content does. So the site of each host, and for each address
found the page's type, id and the restricted pages on its way, are kept under the tree
version: a request then costs one query, for the page itself. The page's translations come
from the tree cache too (portal_tags.page_translations).

What is not kept: addresses that lead nowhere (404: any address may be asked for), pages
that route the rest of the path themselves (RoutablePageMixin: the partnership offer and its
sign-up form), which go through Wagtail's routing every time, and anything without Redis:
each process's own cache would keep a route, and the view restrictions on its way, for
`LOCAL_TIMEOUT` after another process's change.
"""

from hashlib import sha256

from django.apps import apps
from django.http import Http404
from django.utils.translation import get_language

from wagtail.models import Page, Site
from wagtail.views import serve as wagtail_serve

from home import tree_cache


def site_for(request):
    """Wagtail's Site.find_for_request, kept in the tree cache per host and port."""
    if not hasattr(request, "_wagtail_site"):  # Site.find_for_request's own attribute
        request._wagtail_site = tree_cache.get_or_compute(
            f"site:{request.get_host()}:{request.get_port()}",
            lambda: Site._find_for_request(request),
        )
    return request._wagtail_site


def serve(request, path):
    site = site_for(request)
    # Routes hold the view restrictions on the way: kept only where a change reaches every
    # process at once (Redis), never for LOCAL_TIMEOUT in one process's memory.
    if site is not None and tree_cache.is_shared():
        key = f"route:{site.pk}:{get_language()}:{sha256(path.encode()).hexdigest()}"
        found = tree_cache.get_or_compute(key, lambda: _route(request, path), keep=bool)
        if found and not hasattr(request, "_wagtail_route_for_request"):
            # Wagtail's own per-request attribute: Page.route_for_request returns it.
            request._wagtail_route_for_request = _page_route(request, path, found)
    return wagtail_serve(request, path)


def _route(request, path):
    """Route through Wagtail (which keeps the result on the request); what to keep of it,
    or None."""
    result = Page.route_for_request(request, path)
    if result is None:
        return None
    page, args, kwargs = result
    restricted = getattr(page, "route_restricted", None)
    if args or kwargs or restricted is None:
        return None
    return (page._meta.label_lower, page.pk, restricted)


def _page_route(request, path, found):
    label, pk, restricted = found
    page = apps.get_model(label).objects.filter(pk=pk).first()
    if page is None:  # gone in a transaction not yet committed: route as Wagtail does
        return Page.route_for_request(request, path)
    page.route_restricted = restricted
    try:
        return Page.route(page, request, [])  # Wagtail's own: the page itself, when live
    except Http404:
        return None
