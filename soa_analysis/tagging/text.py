"""Sentence analysis shared by the taggers: words, stems, negation and hedges.

All regular expressions of the tagging stage are compiled here, once. A sentence is
analysed into lower-case word tokens (hyphenated words split, so "anti-social" and
"anti social" agree), their Porter stems (through :func:`soa_analysis.nlp.stem`, with a
plain dict in front of it because the stage calls it millions of times), and, only when
the sentence holds a negation or hedge cue, per-token flags saying whether the token lies
in the cue's scope. A scope runs from the cue for a few tokens and ends at a clause break
(a comma, semicolon, colon, bracket, dash, or "but", "however", ...), so in "not aimed at
employment, but at older people" only "employment" is negated.
"""

from __future__ import annotations

import bisect
import re

from ..nlp import STOP_WORDS, split_sentences, stem
from .tokens import WORD_RE, normalise, token_spans, word_spans, words

__all__ = [
    "WORD_RE",
    "CITATION_RE",
    "CITATION_HINTS",
    "cites_outcome",
    "AnalysedSentence",
    "analyse",
    "as_document",
    "words",
    "word_spans",
    "stems",
    "token_spans",
    "cue_flags",
    "phrase_stems",
    "content_features",
    "split_sentences",
    "FEATURE_STOP_WORDS",
]

_CLAUSE_GAP = re.compile(r"[,;:()\[\]\u2013\u2014]|\s-\s")
CITATION_RE = re.compile(r"\bnational\s+outcomes?\b", re.IGNORECASE)
# What a sentence must hold before CITATION_RE is asked (cites_outcome; the corpus asks Arrow for them).
CITATION_HINTS = ("utcome", "UTCOME")

NEGATION_CUES = frozenset({
    "no", "not", "never", "without", "excluding", "except", "nor", "neither", "none", "nothing",
    "cannot", "unrelated", "outwith", "lack", "lacked", "lacking", "nobody",
})
_NEGATION_PAIRS = frozenset({("other", "than"), ("rather", "than"), ("apart", "from"), ("instead", "of"),
                             ("opposed", "to"), ("let", "alone"), ("aside", "from")})
_CANCEL_AFTER_NOT = frozenset({"only", "just", "least", "merely", "solely", "limited", "simply"})
HEDGE_CUES = frozenset({"indirectly", "incidentally", "possibly", "potentially", "marginally", "might",
                        "tangentially", "peripherally"})
_BREAK_WORDS = frozenset({"but", "however", "although", "though", "whereas", "while", "instead", "yet",
                          "unlike", "and_then"})
_ALL_CUES = NEGATION_CUES | HEDGE_CUES | {"other", "rather", "apart", "instead", "opposed", "let", "aside"}
NEGATION_WINDOW = 10
HEDGE_WINDOW = 5

# sklearn's stop list holds words that matter here ("fire", "full", "part", "system").
FEATURE_STOP_WORDS = frozenset(STOP_WORDS - {"fire", "full", "part", "system", "interest", "well", "found",
                                             "back", "move", "home", "bill", "call", "side", "top",
                                             "no", "not", "never", "without", "nothing", "none"})

_STEM_CACHE: dict[str, str] = {}


def cites_outcome(sentence: str) -> bool:
    """Whether ``sentence`` cites a "National Outcome" by name (its wording is then matched loosely).

    Example
    -------
    >>> cites_outcome("This supports National Outcome 6."), cites_outcome("Outcomes improved.")
    (True, False)
    """
    # the substring test first: the regular expression runs on few sentences
    return any(h in sentence for h in CITATION_HINTS) and CITATION_RE.search(sentence) is not None


def stems(tokens: list[str]) -> list[str]:
    """Porter stems of ``tokens`` ("'s" dropped), cached per token type."""
    cache = _STEM_CACHE
    try:
        return list(map(cache.__getitem__, tokens))  # the common case: every type seen before
    except KeyError:
        for t in tokens:
            if t not in cache:
                cache[t] = stem(t)
        return list(map(cache.__getitem__, tokens))


def phrase_stems(phrase: str) -> tuple[str, ...]:
    """The stem sequence a taxonomy phrase is matched on.

    Example
    -------
    >>> phrase_stems("Care at home")
    ('care', 'at', 'home')
    """
    return tuple(stems(words(phrase)))


def cue_flags(sentence: str, tokens: list[str]) -> tuple[list[bool], list[bool]] | None:
    """Which tokens lie in the scope of a negation cue, and which of a hedge.

    Parameters
    ----------
    sentence : str
        The sentence (used to find the clause breaks between tokens).
    tokens : list of str
        ``words(sentence)``.

    Returns
    -------
    (negated, hedged) or None
        Two lists of booleans, one per token; None when the sentence has no cue at all
        (the common case, kept cheap).

    Example
    -------
    >>> s = "It had no impact on older people, but helped employment."
    >>> neg, _ = cue_flags(s, words(s))
    >>> [t for t, n in zip(words(s), neg) if n]
    ['impact', 'on', 'older', 'people']
    """
    if _ALL_CUES.isdisjoint(tokens) and "n't" not in sentence and "n\u2019t" not in sentence:
        return None
    n = len(tokens)
    text = normalise(sentence)
    breaks = [t in _BREAK_WORDS for t in tokens]
    breaks[0] = False
    gaps = _CLAUSE_GAP.finditer(text)
    if next(gaps, None) is not None:
        # A clause break between tokens i - 1 and i: one of the gap's matches lies between
        # them (gap characters are never part of a token, so every match lies in one gap).
        starts = [a for a, _ in token_spans(sentence, tokens)]
        for m in _CLAUSE_GAP.finditer(text):
            i = bisect.bisect_right(starts, m.start())
            if 0 < i < n:
                breaks[i] = True
    negated = [False] * n
    hedged = [False] * n
    for i, t in enumerate(tokens):
        window = 0
        start = i + 1
        if t in NEGATION_CUES or t.endswith("n't"):
            if t in ("not",) or t.endswith("n't"):
                if i + 1 < n and tokens[i + 1] in _CANCEL_AFTER_NOT:
                    continue
            window, target = NEGATION_WINDOW, negated
        elif i + 1 < n and (t, tokens[i + 1]) in _NEGATION_PAIRS:
            window, target, start = NEGATION_WINDOW, negated, i + 2
        elif t in HEDGE_CUES:
            window, target = HEDGE_WINDOW, hedged
        if not window:
            continue
        for j in range(start, min(n, start + window)):
            if breaks[j]:
                break
            target[j] = True
    return negated, hedged


def content_features(tokens: list[str], token_stems: list[str], negated: list[bool] | None) -> list[str]:
    """Features for the supervised model: content stems (``not_`` prefixed inside a
    negation scope) and bigrams of consecutive content stems.

    Example
    -------
    >>> t = words("No impact on older people")
    >>> content_features(t, stems(t), [False, True, True, True, True])
    ['no', 'not_impact', 'not_older', 'not_peopl', 'no not_impact', 'not_impact not_older', 'not_older not_peopl']
    """
    stop = FEATURE_STOP_WORDS
    if negated is None:
        uni = [s for t, s in zip(tokens, token_stems) if t not in stop and not t[0].isdigit()]
    else:
        uni = [("not_" + s if neg else s) for t, s, neg in zip(tokens, token_stems, negated)
               if t not in stop and not t[0].isdigit()]
    return uni + [f"{a} {b}" for a, b in zip(uni, uni[1:])]


class AnalysedSentence:
    """One sentence, analysed once and shared by every phrase match and the supervised model.

    Attributes: ``section``, ``sentence``, ``tokens`` (:func:`words`), ``stems``; negation
    and hedge flags and character spans are computed on first use (:meth:`cues`, :meth:`spans`).
    """

    __slots__ = ("section", "sentence", "tokens", "stems", "negated", "hedged", "_cues_done", "_spans")

    def __init__(self, section, sentence, tokens, stems):
        self.section = section
        self.sentence = sentence
        self.tokens = tokens
        self.stems = stems
        self.negated = None
        self.hedged = None
        self._cues_done = False
        self._spans = None

    def __repr__(self):
        return f"AnalysedSentence({self.section!r}, {self.sentence!r})"

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def spans(self):
        """Character spans of the tokens (computed on first use)."""
        if self._spans is None:
            self._spans = token_spans(self.sentence, self.tokens)
        return self._spans

    def cues(self):
        """Negation and hedge flags (computed on first use; None lists when no cue)."""
        if not self._cues_done:
            flags = cue_flags(self.sentence, self.tokens)
            if flags is not None:
                self.negated, self.hedged = flags
            self._cues_done = True
        return self.negated, self.hedged


def as_document(doc) -> list[tuple[str, str]]:
    """Normalise a document to a list of (section, sentence).

    Accepts a string (split into sentences, section ``"text"``), a mapping of section name
    to text, or an iterable of (section, sentence) pairs.
    """
    if isinstance(doc, str):
        return [("text", s) for s in split_sentences(doc)]
    if isinstance(doc, dict):
        return [(sec, s) for sec, txt in doc.items() if isinstance(txt, str) and txt for s in split_sentences(txt)]
    if isinstance(doc, list) and all(type(p) is tuple and len(p) == 2 for p in doc):
        return doc
    return [(str(sec), str(s)) for sec, s in doc]


def analyse(doc) -> list[AnalysedSentence]:
    """Analyse a document (see :func:`as_document`) into :class:`AnalysedSentence` objects.

    Same tokens and stems as :func:`words` and :func:`stems`, inlined: this loop runs once
    per sentence of every submission. Sentences without a token are left out.

    Example
    -------
    >>> [s.stems for s in analyse("Older people's falls. ...")]
    [['older', 'peopl', 'fall']]
    """
    if isinstance(doc, list) and doc and isinstance(doc[0], AnalysedSentence):
        return doc
    findall = WORD_RE.findall
    getstem = _STEM_CACHE.__getitem__
    out = []
    append = out.append
    for sec, s in as_document(doc):
        toks = findall(normalise(s))
        if not toks:
            continue
        try:
            st = list(map(getstem, toks))
        except KeyError:
            st = stems(toks)
        append(AnalysedSentence(sec, s, toks, st))
    return out
