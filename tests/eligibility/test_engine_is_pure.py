"""The engine is plain Python: importable and usable without Django."""

import ast
import subprocess
import sys
from pathlib import Path

from navigation import eligibility

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_imports_no_django():
    script = (
        "import sys\n"
        "from navigation.eligibility import Profile, prescreen\n"
        "prescreen(Profile(stage='III'))\n"
        "leaked = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not leaked, leaked\n"
    )
    # A fresh interpreter: this test process has Django loaded already.
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr


APPS = ("cancerfax", "content", "navigation", "records")
PACKAGE = ROOT / "navigation" / "eligibility"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_engine_imports_only_the_standard_library_and_itself():
    for path in PACKAGE.glob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or name.startswith("navigation.eligibility"), (
                f"{path.name} imports {name}"
            )


def test_the_apps_use_only_the_engines_public_api():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if PACKAGE in path.parents:
                continue
            inner = {
                name
                for name in _imports(path)
                if name.startswith("navigation.eligibility.")
                and name.removeprefix("navigation.eligibility.") not in eligibility.__all__
            }
            assert not inner, f"{path.relative_to(ROOT)} reaches inside the engine: {inner}"
