"""The direction of imports between the project's packages (docs: DESIGN.md).

`cancerfax` is the base and imports no app; `records` imports only the base; `content`
reads one part of `navigation`, the eligibility engine, to render its table; and no two
modules import each other, however indirectly, when they are loaded.

Read from the source with `ast`, nothing is imported. Every import counts for the
direction, wherever it is written (a function-local import is still a dependency); for
cycles, only what runs when a module is loaded: imports at module level, outside
`if TYPE_CHECKING:`.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cancerfax", "records", "navigation", "content")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _project_modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, *, loaded_only: bool) -> Iterator[tuple[str, int]]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    yield from _imports_in(path.read_text(), package=package, loaded_only=loaded_only)


def _imports_in(source: str, *, package: str, loaded_only: bool) -> Iterator[tuple[str, int]]:
    """(imported module, line) for each import in `source`, a module of `package`; with
    `loaded_only`, those that run when it is loaded."""

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in nodes:
            if loaded_only and isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            ):
                continue
            if loaded_only and isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.orelse)
                continue
            yield node
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from walk([child])

    for node in walk(ast.parse(source).body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}", node.lineno


def _offenders(importer: str, allowed) -> list[str]:
    found = []
    for module in MODULES:
        if module != importer and not module.startswith(importer + "."):
            continue
        for target, line in _imports(module, loaded_only=False):
            top = target.split(".")[0]
            if top in PACKAGES and top != importer and not allowed(target):
                found.append(f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}")
    return sorted(set(found))


def _is_base(target: str) -> bool:
    return target.split(".")[0] == "cancerfax"


def _is_engine(target: str) -> bool:
    return target == "navigation.eligibility" or target.startswith("navigation.eligibility.")


def test_the_base_imports_no_app():
    assert _offenders("cancerfax", lambda target: False) == []


def test_records_imports_only_the_base():
    assert _offenders("records", _is_base) == []


def test_content_imports_only_the_base_and_the_eligibility_engine():
    assert _offenders("content", lambda t: _is_base(t) or _is_engine(t)) == []


def test_navigation_imports_only_the_base_and_records():
    assert _offenders("navigation", lambda t: _is_base(t) or t.split(".")[0] == "records") == []


def _cycles(*, loaded_only: bool = True) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), in the graph of the
    imports that run at load time (or of every import)."""
    graph = {
        module: sorted(
            {t for t, _line in _imports(module, loaded_only=loaded_only) if t in MODULES}
        )
        for module in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return sorted(groups)


def test_no_modules_import_each_other_when_loaded():
    assert _cycles() == []


def test_no_function_local_import_hides_a_cycle():
    """Counting the imports inside functions too: a cycle held apart only by importing
    late is still two modules that need each other."""
    assert _cycles(loaded_only=False) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from navigation import models\n", {"navigation", "navigation.models"}),
        (
            "from . import audit\nfrom .models import Patient\n",
            {"records", "records.audit", "records.models"},
        ),
        ("def f():\n    from content import views\n", set()),
        ("if TYPE_CHECKING:\n    import content.views\n", set()),
    ],
)
def test_the_walk_sees_the_imports_that_run_at_load_time(source, expected):
    found = {target for target, _ in _imports_in(source, package="records", loaded_only=True)}
    assert found == expected


def test_the_walk_counts_a_function_local_import_for_the_direction():
    source = "def f():\n    from content import views\n"
    found = {target for target, _ in _imports_in(source, package="records", loaded_only=False)}
    assert found == {"content", "content.views"}
