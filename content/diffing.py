"""A readable comparison of two revisions of a page, for editors and clinical reviewers.

Each part is compared as a block of text ("Question: …", "Answer: …"). The blocks are
matched in order (difflib), so a new FAQ in the middle shows as one addition rather than as
every later FAQ changed; within a changed block, the words taken out and put in are marked.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from content.models import InformationPage

_PART_LABEL_SKIP = {"model", "position"}


@dataclass(frozen=True)
class Change:
    what: str  # "changed", "added", "removed"
    label: str
    before: SafeString
    after: SafeString


def _page_blocks(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    labels = {field.name: field.verbose_name for field in InformationPage._meta.concrete_fields}
    blocks = []
    for name, value in snapshot["page"].items():
        blocks.append((f"{capfirst(labels[name])}", str(value)))
    return blocks


def _part_block(values: dict[str, Any]) -> tuple[str, str]:
    model = apps.get_model("content", values["model"])
    lines = []
    for name, value in values.items():
        if name in _PART_LABEL_SKIP or value in ("", None):
            continue
        field = model._meta.get_field(name)
        shown = value
        if field.choices:
            shown = dict(field.flatchoices).get(value, value)
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        lines.append(f"{capfirst(field.verbose_name)}: {shown}")
    return capfirst(model._meta.verbose_name), "\n".join(lines)


def _marked(words: list[str], spans: list[tuple[int, int]], tag: str) -> SafeString:
    """The words, with each run taken out or put in inside one <del> or <ins>."""
    out: list[str] = []
    done = 0
    for start, end in spans:
        out.extend(escape(word) for word in words[done:start])
        out.append(f"<{tag}>" + " ".join(escape(word) for word in words[start:end]) + f"</{tag}>")
        done = end
    out.extend(escape(word) for word in words[done:])
    return mark_safe(" ".join(out).replace("\n", "<br>"))  # noqa: S308 (escaped above)


def _words(text: str) -> list[str]:
    return text.replace("\n", " \n ").split(" ")


def _changed(label: str, before: str, after: str) -> Change:
    old, new = _words(before), _words(after)
    removed, added = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, new, autojunk=False
    ).get_opcodes():
        if op in ("replace", "delete"):
            removed.append((i1, i2))
        if op in ("replace", "insert"):
            added.append((j1, j2))
    return Change("changed", label, _marked(old, removed, "del"), _marked(new, added, "ins"))


def _whole(what: str, label: str, text: str) -> Change:
    shown = mark_safe(escape(text).replace("\n", "<br>"))  # noqa: S308 (escaped)
    if what == "added":
        return Change(what, label, mark_safe(""), shown)  # noqa: S308
    return Change(what, label, shown, mark_safe(""))  # noqa: S308


def snapshot_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What changed from `before` to `after`, in the page's order."""
    changes: list[Change] = []
    for (label, old), (_, new) in zip(_page_blocks(before), _page_blocks(after), strict=True):
        if old != new:
            changes.append(_changed(label, old, new))
    old_parts = [_part_block(values) for values in before["parts"]]
    new_parts = [_part_block(values) for values in after["parts"]]
    matcher = difflib.SequenceMatcher(None, old_parts, new_parts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = old_parts[i1:i2], new_parts[j1:j2]
        # Pair blocks of the same kind one for one (an edited FAQ); the rest were added or
        # taken out.
        while olds and news and olds[0][0] == news[0][0]:
            (label, old), (_, new) = olds.pop(0), news.pop(0)
            changes.append(_changed(label, old, new))
        changes.extend(_whole("removed", label, text) for label, text in olds)
        changes.extend(_whole("added", label, text) for label, text in news)
    return changes
