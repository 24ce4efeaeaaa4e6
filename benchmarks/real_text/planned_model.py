"""Fit the planned model: which real texts the grader grades none are planned (benefits still to come, with a timeline).

The rubric's rules call a text planned when one of its sentences speaks of benefits still to come beside a date or
period. On the studied real texts the grader grades none or planned (three grades: none), that finds about one in
six of the texts the readers call planned, and three in four of those it calls planned are not. The planned model
reads the whole graded text (its graded sentences, joined) instead: tf-idf words and word pairs and a logistic
regression (scikit-learn), fitted on those texts with the readers' planned against none
(``soa_analysis/evidence/planned_model.py`` applies it).

Usage::

    .venv/bin/python benchmarks/real_text/planned_model.py                 # leave each studied part out; figures
    .venv/bin/python benchmarks/real_text/planned_model.py --choose        # also choose C and the threshold that way
    .venv/bin/python benchmarks/real_text/planned_model.py --write soa_analysis/rubrics/evidence_planned_model.json

Which texts: every studied part's texts in the cache (``benchmarks/real_text.py`` ``STUDIED``) of at least
``MIN_SENTENCES`` graded sentences, read as a narrative without the template (no section found), that the shipped
sentence model and the rules grade none or planned (the grade the planned model may change). Figures: with each studied part left out in turn (the vectoriser and the model
fitted on the others), the share of those texts graded right between none and planned, and planned's precision and
recall, against the rules' planned; on all parts and on test25 onwards (the parts the sentence model never
learned from).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import real_text as rt  # noqa: E402
import sentence_model as sm  # noqa: E402

MIN_SENTENCES = 3  # as the sentence model: shorter texts keep the rules' grade
NGRAM = (1, 2)
MIN_DF = 3
C = 30.0  # chosen with --choose (each studied part left out), session 31
THRESHOLD = 0.6
LATER = rt.parts_from(25)


def rows_to_decide(cache: Path = HERE / "cache"):
    """ids, their joined graded sentences, gold (True = planned), parts, and the rules' planned (True) for each text
    the shipped grader grades none or planned."""
    from soa_analysis.evidence.sentence_model import load_sentence_model

    graded, part, gold = sm.graded_rows(cache)
    # as the grader applies it: a narrative without the template's sections, of at least MIN_SENTENCES sentences
    ids = sorted(i for i in graded if part[i] in rt.STUDIED and len(graded[i]) >= MIN_SENTENCES
                 and all(s[0] == "text" for s in graded[i]))
    rows = sm.dataset(graded, {}, ids, gold)
    m = load_sentence_model()
    strengths = sm.decide(rows, sm.probabilities(rows, m.intercept, m.weights), m.policy, m.threshold, m.promote)
    best: dict = {}
    for r, s in zip(rows, strengths):
        best.setdefault(r["id"], set()).add(s)
    keep = [i for i in ids if not best.get(i, set()) & {"some", "strong"}]
    docs = [" ".join(s[1] for s in graded[i]) for i in keep]
    y = np.array([gold[i] == "planned" for i in keep])
    parts = np.array([part[i] for i in keep])
    rules = np.array(["planned" in best.get(i, set()) for i in keep])
    return keep, docs, y, parts, rules


def fit(docs, y, c: float = C):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(ngram_range=NGRAM, min_df=MIN_DF, sublinear_tf=True)
    X = vec.fit_transform(docs)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(X, y)
    return vec, model


def left_out(docs, y, parts, c: float) -> np.ndarray:
    """Each text's probability from a model fitted without its part."""
    p = np.zeros(len(docs))
    for part in sorted(set(parts)):
        tr, te = parts != part, parts == part
        vec, model = fit([d for d, t in zip(docs, tr) if t], y[tr], c)
        p[te] = model.predict_proba(vec.transform([d for d, t in zip(docs, te) if t]))[:, 1]
    return p


def figures(pred: np.ndarray, y: np.ndarray) -> dict:
    tp = int((pred & y).sum())
    return {"n": int(len(y)), "accuracy": round(float((pred == y).mean()), 4),
            "precision": round(tp / max(int(pred.sum()), 1), 4), "recall": round(tp / max(int(y.sum()), 1), 4),
            "flagged": int(pred.sum()), "planned": int(y.sum())}


def to_json(vec, model, threshold: float, meta: dict) -> str:
    terms = {t: [round(float(vec.idf_[j]), 6), round(float(model.coef_[0][j]), 6)] for t, j in vec.vocabulary_.items()}
    data = {"format": 1, "intercept": round(float(model.intercept_[0]), 6), "threshold": threshold,
            "min_sentences": MIN_SENTENCES, "ngram_range": list(NGRAM), "meta": meta,
            "terms": dict(sorted(terms.items()))}
    return dump(data)


def dump(data: dict) -> str:
    """The model file: its settings and meta indented, then one line per term (``"term": [idf, weight]``)."""
    head = {k: v for k, v in data.items() if k != "terms"}
    lines = json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ',\n "terms": {\n'
    body = ",\n".join(f"  {json.dumps(t, ensure_ascii=False)}: {json.dumps(v)}" for t, v in data["terms"].items())
    return lines + body + "\n }\n}\n"


def arguments(argv, doc: str, choose: str, features: str = "", options: dict | None = None, **flags: str):
    """The model scripts' command line: ``--choose`` (``choose``: what it chooses), ``--write``, ``--json`` and,
    for a script that keeps what it learns from in a store, ``--features`` (``features``: what it does); each of
    ``flags`` (name: what it does) is one more switch of that name, and each of ``options`` one more option taking a
    value."""
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--choose", action="store_true", help=f"choose {choose} by leaving each part out")
    if features:
        ap.add_argument("--features", action="store_true", help=features)
    for name, what in flags.items():
        ap.add_argument(f"--{name}", action="store_true", help=what)
    for name, what in (options or {}).items():
        ap.add_argument(f"--{name}", metavar="IDS", help=what)
    ap.add_argument("--write", type=Path, help="fit on every studied part and write the model JSON here")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = arguments(argv, __doc__, "C and the threshold")
    ids, docs, y, parts, rules = rows_to_decide()
    later = np.isin(parts, LATER)
    print(f"{len(ids)} texts the grader grades none or planned ({int(y.sum())} planned by the readers), "
          f"{int(later.sum())} of them in {LATER[0]} onwards")
    out = {"rules": {"all": figures(rules, y), "later": figures(rules[later], y[later])}}
    c, threshold = C, THRESHOLD
    if a.choose:
        grid = {}
        for cc in (1.0, 3.0, 10.0, 30.0):
            p = left_out(docs, y, parts, cc)
            for t in (0.5, 0.6, 0.7, 0.8):
                grid[(cc, t)] = float(((p >= t) == y).mean())
                print(f"  C {cc:>4} threshold {t}: accuracy {grid[(cc, t)]:.4f}")
        c, threshold = max(grid, key=lambda k: (grid[k], -k[0]))
        print(f"chosen: C {c}, threshold {threshold}")
    p = left_out(docs, y, parts, c)
    pred = p >= threshold
    out["model"] = {"all": figures(pred, y), "later": figures(pred[later], y[later]), "C": c, "threshold": threshold}
    for name in ("rules", "model"):
        for scope in ("all", "later"):
            f = out[name][scope]
            print(f"{name:6s} {scope:5s} n {f['n']:5d} accuracy {f['accuracy']:.4f} planned precision {f['precision']:.3f} "
                  f"recall {f['recall']:.3f} ({f['flagged']} called planned, {f['planned']} planned)")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if a.write:
        import sklearn

        vec, model = fit(docs, y, c)
        meta = {"trained_on": {"parts": sorted(set(parts.tolist()), key=rt.STUDIED.index), "n_texts": len(ids),
                               "n_planned": int(y.sum())},
                "C": c, "min_df": MIN_DF, "sklearn": sklearn.__version__,
                "left_out": out["model"], "rules_left_out": out["rules"],
                "texts": "benchmarks/real_text/sources.csv (ids of the parts above, graded none or planned)"}
        a.write.write_text(to_json(vec, model, threshold, meta), encoding="utf-8")
        print(f"wrote {a.write} ({len(vec.vocabulary_)} terms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
