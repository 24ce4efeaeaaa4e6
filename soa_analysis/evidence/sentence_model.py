"""A learned check on which sentences carry evidence of benefit.

The rubric's rules (``rubrics/evidence_rubric.yaml``) say what each sentence supports from the
features its patterns find. On real council text the rules' errors are mostly about *which*
sentence counts: an output of the service or a description of the process read as a result,
a finding phrased in words the patterns miss. The sentence model is a logistic regression
over the rubric's own output for a sentence (its features, the rule that fired, the rule's
strength, the section) and the sentence's words and word pairs, fitted on real texts
labelled sentence by sentence (``benchmarks/real_text/sentence_model.py``). Its weights ship
as data (``rubrics/evidence_sentence_model.json``): vocabulary and numbers, no sentence, with
the ids of the texts it learned from and the scikit-learn version that fitted it. Prediction
needs nothing but this module: the probability is the logistic function of the intercept plus
the weights of the terms present (every term is present or absent).

How the model and the rules combine is the model file's ``policy`` (chosen by leaving one
real-text part out, see the benchmark's README):

``model``
    A sentence counts as evidence when the model's probability reaches ``threshold``; its
    strength is then the rules' (``strong`` when a rule says so, else ``some``). A sentence
    the rules grade some or strong but the model does not count is graded none.
``gate``
    A sentence the rules grade some or strong counts when the probability reaches
    ``threshold``; a sentence the rules do not grade counts (as some) only when it reaches
    ``promote``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from functools import cached_property

from ..errors import TaxonomyError
from .modelfile import load_model, logistic, read_json

__all__ = ["SentenceModel", "load_sentence_model", "sentence_terms", "text_terms", "sentence_words", "POLICIES",
           "MODEL_FILE"]

MODEL_FILE = "evidence_sentence_model.json"
POLICIES = ("model", "gate")
FORMAT = 1

_WORD = re.compile(r"[a-z][a-z'\u2019-]*[a-z]|[a-z]|\d+(?:[.,]\d+)*|[%£]")


def sentence_words(sentence: str) -> list[str]:
    """The sentence's words, lower-cased, every number written ``0`` (``%`` and ``£`` kept as words).

    Example
    -------
    >>> sentence_words("Falls fell by 12% in 2019.")
    ['falls', 'fell', 'by', '0', '%', 'in', '0']
    """
    # a number starts with a decimal digit (str.isdecimal is what \d matches)
    words = _WORD.findall(sentence.lower())
    if "\u2019" in sentence:
        return ["0" if w[0].isdecimal() else w.replace("\u2019", "'") for w in words]
    return ["0" if w[0].isdecimal() else w for w in words]


def sentence_terms(sentence: str, features, strength: str, rule: str, section: str) -> list[str]:
    """The terms the sentence model reads for one graded sentence (each present or absent).

    Parameters
    ----------
    sentence : str
    features : iterable of str
        The rubric feature ids found in the sentence (``figure:percent``, ``future_only`` ...).
    strength : str
        The rules' strength for the sentence (after the section cap).
    rule : str
        The explanation of the sentence rule that fired ("" when none did); a cap note is dropped.
    section : str
        The template section the sentence is in.

    Returns
    -------
    list of str
        ``rule=<strength>``, ``why=<rule>``, ``section=<section>``, ``feat=<id>`` and
        ``fam=<family>`` for each feature, ``w=<word>`` and ``w=<word> <word>`` for the words.

    Example
    -------
    >>> sentence_terms("Falls fell.", ["change:down"], "none", "", "text")[:4]
    ['rule=none', 'section=text', 'feat=change:down', 'fam=change']
    """
    return _terms(sentence, features, strength, rule, section)[0]


def _terms(sentence: str, features, strength: str, rule: str, section: str) -> tuple[list[str], list[str]]:
    """:func:`sentence_terms`, and those of them a neighbour reads (:func:`text_terms`): the
    ``rule=``, ``why=`` and ``fam=`` terms, in order."""
    head = [f"rule={strength}"]
    why = rule.split(" (capped")[0]
    if why:
        head.append(f"why={why}")
    feats, fams = [], []
    for f in sorted(features):
        feats.append(f"feat={f}")
        fam = f.split(":", 1)[0]
        if fam != f and fam not in fams:
            fams.append(fam)
    fams = [f"fam={f}" for f in fams]
    words = sentence_words(sentence)
    terms = [*head, f"section={section}", *feats, *fams]
    terms += ["w=" + w for w in words]
    terms += [f"w={a} {b}" for a, b in zip(words, words[1:])]
    context = head + fams
    return list(dict.fromkeys(terms)), context  # each term once, in order (the context's are distinct)


def text_terms(sentences) -> list[list[str]]:
    """The terms of every graded sentence of one text, with what the sentence model reads around it.

    Parameters
    ----------
    sentences : list of tuple
        ``(sentence, features, strength, rule, section)`` for each sentence, in text order.

    Returns
    -------
    list of list of str
        Per sentence, :func:`sentence_terms` and: its place (``pos=0`` .. ``pos=3`` for the first
        three and any later one, ``pos=last``); the rubric's reading of the sentences before and
        after it (``prev:``/``next:`` + ``rule=``, ``fam=`` and ``why=`` terms); and the text's
        own make-up (``doc_rule=`` the strongest strength the rules give any of its sentences,
        strong, some or none, planned read as none,
        ``doc_future=`` lo/mid/hi share of sentences in the future tense, ``doc_n=`` 1/2/3
        for under 5, under 15, or more sentences).

    Example
    -------
    >>> [t for t in text_terms([("Falls fell.", ["change:down"], "none", "", "text")])[0] if "=" in t][-4:]
    ['pos=last', 'doc_rule=none', 'doc_future=lo', 'doc_n=1']
    """
    both = [_terms(*s) for s in sentences]
    base = [ts for ts, _ in both]
    context = [c for _, c in both]  # what a neighbour reads of each
    n = len(base)
    if not n:
        return []
    future = sum(1 for ts in base if "feat=future" in ts) / n
    strongest = max((s[2] for s in sentences), key=lambda g: _RANK3.get(g, 0))
    doc = [f"doc_rule={strongest if strongest in _RANK3 else 'none'}",
           f"doc_future={'hi' if future > 0.3 else 'mid' if future > 0.1 else 'lo'}",
           f"doc_n={1 if n < 5 else 2 if n < 15 else 3}"]
    out = []
    for k, ts in enumerate(base):
        extra = [_POS[min(k, 3)]] + (["pos=last"] if k == n - 1 else [])
        if k > 0:
            extra += ["prev:" + t for t in context[k - 1]]
        if k + 1 < n:
            extra += ["next:" + t for t in context[k + 1]]
        out.append(ts + extra + doc)
    return out


_RANK3 = {"none": 0, "planned": 0, "some": 1, "strong": 2}
_POS = [f"pos={k}" for k in range(4)]


@dataclass(frozen=True)
class SentenceModel:
    """Fitted weights of the sentence model and how it combines with the rules.

    Attributes
    ----------
    intercept : float
    weights : dict
        Term (see :func:`sentence_terms`) -> weight.
    threshold : float
        Probability from which a sentence counts (``model``) or a rules-graded sentence is kept (``gate``).
    promote : float
        ``gate`` only: probability from which a sentence the rules do not grade counts as some.
    policy : str
        ``model`` or ``gate``.
    meta : dict
        Where the weights came from: sources, scikit-learn version, rubric version, figures.
    sha256 : str
        Of the file's bytes (recorded in the evidence stage's fingerprint and meta).
    min_sentences : int
        The model decides only in a text of at least this many graded sentences; a shorter
        passage (a sentence or two) is graded by the rules alone. The model learns from pages of
        real text, where a sentence's place and neighbours mean something; a one-sentence passage
        is its text's first and last sentence at once.
    """

    intercept: float
    weights: dict
    threshold: float
    promote: float
    policy: str
    meta: dict
    sha256: str = ""
    min_sentences: int = 1

    def applies(self, n_sentences: int) -> bool:
        """Whether the model decides for a text of ``n_sentences`` graded sentences."""
        return n_sentences >= self.min_sentences

    def weighed(self, terms) -> dict[str, float]:
        """The terms present (each once) that have a weight, with it: what :meth:`probability`,
        :meth:`top_terms` and :meth:`explain` read, looked up once for a sentence and passed to each."""
        weight = self.weights.get
        return {t: w for t in set(terms) if (w := weight(t)) is not None}

    def probability(self, terms, weighed: dict | None = None) -> float:
        """The probability that a sentence with these terms carries evidence of benefit."""
        weighed = self.weighed(terms) if weighed is None else weighed
        # the terms without a weight add nothing; fsum is exact, so the sum does not depend on the terms'
        # order (a set's order changes with the process's hash seed)
        z = self.intercept + math.fsum(weighed.values())
        return logistic(z)

    def top_terms(self, terms, k: int = 3, sign: int = 1, weighed: dict | None = None) -> list[tuple[str, float]]:
        """The ``k`` present terms that pushed the probability most up (``sign=1``) or down (``-1``):
        the largest weights first, ties by term."""
        weighed = self.weighed(terms) if weighed is None else weighed
        order, rank = self._ranking
        # the terms' places in the model's ranking sort them as (-abs(weight), term) would
        best = sorted([rank[t] for t, w in weighed.items() if w * sign > 0])[:k]
        return [(order[i], weighed[order[i]]) for i in best]

    @cached_property
    def _ranking(self) -> tuple[list[str], dict[str, int]]:
        """Every weighted term in :meth:`top_terms`'s order (largest weight first, ties by term), and its place."""
        order = sorted(self.weights, key=lambda t: (-abs(self.weights[t]), t))
        return order, {t: i for i, t in enumerate(order)}

    def decide(self, rule_strength: str, p: float) -> str:
        """The sentence's strength from the rules' strength and the model's probability."""
        graded = rule_strength in ("some", "strong")
        if self.policy == "model":
            counts = p >= self.threshold
        else:  # gate
            counts = p >= self.threshold if graded else p >= self.promote
        if counts:
            return rule_strength if graded else "some"
        return "none" if graded else rule_strength

    def explain(self, terms, p: float, k: int = 3, weighed: dict | None = None) -> str:
        """``model p=0.83 (+ w=said, + feat=testimony; - feat=future)`` for a sentence's rule text."""
        weighed = self.weighed(terms) if weighed is None else weighed
        order, rank = self._ranking
        ups, downs = [], []  # top_terms(k, 1) and top_terms(k, -1), from one pass down the ranking
        for i in sorted(map(rank.__getitem__, weighed)):
            t = order[i]
            w = weighed[t]
            if w > 0:
                if len(ups) < k:
                    ups.append(t)
            elif w < 0 and len(downs) < k:
                downs.append(t)
            if len(ups) >= k and len(downs) >= k:
                break
        up = ", ".join(f"+ {t}" for t in ups)
        down = ", ".join(f"- {t}" for t in downs)
        inner = "; ".join(x for x in (up, down) if x)
        return f"sentence model p={p:.2f}" + (f" ({inner})" if inner else "")

    def summary(self) -> dict:
        """What the evidence stage records about the model (no weights)."""
        trained = self.meta.get("trained_on", {})
        return {"policy": self.policy, "threshold": self.threshold, "promote": self.promote, "sha256": self.sha256,
                "sklearn": self.meta.get("sklearn", ""), "rubric_version": self.meta.get("rubric_version", ""),
                "n_texts": trained.get("n_texts"), "n_sentences": trained.get("n_sentences"),
                "n_weights": len(self.weights), "min_sentences": self.min_sentences}

    def to_json(self) -> str:
        """The model as the JSON the package ships (sorted, stable)."""
        return json.dumps({"format": FORMAT, "policy": self.policy, "threshold": self.threshold,
                           "promote": self.promote, "min_sentences": self.min_sentences,
                           "intercept": self.intercept, "meta": self.meta,
                           "weights": dict(sorted(self.weights.items()))}, indent=1, sort_keys=False,
                          ensure_ascii=False) + "\n"


def _parse(text: str, where: str) -> SentenceModel:
    data = read_json(text, where, "sentence model", FORMAT)
    try:
        policy = data["policy"]
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        model = SentenceModel(intercept=float(data["intercept"]), weights=weights, threshold=float(data["threshold"]),
                              promote=float(data.get("promote", 1.0)), policy=policy, meta=dict(data.get("meta", {})),
                              min_sentences=int(data.get("min_sentences", 1)),
                              sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TaxonomyError(f"sentence model {where}: missing or malformed field ({exc})") from None
    if policy not in POLICIES:
        raise TaxonomyError(f"sentence model {where}: policy must be one of {POLICIES}, not {policy!r}")
    if not (0.0 <= model.threshold <= 1.0 and 0.0 <= model.promote <= 1.0):
        raise TaxonomyError(f"sentence model {where}: threshold and promote must lie in [0, 1]")
    return model


def load_sentence_model(model: str | os.PathLike | SentenceModel | None = "packaged") -> SentenceModel | None:
    """The sentence model: the packaged one, one read from a path, or ``None`` (rules only).

    Parameters
    ----------
    model : "packaged", path-like, SentenceModel or None
        ``"packaged"`` is ``soa_analysis/rubrics/evidence_sentence_model.json``; a path
        beginning ``soa_analysis/rubrics/`` names a file shipped in the package.

    Raises
    ------
    InputError
        If the file does not exist.
    TaxonomyError
        If the file is malformed.
    """
    return load_model(model, kind=SentenceModel, default=MODEL_FILE, parse=_parse, what="sentence model")
