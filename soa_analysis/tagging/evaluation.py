"""Accuracy of the priority tagger on a labelled corpus, by cross-validation.

Nested k-fold cross-validation: in each outer fold the model is trained, and its
thresholds chosen by an inner cross-validation, on the other folds only; the outer fold's
passages are then tagged as unseen text. Precision, recall and F1 per priority, micro and
macro F1, come with bootstrap 95% intervals over passages. A separate held-out split (a
quarter of the passages, never seen in training or threshold choice) gives one more
macro-F1, the project's acceptance figure (target >= 0.85).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, train_test_split

from ..errors import SchemaError
from ..labelled import labels_sha256, load_labels, load_real_features
from .lexicon import LexiconTagger
from .model import (
    LEXICON_WEIGHT,
    PASSAGE_WEIGHT,
    RELATIVE,
    CombinedTagger,
    blend,
    decide,
    document_features,
    fit_supervised,
    kind_rule,
    kind_thresholds,
    split_real,
    training_weights,
)
from .text import analyse

__all__ = ["evaluate", "EvaluationReport", "bootstrap_f1", "f1_table"]


def _rates(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from true positive, false positive and false negative counts (0 where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        rec = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return prec, rec, f1


def f1_table(Y: np.ndarray, P: np.ndarray):
    """Per-column precision, recall, F1 (0 where undefined) and micro/macro F1."""
    Y = np.asarray(Y, dtype=int)
    P = np.asarray(P, dtype=int)
    tp = (Y & P).sum(0).astype(float)
    fp = ((1 - Y) & P).sum(0).astype(float)
    fn = (Y & (1 - P)).sum(0).astype(float)
    prec, rec, f1 = _rates(tp, fp, fn)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1e-12)
    return prec, rec, f1, float(micro), float(f1.mean())


def bootstrap_f1(Y: np.ndarray, P: np.ndarray, *, n_boot=1000, seed=0, level=0.95) -> dict:
    """Bootstrap (over rows) percentile intervals of per-column P/R/F1 and micro/macro F1.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``: arrays of shape (2, k) (low, high);
        ``micro``, ``macro``: (low, high).
    """
    Y = np.asarray(Y, dtype=int)
    P = np.asarray(P, dtype=int)
    n = len(Y)
    rng = np.random.default_rng(seed)
    W = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    tp = W @ (Y & P)
    fp = W @ ((1 - Y) & P)
    fn = W @ (Y & (1 - P))
    prec, rec, f1 = _rates(tp, fp, fn)
    with np.errstate(divide="ignore", invalid="ignore"):
        micro = 2 * tp.sum(1) / (2 * tp.sum(1) + fp.sum(1) + fn.sum(1))
    macro = f1.mean(1)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return {"precision": np.percentile(prec, q, axis=0), "recall": np.percentile(rec, q, axis=0),
            "f1": np.percentile(f1, q, axis=0), "micro": tuple(np.percentile(micro, q)),
            "macro": tuple(np.percentile(macro, q))}


@dataclass
class EvaluationReport:
    """Cross-validated accuracy of the tagger; see :func:`evaluate`.

    Attributes
    ----------
    per_category : DataFrame
        One row per priority: support, precision, recall, f1 with ``_lo``/``_hi`` bounds,
        heldout_f1 and the threshold chosen on the full corpus (for texts of the corpus's median
        length: short passages have their own, see :func:`~soa_analysis.tagging.model.kind_rule`).
    micro_f1, macro_f1 : float
        Out-of-fold figures; ``micro_ci``/``macro_ci`` their 95% intervals.
    heldout_macro_f1 : float
        Macro-F1 on the held-out split.
    by_method : dict
        Out-of-fold macro-F1 of the lexicon alone, the model alone and the combination.
    by_kind : DataFrame
        Exact-match rate per passage kind (single, multi, near_miss, passing, negated).
    """

    per_category: pd.DataFrame
    micro_f1: float
    micro_ci: tuple
    macro_f1: float
    macro_ci: tuple
    heldout_macro_f1: float
    heldout_size: int
    by_method: dict
    by_kind: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Per-category rows plus ``micro`` and ``macro`` summary rows."""
        extra = pd.DataFrame([
            {"category": "micro", "support": int(self.per_category["support"].sum()), "f1": self.micro_f1,
             "f1_lo": self.micro_ci[0], "f1_hi": self.micro_ci[1]},
            {"category": "macro", "support": int(self.per_category["support"].sum()), "f1": self.macro_f1,
             "f1_lo": self.macro_ci[0], "f1_hi": self.macro_ci[1], "heldout_f1": self.heldout_macro_f1},
        ])
        return pd.concat([self.per_category, extra], ignore_index=True)

    def to_dict(self) -> dict:
        """JSON-serialisable figures (for tagging_meta.json or a report)."""
        return {
            "micro_f1": round(self.micro_f1, 4), "micro_ci": [round(x, 4) for x in self.micro_ci],
            "macro_f1": round(self.macro_f1, 4), "macro_ci": [round(x, 4) for x in self.macro_ci],
            "heldout_macro_f1": round(self.heldout_macro_f1, 4), "heldout_size": self.heldout_size,
            "by_method": {k: round(v, 4) for k, v in self.by_method.items()},
            "per_category": self.per_category.round(4).to_dict("records"), "settings": self.settings,
        }

    def to_markdown(self) -> str:
        """A plain Markdown summary (no extra dependency)."""
        s = self.settings
        lines = [
            f"Tagger evaluation: {s.get('n_passages')} passages, {s.get('folds')}-fold nested cross-validation "
            f"(seed {s.get('seed')}), bootstrap 95% intervals ({s.get('n_boot')} resamples).",
            "",
        ]
        if s.get("skipped"):
            lines += ["Left out of the figures (precision and recall need passages with and without a category): "
                      + "; ".join(f"{c} ({why})" for c, why in s["skipped"].items()) + ".", ""]
        lines += [
            "| priority | support | precision | recall | F1 (95% CI) | held-out F1 | threshold |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.per_category.itertuples():
            lines.append(f"| {r.category} | {r.support} | {r.precision:.2f} | {r.recall:.2f} | "
                         f"{r.f1:.2f} ({r.f1_lo:.2f}-{r.f1_hi:.2f}) | {r.heldout_f1:.2f} | {r.threshold:.2f} |")
        lines += [
            "",
            f"Micro-F1 {self.micro_f1:.3f} ({self.micro_ci[0]:.3f}-{self.micro_ci[1]:.3f}); "
            f"macro-F1 {self.macro_f1:.3f} ({self.macro_ci[0]:.3f}-{self.macro_ci[1]:.3f}).",
            f"Held-out split ({self.heldout_size} passages): macro-F1 {self.heldout_macro_f1:.3f} (target 0.85).",
            "Out-of-fold macro-F1 by method: " + ", ".join(f"{k} {v:.3f}" for k, v in self.by_method.items()) + ".",
            "",
            "| passage kind | n | exact match |",
            "|---|---:|---:|",
        ]
        lines += [f"| {r.kind} | {r.n} | {r.exact_match:.2f} |" for r in self.by_kind.itertuples()]
        return "\n".join(lines)

    __str__ = to_markdown


def _scorable(Y: np.ndarray, cats) -> tuple[np.ndarray, dict]:
    """Which categories can be scored (some passages have them, some do not), and why the others cannot.

    >>> _scorable(np.array([[1, 0, 1], [0, 0, 1]]), ["a", "b", "c"])[1]
    {'b': 'no passage labelled with it', 'c': 'every passage labelled with it'}
    """
    support = Y.sum(0)
    ok = (support > 0) & (support < len(Y))
    why = {c: ("no passage labelled with it" if n == 0 else "every passage labelled with it")
           for c, n, good in zip(cats, support, ok) if not good}
    return ok, why


@contextlib.contextmanager
def _training(source: str):
    """Turn a model's refusal to train (a category with no positive or no negative example in a
    training part) into one line about the labels file."""
    try:
        yield
    except SchemaError as exc:
        raise SchemaError(f"{source}: cannot train on it: {exc}; label more passages with and without each "
                          "category, or pass fewer folds") from None


def evaluate(labels_path=None, *, folds=5, seed=0, lexicon_weight=LEXICON_WEIGHT, C=8.0, n_boot=1000,
             heldout=0.25, taxonomy="priorities", relative=RELATIVE, real_text=True,
             passage_weight=PASSAGE_WEIGHT) -> EvaluationReport:
    """Evaluate the combined tagger on a labelled corpus.

    Parameters
    ----------
    labels_path : path-like, optional
        Labels CSV (passage_id, labels, text[, kind]); the package corpus by default.
    folds : int
        Outer (and inner) cross-validation folds.
    seed : int
        Seed of the splits and the bootstrap.
    lexicon_weight, C, relative : float
        Tagger parameters, as in :class:`CombinedTagger`.
    real_text : bool
        Add the shipped real-text features to every training fold, as the tagger does
        (the passages scored are always the labelled corpus's own, unseen in that fold).
    passage_weight : float
        Weight of each labelled passage against each real-text document in the model's
        training, as in :class:`CombinedTagger`.
    n_boot : int
        Bootstrap resamples for the intervals.
    heldout : float
        Share of passages kept out for the held-out figure.

    Returns
    -------
    EvaluationReport

    Example
    -------
    >>> print(evaluate(folds=3, n_boot=200).to_markdown())   # doctest: +SKIP
    """
    cats = LexiconTagger(taxonomy=taxonomy).fit().categories_
    df, Y, scored, skipped, source = _labelled(labels_path, cats, folds)
    analysed = [analyse(t) for t in df["text"]]
    lexicon = LexiconTagger(taxonomy=taxonomy).fit()
    real = load_real_features(lexicon.taxonomy_.sha256, cats) if real_text else None
    preds = _cross_validated(analysed, lexicon.predict_scores(analysed), Y, real, folds=folds, seed=seed, C=C,
                             lexicon_weight=lexicon_weight, relative=relative, source=source,
                             passage_weight=passage_weight, categories=cats)
    P = preds["combined"]
    prec, rec, f1, micro, macro = f1_table(Y[:, scored], P[:, scored])  # categories left out: settings["skipped"]
    boot = bootstrap_f1(Y[:, scored], P[:, scored], n_boot=n_boot, seed=seed)
    params = dict(taxonomy=taxonomy, lexicon_weight=lexicon_weight, C=C, cv_folds=folds, seed=seed, relative=relative,
                  real_text=real_text, passage_weight=passage_weight)
    f1_h, macro_h, n_heldout, thresholds = _heldout(analysed, Y, scored, params, heldout=heldout, seed=seed,
                                                    source=source)
    cats_scored = [c for c, ok in zip(cats, scored) if ok]
    per = pd.DataFrame({
        "category": cats_scored, "support": Y[:, scored].sum(0).astype(int),
        "precision": prec, "precision_lo": boot["precision"][0], "precision_hi": boot["precision"][1],
        "recall": rec, "recall_lo": boot["recall"][0], "recall_hi": boot["recall"][1],
        "f1": f1, "f1_lo": boot["f1"][0], "f1_hi": boot["f1"][1],
        "heldout_f1": f1_h, "threshold": [thresholds[c] for c in cats_scored],
    })
    kinds = df["kind"].replace("", "unspecified")
    exact = (P == Y).all(1)
    by_kind = (pd.DataFrame({"kind": kinds, "exact": exact}).groupby("kind", sort=True)
               .agg(n=("exact", "size"), exact_match=("exact", "mean")).reset_index())
    by_method = {name: f1_table(Y[:, scored], p[:, scored])[4] for name, p in preds.items()}
    settings = {"n_passages": int(len(Y)), "folds": folds, "seed": seed, "n_boot": n_boot, "heldout": heldout,
                "lexicon_weight": lexicon_weight, "C": C, "taxonomy": taxonomy, "relative": relative,
                "passage_weight": passage_weight,
                "real_text_documents": int(real["n"]) if real else 0,
                "labels": str(labels_path or "package:labelled/priorities.csv"),
                "labels_sha256": labels_sha256(labels_path)}
    if skipped:
        settings["skipped"] = skipped
    return EvaluationReport(per, micro, tuple(map(float, boot["micro"])), macro, tuple(map(float, boot["macro"])),
                            float(macro_h), n_heldout, by_method, by_kind, settings)


def _labelled(labels_path, cats: list[str], folds: int):
    """The labelled passages, their 0/1 label matrix, which categories can be scored (those with
    passages both with and without them) and the names of the others, and the corpus's name;
    SchemaError when there are fewer passages than folds or nothing to score."""
    df = load_labels(labels_path, categories=cats)
    source = str(labels_path or "the packaged corpus")
    if len(df) < folds:
        raise SchemaError(f"{source}: {len(df)} passage(s); {folds}-fold cross-validation needs at least {folds} "
                          "(label more passages, or pass fewer folds)")
    Y = np.array([[int(c in ls) for c in cats] for ls in df["label_list"]]).reshape(len(df), len(cats))
    scored, skipped = _scorable(Y, cats)
    if not scored.any():
        raise SchemaError(f"{source}: no category has both passages labelled with it and passages without it, "
                          "so there is nothing to score")
    return df, Y, scored, skipped, source


def _cross_validated(analysed: list, lex: np.ndarray, Y: np.ndarray, real: dict | None, *, folds: int, seed: int,
                     C: float, lexicon_weight: float, relative: float, source: str,
                     categories, passage_weight: float = PASSAGE_WEIGHT) -> dict[str, np.ndarray]:
    """Out-of-fold decisions of the lexicon alone, the model alone and the combined tagger
    (outer folds; thresholds chosen on inner out-of-fold scores of each training fold, which
    also holds the real-text features when ``real`` is given, the passages weighted by
    ``passage_weight`` in the model's training as :class:`CombinedTagger` does)."""
    feats = [document_features(a) for a in analysed]
    n, k = Y.shape
    real, documents = split_real(real)  # as CombinedTagger learns from them
    r_feats = real["features"] if real else []
    r_lex = real["lexicon"] if real else np.zeros((0, k))
    r_Y = real["Y"] if real else np.zeros((0, k), dtype=int)
    n_sent = np.array([len(a) for a in analysed])
    r_sent = list(real["sentences"]) if real else []
    d_lex = documents["lexicon"] if documents else np.zeros((0, k))
    d_Y = documents["Y"] if documents else np.zeros((0, k), dtype=int)
    d_sent = list(documents["sentences"]) if documents else []
    weights = {"lexicon": 1.0, "model": 0.0, "combined": float(lexicon_weight)}
    preds = {m: np.zeros((n, k), dtype=int) for m in weights}
    outer = KFold(n_splits=folds, shuffle=True, random_state=seed)
    with _training(source):
        for tr, te in outer.split(feats):
            tr_feats = [feats[i] for i in tr] + r_feats
            tr_Y = np.vstack([Y[tr], r_Y])
            tr_sent = list(n_sent[tr]) + r_sent
            sw = training_weights(len(tr), len(r_feats), passage_weight)
            model, inner_oof, shared_oof = fit_supervised(tr_feats, tr_Y, tr_sent, sw, documents, C=C, folds=folds,
                                                          seed=seed)
            sup_te = model.predict_proba([feats[i] for i in te], n_sent[te])
            n_shared, shared_lex = len(tr_feats), np.vstack([lex[tr], r_lex])
            tr_Y = np.vstack([tr_Y, d_Y])
            tr_lex = np.vstack([shared_lex, d_lex])
            tr_sent = tr_sent + d_sent
            for name, w in weights.items():
                th, th_short = kind_thresholds(tr_Y, blend(tr_lex, inner_oof, w), tr_sent, n_shared,
                                               blend(shared_lex, shared_oof, w), categories)
                preds[name][te] = decide(blend(lex[te], sup_te, w), *kind_rule(n_sent[te], th, th_short, relative))
    return preds


def _heldout(analysed: list, Y: np.ndarray, scored: np.ndarray, params: dict, *, heldout: float, seed: int,
             source: str) -> tuple[np.ndarray, float, int, dict]:
    """The held-out figure (per-category F1 and macro-F1 of a tagger trained without a
    ``heldout`` share of the passages, and how many were held out) and the thresholds of a
    tagger trained on them all."""
    tr, te = train_test_split(np.arange(len(Y)), test_size=heldout, random_state=seed, shuffle=True)
    model = CombinedTagger(**params)
    with _training(source):
        model.fit([analysed[i] for i in tr], Y[tr])
    Ph = model.predict([analysed[i] for i in te])
    _, _, f1_h, _, macro_h = f1_table(Y[te][:, scored], Ph[:, scored])
    full = CombinedTagger(**params)
    with _training(source):
        full.fit(analysed, Y)
    # the thresholds that apply to texts of the corpus's median length (short passages have their own)
    applied = full.rule([np.median([len(a) for a in analysed])])[0][0]
    return f1_h, macro_h, int(len(te)), dict(zip(full.categories_, map(float, applied)))
