from django.conf import settings
from django.http import HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

UNPREFIXED_PATHS = (
    "/admin/",
    "/api/",
    "/documents/",
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
