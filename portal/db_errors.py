"""The database gone mid-request: a 503 page that says so, instead of a 500.

`DatabaseUnavailableMiddleware` (in MIDDLEWARE right after SecurityMiddleware) turns the
`OperationalError` or `InterfaceError` a view raises when its database connection fails
(PostgreSQL restarted or failing over, the connection killed, SQLite locked) into a 503 with
`Retry-After`, logged as an error with its traceback. Under ATOMIC_REQUESTS the view's
transaction has been rolled back by then, so nothing half-done was kept: the visitor may
simply send the form again.

The page (`503.html`) is rendered without the request's context and reads nothing from the
database (no menus, no site settings, no session): it would otherwise fail the same way.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def database_unavailable_response() -> HttpResponse:
    """The 503 page, in French and English, to try again in RETRY_AFTER_SECONDS."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            exception,
            exc_info=exception,
        )
        return database_unavailable_response()
