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

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import TaxonomyError
from .modelfile import load_model, read_json

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


@dataclass(frozen=True, eq=False)
class GradeCheck:
    """Intercepts, the rules' grade's weights, the vocabulary's idf and weights, one of each per class.

    Attributes
    ----------
    intercept : tuple of float
        One per class of :data:`CLASSES`.
    rules : dict
        The rules' grade (three grades) -> its weight for each class.
    terms : dict
        Term (a word or a pair of words, as scikit-learn's analyser writes them) -> ``(idf, weights per class)``.
    min_sentences : int
        Texts of fewer graded sentences keep the rules' grade.
    ngram_range : tuple of int
    meta : dict
        What it learned from (parts, numbers of texts), the scikit-learn version, the figures of its choice.
    sha256 : str
        Digest of the model file (part of the evidence stage's cache keys).
    """

    intercept: tuple
    rules: dict
    terms: dict
    min_sentences: int = 3
    ngram_range: tuple = (1, 2)
    meta: dict = field(default_factory=dict)
    sha256: str = ""

    @cached_property
    def _arrays(self):
        """scikit-learn's vectoriser with the model's vocabulary and idf, the weights (terms x classes), the terms
        in column order."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        names = sorted(self.terms)
        vec = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(names)}, ngram_range=tuple(self.ngram_range),
                              sublinear_tf=True)
        vec.idf_ = np.array([self.terms[t][0] for t in names], dtype=np.float64)
        weights = np.array([self.terms[t][1] for t in names], dtype=np.float64).reshape(len(names), len(CLASSES))
        return vec, weights, names

    def vector(self, text: str):
        """The text's tf-idf row (``1 + log(count)`` times idf, scaled to unit length), as a sparse row."""
        return self._arrays[0].transform([text])

    def _probabilities(self, x, rules_grade: str) -> np.ndarray:
        weights = self._arrays[1]
        z = np.asarray(self.intercept, dtype=np.float64) + np.asarray(self.rules[three(rules_grade)], dtype=np.float64)
        z = z + x.data @ weights[x.indices] if x.nnz else z
        e = np.exp(z - z.max())
        return e / e.sum()

    def probabilities(self, text: str, rules_grade: str) -> dict:
        """The model's probability of each grade of :data:`CLASSES` for ``text`` the rules graded ``rules_grade``."""
        return dict(zip(CLASSES, (float(p) for p in self._probabilities(self.vector(text), rules_grade))))

    def applies(self, n_sentences: int) -> bool:
        """Whether a text of ``n_sentences`` graded sentences is read by the check."""
        return n_sentences >= self.min_sentences

    def explain(self, x, p: np.ndarray, grade: str, k: int = 3) -> str:
        """``grade check some p=0.71 (+ pupils, + improved; - will)``: the grade, its probability and the terms
        that weighed most for and against it."""
        _, weights, names = self._arrays
        c = CLASSES.index(grade)
        parts = sorted(((float(v * weights[j, c]), names[j]) for j, v in zip(x.indices, x.data)),
                       key=lambda t: (-abs(t[0]), t[1]))
        ups = [n for w, n in parts if w > 0][:k]
        downs = [n for w, n in parts if w < 0][:k]
        inner = "; ".join(s for s in (", ".join(f"+ {t}" for t in ups), ", ".join(f"- {t}" for t in downs)) if s)
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


def _parse(text: str, where: str) -> GradeCheck:
    data = read_json(text, where, "grade check", FORMAT)
    try:
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
        model = GradeCheck(intercept=intercept, rules=rules, terms=terms,
                           min_sentences=int(data.get("min_sentences", 3)),
                           ngram_range=tuple(int(k) for k in data.get("ngram_range", (1, 2))),
                           meta=dict(data.get("meta", {})),
                           sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise TaxonomyError(f"grade check {where}: malformed ({exc!r})") from None
    if not terms:
        raise TaxonomyError(f"grade check {where}: at least one term is needed")
    return model


def load_check_model(model: str | os.PathLike | GradeCheck | None = "packaged") -> GradeCheck | None:
    """The grade check: the packaged one, one read from a path, or ``None`` (the rules' grade stands).

    ``"packaged"`` is ``soa_analysis/rubrics/evidence_check_model.json``; a path beginning
    ``soa_analysis/rubrics/`` names a file shipped in the package.
    """
    return load_model(model, kind=GradeCheck, default=MODEL_FILE, parse=_parse, what="grade check")
