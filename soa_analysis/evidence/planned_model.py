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

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .modelfile import TextModel, load_model, logistic, parse_text_model

__all__ = ["PlannedModel", "load_planned_model", "MODEL_FILE"]

MODEL_FILE = "evidence_planned_model.json"
FORMAT = 1


@dataclass(frozen=True, eq=False, kw_only=True)
class PlannedModel(TextModel):
    """Intercept, the vocabulary's idf and weights, and the probability at which a text is planned (the vocabulary,
    limits and meta as :class:`~.modelfile.TextModel`; each term's value is ``(idf, weight)``).

    Attributes
    ----------
    intercept : float
    threshold : float
        A text is planned when its probability is at least this.
    """

    intercept: float
    threshold: float

    @cached_property
    def _weight(self) -> np.ndarray:
        """The terms' weights, in the vectoriser's column order."""
        return np.array([self.terms[t][1] for t in self._tfidf[1]], dtype=np.float64)

    def _probability(self, x) -> float:
        return logistic(self.intercept + float(np.dot(x.data, self._weight[x.indices])))

    def probability(self, text: str) -> float:
        """The model's probability that the text is planned."""
        return self._probability(self.vector(text))

    def explain(self, text: str, p: float, k: int = 3, x=None) -> str:
        """``planned model p=0.83 (+ will, + 2019; - was)``: the probability and the terms that weighed most
        (``x``: the text's :meth:`vector`, when at hand)."""
        inner = self.weighed(self.vector(text) if x is None else x, self._weight, k)
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


def _build(data: dict, fields: dict) -> PlannedModel:
    terms = {str(t): (float(v[0]), float(v[1])) for t, v in data["terms"].items()}
    model = PlannedModel(intercept=float(data["intercept"]), terms=terms, threshold=float(data["threshold"]), **fields)
    if not 0.0 < model.threshold < 1.0:
        raise ValueError(f"a threshold between 0 and 1 is needed, not {model.threshold}")
    return model


def _parse(text: str, where: str) -> PlannedModel:
    return parse_text_model(text, where, "planned model", FORMAT, _build)


def load_planned_model(model: str | os.PathLike | PlannedModel | None = "packaged") -> PlannedModel | None:
    """The planned model: the packaged one, one read from a path, or ``None`` (the rules alone decide planned).

    ``"packaged"`` is ``soa_analysis/rubrics/evidence_planned_model.json``; a path beginning
    ``soa_analysis/rubrics/`` names a file shipped in the package.
    """
    return load_model(model, kind=PlannedModel, default=MODEL_FILE, parse=_parse, what="planned model")
