"""How well the workbench's two judgments hold on real council text (issue 9's yardstick).

Reads the labelled real-text set listed in ``benchmarks/real_text/sources.csv`` (addresses,
hashes and the adjudicated labels: no text), finds each text in the gitignored cache
(``benchmarks/real_text/cache/``; see ``benchmarks/real_text/README.md`` to gather it again),
runs each through the workbench exactly as a user's ``.txt`` submission would go (ingest,
tag, evidence, in a temporary folder) and prints, for the chosen part of the set:

* priority tags: per-priority precision, recall and F1, micro and macro F1;
* evidence grade: accuracy and Cohen's kappa on three grades (strong / some / none, with
  planned counted as none, as the codebook says), the four-grade accuracy, and the confusion
  matrix;
* each figure with a bootstrap 95% interval (texts resampled with replacement).

Texts missing from the cache, or whose bytes no longer match the recorded sha256, are named
and left out; the script does not fail on them.

Usage::

    .venv/bin/python benchmarks/real_text.py --part dev        # study and tune on this
    .venv/bin/python benchmarks/real_text.py --part test2      # score once, at the end (held out)
    .venv/bin/python benchmarks/real_text.py --part test       # the first test part (scored once, then opened)
    .venv/bin/python benchmarks/real_text.py --agreement       # the two labelling passes vs each other
    .venv/bin/python benchmarks/real_text.py --part dev --errors   # list each disagreement (ids only)
    .venv/bin/python benchmarks/real_text.py --lopo            # leave one studied part out, each in turn

``--lopo`` is the honest figure on the parts that have been studied (``STUDIED``): each part in
turn is tagged by a tagger trained without that part's real-text features (the other studied
parts and the project's own passages), and the figures of each part held out and their mean
are printed. The grade has no training step (the rubric is fixed rules), so its figures are the
rules' own on each part; the rules were written while ``dev``, ``test`` and ``test2`` were
studied, so only parts gathered after a rubric version are unseen by it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "real_text"
PRIORITIES = ("economic_growth", "employment", "early_years", "safer_communities", "health_inequalities",
              "older_people")
GRADES3 = ("strong", "some", "none")
# Parts scored once and then opened for study: the tagger learns from their features
# (benchmarks/real_text/build_features.py), so they are scored by cross-validation or --lopo.
# A part gathered later is held out and scored once, as it is (no folds).
# The parts are named dev, test, test2, test3, ... in the order they were held out and opened, so the studied ones
# follow from the last opened (opening a part raises LAST_STUDIED).
LAST_STUDIED = 132
STUDIED = ("dev", "test") + tuple(f"test{n}" for n in range(2, LAST_STUDIED + 1))


def parts_from(first: int) -> tuple:
    """The studied parts test<first> onwards (``testN`` with N at least ``first``), in ``STUDIED``'s order.

    >>> parts_from(25)[:2]
    ('test25', 'test26')
    """
    return tuple(f"test{n}" for n in range(max(first, 2), LAST_STUDIED + 1))


def _labels(cell: str) -> frozenset:
    parts = {p.strip() for p in (cell or "").replace(",", ";").split(";")}
    parts.discard("")
    parts.discard("none")
    unknown = parts - set(PRIORITIES)
    if unknown:
        raise SystemExit(f"unknown priority label(s) {sorted(unknown)}")
    return frozenset(parts)


def three(grade: str) -> str:
    """The codebook's three-grade reading: planned counts as none."""
    return "none" if grade == "planned" else grade


def load_sources(path: Path = HERE / "sources.csv") -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def find_texts(rows: list[dict], cache: Path, exact: set | None = None) -> tuple[dict, list[str]]:
    """id -> text for every row whose cached bytes match its sha256, or whose text does once whitespace is folded
    (a copy restored from a page with other line breaks: its ``norm_sha256``); and the problems. ``exact``: a set
    that receives the ids whose cached bytes are the listed ones exactly."""
    index = {p.stem: p for p in cache.rglob("*.txt")} if cache.exists() else {}
    texts, problems = {}, []
    for r in rows:
        p = index.get(r["id"])
        if p is None:
            problems.append(f"{r['id']}: not in the cache ({r['url']})")
            continue
        data = p.read_bytes()
        text = data.decode("utf-8", errors="replace")
        norm = " ".join(text.split())
        same = hashlib.sha256(data).hexdigest() == r["sha256"]
        if not same and hashlib.sha256(norm.encode("utf-8")).hexdigest() != r.get("norm_sha256"):
            problems.append(f"{r['id']}: cached text differs from the labelled one (sha256 mismatch)")
            continue
        texts[r["id"]] = text
        if same and exact is not None:
            exact.add(r["id"])
    return texts, problems


@contextlib.contextmanager
def ingested(texts: dict):
    """A temporary processed folder holding every text ingested as a ``.txt`` submission (id.txt)."""
    from soa_analysis.ingest.run import run_ingest

    with tempfile.TemporaryDirectory(prefix="soa-real-") as tmp:
        raw, processed = Path(tmp) / "raw", Path(tmp) / "processed"
        raw.mkdir()
        for ident, text in texts.items():
            (raw / f"{ident}.txt").write_text(text, encoding="utf-8")
        run_ingest(raw, processed, workers=1)
        yield processed


def run_workbench(texts: dict, folds: int = 0, model_params: dict | None = None,
                  groups: dict | None = None) -> tuple[dict, dict]:
    """Put every text through ingest, tag and evidence as a .txt submission.

    With ``folds`` > 1 the priorities are tagged by cross-validation: the texts are split
    into that many folds and each fold is tagged by a tagger trained without that fold's
    real-text features (the studied texts are among the tagger's training documents,
    so scoring them otherwise would be scoring the training set). ``groups`` (id -> fold
    name, e.g. the part) gives the folds instead of a random split: leave one part out.

    Returns id -> set of assigned priorities, and id -> grade.
    """
    import shutil

    import pandas as pd

    from soa_analysis.evidence import run_evidence
    from soa_analysis.tagging.stage import run_tagging

    ids = sorted(texts)
    pred_tags = {i: set() for i in texts}
    with ingested(texts) as processed:
        run_evidence(processed, evaluate=False)
        subs = pd.read_parquet(processed / "submissions.parquet", columns=["submission_id", "source_file"])
        ev = pd.read_parquet(processed / "evidence.parquet", columns=["submission_id", "grade"])
        sid_to_id = {s: Path(f).stem for s, f in zip(subs["submission_id"], subs["source_file"])}
        if groups:
            names = sorted(set(groups[i] for i in ids))
            fold_of = {i: names.index(groups[i]) for i in ids}
            folds = len(names)
        else:
            rng = np.random.default_rng(0)
            fold_of = dict(zip(ids, rng.permutation(len(ids)) % max(folds, 1)))
        for k in range(max(folds, 1)):
            params = dict(model_params or {})
            if folds > 1:
                params["real_text_exclude"] = tuple(i for i in ids if fold_of[i] == k)
            shutil.rmtree(processed / "models", ignore_errors=True)
            tags = run_tagging(processed, taxonomies=("priorities",), model_params=params).tags
            assigned = tags[tags["assigned"]]
            for sid, pr in zip(assigned["submission_id"], assigned["priority"]):
                ident = sid_to_id.get(sid)
                if ident is not None and (folds <= 1 or fold_of[ident] == k):
                    pred_tags[ident].add(pr)
    pred_grade = {i: "none" for i in texts}
    for sid, g in zip(ev["submission_id"], ev["grade"]):
        if sid in sid_to_id:
            pred_grade[sid_to_id[sid]] = g
    return pred_tags, pred_grade


# ---- metrics ---------------------------------------------------------------------------------

def prf(gold: list[frozenset], pred: list[frozenset]) -> dict:
    """Per-priority precision/recall/F1 and micro and macro F1 of multi-label sets."""
    out, tp_all, fp_all, fn_all, f1s = {}, 0, 0, 0, []
    for p in PRIORITIES:
        tp = sum(1 for g, q in zip(gold, pred) if p in g and p in q)
        fp = sum(1 for g, q in zip(gold, pred) if p not in g and p in q)
        fn = sum(1 for g, q in zip(gold, pred) if p in g and p not in q)
        prec = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0
        out[p] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1s.append(f1)
    out["micro_f1"] = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if (tp_all + fp_all + fn_all) else 1.0
    out["macro_f1"] = float(np.mean(f1s))
    return out


def kappa(a: list[str], b: list[str], cats=GRADES3) -> float:
    """Cohen's kappa of two labelings over the same items."""
    n = len(a)
    if not n:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def grade_metrics(gold: list[str], pred: list[str]) -> dict:
    g3, p3 = [three(g) for g in gold], [three(p) for p in pred]
    return {"accuracy": sum(x == y for x, y in zip(g3, p3)) / len(g3) if g3 else float("nan"),
            "kappa": kappa(g3, p3),
            "accuracy_4": sum(x == y for x, y in zip(gold, pred)) / len(gold) if gold else float("nan")}


def bootstrap(fn, n_items: int, reps: int = 1000, seed: int = 9) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(reps):
        idx = rng.integers(0, n_items, n_items)
        v = fn(idx)
        if v == v:  # not NaN
            vals.append(v)
    if not vals:
        return float("nan"), float("nan")
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def evaluate(ids: list[str], gold_tags, pred_tags, gold_grade, pred_grade, reps: int = 1000) -> dict:
    """Every figure with its bootstrap interval (dicts keyed by id)."""
    G = [frozenset(gold_tags[i]) for i in ids]
    P = [frozenset(pred_tags[i]) for i in ids]
    g = [gold_grade[i] for i in ids]
    p = [pred_grade[i] for i in ids]
    tags = prf(G, P)
    grades = grade_metrics(g, p)
    ci = {
        "macro_f1": bootstrap(lambda ix: prf([G[j] for j in ix], [P[j] for j in ix])["macro_f1"], len(ids), reps),
        "micro_f1": bootstrap(lambda ix: prf([G[j] for j in ix], [P[j] for j in ix])["micro_f1"], len(ids), reps),
        "accuracy": bootstrap(lambda ix: grade_metrics([g[j] for j in ix], [p[j] for j in ix])["accuracy"], len(ids), reps),
        "kappa": bootstrap(lambda ix: grade_metrics([g[j] for j in ix], [p[j] for j in ix])["kappa"], len(ids), reps),
    }
    for pr in PRIORITIES:
        for m in ("precision", "recall", "f1"):
            ci[f"{pr}.{m}"] = bootstrap(lambda ix, pr=pr, m=m: prf([G[j] for j in ix], [P[j] for j in ix])[pr][m],
                                        len(ids), reps // 2)
    confusion = {gg: {pp: sum(1 for a, b in zip(g, p) if three(a) == gg and three(b) == pp) for pp in GRADES3}
                 for gg in GRADES3}
    return {"n": len(ids), "tags": tags, "grades": grades, "ci": ci, "confusion": confusion,
            "tags_per_text": {"gold": float(np.mean([len(x) for x in G])) if G else 0.0,
                              "predicted": float(np.mean([len(x) for x in P])) if P else 0.0}}


def _fmt_ci(v: float, ci: tuple) -> str:
    return f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def print_report(title: str, res: dict) -> None:
    t, gr, ci = res["tags"], res["grades"], res["ci"]
    print(f"== {title}: {res['n']} texts")
    print(f"priority tags per text: labelled {res['tags_per_text']['gold']:.2f}, "
          f"workbench {res['tags_per_text']['predicted']:.2f}")
    print(f"{'priority':<22}{'support':>8}  {'precision':<22}{'recall':<22}{'F1':<22}")
    for p in PRIORITIES:
        r = t[p]
        print(f"{p:<22}{r['support']:>8}  {_fmt_ci(r['precision'], ci[p + '.precision']):<22}"
              f"{_fmt_ci(r['recall'], ci[p + '.recall']):<22}{_fmt_ci(r['f1'], ci[p + '.f1']):<22}")
    print(f"macro F1 {_fmt_ci(t['macro_f1'], ci['macro_f1'])}   micro F1 {_fmt_ci(t['micro_f1'], ci['micro_f1'])}")
    print(f"grade accuracy (3 grades) {_fmt_ci(gr['accuracy'], ci['accuracy'])}   "
          f"kappa {_fmt_ci(gr['kappa'], ci['kappa'])}   accuracy (4 grades) {gr['accuracy_4']:.3f}")
    print("confusion (rows: labelled, columns: workbench)")
    print(f"{'':<10}" + "".join(f"{c:>8}" for c in GRADES3))
    for g in GRADES3:
        print(f"{g:<10}" + "".join(f"{res['confusion'][g][c]:>8}" for c in GRADES3))


def agreement(a_path: Path, b_path: Path, rows: list[dict]) -> dict:
    """The two independent labelling passes against each other (before adjudication)."""
    def read(p):
        with p.open(encoding="utf-8", newline="") as fh:
            return {r["id"]: r for r in csv.DictReader(fh)}
    a, b = read(a_path), read(b_path)
    ids = [r["id"] for r in rows if r["id"] in a and r["id"] in b]
    return evaluate(ids, {i: _labels(a[i]["priorities"]) for i in ids}, {i: _labels(b[i]["priorities"]) for i in ids},
                    {i: a[i]["grade"] for i in ids}, {i: b[i]["grade"] for i in ids})


def _errors(ids, by_id, pred_tags, pred_grade) -> None:
    print("== disagreements (id: labelled -> workbench)")
    for i in ids:
        gold, pred = _labels(by_id[i]["priorities"]), pred_tags[i]
        if gold != pred or three(by_id[i]["grade"]) != three(pred_grade[i]):
            print(f"{i}: tags {sorted(gold)} -> {sorted(pred)}; grade {by_id[i]['grade']} -> {pred_grade[i]}")


def lopo(rows: list[dict], texts: dict, model_params: dict | None = None, reps: int = 1000) -> dict:
    """Leave one studied part out: each part's figures with the tagger trained without it, and the mean.

    Returns ``{"parts": {part: evaluate(...)}, "mean": {...}}``; the mean is the plain mean over
    the parts of macro F1, micro F1, grade accuracy and kappa.
    """
    by_id = {r["id"]: r for r in rows}
    ids = [r["id"] for r in rows if r["id"] in texts]
    groups = {i: by_id[i]["split"] for i in ids}
    pred_tags, pred_grade = run_workbench({i: texts[i] for i in ids}, model_params=model_params, groups=groups)
    parts = {}
    for part in [p for p in STUDIED if p in groups.values()]:
        pid = [i for i in ids if groups[i] == part]
        parts[part] = evaluate(pid, {i: _labels(by_id[i]["priorities"]) for i in pid}, pred_tags,
                               {i: by_id[i]["grade"] for i in pid}, pred_grade, reps)
    keys = (("macro_f1", "tags"), ("micro_f1", "tags"), ("accuracy", "grades"), ("kappa", "grades"))
    mean = {k: float(np.mean([r[where][k] for r in parts.values()])) for k, where in keys}
    return {"parts": parts, "mean": mean, "model_params": model_params or {},
            "predicted": {i: {"tags": sorted(pred_tags[i]), "grade": pred_grade[i]} for i in ids}}


def print_lopo(res: dict) -> None:
    print("== leave one part out: each studied part scored by a tagger trained without it")
    print(f"{'held out':<10}{'n':>5}  {'tags macro F1':<24}{'grade accuracy':<24}{'grade kappa':<24}")
    for part, r in res["parts"].items():
        print(f"{part:<10}{r['n']:>5}  {_fmt_ci(r['tags']['macro_f1'], r['ci']['macro_f1']):<24}"
              f"{_fmt_ci(r['grades']['accuracy'], r['ci']['accuracy']):<24}{_fmt_ci(r['grades']['kappa'], r['ci']['kappa']):<24}")
    m = res["mean"]
    print(f"{'mean':<10}{'':>5}  {m['macro_f1']:<24.3f}{m['accuracy']:<24.3f}{m['kappa']:<24.3f}")
    from soa_analysis.rubrics import load_rubric

    if load_rubric().check_model:
        print("(the grade columns are the shipped grader's, whose grade check learned from these parts: its figures "
              "with each part left out are in results/check_model.json, and the accuracy record takes those)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="dev",
                    help="a part of sources.csv (its split column: dev, test, test2, test3, or a later held-out "
                         "part), or 'all' for every studied part")
    ap.add_argument("--lopo", action="store_true",
                    help="leave one studied part out: score each studied part with a tagger trained without it")
    ap.add_argument("--sources", type=Path, default=HERE / "sources.csv")
    ap.add_argument("--cache", type=Path, default=HERE / "cache")
    ap.add_argument("--agreement", action="store_true", help="compare the two labelling passes instead")
    ap.add_argument("--pass-a", type=Path, default=HERE / "labels_a.csv", help="first labelling pass (--agreement)")
    ap.add_argument("--pass-b", type=Path, default=HERE / "labels_b.csv", help="second labelling pass (--agreement)")
    ap.add_argument("--errors", action="store_true", help="list each text the workbench got wrong (ids, labels)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--predictions", type=Path,
                    help="also write each text's predicted priorities and grade as JSON here (id -> tags, grade): "
                         "what real_text/cycle.py grades reads")
    ap.add_argument("--reps", type=int, default=1000, help="bootstrap resamples")
    ap.add_argument("--model-params", type=json.loads, default=None,
                    help='tagger parameters as JSON, e.g. \'{"lexicon_weight": 0.5, "relative": 0.5}\'')
    ap.add_argument("--folds", type=int, default=None,
                    help="cross-validate the tagger over this many folds (default: 5 on a studied part, whose "
                         "texts train the shipped tagger; none on a held-out part)")
    a = ap.parse_args(argv)
    rows = load_sources(a.sources)
    known = sorted({r["split"] for r in rows})
    if a.part != "all" and a.part not in known:
        ap.error(f"--part {a.part!r}: sources.csv has the parts {', '.join(known)} (or 'all')")
    part = [r for r in rows if (r["split"] in STUDIED if a.part == "all" else r["split"] == a.part)]
    if a.agreement:
        res = agreement(a.pass_a, a.pass_b, part)
        print_report("labelling pass A against pass B (before adjudication)", res)
        if a.json:
            a.json.write_text(json.dumps(res, indent=2, default=list))
        return 0
    if a.lopo:
        part = [r for r in rows if r["split"] in STUDIED]
    texts, problems = find_texts(part, a.cache)
    for p in problems:
        print("skipped", p)
    ids = [r["id"] for r in part if r["id"] in texts]
    if not ids:
        print("no texts of that part are in the cache; see benchmarks/real_text/README.md to gather them")
        return 1
    by_id = {r["id"]: r for r in part}
    if a.lopo:
        res = lopo(part, texts, a.model_params, a.reps)
        for name, r in res["parts"].items():
            print_report(f"real text, {name} part held out", r)
        print_lopo(res)
        if a.errors:
            _errors(ids, by_id, {i: set(v["tags"]) for i, v in res["predicted"].items()},
                    {i: v["grade"] for i, v in res["predicted"].items()})
        if a.json:
            a.json.write_text(json.dumps({k: v for k, v in res.items() if k != "predicted"}, indent=2, default=list))
        return 0
    studied = a.part == "all" or a.part in STUDIED
    folds = a.folds if a.folds is not None else (5 if studied else 0)
    pred_tags, pred_grade = run_workbench({i: texts[i] for i in ids}, folds=folds, model_params=a.model_params)
    res = evaluate(ids, {i: _labels(by_id[i]["priorities"]) for i in ids}, pred_tags,
                   {i: by_id[i]["grade"] for i in ids}, pred_grade, a.reps)
    print_report(f"real text, {a.part} part" + (f" (tags {folds}-fold cross-validated)" if folds > 1 else ""), res)
    if a.errors:
        _errors(ids, by_id, pred_tags, pred_grade)
    if a.json:
        a.json.write_text(json.dumps(res, indent=2, default=list))
    if a.predictions:
        a.predictions.write_text(json.dumps({i: {"tags": sorted(pred_tags[i]), "grade": pred_grade[i]} for i in ids},
                                            indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
