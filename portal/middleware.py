from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django_otp import user_has_device

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
