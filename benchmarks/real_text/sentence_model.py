"""Which sentences carry evidence of benefit: a sentence model against the rubric's rules.

Every studied real text graded some or strong was labelled sentence by sentence (which of its
sentences, as the grader splits them, carry the evidence, and at what strength:
``sentence_labels.csv``, indices only). Every sentence of a text graded none or planned is a
negative; so is every unmarked sentence of a text graded some or strong.

The sentence model (:mod:`soa_analysis.evidence.sentence_model`) is a logistic regression on
what the rules say of a sentence (features, rule, strength, section) and its words and word
pairs. It is scored by leaving one studied part out: each part in turn is graded by a model
fitted on the other parts, its threshold (and regularisation) chosen on the training parts
only, by leaving each of them out in turn inside (nested). The text's grade is its strongest
sentence's (the codebook). A "text decision" variant stacks a second, text-level logistic regression
(has the text any evidence?) on the sentence model: the text's two highest sentence probabilities,
how many sentences counted, the rules' strongest strength, its length and share of future-tense
sentences, fitted on the training parts' texts with sentence probabilities out of fold. Printed per
part and as the mean, beside the rules on the same folds: sentence precision and recall (carries evidence or not) and three-grade text accuracy
and kappa (planned counted as none).

Usage::

    # the sentence lists (and grades) of a part's texts graded some or strong, for the marker (BRIEFS.md, step 5)
    .venv/bin/python benchmarks/real_text/sentence_model.py --dump-for test58 --dump sentences.json
    # check the labellers' files against the sentence split and write sentence_labels.csv
    .venv/bin/python benchmarks/real_text/sentence_model.py --import-labels A.csv B.csv --dump sentences.json
    # leave one part out, all variants
    .venv/bin/python benchmarks/real_text/sentence_model.py --json benchmarks/real_text/results/sentence_model.json
    # fit the shipped model on every studied part (policy and settings as chosen by the folds)
    .venv/bin/python benchmarks/real_text/sentence_model.py --write soa_analysis/rubrics/evidence_sentence_model.json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import pickle
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import real_text as rt  # noqa: E402

LABELS = HERE / "sentence_labels.csv"
WORK = ROOT / "benchmarks" / "out"
RANK3 = {"none": 0, "some": 1, "strong": 2}
THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.30, 0.951, 0.025)) + (0.96, 0.97, 0.98, 0.99)
CS = (0.03, 0.1, 0.3)
MIN_TEXTS = 3  # a word or word pair is a term only when it occurs in at least this many training texts
MIN_SENTENCES = 3  # the model decides in texts of at least this many sentences; shorter ones: the rules alone


# ---- the data ----------------------------------------------------------------------------------

def split_of(rows: list) -> list[list[str]]:
    """A graded text's sentence list as ``[[section, sentence], ...]`` (of :func:`graded_rows`' rows): the form the
    marker's dump holds, ``--import-labels`` checks it against, and :func:`sentences_sha` digests."""
    return [[r[0], r[1]] for r in rows]


def sentences_sha(sents: list) -> str:
    """sha256 of a text's sentence list as the grader splits it (section and sentence each)."""
    return hashlib.sha256(json.dumps(sents, ensure_ascii=False).encode("utf-8")).hexdigest()


def graded_rows(cache: Path) -> tuple[dict, dict, dict]:
    """id -> [(section, sentence, features, rule strength, rule)], id -> part, id -> gold grade.

    Each studied text goes through ingest and the grader (rules only) as a ``.txt`` submission
    would; kept in ``benchmarks/out/`` (gitignored) keyed by the texts, the rubric and the code that ingests and grades them.
    """
    from grade_models import rules_results

    from soa_analysis.rubrics import load_rubric

    rows = [r for r in rt.load_sources() if r["split"] in rt.STUDIED]
    texts, problems = rt.find_texts(rows, cache)
    for p in problems:
        print("skipped", p)
    from soa_analysis.partition import code_fingerprint

    # the texts, the rubric, and the code that ingests and grades them (an ingest change re-splits sentences)
    key = hashlib.sha256(json.dumps([sorted((i, hashlib.sha256(t.encode()).hexdigest()) for i, t in texts.items()),
                                     repr(load_rubric()),
                                     code_fingerprint("soa_analysis.ingest.run", "soa_analysis.evidence.grader")]
                                    ).encode()).hexdigest()[:16]
    store = WORK / f"sentence_rows_{key}.pkl"
    part = {r["id"]: r["split"] for r in rows if r["id"] in texts}
    gold = {r["id"]: r["grade"] for r in rows if r["id"] in texts}
    if store.exists():
        return pickle.loads(store.read_bytes()), part, gold
    out = {i: [(s.section, s.sentence, tuple(s.features), s.strength, s.rule) for s in res.sentences]
           for i, res in rules_results(texts).items()}
    WORK.mkdir(parents=True, exist_ok=True)
    store.write_bytes(pickle.dumps(out))
    return out, part, gold


def dump_for_marking(graded: dict, part: dict, gold: dict, name: str) -> tuple[dict, dict]:
    """What the sentence marker of part ``name`` reads (``BRIEFS.md``, step 5): ``id -> [[section, sentence], ...]``
    (the grader's split, the form ``--import-labels`` checks the marks against) and ``id -> grade``, for the part's
    texts graded some or strong (the texts ``sentence_labels.csv`` must cover), in id order."""
    ids = sorted(i for i in graded if part.get(i) == name and rt.three(gold[i]) != "none")
    return {i: split_of(graded[i]) for i in ids}, {i: gold[i] for i in ids}


def import_labels(paths: list[Path], dump: Path, graded: dict, gold: dict, append: bool = False) -> None:
    """Check the labellers' files against the sentence split (the dump they read and ours), write LABELS.

    ``append``: keep LABELS' rows for the texts the files do not cover (the files' texts are replaced: a text
    whose split changed since it was labelled is labelled again this way, on a dump of the current split)."""
    dumped = json.loads(dump.read_text(encoding="utf-8"))
    bad = [i for i in graded if i in dumped and [list(x) for x in dumped[i]] != split_of(graded[i])]
    if bad:
        raise SystemExit(f"the sentence split differs from the labelled dump for {len(bad)} texts: {bad[:10]}")
    marks: dict = {}
    for p in paths:
        with p.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                i, k, s = r["id"].strip(), int(r["sentence"]), r["strength"].strip().lower()
                if i not in graded or s not in ("some", "strong") or not 0 <= k < len(graded[i]):
                    raise SystemExit(f"{p.name}: bad row {r['id']},{r['sentence']},{r['strength']}")
                prev = marks.get((i, k))
                marks[(i, k)] = s if prev is None or RANK3[s] > RANK3[prev] else prev
    kept: list[list[str]] = []
    if append:
        new = {i for i, _ in marks}
        old, stale = load_labels(graded)
        marks.update({k: v for k, v in old.items() if k[0] not in new})
        # a text whose cached copy now splits otherwise (restored with other line breaks, or an ingest
        # change) and is not labelled again here keeps its rows as they were: they hold for the text as
        # labelled, and load_labels names it and leaves it out; so does a text missing from the cache
        with LABELS.open(encoding="utf-8", newline="") as fh:
            kept = [[r[c] for c in ("id", "sentence", "strength", "n_sentences", "sentences_sha256")]
                    for r in csv.DictReader(fh) if (r["id"] in stale or r["id"] not in graded) and r["id"] not in new]
    want = sorted(i for i in graded if rt.three(gold[i]) != "none")
    missing = [i for i in want if not any(k[0] == i for k in marks)]
    extra = sorted({i for i, _ in marks} - set(want))
    print(f"{len(marks)} marked sentences in {len({i for i, _ in marks})} texts; "
          f"{len(missing)} texts graded some/strong without a mark: {missing[:10]}; marks in texts graded none: {extra}")
    with LABELS.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "sentence", "strength", "n_sentences", "sentences_sha256"])
        out = [[i, str(k), s, str(len(graded[i])), sentences_sha(split_of(graded[i]))]
               for (i, k), s in marks.items()] + kept
        for row in sorted(out, key=lambda r: (r[0], int(r[1]))):
            w.writerow(row)


def load_labels(graded: dict) -> dict:
    """(id, index) -> strength, checked against the current split (a changed split is named)."""
    marks, stale = {}, set()
    with LABELS.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            i = r["id"]
            if i not in graded:
                continue
            if r["sentences_sha256"] != sentences_sha(split_of(graded[i])):
                stale.add(i)
                continue
            marks[(i, int(r["sentence"]))] = r["strength"]
    if stale:
        print(f"{len(stale)} texts left out: their sentence split changed since labelling: {sorted(stale)[:10]}")
    return marks, stale


# ---- the model ----------------------------------------------------------------------------------

def dataset(graded: dict, marks: dict, ids: list, gold: dict) -> list[dict]:
    """One row per sentence of ``ids``: its terms (as the grader computes them), the rules' strength, its label."""
    from soa_analysis.evidence.sentence_model import text_terms

    out = []
    labelled = {i for i, _ in marks}
    for i in ids:
        terms = text_terms([(sent, feats, strength, rule, section) for section, sent, feats, strength, rule in graded[i]])
        for k, ((section, sent, feats, strength, rule), ts) in enumerate(zip(graded[i], terms)):
            evidence_text = rt.three(gold[i]) != "none"
            out.append({"id": i, "k": k, "rule": strength, "label": marks.get((i, k), "none"), "terms": ts,
                        "unmarked": evidence_text and (i, k) not in marks,
                        # a text graded some or strong whose sentences nobody has labelled yet: its text
                        # grade is scored, its sentences are neither fitted on nor counted
                        "unlabelled": evidence_text and i not in labelled})
    return out


def _kind_allowed(names, words, rubric: bool, context: bool) -> np.ndarray:
    """Which terms a variant reads: words (``w=``), context (place, neighbours, text) and the rubric's own.
    ``words="general"``: the words but those that say what a text is about (:func:`topic_words`)."""
    is_word = np.array([t.startswith("w=") for t in names], dtype=bool)
    is_context = np.array([t.startswith(("pos=", "prev:", "next:", "doc_")) for t in names], dtype=bool)
    allowed = ~((is_word & (not words)) | (~is_word & ~is_context & (not rubric)) | (is_context & (not context)))
    if words == "general":
        topic = topic_words()
        allowed &= ~np.array([t.startswith("w=") and any(w in topic for w in t[2:].split(" ")) for t in names], dtype=bool)
    return allowed


def topic_words() -> frozenset:
    """The words of the priorities' phrases and of the council areas' names and aliases, but English stop words
    and a few that also write evidence (benefit, improvement, reduced...): what a text is about, not how well it
    evidences it. Tried in session 18 because the fitted model gave topic and place words large weights."""
    import re as _re

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from soa_analysis.taxonomies import load_taxonomy

    words = set()
    for cat in load_taxonomy("priorities").categories:
        for phrase in cat.phrases or {}:
            words.update(_re.findall(r"[a-z]+", str(phrase).lower()))
    with open(ROOT / "soa_analysis" / "reference" / "councils.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            words.update(_re.findall(r"[a-z]+", (r["name"] + " " + r["aliases"]).lower()))
    generic = {"council", "community", "communities", "planning", "partnership", "city", "people", "services",
               "service", "local", "support", "benefits", "benefit", "added", "best", "new", "improvement",
               "improving", "outcomes", "outcome", "reduce", "reduced", "reducing", "increase", "based"}
    return frozenset(words - generic - set(ENGLISH_STOP_WORDS))


_MATRIX: dict = {}


def _matrix(rows_by_part: dict) -> dict:
    """Every row's terms vectorised once (the folds fit many subsets of the same rows)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction import DictVectorizer

    hit = _MATRIX.get(id(rows_by_part))
    if hit is not None and hit[0] is rows_by_part:
        return hit[1]
    parts = sorted(rows_by_part)
    rows = [r for p in parts for r in rows_by_part[p]]
    dv = DictVectorizer()
    X = dv.fit_transform([dict.fromkeys(r["terms"], 1) for r in rows]).tocsr()
    texts = {i: n for n, i in enumerate(dict.fromkeys(r["id"] for r in rows))}
    text_of = np.array([texts[r["id"]] for r in rows])
    start = np.cumsum([0] + [len(rows_by_part[p]) for p in parts])
    data = {"X": X, "names": np.array(dv.feature_names_, dtype=object),
            "incidence": sp.csr_matrix((np.ones(len(rows)), (text_of, np.arange(len(rows)))), shape=(len(texts), len(rows))),
            "part_rows": {p: np.arange(start[k], start[k + 1]) for k, p in enumerate(parts)},
            "y": np.array([int(r["label"] != "none") for r in rows]),
            "unmarked": np.array([r["unmarked"] for r in rows], dtype=bool),
            "unlabelled": np.array([r["unlabelled"] for r in rows], dtype=bool)}
    _MATRIX[id(rows_by_part)] = (rows_by_part, data)
    return data


_FITS: dict = {}


def fit_parts(rows_by_part: dict, parts, C: float, words: bool, rubric: bool, context: bool, unmarked: float = 1.0):
    """A logistic regression (carries evidence: some or strong) on the rows of ``parts``; (intercept, weights).

    Terms are those of the variant (``words``, ``rubric``, ``context``) present in at least
    ``MIN_TEXTS`` of the training texts; texts graded some or strong that nobody has labelled
    sentence by sentence are left out. ``unmarked``: the weight of an unmarked sentence of a text
    graded some or strong (a negative the labellers did not pick, rather than one of a text with
    no evidence at all). Remembered: the nested folds fit the same sets again."""
    from sklearn.linear_model import LogisticRegression

    key = (id(rows_by_part), tuple(sorted(parts)), C, words, rubric, context, unmarked)
    if key in _FITS:
        return _FITS[key]
    m = _matrix(rows_by_part)
    idx = np.concatenate([m["part_rows"][p] for p in sorted(parts)])
    idx = idx[~m["unlabelled"][idx]]
    in_texts = (m["incidence"][:, idx] @ m["X"][idx]).tocsr()
    in_texts.data[:] = 1
    df = np.asarray(in_texts.sum(axis=0)).ravel()
    cols = np.flatnonzero((df >= MIN_TEXTS) & _kind_allowed(m["names"], words, rubric, context))
    sw = np.where(m["unmarked"][idx], unmarked, 1.0)
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(m["X"][idx][:, cols], m["y"][idx],
                                                                            sample_weight=sw)
    weights = {str(m["names"][c]): float(w) for c, w in zip(cols, lr.coef_[0]) if abs(w) > 1e-6}
    _FITS[key] = (float(lr.intercept_[0]), weights)
    return _FITS[key]


def probabilities(rows: list[dict], intercept: float, weights: dict) -> np.ndarray:
    z = np.array([intercept + sum(weights.get(t, 0.0) for t in r["terms"]) for r in rows])
    return 1 / (1 + np.exp(-z))


def decide(rows: list[dict], p: np.ndarray, policy: str, t: float, promote: float = 1.0) -> list[str]:
    """Each sentence's strength as the grader decides it (the rules alone in a text too short for the model)."""
    from soa_analysis.evidence.sentence_model import SentenceModel

    m = SentenceModel(0.0, {}, t, promote, policy, {}, min_sentences=MIN_SENTENCES)
    n = _counts(rows)
    return [m.decide(r["rule"], float(q)) if m.applies(n[r["id"]]) else r["rule"] for r, q in zip(rows, p)]


def _counts(rows: list[dict]) -> dict:
    """id -> its number of sentences."""
    out: dict = defaultdict(int)
    for r in rows:
        out[r["id"]] += 1
    return out


def text_grades(rows: list[dict], strengths: list[str]) -> dict:
    best = defaultdict(int)
    for r, s in zip(rows, strengths):
        best[r["id"]] = max(best[r["id"]], RANK3.get(rt.three(s), 0))
    name = {v: k for k, v in RANK3.items()}
    return {i: name[best[i]] for i in {r["id"] for r in rows}}


def text_figures(rows, strengths, gold) -> dict:
    g = text_grades(rows, strengths)
    ids = sorted(g)
    return rt.grade_metrics([rt.three(gold[i]) for i in ids], [g[i] for i in ids])


def sentence_figures(rows, strengths) -> dict:
    pairs = [(r, s) for r, s in zip(rows, strengths) if not r["unlabelled"]]
    rows, strengths = [r for r, _ in pairs], [s for _, s in pairs]
    tp = sum(1 for r, s in zip(rows, strengths) if r["label"] != "none" and s in ("some", "strong"))
    fp = sum(1 for r, s in zip(rows, strengths) if r["label"] == "none" and s in ("some", "strong"))
    fn = sum(1 for r, s in zip(rows, strengths) if r["label"] != "none" and s not in ("some", "strong"))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


class Block:
    """Rows as arrays, for trying many thresholds quickly (the same decision as SentenceModel.decide)."""

    def __init__(self, rows: list[dict], gold: dict):
        ids = sorted({r["id"] for r in rows})
        code = {i: n for n, i in enumerate(ids)}
        self.text = np.array([code[r["id"]] for r in rows])
        self.rank = np.array([RANK3.get(rt.three(r["rule"]), 0) for r in rows])
        self.gold = np.array([RANK3[rt.three(gold[i])] for i in ids])
        n = _counts(rows)
        self.short = np.array([n[r["id"]] < MIN_SENTENCES for r in rows])  # the rules alone decide these

    def figures(self, p: np.ndarray, policy: str, t: float, u: float = 1.0) -> tuple:
        graded = self.rank > 0
        counts = np.where(graded, p >= t, p >= (t if policy == "model" else u))
        counts = np.where(self.short, graded, counts)
        strength = np.where(counts, np.where(graded, self.rank, 1), 0)
        pred = np.zeros(len(self.gold), dtype=int)
        np.maximum.at(pred, self.text, strength)
        acc = float(np.mean(pred == self.gold))
        pe = sum(float(np.mean(pred == c)) * float(np.mean(self.gold == c)) for c in range(3))
        return acc, (acc - pe) / (1 - pe) if pe < 1 else 1.0


def choose(rows_by_part: dict, gold: dict, policy: str, words: bool, rubric: bool, context: bool,
           unmarked: float = 1.0, parts=None) -> dict:
    """Policy settings chosen on ``rows_by_part`` alone: each part left out in turn, the pooled
    out-of-fold text accuracy (kappa to break ties) at each C and threshold."""
    parts = sorted(parts or rows_by_part)
    best = None
    for C in CS:
        oof_rows, oof_p = [], []
        for q in parts:
            b, w = fit_parts(rows_by_part, [p for p in parts if p != q], C, words, rubric, context, unmarked)
            oof_rows += rows_by_part[q]
            oof_p.append(probabilities(rows_by_part[q], b, w))
        pp = np.concatenate(oof_p)
        block = Block(oof_rows, gold)
        grid = [(t, 1.0) for t in THRESHOLDS] if policy == "model" else \
            [(t, u) for t in THRESHOLDS for u in THRESHOLDS if u > t] + [(t, 1.01) for t in THRESHOLDS]
        for t, u in grid:
            acc, kap = block.figures(pp, policy, t, u)
            key = (round(acc, 6), round(kap, 6))
            if best is None or key > best[0]:
                best = (key, {"C": C, "threshold": t, "promote": u, "oof": {"accuracy": acc, "kappa": kap}})
    return best[1]


VARIANTS = {  # name -> (policy, words, rubric terms, context terms, weight of unmarked sentences of evidence texts)
    "model": ("model", True, True, True, 1.0),
    "gate": ("gate", True, True, True, 1.0),
    "model, unmarked 0.3": ("model", True, True, True, 0.3),
    "gate, unmarked 0.3": ("gate", True, True, True, 0.3),
    "model, no context": ("model", True, True, False, 1.0),
    "model, rubric terms only": ("model", False, True, True, 1.0),
    "model, words only": ("model", True, False, False, 1.0),
    "model, unmarked 0.3, no topic words": ("model", "general", True, True, 0.3),
}


TEXT_DECISION = {  # name -> the sentence variant under a text-level decision (stacked, see text_decision)
    "model, unmarked 0.3, text decision": "model, unmarked 0.3",
}
TEXT_C = 0.1


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def text_row(rows: list[dict], p: np.ndarray, threshold: float) -> dict:
    """What the text-level decision reads of one text: its sentences' probabilities and the rules' reading."""
    ps = sorted((float(x) for x in p), reverse=True) + [0.0, 0.0]
    ranks = [RANK3.get(rt.three(r["rule"]), 0) for r in rows]
    n = len(rows)
    f = {"max_p": _logit(ps[0]), "second_p": _logit(ps[1]),
         "counted": float(np.log1p(sum(x >= threshold for x in ps))),
         f"rules={max(ranks, default=0)}": 1.0, "sentences": float(np.log1p(n)),
         "future": sum("feat=future" in r["terms"] for r in rows) / max(1, n),
         "planned": float(any(r["rule"] == "planned" for r in rows))}
    return f


def _by_text(rows, p):
    out = defaultdict(lambda: ([], []))
    for r, q in zip(rows, p):
        out[r["id"]][0].append(r)
        out[r["id"]][1].append(q)
    return out


def text_decision_fit(rows_by_part: dict, gold: dict, parts, chosen: dict, words, rubric, context, unmarked):
    """A logistic regression (has the text evidence?) over :func:`text_row`, fitted on ``parts``' texts with
    each part's sentence probabilities out of fold (from sentence models fitted on the other ``parts``)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for q in parts:
        b, w = fit_parts(rows_by_part, [x for x in parts if x != q], chosen["C"], words, rubric, context, unmarked)
        for i, (rows, p) in _by_text(rows_by_part[q], probabilities(rows_by_part[q], b, w)).items():
            X.append(text_row(rows, p, chosen["threshold"]))
            y.append(int(rt.three(gold[i]) != "none"))
    dv = DictVectorizer()
    lr = LogisticRegression(C=TEXT_C, max_iter=5000).fit(dv.fit_transform(X), y)
    return dv, lr


def text_decision_apply(rows, p, strengths, dv, lr, threshold) -> list[str]:
    """The sentence strengths after the text-level decision: a text judged to have no evidence keeps
    no counted sentence; one judged to have evidence but with none counted counts its likeliest sentence."""
    out = list(strengths)
    index = {id(r): n for n, r in enumerate(rows)}
    for i, (trows, tp) in _by_text(rows, p).items():
        q = lr.predict_proba(dv.transform([text_row(trows, tp, threshold)]))[0, 1]
        ks = [index[id(r)] for r in trows]
        if q < 0.5:
            for k in ks:
                if out[k] in ("some", "strong"):
                    out[k] = "none"
        elif not any(out[k] in ("some", "strong") for k in ks):
            k = max(ks, key=lambda k: p[k])
            out[k] = rows[k]["rule"] if rows[k]["rule"] in ("some", "strong") else "some"
    return out


def lopo(graded, part, gold, marks, variants) -> dict:
    ids_by_part = defaultdict(list)
    for i in sorted(graded):
        ids_by_part[part[i]].append(i)
    rows_by_part = {p: dataset(graded, marks, ids, gold) for p, ids in ids_by_part.items()}
    # a part none of whose texts is in this machine's cache (restored only in part) is named and left out
    held_parts = [p for p in rt.STUDIED if p in rows_by_part]
    absent = [p for p in rt.STUDIED if p not in rows_by_part]
    if absent:
        print("parts with no text in the cache, left out:", ", ".join(absent))
    out = {"rules": {}}
    for held in held_parts:
        rows = rows_by_part[held]
        strengths = [r["rule"] for r in rows]
        out["rules"][held] = {"n": len(ids_by_part[held]), **text_figures(rows, strengths, gold),
                              "sentences": sentence_figures(rows, strengths)}
    for name in variants:
        policy, words, rubric, context, unmarked = VARIANTS[TEXT_DECISION.get(name, name)]
        out[name] = {}
        for held in held_parts:
            inner = [p for p in rows_by_part if p != held]
            chosen = choose(rows_by_part, gold, policy, words, rubric, context, unmarked, inner)
            b, w = fit_parts(rows_by_part, inner, chosen["C"], words, rubric, context, unmarked)
            rows = rows_by_part[held]
            p = probabilities(rows, b, w)
            strengths = decide(rows, p, policy, chosen["threshold"], chosen["promote"])
            if name in TEXT_DECISION:
                dv, lr = text_decision_fit(rows_by_part, gold, inner, chosen, words, rubric, context, unmarked)
                strengths = text_decision_apply(rows, p, strengths, dv, lr, chosen["threshold"])
            out[name][held] = {"n": len(ids_by_part[held]), **text_figures(rows, strengths, gold),
                               "sentences": sentence_figures(rows, strengths),
                               "chosen": {k: v for k, v in chosen.items() if k != "oof"}}
            print(f"  {name:<26} {held:<6} acc {out[name][held]['accuracy']:.3f} kappa {out[name][held]['kappa']:.3f}"
                  f"  chosen {out[name][held]['chosen']}", flush=True)
    for name, parts in out.items():
        parts["mean"] = {k: float(np.mean([v[k] for p, v in parts.items() if p in rt.STUDIED]))
                         for k in ("accuracy", "kappa")}
        parts["mean"]["sentences"] = {k: float(np.mean([v["sentences"][k] for p, v in parts.items()
                                                         if p in rt.STUDIED])) for k in ("precision", "recall", "f1")}
    return out


def print_table(res: dict) -> None:
    cols = [p for p in rt.STUDIED if p in res["rules"]] + ["mean"]
    print(f"\n{'text grade, acc / kappa':<28}" + "".join(f"{c:>14}" for c in cols))
    for name, parts in res.items():
        print(f"{name:<28}" + "".join(f"{parts[c]['accuracy']:>7.3f} {parts[c]['kappa']:.3f}"[:14].rjust(14)
                                        for c in cols))
    print(f"\n{'sentences, precision / recall':<28}" + "".join(f"{c:>14}" for c in cols))
    for name, parts in res.items():
        print(f"{name:<28}" + "".join(f"{parts[c]['sentences']['precision']:>7.3f} "
                                        f"{parts[c]['sentences']['recall']:.3f}"[:14].rjust(14) for c in cols))


def own_passages(model) -> dict:
    """The grade on the project's own labelled passages (held-out and dev splits) with ``model``."""
    from soa_analysis.evidence.evaluate import evaluate_evidence

    out = {}
    for split in ("test", "dev"):
        ev = evaluate_evidence(split=split, model=model)
        out[split] = {"n": ev.n_grades, "accuracy": round(ev.grade_accuracy, 4), "kappa": round(ev.grade_kappa, 4),
                      "themes_macro_f1": round(ev.theme_macro_f1, 4)}
    return out


def write_model(path: Path, graded, part, gold, marks, name: str, res: dict | None,
                threshold: float | None = None) -> None:
    import sklearn

    from soa_analysis.evidence.sentence_model import SentenceModel
    from soa_analysis.rubrics import load_rubric

    policy, words, rubric, context, unmarked = VARIANTS[name]
    ids_by_part = defaultdict(list)
    for i in sorted(graded):
        ids_by_part[part[i]].append(i)
    rows_by_part = {p: dataset(graded, marks, ids, gold) for p, ids in ids_by_part.items()}
    chosen = choose(rows_by_part, gold, policy, words, rubric, context, unmarked)
    b, w = fit_parts(rows_by_part, list(rows_by_part), chosen["C"], words, rubric, context, unmarked)
    ids = sorted(graded)
    meta = {
        "what": "logistic regression: does a sentence carry evidence of benefit (some or strong)? "
                "Terms: the rubric's features, rule and strength for the sentence, its section, its words "
                "and word pairs (numbers written 0); each term present or absent.",
        "rubric_version": load_rubric().version,
        "sklearn": sklearn.__version__,
        "C": chosen["C"], "min_texts_per_term": MIN_TEXTS, "unmarked_weight": unmarked,
        "chosen_by": "leave one studied part out: pooled out-of-fold text accuracy (kappa breaks ties)",
        "out_of_fold": {k: round(v, 4) for k, v in chosen["oof"].items()},
        "trained_on": {"parts": sorted(ids_by_part), "n_texts": len(ids),
                       "n_sentences": sum(len(graded[i]) for i in ids),
                       "n_marked_sentences": sum(1 for k in marks if k[0] in graded),
                       "sources": "benchmarks/real_text/sources.csv (ids below) with sentence_labels.csv",
                       "ids": ids},
    }
    meta["min_sentences"] = {
        "value": MIN_SENTENCES,
        "why": "the model learned from pages of real text; a passage of a sentence or two (the project's own labelled "
               "passages are one sentence each) is graded by the rules alone"}
    if threshold is not None and threshold != chosen["threshold"]:
        meta["threshold_override"] = {
            "chosen_on_real_text": chosen["threshold"], "shipped": threshold,
            "why": "the highest threshold at which the grade on the project's own dev passages does not fall below "
                   "the session-4 model's; a one-sentence passage is its text's first and last sentence, which "
                   "real texts rarely mark"}
        chosen["threshold"] = threshold
    if res:
        meta["leave_one_part_out"] = {n: {p: {k: round(v[k], 4) for k in ("accuracy", "kappa")}
                                          for p, v in parts.items()} for n, parts in res.items()}
    model = SentenceModel(round(b, 6), {t: round(x, 6) for t, x in w.items()}, chosen["threshold"],
                          chosen["promote"], policy, meta, min_sentences=MIN_SENTENCES)
    path.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {path}: {len(w)} weights, policy {policy}, threshold {chosen['threshold']}, C {chosen['C']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=HERE / "cache", help="folder holding the texts")
    ap.add_argument("--import-labels", nargs="+", type=Path, metavar="CSV",
                    help="the labellers' files (id,sentence,strength,note) to check and write as sentence_labels.csv")
    ap.add_argument("--dump", type=Path, help="the sentence lists the labellers read (id -> [[section, sentence]])")
    ap.add_argument("--dump-for", metavar="PART",
                    help="write --dump for the marker of PART's texts graded some or strong (and PART's grades "
                         "beside it, DUMP with .grades.csv), then stop")
    ap.add_argument("--append", action="store_true",
                    help="--import-labels: add the files' texts to sentence_labels.csv instead of rewriting it")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS) + list(TEXT_DECISION))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--write", type=Path, help="fit on every studied part and write the model JSON here")
    ap.add_argument("--ship", default="model, unmarked 0.3", choices=list(VARIANTS),
                    help="the variant --write fits (default: the shipped one)")
    ap.add_argument("--threshold", type=float,
                    help="--write: ship this threshold instead of the one chosen on real text (recorded in the meta)")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    graded, part, gold = graded_rows(a.cache)
    if a.dump_for:
        if not a.dump:
            ap.error("--dump-for needs --dump")
        sentences, grades = dump_for_marking(graded, part, gold, a.dump_for)
        if not sentences:  # a part not yet in STUDIED, or none of its texts in the cache: nothing to mark
            ap.error(f"no text of {a.dump_for} graded some or strong is in the cache (is it in real_text.STUDIED, "
                     f"and its texts in {a.cache}?)")
        a.dump.write_text(json.dumps(sentences, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        with a.dump.with_suffix(".grades.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "grade"])
            w.writerows(grades.items())
        print(f"{len(sentences)} texts of {a.dump_for}, {sum(map(len, sentences.values()))} sentences -> {a.dump}")
        return 0
    if a.import_labels:
        if not a.dump:
            ap.error("--import-labels needs --dump")
        import_labels(a.import_labels, a.dump, graded, gold, a.append)
        return 0
    marks, stale = load_labels(graded)
    graded = {i: v for i, v in graded.items() if i not in stale}
    res = lopo(graded, part, gold, marks, a.variants) if a.variants else None
    if res:
        print_table(res)
    from soa_analysis.evidence.sentence_model import load_sentence_model

    if a.write:
        write_model(a.write, graded, part, gold, marks, a.ship, res, a.threshold)
        res = res or {}
        res["own_passages"] = {"rules": own_passages(None), "shipped": own_passages(load_sentence_model(a.write))}
        print("own passages:", json.dumps(res["own_passages"]))
    if a.json and res:
        a.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
