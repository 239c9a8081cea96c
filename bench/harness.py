"""What every measure shares: checks against targets, the table, wrk's output, the stack.

The stack is throw-away: PostgreSQL, Redis and clamd from `.ci/services.sh` on their own
ports and state directory, gunicorn and a Celery worker on loopback, each stopped by PID.
"""

from __future__ import annotations

import base64
import http.client
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Loopback ports of the throw-away stack; BENCH_*_PORT moves them (two benches at once).
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5440"))
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6395"))
CLAMD_PORT = int(os.environ.get("BENCH_CLAMD_PORT", "3395"))
WEB_PORT = int(os.environ.get("BENCH_WEB_PORT", "8440"))
NGINX_PORT = int(os.environ.get("BENCH_NGINX_PORT", "8443"))
HOST = "127.0.0.1"


# --- checks and the table --------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda value, target: value >= target,
    "<=": lambda value, target: value <= target,
    "<": lambda value, target: value < target,
    "==": lambda value, target: value == target,
}
_SHOWN = {">=": "≥", "<=": "≤", "<": "<", "==": "="}


@dataclass
class Check:
    """One figure against its target: PASS, MISS (with by how much) or NOT RUN (why); or,
    with no target (`op` empty) and a value, a figure REPORTED for the reader."""

    measure: str
    what: str
    value: float | None
    op: str
    target: float
    unit: str = "×"
    figures: str = ""
    note: str = ""  # why it was not run, or what else the reader must know

    @property
    def status(self) -> str:
        if self.value is None or math.isnan(self.value):
            return "NOT RUN"
        if not self.op:
            return "REPORTED"
        return "PASS" if _OPS[self.op](self.value, self.target) else "MISS"

    def shown(self, number: float | None) -> str:
        if number is None:
            return "–"
        if self.unit == "×":
            return f"{number:.2f}×"
        if self.unit == "ms":
            return f"{number:.2f} ms"
        if self.unit == "MB":
            return f"{number:.1f} MB"
        if self.unit == "KB":
            return f"{number:.1f} KB"
        return f"{number:g}{(' ' + self.unit) if self.unit else ''}"

    @property
    def target_shown(self) -> str:
        if not self.op:
            return "–"
        return f"{_SHOWN[self.op]} {self.shown(self.target)}"

    @property
    def verdict(self) -> str:
        """The status with, for a miss, how far off and in which direction."""
        if self.status == "NOT RUN":
            return f"NOT RUN: {self.note}" if self.note else "NOT RUN"
        if self.status in ("PASS", "REPORTED"):
            return self.status
        assert self.value is not None
        gap = abs(self.value - self.target)
        relative = f", {gap / self.target:.0%} off" if self.target else ""
        side = "short of" if self.op == ">=" else "over"
        return f"MISS: {self.shown(gap)} {side} the target{relative}"


def render_table(checks: Sequence[Check]) -> str:
    """A Markdown table: readable in a terminal and in bench/out/latest.md alike."""
    rows: list[tuple[str, ...]] = [
        ("Measure", "Figure", "Result", "Target", "Verdict", "Figures measured")
    ]
    for check in checks:
        figures = check.figures
        if check.note and check.status != "NOT RUN":
            figures = f"{figures} (note: {check.note})" if figures else f"note: {check.note}"
        rows.append(
            (
                check.measure,
                check.what,
                check.shown(check.value),
                check.target_shown,
                check.verdict,
                figures,
            )
        )
    lines = []
    # One line per row: notes quoted from error pages must not break the table.
    rows = [tuple(" ".join(cell.split()) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        lines.append(
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        )
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def summary_line(checks: Sequence[Check]) -> str:
    counts = {status: 0 for status in ("PASS", "MISS", "NOT RUN", "REPORTED")}
    for check in checks:
        counts[check.status] += 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n or status != "REPORTED")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with `fraction` of the values at or below."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, min and max of a measure's rounds."""
    if not values:
        raise ValueError("no values")
    return statistics.median(values), min(values), max(values)


def spread(values: Sequence[float], fmt: str = "{:.2f}", unit: str = "") -> str:
    """ "1.20× (1.10–1.40 over 3 rounds)": the median with the range of the rounds."""
    middle, low, high = median_range(values)
    return (
        f"{fmt.format(middle)}{unit} ({fmt.format(low)}–{fmt.format(high)}{unit} "
        f"over {len(values)} rounds)"
    )


def noise_note(values: Sequence[float], target: float) -> str:
    """A verdict the rounds do not settle: the target lies within their range, so another run
    could land on the other side of it."""
    _middle, low, high = median_range(values)
    if low <= target <= high and low != high:
        return "target inside the noise: the rounds fall on both sides of it"
    return ""


# --- wrk -------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    latency_ms: dict[str, float] = field(default_factory=dict)  # "50%" -> ms
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def p99_ms(self) -> float:
        return self.latency_ms["99%"]

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's (4.x) text report; `--latency` adds the percentile block."""
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not total or not rps:
        raise ValueError(f"wrk printed no totals:\n{output}")
    result = WrkResult(
        requests=int(total.group(1)),
        seconds=_to_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(rps.group(1)),
    )
    block = re.search(r"Latency Distribution\n((?:\s+\d+%\s+\S+\n?)+)", output)
    if block:
        for pct, value in re.findall(r"(\d+%)\s+(\S+)", block.group(1)):
            result.latency_ms[pct] = _to_ms(value)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_ok:
        result.non_2xx_3xx = int(non_ok.group(1))
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sock:
        result.socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True)
        )
    return result


def run_wrk(
    url: str,
    *,
    seconds: int = 8,
    threads: int = 2,
    connections: int = 32,
    headers: Sequence[str] = (),
) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    return parse_wrk(done.stdout)


# --- plain HTTP on loopback ------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self) -> dict[str, str]:
        """Set-Cookie values by name. The site marks cookies Secure (production), so a
        cookie jar would not send them back over loopback http: we carry them by hand."""
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]
        return jar


def http_get(
    path: str, *, headers: dict[str, str] | None = None, port: int = WEB_PORT
) -> Response:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        raw = connection.getresponse()
        return Response(raw.status, raw.getheaders(), raw.read())
    finally:
        connection.close()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


# --- the stack -------------------------------------------------------------------------


def _stop_pid(pid: int, *, grace: float = 15) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid  # not our child: poll for its disappearance instead
            try:
                os.kill(pid, 0)
                done = 0
            except ProcessLookupError:
                pass
        if done == pid:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


class Stack:
    """Throw-away services for one bench run, all under one temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "services"
        self.static_root = root / "static"
        self.private = root / "private"
        self.uploads_tmp = root / "upload-tmp"
        self.logs = root / "logs"
        for directory in (self.static_root, self.private, self.uploads_tmp, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        self.services_started = False
        self.gunicorn: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        # Further web instances and workers (the scale drill), stopped with the rest.
        self.instances: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}

    # services ---------------------------------------------------------------------------
    def _services(self, verb: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "PG_PORT": str(PG_PORT),
            "REDIS_PORT": str(REDIS_PORT),
            "CLAMD_PORT": str(CLAMD_PORT),
            "PG_DB": "cancerfax_bench",
        }
        return subprocess.run(
            ["bash", str(ROOT / ".ci" / "services.sh"), verb, str(self.state)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start_services(self) -> None:
        for port in (PG_PORT, REDIS_PORT, CLAMD_PORT, WEB_PORT, NGINX_PORT):
            if _port_open(port):
                raise RuntimeError(f"port {port} on loopback is taken: is another bench running?")
        self.services_started = True
        done = self._services("start")
        if done.returncode != 0:
            raise RuntimeError(f"services did not start:\n{done.stdout}\n{done.stderr}")
        service_env = {}
        for line in (self.state / "env.sh").read_text().splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                service_env[key] = value
        self.env = {
            **os.environ,
            **service_env,
            "DJANGO_SETTINGS_MODULE": "cancerfax.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "AUDIT_CHAIN_KEY": secrets.token_urlsafe(48),
            # A throw-away document key; BENCH_DOCUMENT_ENCRYPTION=0 measures without.
            "DOCUMENT_ENCRYPTION_KEYS": "bench:"
            + base64.b64encode(secrets.token_bytes(32)).decode(),
            "DOCUMENT_ENCRYPTION": os.environ.get("BENCH_DOCUMENT_ENCRYPTION", "1"),
            "ALLOWED_HOSTS": HOST,
            # Plain http on loopback: no TLS in front of gunicorn here.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(self.static_root),
            "PRIVATE_STORAGE_ROOT": str(self.private),
            "FILE_UPLOAD_TEMP_DIR": str(self.uploads_tmp),
            # No mail relay on a bench machine; the console backend costs what SMTP would not.
            "EMAIL_BACKEND": "console",
            "LOG_LEVEL": "WARNING",
            # The bench's own notes (task start/end stamps), apart from cache and broker.
            "BENCH_REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/3",
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def stop_services(self) -> None:
        if self.services_started:
            self._services("stop")
            self.services_started = False

    # Django -----------------------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def setup_django_here(self) -> None:
        """Point this process at the bench's services and production settings."""
        os.environ.update(self.env)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    # gunicorn ---------------------------------------------------------------------------
    def start_gunicorn(self, *, workers: int = 2, extra: Sequence[str] = ()) -> None:
        self.stop_gunicorn()
        self._gunicorn_args = (workers, tuple(extra))
        log = open(self.logs / "gunicorn.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "cancerfax.wsgi",
                "--bind",
                f"{HOST}:{WEB_PORT}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                # Not the shared default under ~/.gunicorn: other servers on this machine.
                "--no-control-socket",
                "--access-logfile",
                "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
                *extra,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: http_get("/healthz").status == 200, timeout=60, what="gunicorn to answer"
        )

    def restart_gunicorn(self) -> None:
        """A new master and workers: WhiteNoise indexes STATIC_ROOT when the application
        loads, and gunicorn.conf.py preloads it in the master, so a HUP (new workers forked
        from the same master) would not see a file added since."""
        assert self.gunicorn is not None
        workers, extra = self._gunicorn_args
        self.start_gunicorn(workers=workers, extra=extra)

    def gunicorn_workers(self) -> list[int]:
        assert self.gunicorn is not None
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def stop_gunicorn(self) -> None:
        if self.gunicorn is not None:
            _stop_pid(self.gunicorn.pid)
            self.gunicorn = None

    # nginx ------------------------------------------------------------------------------
    def start_nginx(self) -> str:
        """Debian's nginx with the repository's configuration (deploy/nginx.conf.template,
        rendered for loopback) in front of the gunicorn above; its base URL. Needs Django
        set up in this process (`setup_django_here`): the body limit comes from settings."""
        from cancerfax.frontserver import NginxSite, nginx_config

        self.stop_nginx()
        state = self.root / "nginx"
        state.mkdir(exist_ok=True)
        conf = state / "nginx.conf"
        conf.write_text(
            nginx_config(
                NginxSite(
                    listen=f"{HOST}:{NGINX_PORT}",
                    upstream=f"{HOST}:{WEB_PORT}",
                    static_root=str(self.static_root),
                    state_dir=str(state),
                    error_log=str(self.logs / "nginx-error.log"),
                    access_log="/dev/null",
                    user="root" if os.geteuid() == 0 else "",
                )
            )
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen(
            [binary, "-p", str(state), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.logs / "nginx.out", "ab"),  # noqa: SIM115 (kept open for the child)
        )
        wait_until(
            lambda: http_get("/healthz", port=NGINX_PORT).status == 200,
            timeout=30,
            what="nginx to answer",
        )
        return f"http://{HOST}:{NGINX_PORT}"

    def stop_nginx(self) -> None:
        if self.nginx is not None:
            _stop_pid(self.nginx.pid)
            self.nginx = None

    # Celery -----------------------------------------------------------------------------
    def start_worker(self, *, concurrency: int = 2) -> None:
        """As docker-compose.yml runs it (prefork, concurrency 2)."""
        self.stop_worker()
        log = open(self.logs / "worker.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                # The project's app plus two signal handlers that stamp task start and end.
                "-A",
                "bench.worker",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={concurrency}",
                "--hostname=bench@%h",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop_worker(self) -> None:
        if self.worker is not None:
            _stop_pid(self.worker.pid, grace=30)
            self.worker = None

    # More instances, as `docker-compose up --scale web=2 --scale worker=2` -----------------
    def start_web_instance(self, *, port: int, name: str, env: dict[str, str]) -> str:
        """Another gunicorn (its own master, 2 workers) on the same services; its base URL."""
        log = open(self.logs / f"web-{name}.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.instances.append(
            subprocess.Popen(
                [
                    *(str(BIN / "gunicorn"), "cancerfax.wsgi", "--bind", f"{HOST}:{port}"),
                    *("--workers", "2", "--timeout", "120", "--no-control-socket"),
                    *("--access-logfile", "/dev/null"),
                ],
                env={**self.env, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_until(
            lambda: http_get("/healthz", port=port).status == 200,
            timeout=60,
            what=f"web instance {name} to answer",
        )
        return f"http://{HOST}:{port}"

    def start_worker_instance(self, *, name: str, env: dict[str, str]) -> Path:
        """Another Celery worker (prefork, concurrency 2) on the same broker; its log."""
        path = self.logs / f"worker-{name}.log"
        log = open(path, "ab")  # noqa: SIM115 (kept open for the child)
        self.instances.append(
            subprocess.Popen(
                [
                    *(str(BIN / "celery"), "-A", "cancerfax", "worker", "--loglevel=WARNING"),
                    *("--concurrency=2", f"--hostname={name}@%h"),
                ],
                env={**self.env, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        return path

    def stop_instances(self) -> None:
        while self.instances:
            _stop_pid(self.instances.pop().pid, grace=30)

    def stop_all(self) -> None:
        stops = (
            self.stop_instances,
            self.stop_nginx,
            self.stop_worker,
            self.stop_gunicorn,
            self.stop_services,
        )
        for stop in stops:
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 (keep stopping the rest)
                print(f"warning: {stop.__name__}: {exc}", file=sys.stderr)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc: unlike wall time, it
    hardly moves when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_kb(pid: int) -> int:
    """Peak resident set size of a process so far (kB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")
