"""Work every web process would otherwise do on its first requests, done once in gunicorn's
master before it forks (gunicorn.conf.py): URL patterns compiled, templates of the busiest
pages parsed, translations loaded. Nothing here opens a database or cache connection, which
forked workers must never share."""

import logging

from django.db import connections
from django.template.loader import get_template
from django.urls import get_resolver

logger = logging.getLogger(__name__)

TEMPLATES = (
    "base.html",
    "navigation/submit.html",
    "navigation/submit_received.html",
    "500.html",
    "503.html",
    "404.html",
)


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    get_resolver()._populate()
    for name in TEMPLATES:
        try:
            get_template(name)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the server
            logger.warning("warm-up could not load %s: %s", name, type(exc).__name__)
    connections.close_all()
