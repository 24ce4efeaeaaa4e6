"""A learned check on which texts without evidence of benefit are *planned*: benefits still to come, with a timeline.

The rubric's rules call a sentence planned when it speaks of benefits still to come and carries a date or period;
a submission is planned when it has such a sentence and none that counts as evidence. On real council text that
test is nearly blind (on the studied real texts the rules graded none or planned, it found 16% of the texts the
readers called planned, and three in four of the texts it called planned were not): a plan's timeline is written
as a plan period, a pilot's months, a financial year, an opening season, seldom in one sentence beside the
benefit. The planned model reads the whole text instead: a logistic regression over the text's words and word
pairs (tf-idf, as scikit-learn's ``TfidfVectorizer`` with ``sublinear_tf`` weighs them), fitted on the real texts
the grader grades none or planned, the readers' planned against none (``benchmarks/real_text/planned_model.py``).
Its weights ship as data (``rubrics/evidence_planned_model.json``): vocabulary and numbers, no sentence, with the
parts it learned from and the scikit-learn version that fitted it.

It decides only between none and planned, and only for a narrative without the template: a text with a sentence
that counts as evidence keeps its grade, a submission on the template keeps the rules' (question 4 asks for the
timeline in a section of its own, which the rules read), and so does a text of fewer than ``min_sentences`` graded
sentences (the project's one-sentence passages among them). The grade's rule text gives the probability and the
words that weighed most.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import TaxonomyError
from .modelfile import load_model, logistic, read_json

__all__ = ["PlannedModel", "load_planned_model", "MODEL_FILE"]

MODEL_FILE = "evidence_planned_model.json"
FORMAT = 1


@dataclass(frozen=True, eq=False)
class PlannedModel:
    """Intercept, the vocabulary's idf and weights, and the probability at which a text is planned.

    Attributes
    ----------
    intercept : float
    terms : dict
        Term (a word or a pair of words, as scikit-learn's analyser writes them) -> ``(idf, weight)``.
    threshold : float
        A text is planned when its probability is at least this.
    min_sentences : int
        Texts of fewer graded sentences keep the rules' grade.
    ngram_range : tuple of int
    meta : dict
        What it learned from (parts, numbers of texts), the scikit-learn version, the figures of its choice.
    sha256 : str
        Digest of the model file (part of the evidence stage's cache keys).
    """

    intercept: float
    terms: dict
    threshold: float
    min_sentences: int = 3
    ngram_range: tuple = (1, 2)
    meta: dict = field(default_factory=dict)
    sha256: str = ""

    @cached_property
    def _arrays(self):
        """scikit-learn's vectoriser with the model's vocabulary and idf, the weights, and the terms in column order."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        names = sorted(self.terms)
        vec = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(names)}, ngram_range=tuple(self.ngram_range),
                              sublinear_tf=True)
        vec.idf_ = np.array([self.terms[t][0] for t in names], dtype=np.float64)
        return vec, np.array([self.terms[t][1] for t in names], dtype=np.float64), names

    def vector(self, text: str):
        """The text's tf-idf row (``1 + log(count)`` times idf, scaled to unit length), as a sparse row."""
        return self._arrays[0].transform([text])

    def _probability(self, x) -> float:
        weight = self._arrays[1]
        return logistic(self.intercept + float(np.dot(x.data, weight[x.indices])))

    def probability(self, text: str) -> float:
        """The model's probability that the text is planned."""
        return self._probability(self.vector(text))

    def applies(self, n_sentences: int) -> bool:
        """Whether a text of ``n_sentences`` graded sentences is decided by the model."""
        return n_sentences >= self.min_sentences

    def explain(self, text: str, p: float, k: int = 3, x=None) -> str:
        """``planned model p=0.83 (+ will, + 2019; - was)``: the probability and the terms that weighed most
        (``x``: the text's :meth:`vector`, when at hand)."""
        _, weight, names = self._arrays
        x = self.vector(text) if x is None else x
        parts = sorted(((float(v * weight[j]), names[j]) for j, v in zip(x.indices, x.data)),
                       key=lambda t: (-abs(t[0]), t[1]))
        ups = [n for c, n in parts if c > 0][:k]
        downs = [n for c, n in parts if c < 0][:k]
        inner = "; ".join(x for x in (", ".join(f"+ {t}" for t in ups), ", ".join(f"- {t}" for t in downs)) if x)
        return f"planned model p={p:.2f}" + (f" ({inner})" if inner else "")

    def decide(self, grade: str, rule: str, sentences) -> tuple[str, str]:
        """The submission's grade and rule once the model has read its graded ``sentences`` (joined), when the
        rules grade it none or planned and it has at least ``min_sentences``."""
        if grade not in ("none", "planned") or not self.applies(len(sentences)):
            return grade, rule
        text = " ".join(sentences)
        x = self.vector(text)
        p = self._probability(x)
        new = "planned" if p >= self.threshold else "none"
        why = self.explain(text, p, x=x)
        if new == grade:
            return grade, f"{rule}; {why}" if rule else why
        if new == "planned":
            return new, f"benefits still to come, as the text reads: {why}"
        return new, f"no dated benefit still to come, as the text reads: {why}; the rules said planned: {rule}"

    def summary(self) -> dict:
        """What the evidence stage records about the model (no weights)."""
        trained = self.meta.get("trained_on", {})
        return {"threshold": self.threshold, "min_sentences": self.min_sentences, "sha256": self.sha256,
                "sklearn": self.meta.get("sklearn", ""), "n_texts": trained.get("n_texts"),
                "n_planned": trained.get("n_planned"), "n_terms": len(self.terms)}


def _parse(text: str, where: str) -> PlannedModel:
    data = read_json(text, where, "planned model", FORMAT)
    try:
        terms = {str(t): (float(v[0]), float(v[1])) for t, v in data["terms"].items()}
        model = PlannedModel(intercept=float(data["intercept"]), terms=terms, threshold=float(data["threshold"]),
                             min_sentences=int(data.get("min_sentences", 3)),
                             ngram_range=tuple(int(n) for n in data.get("ngram_range", (1, 2))),
                             meta=dict(data.get("meta", {})),
                             sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise TaxonomyError(f"planned model {where}: malformed ({exc!r})") from None
    if not 0.0 < model.threshold < 1.0 or not terms:
        raise TaxonomyError(f"planned model {where}: a threshold between 0 and 1 and at least one term are needed")
    return model


def load_planned_model(model: str | os.PathLike | PlannedModel | None = "packaged") -> PlannedModel | None:
    """The planned model: the packaged one, one read from a path, or ``None`` (the rules alone decide planned).

    ``"packaged"`` is ``soa_analysis/rubrics/evidence_planned_model.json``; a path beginning
    ``soa_analysis/rubrics/`` names a file shipped in the package.
    """
    return load_model(model, kind=PlannedModel, default=MODEL_FILE, parse=_parse, what="planned model")
