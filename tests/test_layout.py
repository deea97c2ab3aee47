"""The package's import graph: no cycles, and the layers docs/DESIGN.md describes.

Every ``import`` in every module counts, also the lazy ones inside functions (a cycle that only
closes at run time is still a cycle: the order modules load in decides whether it works).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ipv6scan

ROOT = Path(ipv6scan.__file__).parent
PACKAGE = "ipv6scan"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that runs: at module level or in a function, not under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, is_package, node.level, node.module)
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                # ``from . import cli_audit`` loads a module; ``from .x import y`` loads x (and y if a module)
                targets = submodules if len(submodules) == len(node.names) else [base, *submodules]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
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
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for w in graph[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_the_walker_sees_lazy_and_relative_imports() -> None:
    graph = import_graph()
    assert "ipv6scan.cli_audit" in graph["ipv6scan.cli"]  # imported inside main()
    assert "ipv6scan.checks._registry" in graph["ipv6scan.checks.dns"]  # from ._registry import …
    assert "ipv6scan.pipeline" not in graph["ipv6scan"]  # under TYPE_CHECKING: not imported at run time
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = _cycles(import_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        # The history store sits below scanning and reporting: it stores lines, it does not make them.
        ("ipv6scan.store", {"ipv6scan.scan", "ipv6scan.pipeline", "ipv6scan.output", "ipv6scan.report",
                            "ipv6scan.cli", "ipv6scan.session"}),
        # Scanning one host knows nothing of the pool of processes that runs many.
        ("ipv6scan.scan", {"ipv6scan.pipeline", "ipv6scan.workers", "ipv6scan._worker", "ipv6scan.session"}),
        # Checks are pure: facts in, results out.
        ("ipv6scan.checks", {"ipv6scan.probe", "ipv6scan.scan", "ipv6scan.net", "ipv6scan.store",
                             "ipv6scan.report"}),
        # The library never reaches up into the command line.
        ("ipv6scan.pipeline", {"ipv6scan.cli", "ipv6scan.cli_audit", "ipv6scan.cli_common"}),
        ("ipv6scan.session", {"ipv6scan.cli", "ipv6scan.cli_audit", "ipv6scan.cli_common"}),
        ("ipv6scan.audit", {"ipv6scan.cli", "ipv6scan.cli_audit", "ipv6scan.cli_common"}),
    ],
)
def test_layers(low: str, high: set[str]) -> None:
    graph = import_graph()
    reached = _reaches(graph, low)
    if low == "ipv6scan.checks":
        for name in graph:
            if name.startswith("ipv6scan.checks."):
                reached |= _reaches(graph, name)
    bad = {m for m in reached for h in high if m == h or m.startswith(h + ".")}
    assert not bad, f"{low} imports (directly or through others) {sorted(bad)}"
