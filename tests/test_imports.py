"""No import cycle inside soa_analysis/: every import statement, at any depth, is an edge.

Imports inside functions count too: a lazy import that closes a loop is still two modules
that each need the other. Cycles other helpers are removing are listed in KNOWN_CYCLES
with who owns them; the list may only shrink.
"""

from __future__ import annotations

import graphlib

from soa_analysis import partition

# (importer, imported) edges that close a cycle today, owned elsewhere: none left (the readers'
# format registry, ingest/registry.py, imports no reader since issue 12).
KNOWN_CYCLES: set[tuple[str, str]] = set()


def import_graph() -> dict[str, set[str]]:
    """Module -> the soa_analysis modules its import statements name (the package's own walker)."""
    return partition.import_graph(data_reads=False)


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


def _walked_graph(data_reads: bool) -> dict[str, set[str]]:
    """The reference: every node of every module's whole syntax tree walked (slow, exact)."""
    import ast

    mods = partition._modules()
    graph = {}
    for name, (path, is_pkg) in mods.items():
        here = name.split(".") if is_pkg else name.split(".")[:-1]
        source = path.read_text(encoding="utf-8")
        deps = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            elif data_reads and "resources.files" in source and isinstance(node, ast.Constant) \
                    and isinstance(node.value, str):
                targets = [t for t in (node.value, f"soa_analysis.{node.value}") if t in mods and mods[t][1]]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    deps.add(t)
        graph[name] = deps
    return graph


def test_the_import_scan_finds_what_a_whole_tree_walk_finds():
    for data_reads in (False, True):
        assert partition.import_graph(data_reads=data_reads) == _walked_graph(data_reads)


def test_the_import_scan_reads_continued_lazy_and_commented_statements():
    source = (
        '"""Fictional module.\n\nimport of the tables happens later; from the start, import nothing.\n"""\n'
        "from . import (alpha,  # first\n    beta)\n"
        "def f():\n    import gamma.delta as gd  # lazy\n    from ..epsilon import \\\n        zeta\n"
        "x = 'import eta'\n"
    )
    found = [(type(n).__name__, getattr(n, "module", None), n.level if hasattr(n, "level") else 0,
              [a.name for a in n.names]) for n in partition._import_statements(source)]
    assert found == [("ImportFrom", None, 1, ["alpha", "beta"]), ("Import", None, 0, ["gamma.delta"]),
                     ("ImportFrom", "epsilon", 2, ["zeta"])]
