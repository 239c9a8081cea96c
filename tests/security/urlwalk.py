"""Walk the URL resolver, admin included, and name every pattern by a stable key."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    key: str  # the namespaced name, or the route text for an unnamed pattern
    route: str  # the full route text, e.g. "admin/records/document/<path:object_id>/change/"
    name: str | None
    params: tuple[str, ...]


def _params(pattern) -> tuple[str, ...]:
    names = list(getattr(pattern, "converters", None) or {})
    regex = getattr(pattern, "regex", None)
    if regex is not None:
        names += [n for n in regex.groupindex if n not in names]
    return tuple(names)


def walk(
    resolver: URLResolver | None = None,
    prefix: str = "",
    namespace: str = "",
    params: tuple[str, ...] = (),
) -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        here = params + _params(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, text, ns, here)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(key=name or text, route=text, name=name, params=here)


def all_routes() -> list[Route]:
    seen: dict[str, Route] = {}
    for route in walk():
        seen.setdefault(route.key, route)
    return list(seen.values())
