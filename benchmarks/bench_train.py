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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soa_analysis.labelled import load_labels, load_real_features  # noqa: E402
from soa_analysis.tagging.lexicon import LexiconTagger  # noqa: E402
from soa_analysis.tagging.model import (  # noqa: E402
    PASSAGE_WEIGHT,
    document_features,
    fit_supervised,
    split_real,
    training_weights,
)
from soa_analysis.tagging.text import analyse  # noqa: E402


def reference(*args, **kwargs):
    """``fit_supervised`` as it was before session 27: a vectoriser fitted per fold on feature lists."""
    return fit_supervised(*args, counted=False, **kwargs)


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
