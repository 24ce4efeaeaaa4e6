"""Could a model learned from the studied real texts grade better than the rubric's rules?

Leave one studied part out (``dev``, ``test``, ``test2``, ``test3``): each part in turn is
graded by a model fitted on the other three, and the figures of each part held out and their
mean are printed beside the rules' own figures on the same part. The models are the simple,
explainable ones worth trying:

* ``counts``: multinomial logistic regression (balanced class weights) on the rubric's own
  per-text figures - how many sentences reached each strength, how many each sentence rule
  graded, and the length of the narrative (log counts);
* ``counts+words``: the same plus TF-IDF of the graded sentences' words and word pairs;
* ``tree``: a depth-3 decision tree on the counts;
* ``blend``: the counts model where it is at least 60% sure, the rules otherwise.

Each text goes through ingest and the evidence grader as a ``.txt`` submission would. Three
grades, planned counted as none. The rules were written while ``dev``, ``test`` and ``test2``
were studied, so their figures on those parts are in-sample; ``test3`` is the one part the
rules had not seen. Writes ``results/grade_models.json`` with ``--json``::

    .venv/bin/python benchmarks/real_text/grade_models.py --json benchmarks/real_text/results/grade_models.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import real_text as rt  # noqa: E402


def rules_results(texts: dict) -> dict:
    """id -> the rules' GradeResult (no sentence model) of every text, ingested as a .txt submission."""
    import pandas as pd

    from soa_analysis.evidence import EvidenceGrader
    from soa_analysis.evidence.timeline import reference_date
    from soa_analysis.schema import SECTION_COLUMNS

    grader = EvidenceGrader(model=None, planned=None).fit()  # the rubric's rules alone
    out = {}
    with rt.ingested(texts) as processed:
        subs = pd.read_parquet(processed / "submissions.parquet")
    for row in subs.to_dict("records"):
        sections = {s: (row.get(s) or "") for s in SECTION_COLUMNS}
        sections["text"] = row.get("text") or ""
        out[Path(row["source_file"]).stem] = grader.grade(sections, reference=reference_date(row.get("date"),
                                                                                              row.get("year")))
    return out


def graded_texts(texts: dict) -> dict:
    """id -> (rules' grade, [(strength, rule, sentence)]) for every text, as the workbench grades it."""
    return {i: (res.grade, [(s.strength, s.rule.split(" (capped")[0], s.sentence) for s in res.sentences])
            for i, res in rules_results(texts).items()}


def counts(sentences) -> dict:
    """The rubric's per-text figures: log counts of sentences per strength and per sentence rule."""
    c = Counter()
    for strength, rule, _ in sentences:
        if strength != "none":
            c["strength=" + strength] += 1
        if rule and strength in ("some", "strong"):
            c["rule=" + rule] += 1
    out = {k: math.log1p(v) for k, v in c.items()}
    out["sentences (log)"] = math.log1p(len(sentences))
    return out


def predictions(graded: dict, train: list, test: list, gold: dict) -> dict:
    """Each model's three-grade predictions for ``test``, fitted on ``train``."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    y = [rt.three(gold[i]) for i in train]
    dv = DictVectorizer()
    Xtr, Xte = dv.fit_transform([counts(graded[i][1]) for i in train]), dv.transform([counts(graded[i][1]) for i in test])
    lr = LogisticRegression(C=0.1, max_iter=5000, class_weight="balanced").fit(Xtr, y)
    proba = lr.predict_proba(Xte)
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, stop_words="english")
    Wtr = words.fit_transform([" ".join(s for _, _, s in graded[i][1]) for i in train])
    Wte = words.transform([" ".join(s for _, _, s in graded[i][1]) for i in test])
    lrw = LogisticRegression(C=0.1, max_iter=5000, class_weight="balanced").fit(hstack([Xtr, Wtr]).tocsr(), y)
    tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=10, class_weight="balanced", random_state=0)
    tree.fit(Xtr.toarray(), y)
    rules = [rt.three(graded[i][0]) for i in test]
    blend = [lr.classes_[p.argmax()] if p.max() >= 0.6 else r for p, r in zip(proba, rules)]
    return {"rules": rules, "counts": list(lr.classes_[proba.argmax(1)]),
            "counts+words": list(lrw.predict(hstack([Xte, Wte]).tocsr())),
            "tree": list(tree.predict(Xte.toarray())), "blend": blend}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=HERE / "cache")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    rows = [r for r in rt.load_sources() if r["split"] in rt.STUDIED]
    texts, problems = rt.find_texts(rows, a.cache)
    for p in problems:
        print("skipped", p)
    gold = {r["id"]: r["grade"] for r in rows}
    part_of = {r["id"]: r["split"] for r in rows if r["id"] in texts}
    graded = graded_texts(texts)
    figures: dict = {}
    for held in rt.STUDIED:
        test = [i for i in graded if part_of[i] == held]
        train = [i for i in graded if part_of[i] != held]
        if not test:
            continue
        truth = [rt.three(gold[i]) for i in test]
        for name, pred in predictions(graded, train, test, gold).items():
            figures.setdefault(name, {})[held] = {"n": len(test), **rt.grade_metrics(truth, pred)}
    print(f"{'model':<14}" + "".join(f"{p:>16}" for p in rt.STUDIED) + f"{'mean':>16}   (grade accuracy / kappa)")
    out = {}
    for name, parts in figures.items():
        acc = float(np.mean([v["accuracy"] for v in parts.values()]))
        kap = float(np.mean([v["kappa"] for v in parts.values()]))
        out[name] = {"parts": parts, "mean_accuracy": acc, "mean_kappa": kap}
        print(f"{name:<14}" + "".join(f"{v['accuracy']:>9.3f} {v['kappa']:.3f}" for v in parts.values())
              + f"{acc:>9.3f} {kap:.3f}")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
