"""Error pages that tell the truth about what happened to the visitor's request.

A database outage shows as "temporarily unavailable" (503, with Retry-After), whichever
layer met it: a view, or the session middleware saving the session afterwards (Django turns
that into a bare 400, "session interrupted"). Every other failure gets the plain 500 page.
Both are rendered without a request context, so they work when the database does not.
"""

import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token


def _database_failed() -> bool:
    error = sys.exc_info()[1]
    while error is not None:
        if isinstance(error, DatabaseError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unavailable() -> HttpResponse:
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = "60"
    return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if _database_failed():
        return _unavailable()
    return HttpResponseServerError(loader.get_template("500.html").render())


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _database_failed():
        return _unavailable()
    return defaults.bad_request(request, exception)
