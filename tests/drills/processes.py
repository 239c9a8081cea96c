"""Services the drills start, break and restart themselves: a Redis, Celery workers and a
PostgreSQL cluster of their own, on their own ports, each stopped by its PID."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings as django_settings

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    """A port nothing listens on now: drills never collide with other runs on the machine."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def wait_port(port: int, up: bool = True, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port) == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout}s")


@dataclass
class DrillRedis:
    """A Redis configured as production runs it: append-only, fsync every second (a kill
    loses at most the last second, which the reconciler re-sends). `persistent=False` for
    the drill of a broker that comes back empty."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None
    persistent: bool = True

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            service_missing("redis-server is not installed")
        if port_open(self.port):
            service_missing(f"port {self.port} is taken; the drill needs it for its own Redis")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistent else "no",
                "--appendfsync",
                "everysec",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        wait_port(self.port, up=False)


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no goodbye, no acknowledgement."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def start_worker(
    *,
    name: str,
    broker_url: str,
    database: str,
    log: Path,
    extra_env: dict | None = None,
    loglevel: str = "INFO",
) -> Worker:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=database,
        CELERY_BROKER_URL=broker_url,
        # Redis gives an unacknowledged task back after this many seconds, and the worker
        # looks for such tasks every second: production's minutes, in drill time.
        CELERY_VISIBILITY_TIMEOUT="3",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        # Retries of infrastructure errors 1-2 s apart, below the visibility timeout.
        TASK_RETRY_BACKOFF_MAX="2",
        TASK_MAX_RETRIES="5",
        EMAIL_BACKEND="console",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL=loglevel,
        # The worker reads and writes the same private storage as this test.
        PRIVATE_STORAGE_ROOT=str(django_settings.PRIVATE_STORAGE_ROOT),
    )
    env.update(extra_env or {})
    handle = log.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cancerfax",
            "worker",
            "--concurrency=1",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={name}@drill",
            "--include=tests.drills.worker_hooks",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a SIGKILL reaches the pool too
    )
    return Worker(process=process, log=log)


@dataclass
class DrillPostgres:
    """A throw-away PostgreSQL 15 cluster owned by the postgres user, on its own port."""

    port: int
    directory: Path
    env_path: list[str] = field(default_factory=list)

    def _as_postgres(self, *args: str, check: bool = True, timeout: float = 60):
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=check
        )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def init(self) -> None:
        if not (PG_BIN / "initdb").exists():
            service_missing(f"PostgreSQL binaries not found in {PG_BIN}")
        if port_open(self.port):
            service_missing(f"port {self.port} is taken; the drill needs it for its PostgreSQL")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
            shutil.chown(self.data, "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "pg.log"),
            "-w",
            "-t",
            "30",
            "start",
            "-o",
            # fsync off is safe here (the machine does not crash during a drill), but commits
            # stay synchronous: with synchronous_commit off, an immediate stop loses
            # transactions the application was told were committed, as no production
            # database would.
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off",
        )
        wait_port(self.port)

    def stop(self, mode: str = "immediate") -> None:
        result = self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False
        )
        if result.returncode != 0:
            # Whatever pg_ctl says, this cluster must not outlive the drill: stop it by PID.
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        wait_port(self.port, up=False)

    def createdb(self, name: str) -> str:
        self._as_postgres(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


def scratch_directory(prefix: str) -> Path:
    """A directory outside pytest's tmp tree: other pytest runs on this machine prune and
    re-permission that tree, which would pull the floor from under a running server."""
    path = Path(tempfile.mkdtemp(prefix=f"cfx-drill-{prefix}-"))
    path.chmod(0o755)
    return path
