from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.translation import gettext as _

from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import default_config
from django_otp import user_has_device

from portal import cache as page_cache
from portal.csp import CSP_VIEW_ATTRIBUTES, add_site_policy

UNPREFIXED_PATHS = (
    "/admin/",
    "/api/",
    "/documents/",
    "/health/",
    "/stripe/",
    "/sitemap.xml",
    "/robots.txt",
)


class PortalLocaleMiddleware(LocaleMiddleware):
    """The public site's language comes from its URL prefix (/fr/…, /en/…).

    Paths without a prefix (the admin, the API, documents, webhooks) are served in the
    site's language, whatever the browser asks for (an editor chooses the admin's language
    in their profile), and a 404 there stays a 404 instead of a redirect to /fr/….
    """

    def process_request(self, request):
        if request.path_info.startswith(UNPREFIXED_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return None
        return super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith(UNPREFIXED_PATHS):
            response.headers.setdefault("Content-Language", translation.get_language())
            return response
        return super().process_response(request, response)


class RejectNulBytesMiddleware:
    """A NUL byte in a URL or query string is never legitimate and breaks database queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                _("Requête invalide : l'adresse contient un caractère nul."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse (413) a request announcing a body above REQUEST_MAX_BODY_SIZE, before reading it.

    Django spools uploaded files to disk whatever the view expects, so without this any form
    could be sent gigabytes. Wagtail's own, lower, limits still give editors their message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_MAX_BODY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            return HttpResponse(
                _("Requête trop volumineuse : %(size)s Mo au plus.")
                % {"size": limit // (1024 * 1024)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PortalCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with ADMIN_CONTENT_SECURITY_POLICY under the admin's prefixes.

    The public site gets CONTENT_SECURITY_POLICY (no inline script or style); Wagtail's admin
    needs inline scripts and styles, so its pages get the relaxed policy instead. A view that
    sets its own policy with django-csp's decorators keeps it.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        admin_policy = settings.ADMIN_CONTENT_SECURITY_POLICY
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(tuple(admin_policy["URL_PREFIXES"]))
        ):
            parts.config = default_config(admin_policy["DIRECTIVES"])
        return parts

    def process_response(self, request, response):
        """django-csp's, except that the site's own policy (no nonce used, no view decorator,
        outside the admin) is built once per process: django-csp builds it again for every
        answer, which costs about a fifth of serving a page from the page cache."""
        if (
            getattr(request, "_csp_nonce", None) is not None
            or request.path_info.startswith(
                tuple(settings.ADMIN_CONTENT_SECURITY_POLICY["URL_PREFIXES"])
            )
            or any(getattr(response, name, None) is not None for name in CSP_VIEW_ATTRIBUTES)
            or settings.DEBUG
        ):
            return super().process_response(request, response)
        add_site_policy(request.path_info, response)
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def uses_admin(user):
    """Whoever may open the admin: staff, superusers, and Wagtail's editor groups."""
    return user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin")


class AdminTwoFactorMiddleware:
    """Under the admin's prefixes, a signed-in user with admin access must have confirmed a
    TOTP code (django-otp) in this session; otherwise they are sent to the code page, or, with
    no confirmed device yet, to the enrolment page (portal/two_factor.py).

    Those two pages, signing in and out, and the admin's translation catalogue and icons
    (which they load) stay open. After django_otp's OTPMiddleware, which gives the user
    `is_verified()`. ADMIN_REQUIRE_2FA = False (local development, tests) switches it off.
    """

    PREFIXES = ("/admin/", "/django-admin/")
    OPEN_URL_NAMES = frozenset(
        {
            "two_factor_setup",
            "two_factor_verify",
            "wagtailadmin_login",
            "wagtailadmin_logout",
            "wagtailadmin_javascript_catalog",
            "wagtailadmin_sprite",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.ADMIN_REQUIRE_2FA or not request.path_info.startswith(self.PREFIXES):
            return None
        user = request.user
        if not user.is_authenticated or not uses_admin(user) or user.is_verified():
            return None
        if request.resolver_match.url_name in self.OPEN_URL_NAMES:
            return None
        step = "two_factor_verify" if user_has_device(user, confirmed=True) else "two_factor_setup"
        return redirect_to_login(request.get_full_path(), reverse(step))


class PageCacheMiddleware:
    """Serve anonymous visitors' public pages from the page cache (portal/cache.py), and say
    in ``Cache-Control`` what may be kept where.

    The outermost middleware: a page is kept with the headers every other middleware gave
    it (security, Vary, ETag), and a hit is answered before any of them runs. The hit itself
    gets the site's security policy, and a 304 to an ``If-None-Match`` that matches its ETag
    (portal.cache.cached_answer). In production, portal.cache.PageCacheApplication answers
    hits before Django's handler; this middleware then only stores what was rendered.

    Headers: a page served or kept by the cache is ``public, max-age=PAGE_CACHE_MAX_AGE``; an
    answer for one visitor alone (a session, a form's CSRF token, a cookie set) is ``private,
    no-store``; any other answer (errors, redirects, excluded paths, the cache switched off)
    is ``no-cache``. A view's own ``Cache-Control`` is kept (made private for one visitor).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = generation = None
        if page_cache.is_enabled() and page_cache.is_cacheable_request(request):
            if page_cache.LOOKED_UP not in request.META:  # not by PageCacheApplication
                answer = page_cache.cached_answer(request)
                if answer is not None:
                    return page_cache.as_response(answer)
            key, generation = request.META[page_cache.LOOKED_UP]
        # A miss is rendered whole, so that it can be kept: the client's If-None-Match is
        # answered from the stored ETag below, not by ConditionalGetMiddleware (a 304 would
        # be neither kept nor marked public).
        if_none_match = request.META.pop("HTTP_IF_NONE_MATCH", None) if key else None

        response = self.get_response(request)

        if (
            page_cache.is_personal_request(request)
            or response.cookies
            or page_cache.uses_visitor_secret(request)
        ):
            if response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)  # the view's own, never public
            else:
                patch_cache_control(response, private=True, no_store=True)
        elif (
            key is not None
            and generation is not None
            and request.method == "GET"
            and page_cache.is_cacheable_response(request, response)
        ):
            page_cache.store(key, generation, response)
            response.headers[page_cache.STATUS_HEADER] = "miss"
        elif not response.has_header("Cache-Control"):
            patch_cache_control(response, no_cache=True)
        if if_none_match is not None:
            request.META["HTTP_IF_NONE_MATCH"] = if_none_match
            if response.status_code == 200:
                response = get_conditional_response(
                    request, etag=response.get("ETag"), response=response
                )
        return self.without_body_for_head(request, response)

    @staticmethod
    def without_body_for_head(request, response):
        """A HEAD answer has headers only (Content-Length kept); gunicorn would otherwise
        drop the body itself and log a warning for each one. The ETag that
        ConditionalGetMiddleware would compute from the body is set first, so that HEAD and
        GET agree."""
        if request.method == "HEAD" and not response.streaming:
            if "no-store" not in response.get("Cache-Control", ""):
                set_response_etag(response)
            response.content = b""
        return response
