import shutil
import subprocess
from pathlib import Path

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]


def test_the_production_compose_file_is_valid():
    if not shutil.which("docker-compose"):
        service_missing("docker-compose is not installed (Debian package docker-compose)")
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_compose_service_the_design_names_is_there():
    text = (ROOT / "docker-compose.yml").read_text()
    for service in ("web:", "worker:", "beat:", "db:", "redis:", "clamav:"):
        assert f"\n  {service}" in text
    assert "pg_isready" in text
    assert "--appendonly yes" in text
