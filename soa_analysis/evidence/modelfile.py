"""Where the grader's learned models come from (the sentence model, the planned model and the grade check), and
what the two that read a whole text share (:class:`TextModel`).

A model is a JSON file of a known ``format``: shipped in the package (``soa_analysis/rubrics/``, parsed once per
process and shared) or read from a path. Each model's module parses the fields it needs (``parse(text, where)``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Callable

import numpy as np

from ..errors import InputError, TaxonomyError

__all__ = ["PACKAGED", "TextModel", "load_model", "logistic", "parse_text_model", "read_json"]

PACKAGED = "soa_analysis/rubrics/"


def logistic(z: float) -> float:
    """The logistic function of a model's score (0 far below, where ``exp`` would overflow)."""
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def read_json(text: str, where: str, what: str, fmt: int) -> dict:
    """The model file's JSON object; ``TaxonomyError`` naming ``what`` and ``where`` if it is not one of format ``fmt``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"{what} {where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise TaxonomyError(f"{what} {where}: expected a JSON object with format {fmt}")
    return data


@dataclass(frozen=True, eq=False, kw_only=True)
class TextModel:
    """What a model that reads a whole text has: its vocabulary's terms, read as scikit-learn's ``TfidfVectorizer``
    with ``sublinear_tf`` weighs them, and the limits of what it reads.

    Attributes
    ----------
    terms : dict
        Term (a word or a pair of words, as scikit-learn's analyser writes them) -> ``(idf, weight or weights)``.
    min_sentences : int
        Texts of fewer graded sentences keep the rules' grade.
    ngram_range : tuple of int
    meta : dict
        What it learned from (parts, numbers of texts), the scikit-learn version, the figures of its choice.
    sha256 : str
        Digest of the model file (part of the evidence stage's cache keys).
    """

    terms: dict
    min_sentences: int = 3
    ngram_range: tuple = (1, 2)
    meta: dict = field(default_factory=dict)
    sha256: str = ""

    @cached_property
    def _tfidf(self):
        """scikit-learn's vectoriser with the model's vocabulary and idf, and the terms in column order."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        names = sorted(self.terms)
        vec = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(names)}, ngram_range=tuple(self.ngram_range),
                              sublinear_tf=True)
        vec.idf_ = np.array([self.terms[t][0] for t in names], dtype=np.float64)
        return vec, names

    def vector(self, text: str):
        """The text's tf-idf row (``1 + log(count)`` times idf, scaled to unit length), as a sparse row."""
        return self._tfidf[0].transform([text])

    def applies(self, n_sentences: int) -> bool:
        """Whether a text of ``n_sentences`` graded sentences is read by the model."""
        return n_sentences >= self.min_sentences

    def weighed(self, x, weight: np.ndarray, k: int = 3) -> str:
        """``+ will, + 2019; - was``: the ``k`` terms of the text's row ``x`` that weighed most for and against, by
        ``weight`` (one per term, in column order); "" when none weighed."""
        names = self._tfidf[1]
        parts = sorted(((float(v * weight[j]), names[j]) for j, v in zip(x.indices, x.data)),
                       key=lambda t: (-abs(t[0]), t[1]))
        ups = [n for c, n in parts if c > 0][:k]
        downs = [n for c, n in parts if c < 0][:k]
        return "; ".join(s for s in (", ".join(f"+ {t}" for t in ups), ", ".join(f"- {t}" for t in downs)) if s)


def parse_text_model(text: str, where: str, what: str, fmt: int, build: Callable[[dict, dict], "TextModel"]):
    """A :class:`TextModel` from a model file's ``text``: ``build(data, fields)`` makes it from the JSON object and
    the common fields (:func:`text_model_fields`); a missing or malformed field, or no term, is a ``TaxonomyError``
    naming ``what`` and ``where``."""
    data = read_json(text, where, what, fmt)
    try:
        model = build(data, text_model_fields(data, text))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise TaxonomyError(f"{what} {where}: malformed ({exc!r})") from None
    if not model.terms:
        raise TaxonomyError(f"{what} {where}: at least one term is needed")
    return model


def text_model_fields(data: dict, text: str) -> dict:
    """The :class:`TextModel` fields of a model file's JSON object ``data`` (its ``text``, for the digest), other
    than the terms."""
    import hashlib

    return {"min_sentences": int(data.get("min_sentences", 3)),
            "ngram_range": tuple(int(n) for n in data.get("ngram_range", (1, 2))),
            "meta": dict(data.get("meta", {})), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


@lru_cache(maxsize=16)
def _packaged(name: str, parse: Callable, what: str):
    ref = resources.files("soa_analysis").joinpath("rubrics", name)
    if not ref.is_file():
        raise InputError(f"packaged {what} {name} not found")
    return parse(ref.read_text(encoding="utf-8"), PACKAGED + name)


def load_model(model, *, kind: type, default: str, parse: Callable, what: str):
    """``model`` itself when it is ``None`` or a ``kind``; else the model ``"packaged"`` (the file ``default``
    shipped in the package), a path beginning ``soa_analysis/rubrics/`` (a file shipped in the package) or a path.

    Raises
    ------
    InputError
        If the file does not exist.
    TaxonomyError
        If it is malformed (``parse``'s errors).
    """
    if model is None or isinstance(model, kind):
        return model
    if isinstance(model, str) and model == "packaged":
        return _packaged(default, parse, what)
    if isinstance(model, str) and model.startswith(PACKAGED):
        return _packaged(model[len(PACKAGED):], parse, what)
    if not os.path.isfile(model):
        raise InputError(f"{what} {model} not found")
    with open(model, encoding="utf-8") as fh:
        return parse(fh.read(), str(model))
