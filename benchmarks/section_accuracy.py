"""Section accuracy on the labelled FICTIONAL fixtures in tests/data/sections/.

For every fixture (a Document plus the expected section of each block), runs
:func:`soa_analysis.ingest.sections.segment` and :func:`soa_analysis.ingest.structure.build_record`
and reports:

- paragraph accuracy: share of labelled blocks (all but pure template headings) assigned to
  the expected section (target >= 0.95);
- template accuracy, council accuracy (where the fixture names one) and checklist accuracy
  (exact set of ticked ids, 2010 fixtures);
- every failure, and the time per document.

Run: ``.venv/bin/python benchmarks/section_accuracy.py [--quiet] [--holdout]`` (``--holdout``
scores the fixtures in tests/data/sections/holdout/, written after tuning).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from soa_analysis.ingest.document import Block, Document  # noqa: E402
from soa_analysis.ingest.sections import segment  # noqa: E402
from soa_analysis.ingest.structure import build_record  # noqa: E402

FIXTURES = ROOT / "tests" / "data" / "sections"
UNCOUNTED = {"heading"}


def load_fixture(path: Path) -> tuple[Document, dict]:
    """A fixture file as (Document, fixture dict with per-block ``label``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    blocks = [Block(b["kind"], b["text"], level=b.get("level", 0), cells=list(b.get("cells") or []),
                    checked=b.get("checked")) for b in data["blocks"]]
    return Document(blocks, dict(data.get("meta") or {})), data


def evaluate(fixtures_dir: Path = FIXTURES) -> dict:
    """Score the sectioning on every ``*.json`` fixture in ``fixtures_dir``."""
    paths = sorted(fixtures_dir.glob("*.json"))
    counted = correct = 0
    templates_ok = councils_ok = councils_n = checklist_ok = checklist_n = 0
    failures: list[str] = []
    t0 = time.perf_counter()
    for path in paths:
        doc, fx = load_fixture(path)
        seg = segment(doc)
        record = build_record(doc, source_file=doc.meta.get("file_name", path.name))
        if seg.template == fx["template"]:
            templates_ok += 1
        else:
            failures.append(f"{fx['id']}: template {seg.template!r}, expected {fx['template']!r} (scores {seg.template_scores})")
        for block, unit in zip(fx["blocks"], seg.first_units()):
            if block["label"] in UNCOUNTED:
                continue
            counted += 1
            if unit.label == block["label"]:
                correct += 1
            else:
                failures.append(f"{fx['id']}: {block['text'][:70]!r} -> {unit.label!r}, expected {block['label']!r}"
                                f" (heading {unit.heading[:40]!r}, score {unit.score:.2f})")
        if fx.get("council") is not None:
            councils_n += 1
            if record.council == fx["council"]:
                councils_ok += 1
            else:
                failures.append(f"{fx['id']}: council {record.council!r} ({record.council_source}), expected {fx['council']!r}")
        if fx.get("checklist") is not None:
            checklist_n += 1
            if sorted(record.checklist) == sorted(fx["checklist"]):
                checklist_ok += 1
            else:
                failures.append(f"{fx['id']}: checklist {sorted(record.checklist)}, expected {sorted(fx['checklist'])}")
    elapsed = time.perf_counter() - t0
    return {
        "documents": len(paths),
        "paragraphs": counted,
        "accuracy": correct / counted if counted else 0.0,
        "template_accuracy": templates_ok / len(paths) if paths else 0.0,
        "council_accuracy": councils_ok / councils_n if councils_n else 0.0,
        "checklist_accuracy": checklist_ok / checklist_n if checklist_n else 0.0,
        "ms_per_document": 1000 * elapsed / len(paths) if paths else 0.0,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    fixtures_dir = FIXTURES / "holdout" if "--holdout" in argv else FIXTURES
    print(f"fixture set: {fixtures_dir.relative_to(ROOT)}")
    r = evaluate(fixtures_dir)
    print(f"fixtures: {r['documents']}  labelled paragraphs: {r['paragraphs']}")
    print(f"section accuracy:   {r['accuracy']:.3f} (target >= 0.95)")
    print(f"template accuracy:  {r['template_accuracy']:.3f}")
    print(f"council accuracy:   {r['council_accuracy']:.3f}")
    print(f"checklist accuracy: {r['checklist_accuracy']:.3f}")
    print(f"time: {r['ms_per_document']:.1f} ms per document (segment + build_record)")
    if "--quiet" not in argv:
        print(f"failures ({len(r['failures'])}):")
        for f in r["failures"]:
            print("  " + f)
    return 0 if r["accuracy"] >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
