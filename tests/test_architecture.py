"""Module structure: no import circles between chartgen's modules (module-level imports, TYPE_CHECKING included)."""

from __future__ import annotations

import ast

from support import REPO

PACKAGE = REPO / "chartgen"


def _module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Modules of chartgen imported at module level (also inside `if TYPE_CHECKING:` blocks)."""
    out: set[str] = set()
    statements = [s for node in tree.body for s in (node.body if isinstance(node, ast.If) else [node])]
    for stmt in statements:
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            out.update(m for m in [stmt.module, *(f"{stmt.module}.{a.name}" for a in stmt.names)] if m in known)
        elif isinstance(stmt, ast.Import):
            out.update(a.name for a in stmt.names if a.name in known)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {name: _imports(ast.parse(path.read_text()), known) - {name} for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]


def test_the_spec_side_never_imports_the_engine_or_the_check_side():
    graph = import_graph()
    for name in ("chartgen.spec", "chartgen.values", "chartgen.service_spec", "chartgen.istio_spec",
                 "chartgen.istio_settings", "chartgen.workload_spec", "chartgen.settings", "chartgen.setting"):
        assert not {d for d in graph[name] if d == "chartgen.engine" or d.startswith("chartgen.check")}, name
