"""The import graph keeps its shape: layers point one way, the sandbox stays outside, no cycles.

Every module of the app is parsed (not imported) and every `import` in it counts, wherever
it sits: at the top, inside a function, or under `if TYPE_CHECKING:`. A lazy import is
still a dependency a maintainer must understand, and a type-only import still ties two
modules together, so none of them may close a cycle or cross a layer the wrong way.

Layers (README "How it is built"): `composition` (the root, used only by `cli`) -> `ui`
(Qt) -> `sync` (engine, no Qt) -> `xero`, `store`, `ledger`; `sandbox` imports nothing of
the app and nothing but the root imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "xsync_desktop"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts}


def _resolve(module: str, level: int, here: str, is_package: bool) -> str:
    if level == 0:
        return module
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports, anywhere in its body.

    `from pkg import name` counts as importing the submodule `pkg.name` when there is one, else
    `pkg`. A package's `__init__` that Python runs on the way to a submodule is not counted: it
    is not a dependency the importing code chose.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    modules = _modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module or "", node.level, name, is_package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in modules else target


@cache
def _graph() -> dict[str, set[str]]:
    """Module -> the app's modules (or third-party top-level packages) it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for target in _imports(name, path):
            if target.startswith(PACKAGE + ".") or target == PACKAGE:
                # `from pkg import name`: the submodule if `name` is one, else the package itself
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    deps.add(target)
            else:
                deps.add(target.split(".")[0])
        graph[name] = deps
    return graph


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _offenders(area: str, forbidden: tuple[str, ...]) -> list[str]:
    """`module -> import` pairs where a module of `area` imports a forbidden area or package."""
    bad = []
    for module, deps in _graph().items():
        if _area(module) != area:
            continue
        for dep in deps:
            dep_area = _area(dep) if dep.startswith(PACKAGE + ".") else dep
            if dep_area in forbidden:
                bad.append(f"{module} -> {dep}")
    return sorted(bad)


def test_the_graph_sees_the_whole_app() -> None:
    """A parser that missed the packages would make every rule below pass vacuously."""
    areas = {_area(m) for m in _graph()}
    assert {"ui", "sync", "xero", "store", "ledger", "sandbox", "composition"} <= areas
    assert "xsync_desktop.sync.pull" in _graph()["xsync_desktop.sync.engine"]
    assert "PySide6" in _graph()["xsync_desktop.ui.qt"]


@pytest.mark.parametrize(("area", "forbidden"), [
    ("sync", ("ui", "composition", "sandbox", "PySide6", "cli")),
    ("ui", ("sandbox", "composition", "cli")),
    ("xero", ("sync", "ui", "store", "ledger", "composition", "sandbox", "PySide6", "cli")),
    ("store", ("sync", "ui", "xero", "ledger", "composition", "sandbox", "PySide6", "cli")),
    ("ledger", ("sync", "ui", "xero", "composition", "sandbox", "PySide6", "cli")),
    ("exit_codes", tuple({_area(m) for m in _modules()} - {"exit_codes"})),
])
def test_layers_point_one_way(area: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(area, forbidden) == []


def test_the_sandbox_imports_nothing_of_the_app() -> None:
    """It stands in for Xero: it must not share code (or bugs) with the client it checks."""
    outside = sorted(f"{m} -> {d}" for m, deps in _graph().items() if _area(m) == "sandbox"
                     for d in deps if d.startswith(PACKAGE) and _area(d) != "sandbox")
    assert outside == []


def test_only_the_composition_root_reaches_the_sandbox_and_the_root_only_from_cli() -> None:
    """ui/ and sync/ never know whether Xero is real: the root chooses and hands objects down."""
    allowed = {"composition", "sandbox"}
    sandbox_users = sorted(f"{m} -> {d}" for m, deps in _graph().items() if _area(m) not in allowed
                           for d in deps if _area(d) == "sandbox" and d.startswith(PACKAGE))
    assert sandbox_users == []
    root_users = sorted(f"{m} -> {d}" for m, deps in _graph().items()
                        if _area(m) != "composition" and m != f"{PACKAGE}.cli"
                        for d in deps if _area(d) == "composition" and d.startswith(PACKAGE))
    assert root_users == []


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    graph = {m: {d for d in deps if d in _graph()} for m, deps in _graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def _reaches(start: str, goal: str) -> bool:
    graph = _graph()
    seen, todo = {start}, [start]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep == goal:
                return True
            if dep not in seen and dep in graph:
                seen.add(dep)
                todo.append(dep)
    return False


@pytest.mark.parametrize(("upper", "lower"), [
    ("xsync_desktop.sync.exceptions", "xsync_desktop.sync.reconcile.write_backs"),
    ("xsync_desktop.sandbox.server", "xsync_desktop.sandbox.admin"),
    ("xsync_desktop.cli", "xsync_desktop.exit_codes"),
    ("xsync_desktop.sync.cli", "xsync_desktop.exit_codes"),
    ("xsync_desktop.ui.sync_controller", "xsync_desktop.ui.services"),
])
def test_named_cycles_stay_cut(upper: str, lower: str) -> None:
    """The cycles issue 18 named run one way now: `upper` uses `lower`, never the reverse."""
    assert _reaches(upper, lower)
    assert not _reaches(lower, upper)


def test_no_import_cycles_at_all() -> None:
    assert _cycles() == []
