"""Module structure: no import circles between chartgen's modules (module-level imports, TYPE_CHECKING included),
and the packages of tools/restructure.py (LAYERS) layered one way (every import, those inside functions too). The
layering holds in the flat layout too: a flat module counts as the package MOVES sends it to."""

from __future__ import annotations

import ast
import importlib.util

from support import REPO

_spec = importlib.util.spec_from_file_location("restructure_layout", REPO / "tools" / "restructure.py")
assert _spec is not None and _spec.loader is not None
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)

PACKAGE = REPO / "chartgen"


def _module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, known: set[str], *, lazy: bool = False) -> set[str]:
    """Modules of chartgen imported at module level (also inside `if TYPE_CHECKING:` blocks), or with `lazy`
    anywhere in the module (inside functions too: a lazy import is a dependency)."""
    out: set[str] = set()
    statements = (ast.walk(tree) if lazy else
                  [s for node in tree.body for s in (node.body if isinstance(node, ast.If) else [node])])
    for stmt in statements:
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            out.update(m for m in [stmt.module, *(f"{stmt.module}.{a.name}" for a in stmt.names)] if m in known)
        elif isinstance(stmt, ast.Import):
            out.update(a.name for a in stmt.names if a.name in known)
    return out


def import_graph(*, lazy: bool = False) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {name: _imports(ast.parse(path.read_text()), known, lazy=lazy) - {name} for name, path in files.items()}


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


# ------------------------------------------------------------------------------------------------- packages

TOP = {"chartgen", *(f"chartgen.{m}" for m in layout.KEEP if m not in layout.LAYERS)}


def package_of(module: str) -> str | None:
    """`spec` for chartgen.spec.loader and for chartgen.spec.schema (MOVES sends it to spec.schema); None for the
    modules on top (and the chartgen package itself)."""
    if module in TOP:
        return None
    rest = module.removeprefix("chartgen.")
    for old, new in sorted(layout.MOVES.items(), key=lambda item: -len(item[0])):
        if rest == old or rest.startswith(old + "."):
            return new.split(".")[0]
    return rest.split(".")[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the edges that make it (for the failure message)."""
    out: dict[str, dict[str, set[str]]] = {}
    for module, deps in graph.items():
        src = package_of(module)
        for dep in deps:
            dst = package_of(dep)
            if src is not None and dst is not None and dst != src:
                out.setdefault(src, {}).setdefault(dst, set()).add(f"{module} -> {dep}")
    return out


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    return sorted(edge for src, targets in package_graph(graph).items() for dst, edges in targets.items()
                  if dst not in layout.LAYERS.get(src, set()) for edge in edges)


def test_every_module_is_in_a_declared_package_or_on_top():
    stray = {m for m in import_graph() if m not in TOP and package_of(m) not in layout.LAYERS}
    assert stray == set(), "give the module its place in tools/restructure.py (MOVES or KEEP)"


def test_packages_import_only_the_layers_below_them():
    assert layering_violations(import_graph(lazy=True)) == []


def test_no_circles_between_packages():
    graph = {src: set(targets) for src, targets in package_graph(import_graph(lazy=True)).items()}
    graph.update({p: set() for p in layout.LAYERS if p not in graph})
    assert cycles(graph) == []


def test_no_circles_between_the_packages_modules_even_through_lazy_imports():
    """A lazy import hides a circle from the interpreter, not from the reader (verify <-> diff was one). Inside
    chartgen.check, which the move leaves as it is, crd_schema and crd_fast call each other on purpose."""
    inner = {"check"}
    graph = {m: {d for d in deps if package_of(d) and not (package_of(m) in inner and package_of(d) in inner)}
             for m, deps in import_graph(lazy=True).items() if package_of(m)}
    assert cycles(graph) == []


def test_the_layering_check_catches_a_wrong_import():
    """generate -> verify, check -> spec and helm -> verify are each reported, in either layout's names."""
    graph = {"chartgen.generate.uptodate": {"chartgen.verify.diff"}, "chartgen.check.runner": {"chartgen.spec.loader"},
             "chartgen.helm.runner": {"chartgen.verify.chart"}, "chartgen.cli": {"chartgen.verify.chart"}}
    assert layering_violations(graph) == sorted(["chartgen.check.runner -> chartgen.spec.loader",  # sorted: the
                                                 "chartgen.helm.runner -> chartgen.verify.chart",  # move renames them
                                                 "chartgen.generate.uptodate -> chartgen.verify.diff"])
    assert package_of("chartgen.cli") is None and package_of("chartgen.spec.loader") == "spec"
    assert package_of("chartgen.spec.loader") == "spec" and package_of("chartgen.generate.traffic_pictures") == "generate"
    assert package_of("chartgen.core.cache") == "core" and package_of("chartgen.graph.build") == "graph"
