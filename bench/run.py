"""`make bench`: start a throw-away stack, run the measures, print and keep the table.

Everything runs on loopback: PostgreSQL (5440), Redis (6395) and clamd (3395) from
`.ci/services.sh`, gunicorn (8440) with production settings, a Celery worker. All of them
are stopped by PID when the run ends, however it ends. The table goes to the terminal and
to bench/out/latest.md.

    .venv/bin/python bench/run.py            # all measures
    .venv/bin/python bench/run.py 1 3 7      # only these (by number)
    BENCH_KEEP=1 ...                          # keep the temporary directory (logs) afterwards
    BENCH_STRICT=1 ...                        # exit 1 on a missed target too (default: only
                                              # when a measure could not run)
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import HOST, ROOT, WEB_PORT, Check, Stack, render_table, summary_line  # noqa: E402

OUT = ROOT / "bench" / "out" / "latest.md"
NAMES = {
    1: "1 cached page",
    2: "2 uncached render",
    3: "3 conditional GET",
    4: "4 upload",
    5: "5 queue latency",
    6: "6 coordinator queue",
    7: "7 page weight",
    8: "8 scale drill",
}


def missing_tools() -> list[str]:
    missing = [
        tool for tool in ("wrk", "redis-server", "curl", "openssl") if not shutil.which(tool)
    ]
    pg_bin = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
    if not Path(pg_bin, "initdb").exists():
        missing.append(f"PostgreSQL 15 ({pg_bin}/initdb)")
    if not shutil.which("clamd"):
        missing.append("clamd (clamav-daemon)")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        missing.append("nginx")
    return missing


def _crashed(numbers: list[int], exc: BaseException) -> list[Check]:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()] or [""]
    text = f"{type(exc).__name__}: {lines[0][:120]}"
    if len(lines) > 1:
        text += f" … {lines[-1][:160]}"
    return [Check(NAMES[n], "–", None, "", 0, note=f"error: {text}") for n in numbers]


def _coordinator_queue(stack: Stack) -> list[Check]:
    try:
        from bench import queue_changelist
    except ImportError as exc:
        return [
            Check(
                NAMES[6], "changelist vs raw SQL", None, "<=", 3, note=f"not written yet ({exc})"
            )
        ]
    return queue_changelist.measure(stack)


def main(argv: list[str]) -> int:
    if any(not arg.isdigit() or int(arg) not in NAMES for arg in argv):
        print(f"usage: bench/run.py [measure numbers 1-8], got {' '.join(argv)}", file=sys.stderr)
        return 2
    wanted = {int(arg) for arg in argv} or set(NAMES)
    missing = missing_tools()
    if missing:
        print("make bench needs: " + ", ".join(missing), file=sys.stderr)
        print(
            "On Debian: apt-get install wrk redis-server postgresql-15 clamav-daemon curl",
            file=sys.stderr,
        )
        return 2

    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="cancerfax-bench."))
    root.chmod(0o755)  # the postgres user must reach its data directory inside
    stack = Stack(root)

    def cleanup() -> None:
        stack.stop_all()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {root}")
        else:
            stack.remove()

    atexit.register(cleanup)
    # SIGTERM (and Ctrl-C) unwind through `finally`, so every child is stopped by PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    checks: list[Check] = []

    def step(numbers: list[int], run: Callable[[], list[Check]]) -> None:
        numbers = [n for n in numbers if n in wanted]
        if not numbers:
            return
        began = time.monotonic()
        print(f"-- {', '.join(NAMES[n] for n in numbers)}", flush=True)
        try:
            found = run()
        except Exception as exc:  # noqa: BLE001 (one broken measure must not hide the rest)
            traceback.print_exc()
            found = _crashed(numbers, exc)
        for check in found:
            print(
                f"   {check.what}: {check.shown(check.value)} "
                f"({check.target_shown}) {check.verdict}"
            )
            if check.figures:
                print(f"      {check.figures}")
        print(f"   ({time.monotonic() - began:.0f} s)", flush=True)
        checks.extend(found)

    try:
        print(f"Starting PostgreSQL, Redis and clamd under {root}", flush=True)
        stack.start_services()
        stack.manage("migrate", "--noinput", "--verbosity", "0")
        stack.manage("loaddemo")
        stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        stack.setup_django_here()
        stack.start_gunicorn(workers=2)
        base = f"http://{HOST}:{WEB_PORT}"

        from bench import page

        step([7], page.measure_page_weight)
        step([1, 3], lambda: page.measure_cached_and_conditional(stack, base))
        step([2], page.measure_uncached_render)

        if 5 in wanted:
            from bench import queue_latency

            stack.start_worker(concurrency=2)
            step([5], queue_latency.measure_queue_latency)
            stack.stop_worker()

        if 8 in wanted:
            from bench import scale

            step([8], lambda: scale.measure(stack))

        if 6 in wanted:
            step([6], lambda: _coordinator_queue(stack))

        if 4 in wanted:
            from bench import upload

            step([4], lambda: upload.measure_upload(stack))
    except Exception as exc:  # noqa: BLE001 (the stack itself failed: say so in the table)
        traceback.print_exc()
        done = {check.measure for check in checks}
        checks.extend(_crashed([n for n in sorted(wanted) if NAMES[n] not in done], exc))
    finally:
        stack.stop_all()

    report = build_report(checks, time.monotonic() - started)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print()
    print(report)
    print(f"(written to {OUT.relative_to(ROOT)})")
    # A missed target is a finding, reported above; a measure that could not run is a
    # failure of the bench. BENCH_STRICT=1 (for a CI gate) fails on misses too.
    if any(check.status == "NOT RUN" for check in checks):
        return 1
    strict = os.environ.get("BENCH_STRICT") == "1"
    return 1 if strict and any(check.status == "MISS" for check in checks) else 0


def build_report(checks: list[Check], elapsed: float) -> str:
    """The table, the counts, and each missed target spelled out once more."""
    report = (
        f"# Benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
        f"{render_table(checks)}\n\n"
        f"{summary_line(checks)}; {elapsed:.0f} s on {os.cpu_count()} cores.\n"
    )
    for status, title in (("MISS", "Missed targets"), ("NOT RUN", "Not measured")):
        listed = [check for check in checks if check.status == status]
        if listed:
            report += f"\n{title}:\n" + "".join(
                f"- {check.measure}, {check.what}: {check.shown(check.value)} against "
                f"{check.target_shown}: {check.verdict.partition(': ')[2] or check.status}\n"
                for check in listed
            )
    return report


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
