"""Strip what running leaves in the committed notebooks: outputs, execution counts, run metadata.

The notebooks under ``notebooks/`` are committed clean (a test checks it); an executed copy of a
run lives in its run folder, never here. After running a notebook in JupyterLab, before committing:

    python scripts/strip_notebook_outputs.py             # strip every notebooks/*.ipynb in place
    python scripts/strip_notebook_outputs.py --check     # only list those that carry outputs (exit 1)
    python scripts/strip_notebook_outputs.py path.ipynb  # particular notebooks

(``make strip-notebooks`` runs the first.) A notebook that is already clean is not rewritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# Metadata that a run writes: papermill's parameters and timings, JupyterLab's timing and widget state.
CELL_RUN_METADATA = ("execution", "papermill", "ExecuteTime", "collapsed", "scrolled")
NOTEBOOK_RUN_METADATA = ("papermill", "widgets")


def strip(nb: nbformat.NotebookNode) -> bool:
    """Remove outputs, execution counts and run metadata from ``nb`` in place; True if anything went."""
    changed = False
    for key in NOTEBOOK_RUN_METADATA:
        changed |= nb.metadata.pop(key, None) is not None
    for cell in nb.cells:
        for key in CELL_RUN_METADATA:
            changed |= cell.metadata.pop(key, None) is not None
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            cell.outputs = []
            changed = True
        if cell.get("execution_count") is not None:
            cell.execution_count = None
            changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any notebook carries outputs")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        if strip(nb):
            dirty.append(path)
            if not args.check:
                nbformat.write(nb, str(path))
    verb = "carries outputs" if args.check else "stripped"
    for path in dirty:
        print(f"{path}: {verb}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
