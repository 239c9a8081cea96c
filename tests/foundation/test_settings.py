import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-grade-secret-key-for-the-check-only",
    "AUDIT_CHAIN_KEY": "a" * 16 + "-audit-chain-key-for-the-check-only",
    "ALLOWED_HOSTS": "navigator.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_HOST": "smtp.example.org",
    "CLAMD_ADDRESS": "tcp://127.0.0.1:3310",
    # A key for the check only (32 bytes, base64): production has no default.
    "DOCUMENT_ENCRYPTION_KEYS": "check:Y2hlY2stb25seS1jaGVjay1vbmx5LWNoZWNrLW9ubHk=",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DJANGO_ENV",
            "SECRET_KEY",
            "AUDIT_CHAIN_KEY",
            "DOCUMENT_ENCRYPTION_KEYS",
            "DOCUMENT_ENCRYPTION",
            "DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deploy_check_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("secret", ["", "short"])
def test_production_mode_refuses_to_start_without_a_real_secret_key(secret):
    result = _manage("check", env={**PROD_ENV, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["", "short"])
def test_production_mode_refuses_to_start_without_an_audit_chain_key(key):
    result = _manage("check", env={**PROD_ENV, "AUDIT_CHAIN_KEY": key})
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY" in result.stderr


def test_a_malformed_variable_names_itself():
    result = _manage("check", env={"UPLOAD_MAX_FILES": "many"})
    assert result.returncode != 0
    assert "UPLOAD_MAX_FILES must be an integer" in result.stderr


def test_production_mode_refuses_to_start_without_a_virus_scanner():
    result = _manage("check", env={**PROD_ENV, "CLAMD_ADDRESS": ""})
    assert result.returncode != 0
    assert "CLAMD_ADDRESS" in result.stderr


def test_in_development_the_site_answers_to_the_address_it_is_served_on():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ALLOWED_HOSTS, settings.SITE_URL)",
        env={"SITE_URL": "http://192.168.1.5:8103"},
    )
    assert result.returncode == 0, result.stderr
    assert "'192.168.1.5'" in result.stdout
    assert "http://192.168.1.5:8103" in result.stdout


def test_in_production_only_the_named_hosts_are_allowed():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ALLOWED_HOSTS)",
        env={**PROD_ENV, "SITE_URL": "https://evil.example.org"},
    )
    assert result.returncode == 0, result.stderr
    assert "evil.example.org" not in result.stdout


def _settings_reads_outside_the_settings_module() -> list[str]:
    """`getattr(settings, ...)` / `hasattr(settings, ...)` (a setting with a default written
    at its use) and any environment read, in the project's packages outside settings.py.
    Pointing Django at its settings (DJANGO_SETTINGS_MODULE) is not a read."""
    found = []
    for package in ("cancerfax", "records", "navigation", "content"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "cancerfax" / "settings.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr")
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == "settings"
                ):
                    found.append(f"{where} {node.func.id}(settings, ...)")
                elif (
                    isinstance(node, ast.Attribute)
                    and node.attr in ("environ", "getenv")
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "os"
                ):
                    found.append(f"{where} os.{node.attr}")
    return [
        line
        for line in found
        if not any(line.startswith(f"cancerfax/{entry}.py:") for entry in ENTRY_POINTS)
    ]


# Entry points that name the settings module for Django (os.environ.setdefault only).
ENTRY_POINTS = ("asgi", "wsgi", "celery")


def test_the_entry_points_only_name_the_settings_module():
    for entry in ENTRY_POINTS:
        source = (ROOT / "cancerfax" / f"{entry}.py").read_text()
        reads = [line for line in source.splitlines() if "os.environ" in line]
        assert reads == ['os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cancerfax.settings")']


def test_settings_are_read_in_the_settings_module_only():
    assert _settings_reads_outside_the_settings_module() == []
