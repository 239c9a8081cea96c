"""Records intake: placeholder until the records forms land."""

from django.http import HttpRequest, HttpResponse


def submit(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def submit_received(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
