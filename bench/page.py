"""Measures 1, 2, 3 and 7: the CIK gastric cancer page.

1. the cached page through nginx (its proxy_cache) vs the same bytes as an nginx static
   file, with wrk (target); and Django's own cached answer vs the same bytes from WhiteNoise
   in the same gunicorn (reported, no target: the stack's cost is not to be bypassed);
2. uncached render vs cached, in-process with the cache cleared before each render;
3. 304 for If-None-Match vs the cached 200, from Django, with wrk;
7. page weight: the page and its CSS/JS as sent with Accept-Encoding: gzip.
"""

from __future__ import annotations

import statistics
import time
from html.parser import HTMLParser

from bench.harness import (
    NGINX_PORT,
    Check,
    Stack,
    WrkResult,
    http_get,
    noise_note,
    run_wrk,
    spread,
    wait_until,
)

PAGE = "/cik/gastric-cancer/"
STATIC_COPY = "bench/gastric-cancer.html"
WRK_SECONDS = 4
WRK_ROUNDS = 3  # every side once per round, taking turns: 3 x 4 s each
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
    """Put the page's bytes under STATIC_ROOT and restart gunicorn so WhiteNoise sees them
    (nginx reads the directory itself)."""
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


def _ratios(runs: dict[str, list[WrkResult]], side: str, reference: str) -> list[float]:
    """The per-round ratio of req/s: each round's two runs were taken minutes apart at most."""
    return [a.rps / b.rps for a, b in zip(runs[side], runs[reference], strict=True) if b.rps > 0]


def _errors_note(runs: dict[str, list[WrkResult]], *sides: str) -> str:
    notes = [
        f"{side}: {_combined(runs[side]).errors} error responses"
        for side in sides
        if _combined(runs[side]).errors
    ]
    return "; ".join(notes)


def measure_cached_and_conditional(stack: Stack, base: str) -> list[Check]:
    """Measures 1 and 3, in interleaved rounds: every side runs once per round, in turn,
    so a burst of other work on the machine falls on all of them rather than on one."""
    not_run = [
        ("1 cached page", "nginx cache vs nginx static", ">=", 0.9),
        ("1 cached page", "Django cache vs WhiteNoise", "", 0),
        ("3 conditional GET", "304 req/s vs 200", ">=", 1.0),
    ]
    try:
        body = fetch_page()
    except PageNotReady as exc:
        reason = f"{exc} (content page not there yet)"
        return [Check(m, w, None, op, t, note=reason) for m, w, op, t in not_run]
    etag = http_get(PAGE).header("ETag")
    conditional_problem = ""
    if not etag:
        conditional_problem = f"{PAGE} sends no ETag"
    elif (probe := http_get(PAGE, headers={"If-None-Match": etag})).status != 304:
        conditional_problem = f"If-None-Match: {etag} got {probe.status}, not 304"
    static_url = place_static_copy(stack, body)
    assert http_get(static_url).body == body
    front = stack.start_nginx()
    via_nginx = [http_get(PAGE, port=NGINX_PORT) for _ in range(3)]
    cache_status = via_nginx[-1].header("X-Cache-Status")
    same_bytes = via_nginx[-1].body == body == http_get(static_url, port=NGINX_PORT).body

    sides: dict[str, tuple[str, list[str]]] = {
        "nginx static": (front + static_url, []),
        "nginx cache": (front + PAGE, []),
        "WhiteNoise": (base + static_url, []),
        "Django cache": (base + PAGE, []),
    }
    if not conditional_problem:
        sides["Django 304"] = (base + PAGE, [f"If-None-Match: {etag}"])
    # Short warm-ups so no side pays for first-request work in the timed runs.
    for url, headers in sides.values():
        run_wrk(url, seconds=1, headers=headers)
    runs: dict[str, list[WrkResult]] = {name: [] for name in sides}
    for _ in range(WRK_ROUNDS):
        for name, (url, headers) in sides.items():
            runs[name].append(run_wrk(url, seconds=WRK_SECONDS, headers=headers))
    combined = {name: _combined(results) for name, results in runs.items()}

    front_ratios = _ratios(runs, "nginx cache", "nginx static")
    front_note = [noise_note(front_ratios, 0.9), _errors_note(runs, "nginx cache", "nginx static")]
    if cache_status != "HIT":
        front_note.append(f"nginx answered the page with X-Cache-Status {cache_status}")
    if not same_bytes:
        front_note.append("the page through nginx differs from the static copy")
    django_ratios = _ratios(runs, "Django cache", "WhiteNoise")
    checks = [
        Check(
            "1 cached page",
            "nginx cache vs nginx static",
            statistics.median(front_ratios),
            ">=",
            0.9,
            figures=(
                f"{spread(front_ratios, unit='×')}; page {_wrk_figures(combined['nginx cache'])};"
                f" static {_wrk_figures(combined['nginx static'])}"
            ),
            note="; ".join(n for n in front_note if n),
        ),
        Check(
            "1 cached page",
            "Django cache vs WhiteNoise",
            statistics.median(django_ratios),
            "",
            0,
            figures=(
                f"{spread(django_ratios, unit='×')}; page "
                f"{_wrk_figures(combined['Django cache'])}; "
                f"WhiteNoise {_wrk_figures(combined['WhiteNoise'])} (same gunicorn, 2 workers)"
            ),
            note=_errors_note(runs, "Django cache", "WhiteNoise"),
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
        ratios = _ratios(runs, "Django 304", "Django cache")
        checks.append(
            Check(
                "3 conditional GET",
                "304 req/s vs 200",
                statistics.median(ratios),
                ">=",
                1.0,
                figures=(
                    f"{spread(ratios, unit='×')}; 304 {_wrk_figures(combined['Django 304'])}; "
                    f"200 {_wrk_figures(combined['Django cache'])}"
                ),
                note=noise_note(ratios, 1.0),
            )
        )
    return checks


def clear_page_caches() -> None:
    """Forget every rendered copy of the page: the shared cache (the content version) and
    this process's `pages` cache."""
    from django.core.cache import caches

    for backend in caches.all(initialized_only=True):
        backend.clear()


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
            if href := values.get("href"):
                self.urls.append(href)
        elif tag == "script" and (src := values.get("src")):
            self.urls.append(src)


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
