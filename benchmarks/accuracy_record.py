"""Write the packaged accuracy record, ``soa_analysis/accuracy/accuracy.json``.

One record of how far to trust the workbench, read by the report's methodology section and by
``soa-analysis evaluate`` (see ``soa_analysis/accuracy/``), so a figure is the same wherever
it appears. It gathers:

* the priority tagger on the project's own labelled passages: nested cross-validation with the
  same settings the test suite recomputes (``tests/test_tagging_evaluation.py``);
* the evidence grader and the added-value themes on their held-out labelled passages;
* real text (``benchmarks/real_text/``): the latest held-out part's figures (``LATEST``) as scored
  once by ``benchmarks/real_text.py --part <LATEST> --json benchmarks/real_text/results/<LATEST>.json``, the
  earlier test parts' (``results/<part>.json`` for each part in ``EARLIER``, each as it came out
  when it was scored once), and the two labelling passes' agreement
  (``results/agreement*.json``), and the figures of leaving one studied part out in turn
  (``benchmarks/real_text.py --lopo --json benchmarks/real_text/results/<LOPO_FILE>``, run over the parts
  in the cache). Those need
  the gitignored text cache to recompute; this script copies the figures from the committed
  result files.

Run after any change to the taxonomies, the rubric, the labelled passages or the real-text
results::

    .venv/bin/python benchmarks/accuracy_record.py
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "real_text" / "results"
TARGET = ROOT / "soa_analysis" / "accuracy" / "accuracy.json"

# The settings tests/test_tagging_evaluation.py uses, so the suite can check the record.
TAGGING_SETTINGS = {"folds": 5, "seed": 0, "n_boot": 300}
# The held-out part scored last, and the earlier ones (newest first): each scored once, then studied. The parts are
# named test, test2, test3, ... in the order they were held out, so the earlier ones follow from the latest.
LATEST = "test132"
EARLIER = tuple(f"test{n}" for n in range(int(LATEST.removeprefix("test")) - 1, 1, -1)) + ("test",)


def _real(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return {}
    res = json.loads(path.read_text(encoding="utf-8"))
    return {"n": res["n"], "macro_f1": round(res["tags"]["macro_f1"], 4),
            "macro_f1_ci": [round(x, 4) for x in res["ci"]["macro_f1"]],
            "micro_f1": round(res["tags"]["micro_f1"], 4),
            "grade_accuracy": round(res["grades"]["accuracy"], 4),
            "grade_accuracy_ci": [round(x, 4) for x in res["ci"]["accuracy"]],
            "grade_kappa": round(res["grades"]["kappa"], 4),
            "grade_kappa_ci": [round(x, 4) for x in res["ci"]["kappa"]],
            "per_priority_f1": {k: round(v["f1"], 4) for k, v in res["tags"].items() if isinstance(v, dict)}}


def _nested_grades() -> dict:
    """Per studied part, the grade with that part left out of the sentence model's fit (its C and
    threshold chosen on the other parts), as the packaged model's meta records it
    (``benchmarks/real_text/sentence_model.py``). ``--lopo`` in ``real_text.py`` re-trains only the
    tagger, so its grade columns come from a model that learned from every studied part."""
    from soa_analysis.evidence.sentence_model import load_sentence_model

    figures = load_sentence_model("packaged").meta.get("leave_one_part_out", {})
    shipped = [k for k in figures if k != "rules"]
    return figures[shipped[0]] if shipped else figures.get("rules", {})


def _check_grades() -> dict:
    """Per studied part, the grade with the grade check fitted without that part (and the rules' grade beside it as
    shipped), as the packaged check's meta records it (``benchmarks/real_text/check_model.py``); empty when the
    packaged rubric has no grade check. ``--lopo`` in ``real_text.py`` re-trains only the tagger, and the check, fitted
    on every studied part, grades those parts as it learned them."""
    from soa_analysis.evidence.check_model import load_check_model
    from soa_analysis.rubrics import load_rubric

    rubric = load_rubric()
    if not rubric.check_model:
        return {}
    return load_check_model(rubric.check_model).meta.get("left_out", {}).get("parts", {})


# The newest leave-one-part-out run of the shipped tagger (session 44, the thirty-nine studied parts of test25 to
# test63 in the cache; its grade columns are replaced by the grade check's left-out figures, _check_grades). The
# earlier runs are kept beside it in the results folder; the table of files in benchmarks/real_text/README.md says
# which is which.
LOPO_FILE = "lopo_test25_test63.json"


def _lopo() -> dict:
    path = RESULTS / LOPO_FILE
    if not path.exists():
        return {}
    res = json.loads(path.read_text(encoding="utf-8"))
    nested, checked = _nested_grades(), _check_grades()
    parts = {}
    for name, r in res["parts"].items():
        grade = (checked.get(name) or nested.get(name)
                 or {"accuracy": r["grades"]["accuracy"], "kappa": r["grades"]["kappa"]})
        parts[name] = {"n": r["n"], "macro_f1": round(r["tags"]["macro_f1"], 4),
                       "grade_accuracy": round(grade["accuracy"], 4), "grade_kappa": round(grade["kappa"], 4)}
    mean = lambda key: round(sum(p[key] for p in parts.values()) / len(parts), 4)  # noqa: E731 - over these parts
    names = list(parts)
    return {"n": sum(p["n"] for p in parts.values()), "parts": parts, "source": f"benchmarks/real_text/results/{LOPO_FILE}",
            "first_part": names[0], "last_part": names[-1],
            "macro_f1": round(res["mean"]["macro_f1"], 4), "grade_accuracy": mean("grade_accuracy"),
            "grade_kappa": mean("grade_kappa"),
            "note": "tags: tagger trained without the part; grades: a sentence model that did not learn from the part "
                    "(fitted without it where it had learned from it: nested) and a grade check fitted without it"}


def main() -> int:
    from soa_analysis import __version__
    from soa_analysis.evidence.evaluate import evaluate_evidence
    from soa_analysis.rubrics import load_rubric
    from soa_analysis.tagging.evaluation import evaluate
    from soa_analysis.taxonomies import load_taxonomy

    tag = evaluate(**TAGGING_SETTINGS)
    ev = evaluate_evidence(split="test").summary()
    rec = {
        "created": date.today().isoformat(),
        "package_version": __version__,
        "taxonomy": load_taxonomy("priorities").provenance(),
        "rubric": {"name": load_rubric().name, "version": load_rubric().version},
        "tagging_own": {"n": tag.settings["n_passages"], "macro_f1": round(tag.macro_f1, 4),
                        "macro_f1_ci": [round(x, 4) for x in tag.macro_ci], "heldout_macro_f1":
                        round(tag.heldout_macro_f1, 4), "settings": TAGGING_SETTINGS,
                        "per_priority_f1": dict(zip(tag.per_category["category"],
                                                    [round(float(x), 4) for x in tag.per_category["f1"]]))},
        "evidence_own": {"n": ev["n_grade_passages"], "grade_accuracy": round(ev["grade_accuracy"], 4),
                         "grade_kappa": round(ev["grade_kappa"], 4), "n_themes": ev["n_theme_passages"],
                         "theme_macro_f1": round(ev["theme_macro_f1"], 4)},
        "real_text": {"test": _real(LATEST), "test_part": LATEST,
                      "earlier_tests": {part: _real(part) for part in EARLIER},
                      "agreement": next((a for a in (_real(f"agreement_{p}") for p in (LATEST, *EARLIER[:-1])) if a),
                                        _real("agreement")),
                      "leave_one_part_out": _lopo(),
                      "note": f"test: the latest held-out part ({LATEST}), scored once at the end; earlier_tests: "
                              "the earlier held-out parts, each scored once and then opened for study; agreement: "
                              "the latest part's two labelling passes; leave_one_part_out: each studied part scored "
                              "by a tagger and a grading model trained without it (the mean over the parts)"},
    }
    TARGET.write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(rec, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
