"""Measures 1, 2, 3 and 7: the CIK gastric cancer page.

1. cached page vs the same bytes as a static file (WhiteNoise, same gunicorn), with wrk;
2. uncached render vs cached, in-process with the cache cleared before each render;
3. 304 for If-None-Match vs the cached 200, with wrk;
7. page weight: the page and its CSS/JS as sent with Accept-Encoding: gzip.
"""

from __future__ import annotations

import re
import statistics
import time
from html.parser import HTMLParser

from bench.harness import Check, Response, Stack, WrkResult, http_get, run_wrk, wait_until

PAGE = "/cik/gastric-cancer/"
STATIC_COPY = "bench/gastric-cancer.html"
WRK_SECONDS = 6
WRK_ROUNDS = 2  # each side runs twice, taking turns: 2 x 6 s
WEIGHT_LIMIT_KB = 100.0  # kilobytes of 1,000 bytes: the stricter reading


class PageNotReady(RuntimeError):
    pass


def fetch_page() -> bytes:
    """The page as a visitor gets it, after one request has filled the cache."""
    first = http_get(PAGE)
    if first.status != 200:
        raise PageNotReady(f"{PAGE} answered {first.status}")
    second = http_get(PAGE)
    if second.status != 200:
        raise PageNotReady(f"{PAGE} answered {second.status} the second time")
    return second.body


def place_static_copy(stack: Stack, body: bytes) -> str:
    """Put the page's bytes under STATIC_ROOT and restart gunicorn so WhiteNoise sees them."""
    target = stack.static_root / STATIC_COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    stack.restart_gunicorn()
    url = "/static/" + STATIC_COPY
    # Both workers must know the file: ask a few times in a row.
    wait_until(
        lambda: all(http_get(url).status == 200 for _ in range(6)),
        timeout=30,
        what="WhiteNoise to serve the static copy",
    )
    return url


def _without_nonce(response: Response) -> bytes:
    policy = response.header("Content-Security-Policy") or ""
    found = re.search(r"'nonce-([^']+)'", policy)
    return response.body.replace(found.group(1).encode(), b"") if found else response.body


def _wrk_figures(result: WrkResult) -> str:
    text = f"{result.rps:,.0f} req/s, p99 {result.p99_ms:.2f} ms"
    if result.errors:
        text += f", {result.errors} errors"
    return text


def _combined(results: list[WrkResult]) -> WrkResult:
    """Several runs of one side as one: requests over seconds, the mean of their p99s."""
    requests = sum(r.requests for r in results)
    seconds = sum(r.seconds for r in results)
    return WrkResult(
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        latency_ms={"99%": statistics.mean(r.p99_ms for r in results)},
        non_2xx_3xx=sum(r.non_2xx_3xx for r in results),
        socket_errors={"all": sum(sum(r.socket_errors.values()) for r in results)},
    )


def measure_cached_and_conditional(stack: Stack, base: str) -> list[Check]:
    """Measures 1 and 3, which share the cached page's wrk runs.

    The sides take turns (static, page, 304; twice) so a burst of other work on the
    machine falls on all of them rather than on one.
    """
    try:
        body = fetch_page()
    except PageNotReady as exc:
        reason = f"{exc} (content page not there yet)"
        return [
            Check("1 cached page", "req/s vs static", None, ">=", 0.9, note=reason),
            Check("1 cached page", "p99 vs static p99", None, "<=", 1.5, note=reason),
            Check("3 conditional GET", "304 req/s vs 200", None, ">=", 1.0, note=reason),
        ]
    again = http_get(PAGE)
    # Each response carries its own CSP nonce; apart from it, the body must be the same.
    same_bytes = _without_nonce(again) == _without_nonce(http_get(PAGE))
    etag = again.header("ETag")
    conditional_problem = ""
    if not etag:
        conditional_problem = f"{PAGE} sends no ETag"
    else:
        probe = http_get(PAGE, headers={"If-None-Match": etag})
        if probe.status != 304:
            conditional_problem = f"If-None-Match: {etag} got {probe.status}, not 304"
    static_url = place_static_copy(stack, body)
    assert http_get(static_url).body == body

    sides: dict[str, tuple[str, list[str]]] = {
        "static": (base + static_url, []),
        "page": (base + PAGE, []),
    }
    if not conditional_problem:
        sides["304"] = (base + PAGE, [f"If-None-Match: {etag}"])
    # Short warm-ups so no side pays for first-request work in the timed runs.
    for url, headers in sides.values():
        run_wrk(url, seconds=2, headers=headers)
    runs: dict[str, list[WrkResult]] = {name: [] for name in sides}
    for _ in range(WRK_ROUNDS):
        for name, (url, headers) in sides.items():
            runs[name].append(run_wrk(url, seconds=WRK_SECONDS, headers=headers))
    static, cached = _combined(runs["static"]), _combined(runs["page"])

    note = "" if same_bytes else "the page differs between requests beyond its CSP nonce"
    for result, label in ((static, "static"), (cached, "page")):
        if result.errors:
            note += f"; {label}: {result.errors} error responses"
    checks = [
        Check(
            "1 cached page",
            "req/s vs static",
            cached.rps / static.rps,
            ">=",
            0.9,
            figures=f"page {_wrk_figures(cached)}; static {_wrk_figures(static)}",
            note=note.strip("; "),
        ),
        Check(
            "1 cached page",
            "p99 vs static p99",
            cached.p99_ms / static.p99_ms,
            "<=",
            1.5,
            figures=f"page p99 {cached.p99_ms:.2f} ms; static p99 {static.p99_ms:.2f} ms",
        ),
    ]
    # 3: the same page asked with the ETag it sent: a 304 must be at least as cheap.
    if conditional_problem:
        checks.append(
            Check(
                "3 conditional GET", "304 req/s vs 200", None, ">=", 1.0, note=conditional_problem
            )
        )
    else:
        conditional = _combined(runs["304"])
        checks.append(
            Check(
                "3 conditional GET",
                "304 req/s vs 200",
                conditional.rps / cached.rps,
                ">=",
                1.0,
                figures=f"304 {_wrk_figures(conditional)}; 200 {_wrk_figures(cached)}",
            )
        )
    return checks


def clear_page_caches() -> None:
    """Forget every rendered copy of the page (Django's cache holds them all)."""
    from django.core.cache import cache

    cache.clear()


def measure_uncached_render(*, rounds: int = 150, budget_s: float = 40.0) -> list[Check]:
    """Measure 2, in this process (Django set up against the bench's services).

    Each uncached request follows `clear_page_caches()`, which is not timed; cached requests
    follow a request that filled the cache. Median per-request times, alternating the two.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    clear_page_caches()
    first = client.get(PAGE)
    if first.status_code != 200:
        reason = f"{PAGE} answered {first.status_code} (content page not there yet)"
        return [
            Check("2 uncached render", "req/s vs cached", None, ">=", 0.35, note=reason),
            Check("2 uncached render", "queries per render", None, "<=", 3, "", note=reason),
        ]
    clear_page_caches()
    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    render_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    cached_queries = len(queries)

    uncached_times: list[float] = []
    cached_times: list[float] = []
    deadline = time.monotonic() + budget_s
    for _ in range(rounds):
        if time.monotonic() > deadline:
            break
        clear_page_caches()
        start = time.perf_counter()
        client.get(PAGE)
        uncached_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get(PAGE)
        cached_times.append(time.perf_counter() - start)
    uncached = statistics.median(uncached_times)
    cached = statistics.median(cached_times)
    figures = (
        f"uncached {uncached * 1000:.2f} ms ({1 / uncached:,.0f}/s); "
        f"cached {cached * 1000:.2f} ms ({1 / cached:,.0f}/s); "
        f"{len(uncached_times)} of each, in-process"
    )
    # A page read from the database cannot take no queries: a cache the bench does not know
    # of answered instead, and the figure would be a cached one.
    note = "" if render_queries else "the 'uncached' render ran no query: a cache was not cleared"
    return [
        Check(
            "2 uncached render",
            "req/s vs cached",
            cached / uncached,
            ">=",
            0.35,
            figures=figures,
            note=note,
        ),
        Check(
            "2 uncached render",
            "queries per render",
            render_queries,
            "<=",
            3,
            "",
            figures=f"uncached {render_queries}, cached {cached_queries}",
        ),
    ]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split():
            if values.get("href"):
                self.urls.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"])


def page_assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def measure_page_weight() -> list[Check]:
    """Measure 7: bytes on the wire, as a browser asking for gzip receives them."""
    page = http_get(PAGE, headers={"Accept-Encoding": "gzip"})
    if page.status != 200:
        return [
            Check(
                "7 page weight",
                "page + CSS/JS, compressed",
                None,
                "<=",
                WEIGHT_LIMIT_KB,
                "KB",
                note=f"{PAGE} answered {page.status} (content page not there yet)",
            )
        ]
    html = page.body
    if page.header("Content-Encoding") == "gzip":
        import gzip

        html = gzip.decompress(html)
    parts = [("page", len(page.body), page.header("Content-Encoding") or "identity")]
    for url in page_assets(html.decode("utf-8", "replace")):
        if url.startswith(("http://", "https://", "//")):
            parts.append((url, 0, "external: not counted"))
            continue
        asset = http_get(url, headers={"Accept-Encoding": "gzip"})
        if asset.status != 200:
            parts.append((url, 0, f"answered {asset.status}"))
            continue
        parts.append((url, len(asset.body), asset.header("Content-Encoding") or "identity"))
    total_kb = sum(size for _, size, _ in parts) / 1000
    figures = "; ".join(
        f"{url.rsplit('/', 1)[-1] or url} {size / 1000:.1f} KB ({encoding})"
        for url, size, encoding in parts
    )
    note = ""
    if parts[0][2] == "identity":
        note = "the HTML itself is sent uncompressed"
    return [
        Check(
            "7 page weight",
            "page + CSS/JS, compressed",
            total_kb,
            "<=",
            WEIGHT_LIMIT_KB,
            "KB",
            figures=figures,
            note=note,
        )
    ]
