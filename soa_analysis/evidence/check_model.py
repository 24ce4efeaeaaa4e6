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

It also reads what the sentence model made of the text (:func:`sentence_features`: the highest and second-highest
probability it gave any sentence it read, and the share of the text's sentences it gave at least even odds), so a
text whose evidence the model found likely but not likely enough to count is weighed with its words; a grader
without a sentence model keeps the rules' grade where the check was fitted beside one.

Where it names another grade than the rules' (planned counts as none) and is surer of it than of the rules' grade by
at least the file's ``margin`` (its probability of the one less its probability of the other), the grade is its: the
rules' some or strong becomes none (and the planned model then decides none or planned), the rules' none or planned
becomes some or strong, strong becomes some or some strong. A margin keeps the rules' grade where the check leans
only a little the other way: left out part by part over the studied texts, it changed fewer grades for about the
same agreement with the readers, and made fewer parts worse than the rules. It reads only a narrative without the
template (a submission on the form keeps the rules' grade: its sections say where the evidence is) of at least
``min_sentences`` graded sentences. The grade's rule text then gives the probabilities and the words that weighed
most, and the rules' own grade and reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .modelfile import TextModel, load_model, parse_text_model

__all__ = ["GradeCheck", "check_grade", "load_check_model", "sentence_features", "MODEL_FILE", "CLASSES", "SENTENCE_FEATURES"]

MODEL_FILE = "evidence_check_model.json"
FORMAT = 1
CLASSES = ("strong", "some", "none")
SENTENCE_FEATURES = ("top", "second", "share")


def sentence_features(probabilities, n_sentences: int) -> tuple[float, float, float]:
    """What the check reads of the sentence model, in the order of :data:`SENTENCE_FEATURES`: the highest and the
    second-highest of the ``probabilities`` it gave the text's sentences it read (0 where there are fewer), and the
    share of the text's ``n_sentences`` graded sentences it gave at least 0.5.

    Example
    -------
    >>> sentence_features([0.2, 0.9, 0.6], 4)
    (0.9, 0.6, 0.5)
    >>> sentence_features([], 3)
    (0.0, 0.0, 0.0)
    """
    ps = sorted((float(p) for p in probabilities), reverse=True)
    top = ps[0] if ps else 0.0
    second = ps[1] if len(ps) > 1 else 0.0
    return top, second, sum(p >= 0.5 for p in ps) / max(1, n_sentences)


def three(grade: str) -> str:
    """A grade on the three-grade scale the check decides on (planned counts as none).

    Example
    -------
    >>> three("planned"), three("some")
    ('none', 'some')
    """
    return "none" if grade in ("none", "planned") else grade


def check_grade(probabilities, rules_grade: str, margin: float = 0.0) -> str:
    """The grade (three grades) once the check's ``probabilities`` of :data:`CLASSES` are read beside the rules'
    grade: its likeliest grade where that is another than the rules' and likelier than the rules' by at least
    ``margin``; else the rules' grade (planned counted as none).

    Example
    -------
    >>> check_grade([0.1, 0.5, 0.4], "none"), check_grade([0.1, 0.5, 0.4], "planned", margin=0.25)
    ('some', 'none')
    """
    new, old = int(np.argmax(probabilities)), CLASSES.index(three(rules_grade))
    return CLASSES[new] if new != old and probabilities[new] - probabilities[old] >= margin else CLASSES[old]


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
    sentence : dict
        Each of :data:`SENTENCE_FEATURES` -> its weight for each class (empty: a check that does not read the
        sentence model).
    margin : float
        How much likelier the check must find its grade than the rules' grade to take its place (0: whenever its
        likeliest grade is another).
    """

    intercept: tuple
    rules: dict
    sentence: dict = field(default_factory=dict)
    margin: float = 0.0

    @cached_property
    def _weights(self) -> np.ndarray:
        """The terms' weights (terms x classes), in the vectoriser's column order."""
        names = self._tfidf[1]
        return np.array([self.terms[t][1] for t in names], dtype=np.float64).reshape(len(names), len(CLASSES))

    @cached_property
    def _sentence_weights(self) -> np.ndarray:
        """The sentence features' weights (features x classes), in the order of :data:`SENTENCE_FEATURES`."""
        return np.array([self.sentence[f] for f in SENTENCE_FEATURES], dtype=np.float64)

    def _probabilities(self, x, rules_grade: str, reads=None) -> np.ndarray:
        z = np.asarray(self.intercept, dtype=np.float64) + np.asarray(self.rules[three(rules_grade)], dtype=np.float64)
        z = z + x.data @ self._weights[x.indices] if x.nnz else z
        if self.sentence:
            z = z + np.asarray(reads, dtype=np.float64) @ self._sentence_weights
        e = np.exp(z - z.max())
        return e / e.sum()

    def probabilities(self, text: str, rules_grade: str, reads=(0.0, 0.0, 0.0)) -> dict:
        """The model's probability of each grade of :data:`CLASSES` for ``text`` the rules graded ``rules_grade``
        and of which the sentence model ``reads`` :func:`sentence_features` (used when the check reads them)."""
        return dict(zip(CLASSES, (float(p) for p in self._probabilities(self.vector(text), rules_grade, reads))))

    def explain(self, x, p: np.ndarray, grade: str, k: int = 3, reads=None) -> str:
        """``grade check some p=0.71 (+ pupils, + improved; - will; the sentence model's likeliest sentence 0.80)``:
        the grade, its probability, the terms that weighed most for and against it and, when the check reads the
        sentence model, the highest probability it gave a sentence."""
        c = CLASSES.index(grade)
        inner = self.weighed(x, self._weights[:, c], k)
        if self.sentence and reads is not None:
            inner = "; ".join(s for s in (inner, f"the sentence model's likeliest sentence {reads[0]:.2f}") if s)
        return f"grade check {grade} p={p[c]:.2f}" + (f" ({inner})" if inner else "")

    def decide(self, grade: str, rule: str, sentences, probabilities=None) -> tuple[str, str]:
        """The submission's grade and rule once the check has read its graded ``sentences`` (joined) beside the
        rules' ``grade`` and the sentence model's ``probabilities`` for the sentences it read (``None``: no
        sentence model read the text); unchanged for a text of fewer than ``min_sentences``, where the check reads
        the sentence model and no model read the text, where the check agrees, or where it finds its own grade
        likelier than the rules' by less than :attr:`margin`."""
        if not self.applies(len(sentences)) or (self.sentence and probabilities is None):
            return grade, rule
        reads = sentence_features(probabilities, len(sentences)) if self.sentence else None
        x = self.vector(" ".join(sentences))
        p = self._probabilities(x, grade, reads)
        new = check_grade(p, grade, self.margin)
        if new == three(grade):
            return grade, rule
        why = self.explain(x, p, new, reads=reads)
        said = f"the rules said {grade}" + (f": {rule}" if rule else "")
        if new == "none":
            return "none", f"no evidence of benefit, as the text reads as a whole: {why}; {said}"
        return new, f"{new} evidence of benefit, as the text reads as a whole: {why}; {said}"

    def summary(self) -> dict:
        """What the evidence stage records about the model (no weights)."""
        trained = self.meta.get("trained_on", {})
        return {"min_sentences": self.min_sentences, "margin": self.margin, "sha256": self.sha256,
                "sklearn": self.meta.get("sklearn", ""),
                "n_texts": trained.get("n_texts"), "n_terms": len(self.terms), "reads_sentence_model": bool(self.sentence)}


def _build(data: dict, fields: dict) -> GradeCheck:
    if tuple(data["classes"]) != CLASSES:
        raise ValueError(f"classes {data['classes']!r}, expected {list(CLASSES)}")
    n = len(CLASSES)
    terms = {str(t): (float(v[0]), tuple(float(w) for w in v[1:1 + n])) for t, v in data["terms"].items()}
    if any(len(w) != n for _, w in terms.values()):
        raise ValueError(f"each term needs its idf and {n} weights")
    rules = {str(g): tuple(float(w) for w in data["rules"][g]) for g in CLASSES}
    intercept = tuple(float(w) for w in data["intercept"])
    sentence = {str(f): tuple(float(w) for w in data["sentence"][f]) for f in SENTENCE_FEATURES} \
        if "sentence" in data else {}
    if len(intercept) != n or any(len(w) != n for w in (*rules.values(), *sentence.values())):
        raise ValueError(f"the intercept and each grade's and sentence feature's weights need {n} numbers")
    margin = float(data.get("margin", 0.0))
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin {margin!r}: a difference of two probabilities, at least 0 and below 1")
    return GradeCheck(intercept=intercept, rules=rules, sentence=sentence, terms=terms, margin=margin, **fields)


def _parse(text: str, where: str) -> GradeCheck:
    return parse_text_model(text, where, "grade check", FORMAT, _build)


def load_check_model(model: str | os.PathLike | GradeCheck | None = "packaged") -> GradeCheck | None:
    """The grade check: the packaged one, one read from a path, or ``None`` (the rules' grade stands).

    ``"packaged"`` is ``soa_analysis/rubrics/evidence_check_model.json``; a path beginning
    ``soa_analysis/rubrics/`` names a file shipped in the package.
    """
    return load_model(model, kind=GradeCheck, default=MODEL_FILE, parse=_parse, what="grade check")
