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
