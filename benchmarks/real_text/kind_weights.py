"""The session 26 check of per-kind word weights in the tagger (benchmarks/real_text/README.md, session 26).

Each document's feature list gets its kind (at most ``SHORT_SENTENCES`` sentences: short; else a document),
and the supervised model sees every word twice: once shared, once prefixed by its kind, so each column has
its own idf over the texts of its kind. The project's own labelled passages are then evaluated as
``soa-analysis evaluate`` does (nested cross-validation and the held-out split), at the seeds given.
Nothing in the package changes: the model's functions are wrapped for this process only.

    MODE=off      .venv/bin/python benchmarks/real_text/kind_weights.py 0        # the shipped tagger
    MODE=copies   .venv/bin/python benchmarks/real_text/kind_weights.py 0 1 2    # shared + per-kind columns
    MODE=noidf    .venv/bin/python benchmarks/real_text/kind_weights.py 0        # the same, with no idf
    MODE=kindonly .venv/bin/python benchmarks/real_text/kind_weights.py 0        # per-kind columns only

About five minutes a seed on an idle core. The README's figures for the kind columns were measured with the
real-text features of ``dev`` to ``test16``, before the tagger had a classifier of its own for documents.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

import soa_analysis.tagging.evaluation as E  # noqa: E402
import soa_analysis.tagging.model as M  # noqa: E402

MODE = os.environ.get("MODE", "off")
SHORT, DOC = "\x01short", "\x01doc"


def _kind(n_sentences: int) -> str:
    return SHORT if n_sentences <= M.SHORT_SENTENCES else DOC


def expand(features: list[str]) -> list[str]:
    """A marked feature list as the model sees it under ``MODE`` (the mark dropped, kind columns added)."""
    if not features or features[-1] not in (SHORT, DOC):
        return features
    mark, base = features[-1], features[:-1]
    if MODE == "off":
        return base
    kind = [("s|" if mark == SHORT else "d|") + f for f in base]
    return kind if MODE == "kindonly" else base + kind


def install() -> None:
    """Wrap the model's feature and fitting functions for this process."""
    features, real = M.document_features, M.load_real_features

    def marked(sents):
        return features(sents) + [_kind(len(sents))]

    def marked_real(*args):
        r = real(*args)
        if r:
            r = r | {"features": [f + [_kind(s)] for f, s in zip(r["features"], r["sentences"])]}
        return r

    M.document_features = E.document_features = marked
    M.load_real_features = E.load_real_features = marked_real
    if MODE == "noidf":
        M.TfidfVectorizer = lambda **kw: TfidfVectorizer(use_idf=False, **kw)
    fit, transform = M.SupervisedTagger.fit, M.SupervisedTagger.transform
    def fit_marked(self, f, Y, sample_weight=None, documents=None, **kw):
        if documents is not None:
            documents = ([expand(x) for x in documents[0]], documents[1])
        return fit(self, [expand(x) for x in f], Y, sample_weight, documents=documents, **kw)

    M.SupervisedTagger.fit = fit_marked
    M.SupervisedTagger.transform = lambda self, f: transform(self, [expand(x) for x in f])


def main(seeds: list[str]) -> int:
    if not seeds or MODE not in ("off", "copies", "noidf", "kindonly"):
        raise SystemExit(__doc__)
    if MODE != "off":  # off: the tagger as shipped, nothing wrapped
        install()
    for s in seeds:
        t = time.time()
        r = E.evaluate(seed=int(s), n_boot=50)
        print(f"MODE={MODE} seed={s} nested={r.macro_f1:.4f} heldout={r.heldout_macro_f1:.4f} "
              f"({time.time() - t:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
