"""Benchmark of the tagger's training: its cross-validation with one count of the features against a
vectoriser fitted per fold, in the same run.

Training the tagger (``CombinedTagger.fit``, once per model fingerprint; the nested evaluation of
``soa-analysis evaluate`` does it once per fold) is one call of ``tagging.model.fit_supervised``: a
classifier per fold of a cross-validation over the labelled passages and the shipped real-text features
(about 3,800 texts), for the out-of-fold scores the thresholds are chosen on, then the model on them all.
Each fold used to fit a TF-IDF vectoriser of its own on its texts' feature lists, counting every feature
again; since session 27 the folds cut their matrices from one count (``CountedFeatures``).

Times, interleaved, best of ``REPEATS`` (default 3), on the shipped training set:

* ``reference``: the folds of ``fit_supervised`` as before, each ``SupervisedTagger.fit`` on feature lists;
* ``counted``: ``fit_supervised`` as shipped.

and prints the ratio and the largest difference between the two out-of-fold scores (floating-point
summation order only: the vectoriser's matrix keeps a feature order within a row that the count does not).

Run: ``.venv/bin/python benchmarks/bench_train.py [REPEATS]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soa_analysis.labelled import load_labels, load_real_features  # noqa: E402
from soa_analysis.tagging.lexicon import LexiconTagger  # noqa: E402
from soa_analysis.tagging.model import (  # noqa: E402
    PASSAGE_WEIGHT,
    SHORT_SENTENCES,
    SupervisedTagger,
    document_features,
    fit_supervised,
    split_real,
    training_weights,
)
from soa_analysis.tagging.text import analyse  # noqa: E402


def reference(feats, Y, n_sentences, sample_weight, documents, *, C=8.0, folds=5, seed=0):
    """``fit_supervised`` as it was before session 27: a vectoriser fitted per fold on feature lists."""
    Y = np.asarray(Y, dtype=int)
    n = len(feats)
    w = (lambda rows: None) if sample_weight is None else (lambda rows: np.asarray(sample_weight, dtype=float)[rows])
    oof = np.zeros(Y.shape)
    for tr, te in KFold(n_splits=folds, shuffle=True, random_state=seed).split(feats):
        m = SupervisedTagger(C=C).fit([feats[i] for i in tr], Y[tr], w(tr))
        oof[te] = m.predict_proba([feats[i] for i in te])
    d_feats, d_Y = documents["features"], np.asarray(documents["Y"], dtype=int)
    every = feats + d_feats
    sents = np.concatenate([np.asarray(n_sentences), np.asarray(documents["sentences"])])
    long = sents > SHORT_SENTENCES
    shared_oof, oof = oof, np.vstack([oof, np.zeros(d_Y.shape)])
    for tr, te in KFold(n_splits=folds, shuffle=True, random_state=seed).split(every):
        rows = te[long[te]]
        if not len(rows):
            continue
        own, more = tr[tr < n], tr[tr >= n] - n
        m = SupervisedTagger(C=C).fit([feats[i] for i in own], Y[own], w(own),
                                      documents=([d_feats[i] for i in more], d_Y[more]), short=False)
        oof[rows] = m.predict_proba([every[i] for i in rows], sents[rows])
    return SupervisedTagger(C=C).fit(feats, Y, sample_weight, documents=(d_feats, d_Y)), oof, shared_oof


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    repeats = int(argv[0]) if argv else 3
    lex = LexiconTagger().fit()
    cats = lex.categories_
    df = load_labels(categories=cats)
    analysed = [analyse(t) for t in df["text"]]
    feats = [document_features(a) for a in analysed]
    Y = np.array([[int(c in ls) for c in cats] for ls in df["label_list"]])
    shared, documents = split_real(load_real_features(lex.taxonomy_.sha256, cats))
    tr_feats = feats + shared["features"]
    tr_Y = np.vstack([Y, shared["Y"]])
    tr_sent = [len(a) for a in analysed] + list(shared["sentences"])
    sw = training_weights(len(feats), len(shared["features"]), PASSAGE_WEIGHT)  # as CombinedTagger weighs them
    print(f"training set: {len(tr_feats)} texts every classifier learns from, {documents['n']} only the document "
          f"classifier learns from; 5 folds")
    best = {"reference": float("inf"), "counted": float("inf")}
    out = {}
    for _ in range(repeats):
        for name, fn in (("reference", reference), ("counted", fit_supervised)):
            t0 = time.perf_counter()
            out[name] = fn(tr_feats, tr_Y, tr_sent, sw, documents, C=8.0, folds=5, seed=0)
            best[name] = min(best[name], time.perf_counter() - t0)
    for name, s in best.items():
        print(f"{name:<10} {s:7.1f} s  (best of {repeats})")
    print(f"ratio counted / reference: {best['counted'] / best['reference']:.2f}")
    diff = max(float(np.abs(out["counted"][i] - out["reference"][i]).max()) for i in (1, 2))
    print(f"largest difference between the out-of-fold scores: {diff:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
