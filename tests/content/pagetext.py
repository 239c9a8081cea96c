"""Helpers for reading rendered pages and admin forms the way a person would."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _TextOfMain(HTMLParser):
    """Text inside <main>, each element's text separated by whitespace."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth_main = 0
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth_main += 1
        if tag in _SKIP:
            self.skip += 1
        self.chunks.append(" ")

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth_main -= 1
        if tag in _SKIP:
            self.skip -= 1
        self.chunks.append(" ")

    def handle_data(self, data):
        if self.depth_main and not self.skip:
            self.chunks.append(data)


def main_text(html: str) -> str:
    parser = _TextOfMain()
    parser.feed(html)
    return normalise("".join(parser.chunks))


def normalise(text: str) -> str:
    """Collapse whitespace. The source document glues a title to the text after it
    ("combinationRCTs", "#5Global", "(CIK + chemo)~70–76%"): a space goes at such joins,
    on both sides of every comparison, so only the words and their order count."""
    text = re.sub(r"(?<=[a-z0-9%)])(?=[A-Z~])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


class _FormFields(HTMLParser):
    """The fields a browser would submit from one <form>: inputs, textareas, selects."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
                return
            self.data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            self._select_first = None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                self.data.setdefault(self._select, value)
            if "selected" in a:
                self.data[self._select] = value

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop the one newline that follows <textarea>; so do we.
            value = self.data[self._textarea]
            self.data[self._textarea] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_fields(html: str, form_id: str) -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    assert parser.data, f"no form #{form_id} with fields in the page"
    return parser.data
