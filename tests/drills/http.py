"""A tiny HTTP client for drills against a real server process (no extra dependency)."""

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float
    location: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, timeout: float = 15.0) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Answer(
                error.code,
                error.read(),
                time.monotonic() - started,
                error.headers.get("Location", ""),
            )

    def csrf_token(self, path: str) -> str:
        page = self.request(path)
        assert page.status == 200, page.status
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert match, "no CSRF token on the page"
        return match.group(1).decode()
