"""What never reaches a log: sign-in tokens, query strings (search terms, pre-screen health
answers, emails typed into an autocomplete), cookies and other request headers.

One set-up for every process: Django's logging (web, worker, beat) filters each record
through `RedactFilter`; gunicorn (the Dockerfile and compose both load `gunicorn.conf.py`)
writes access lines from `RedactingGunicornLogger`'s atoms only, and filters its error log
the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gunicorn.glogging import Logger

if TYPE_CHECKING:
    from gunicorn.config import Config

    # The shape of gunicorn's access-log atoms exists only in its type stubs.
    from gunicorn.glogging import _AtomsDict
    from gunicorn.http import Request
    from gunicorn.http.wsgi import Response

REDACTED = "[redacted]"
# Paths whose segments are secrets: the portal's sign-in links carry a live token.
_SECRET_SEGMENT = re.compile(r"(/portal/signin/)(?!\[redacted\])[^/\s?\"']+")
# A query string after any path or URL in a message.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def redact(text: str) -> str:
    """The text with sign-in tokens replaced and query strings removed."""
    return _SECRET_SEGMENT.sub(rf"\g<1>{REDACTED}", _QUERY.sub(r"\g<1>", text))


class RedactFilter(logging.Filter):
    """Rewrites each record's message (a request path in "Not Found: /portal/signin/…",
    a request line from the development server) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingGunicornLogger(Logger):
    """Access lines built from safe atoms only: the path without its query string and with
    tokens replaced; no referer, no request or response headers (cookies)."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactFilter())

    def atoms(
        self,
        resp: Response,
        req: Request,
        environ: MutableMapping[str, Any],
        request_time: timedelta,
    ) -> _AtomsDict:
        full = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO") or "-")
        method = environ.get("REQUEST_METHOD") or "-"
        protocol = environ.get("SERVER_PROTOCOL") or "-"
        return {
            "h": full["h"],
            "l": full["l"],
            "t": full["t"],
            "s": full["s"],
            "m": full["m"],
            "H": full["H"],
            "b": full["b"],
            "B": full["B"],
            "T": full["T"],
            "D": full["D"],
            "M": full["M"],
            "u": "-",
            "r": f"{method} {path} {protocol}",
            "U": path,
            "q": "",
            "f": "-",
            "a": full.get("a", "-"),
            "L": full.get("L", "-"),
            "p": full.get("p", "-"),
        }
