"""No import cycle inside soa_analysis/: every import statement, at any depth, is an edge.

Imports inside functions count too: a lazy import that closes a loop is still two modules
that each need the other. Cycles other helpers are removing are listed in KNOWN_CYCLES
with who owns them; the list may only shrink.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "soa_analysis"

# (importer, imported) edges that close a cycle today, owned elsewhere: none left (the readers'
# format registry, ingest/registry.py, imports no reader since issue 12).
KNOWN_CYCLES: set[tuple[str, str]] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PKG.rglob("*.py"):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the soa_analysis modules it imports (``from pkg import mod`` points at ``pkg.mod``)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        here = name.split(".") if is_pkg else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    deps.add(t)
        graph[name] = deps
    return graph


def test_the_graph_sees_relative_and_lazy_imports():
    g = import_graph()
    assert "soa_analysis.execute" in g["soa_analysis.pipeline"]  # from .execute import ...
    assert "soa_analysis.report.stage" in g["soa_analysis.pipeline"]  # imported inside a function
    assert "soa_analysis.report.charts" in g["soa_analysis.report.sections"]  # from . import charts


def test_no_import_cycle():
    g = import_graph()
    for importer, imported in KNOWN_CYCLES:
        g[importer].discard(imported)
    try:
        list(graphlib.TopologicalSorter(g).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def _reaches(g: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m == goal:
            return True
        if m not in seen:
            seen.add(m)
            todo.extend(g.get(m, ()))
    return False


def test_known_cycles_are_still_cycles():
    """When an owner breaks one of them, its entry must go, so the list cannot hide a new one."""
    g = import_graph()
    stale = [(a, b) for a, b in KNOWN_CYCLES if not (b in g[a] and _reaches(g, b, a))]
    assert not stale, f"no longer a cycle, remove from KNOWN_CYCLES: {stale}"
