"""docker-compose.yml as docker-compose itself reads it (`docker-compose config`): valid,
and wired as the design says: nginx the only way in, in front of gunicorn, with the
repository's configuration and the collected static files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]


def _compose(*args: str) -> subprocess.CompletedProcess:
    if not shutil.which("docker-compose"):
        service_missing("docker-compose is not installed (Debian package docker-compose)")
    return subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def services() -> dict:
    result = _compose()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def _mounts(service: dict) -> dict[str, str]:
    """Target path → source (a named volume or a host path), as compose resolved them."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[target] = source
    return mounts


def test_the_production_compose_file_is_valid():
    result = _compose("-q")
    assert result.returncode == 0, result.stderr


def test_every_service_the_design_names_is_there(services):
    assert {"nginx", "web", "worker", "beat", "migrate", "db", "redis", "clamav"} <= set(services)
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "--appendonly yes" in services["redis"]["command"]


def test_nginx_is_the_only_way_in_and_runs_the_repositorys_configuration(services):
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"nginx"}
    nginx = services["nginx"]
    config = _mounts(nginx)["/etc/nginx/nginx.conf"]
    assert Path(config).resolve() == ROOT / "deploy" / "nginx.conf"
    # It starts once gunicorn answers its health check and the static files are in place.
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert nginx["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "8000" in [str(port) for port in services["web"].get("expose", [])]
    # The proxy appends the client's address; the app counts it to find the client.
    assert str(services["web"]["environment"]["TRUSTED_PROXY_COUNT"]) == "1"


def test_nginx_serves_the_static_files_the_migrate_step_copies(services):
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    static_root = config.split("location /static/", 1)[1].split("alias ", 1)[1].split("/;")[0]
    volume = _mounts(services["nginx"])[static_root]
    assert _mounts(services["migrate"])[static_root] == volume
    assert f"/. {static_root}/" in services["migrate"]["command"]
