"""The grade check: the whole text read once more, beside the grade the rules gave it.

The grader decides sentence by sentence (the rubric's rules and the sentence model) and adds the sentences up. On
real council text most of what that gets wrong is a text with evidence of benefit no single sentence shows the
way the rules ask (an account of what changed for people, in words rather than figures) or a text whose one
sentence the rules count is not about the work's results. The grade check reads the whole graded text (its
sentences, joined) with the rules' grade beside it: a multinomial logistic regression over strong, some and none,
on the text's words and word pairs (tf-idf, as scikit-learn's ``TfidfVectorizer`` with ``sublinear_tf`` weighs
them) and the rules' grade, fitted on the studied real texts with the readers' grades
(``benchmarks/real_text/check_model.py``). Its weights ship as data (``rubrics/evidence_check_model.json``):
vocabulary and numbers, no sentence, with the parts it learned from and the scikit-learn version that fitted it.

Where it names another grade than the rules' (planned counts as none), the grade is its: the rules' some or strong
becomes none (and the planned model then decides none or planned), the rules' none or planned becomes some or
strong, strong becomes some or some strong. It reads only a narrative without the template (a submission on the
form keeps the rules' grade: its sections say where the evidence is) of at least ``min_sentences`` graded
sentences. The grade's rule text then gives the probabilities and the words that weighed most, and the rules'
own grade and reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .modelfile import TextModel, load_model, parse_text_model

__all__ = ["GradeCheck", "load_check_model", "MODEL_FILE", "CLASSES"]

MODEL_FILE = "evidence_check_model.json"
FORMAT = 1
CLASSES = ("strong", "some", "none")


def three(grade: str) -> str:
    """A grade on the three-grade scale the check decides on (planned counts as none).

    Example
    -------
    >>> three("planned"), three("some")
    ('none', 'some')
    """
    return "none" if grade in ("none", "planned") else grade


@dataclass(frozen=True, eq=False, kw_only=True)
class GradeCheck(TextModel):
    """Intercepts, the rules' grade's weights and the vocabulary's weights, one of each per class of :data:`CLASSES`
    (the vocabulary, limits and meta as :class:`~.modelfile.TextModel`; each term's value is
    ``(idf, weights per class)``).

    Attributes
    ----------
    intercept : tuple of float
    rules : dict
        The rules' grade (three grades) -> its weight for each class.
    """

    intercept: tuple
    rules: dict

    @cached_property
    def _weights(self) -> np.ndarray:
        """The terms' weights (terms x classes), in the vectoriser's column order."""
        names = self._tfidf[1]
        return np.array([self.terms[t][1] for t in names], dtype=np.float64).reshape(len(names), len(CLASSES))

    def _probabilities(self, x, rules_grade: str) -> np.ndarray:
        z = np.asarray(self.intercept, dtype=np.float64) + np.asarray(self.rules[three(rules_grade)], dtype=np.float64)
        z = z + x.data @ self._weights[x.indices] if x.nnz else z
        e = np.exp(z - z.max())
        return e / e.sum()

    def probabilities(self, text: str, rules_grade: str) -> dict:
        """The model's probability of each grade of :data:`CLASSES` for ``text`` the rules graded ``rules_grade``."""
        return dict(zip(CLASSES, (float(p) for p in self._probabilities(self.vector(text), rules_grade))))

    def explain(self, x, p: np.ndarray, grade: str, k: int = 3) -> str:
        """``grade check some p=0.71 (+ pupils, + improved; - will)``: the grade, its probability and the terms
        that weighed most for and against it."""
        c = CLASSES.index(grade)
        inner = self.weighed(x, self._weights[:, c], k)
        return f"grade check {grade} p={p[c]:.2f}" + (f" ({inner})" if inner else "")

    def decide(self, grade: str, rule: str, sentences) -> tuple[str, str]:
        """The submission's grade and rule once the check has read its graded ``sentences`` (joined) beside the
        rules' ``grade``; unchanged for a text of fewer than ``min_sentences`` or where the check agrees."""
        if not self.applies(len(sentences)):
            return grade, rule
        x = self.vector(" ".join(sentences))
        p = self._probabilities(x, grade)
        new = CLASSES[int(np.argmax(p))]
        if new == three(grade):
            return grade, rule
        why = self.explain(x, p, new)
        said = f"the rules said {grade}" + (f": {rule}" if rule else "")
        if new == "none":
            return "none", f"no evidence of benefit, as the text reads as a whole: {why}; {said}"
        return new, f"{new} evidence of benefit, as the text reads as a whole: {why}; {said}"

    def summary(self) -> dict:
        """What the evidence stage records about the model (no weights)."""
        trained = self.meta.get("trained_on", {})
        return {"min_sentences": self.min_sentences, "sha256": self.sha256, "sklearn": self.meta.get("sklearn", ""),
                "n_texts": trained.get("n_texts"), "n_terms": len(self.terms)}


def _build(data: dict, fields: dict) -> GradeCheck:
    if tuple(data["classes"]) != CLASSES:
        raise ValueError(f"classes {data['classes']!r}, expected {list(CLASSES)}")
    n = len(CLASSES)
    terms = {str(t): (float(v[0]), tuple(float(w) for w in v[1:1 + n])) for t, v in data["terms"].items()}
    if any(len(w) != n for _, w in terms.values()):
        raise ValueError(f"each term needs its idf and {n} weights")
    rules = {str(g): tuple(float(w) for w in data["rules"][g]) for g in CLASSES}
    intercept = tuple(float(w) for w in data["intercept"])
    if len(intercept) != n or any(len(w) != n for w in rules.values()):
        raise ValueError(f"the intercept and each grade's weights need {n} numbers")
    return GradeCheck(intercept=intercept, rules=rules, terms=terms, **fields)


def _parse(text: str, where: str) -> GradeCheck:
    return parse_text_model(text, where, "grade check", FORMAT, _build)


def load_check_model(model: str | os.PathLike | GradeCheck | None = "packaged") -> GradeCheck | None:
    """The grade check: the packaged one, one read from a path, or ``None`` (the rules' grade stands).

    ``"packaged"`` is ``soa_analysis/rubrics/evidence_check_model.json``; a path beginning
    ``soa_analysis/rubrics/`` names a file shipped in the package.
    """
    return load_model(model, kind=GradeCheck, default=MODEL_FILE, parse=_parse, what="grade check")
