"""Indicators a submission cites by name ("positive destinations", "emergency admissions 65+").

The phrases come from the crosswalk (indicator names as CPOP and the Menu of Local Outcome
Indicators use them; a short list written for the workbench), so a citation links straight to the indicator, its priorities and its National Outcomes. Matching
is on whole words, ignoring case, with a hyphen or spaces between words alike; each match
carries the sentence it stands in, so a reader can check it. Regular expressions only: the
shared report imports this module, and it must stay light.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from .crosswalk import Crosswalk, load_crosswalk

__all__ = ["find_indicator_mentions", "indicator_mentions", "MENTION_COLUMNS"]

MENTION_COLUMNS = ("submission_id", "council", "indicator", "label", "priorities", "phrase", "sentence")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\u2018\u201c])|\n\s*\n|\n(?=\s*[-*\u2022\d])")
_MAX_SENTENCE = 400


def _phrase_regex(phrase: str) -> str:
    words = re.split(r"[\s\-]+", phrase.strip())
    return r"[\s\-]+".join(re.escape(w) for w in words if w)


@lru_cache(maxsize=8)
def _pattern(cw: Crosswalk) -> tuple[re.Pattern, dict[str, str]]:
    by_phrase: dict[str, str] = {}
    for ind in cw.indicators:
        for p in ind.phrases:
            by_phrase[_norm(p)] = ind.id
    phrases = sorted(by_phrase, key=len, reverse=True)  # the longest phrase wins at a position
    alt = "|".join(_phrase_regex(p) for p in phrases)
    return re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.IGNORECASE), by_phrase


@lru_cache(maxsize=8)
def _lower_pattern(cw: Crosswalk) -> re.Pattern | None:
    """:func:`_pattern` without IGNORECASE, for lower-cased ASCII text (the phrases are case-folded,
    so it finds the same matches at the same places, several times faster); ``None`` when a phrase
    is not lower case."""
    pattern = _pattern(cw)[0].pattern
    return re.compile(pattern) if pattern == pattern.lower() and pattern.isascii() else None


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.strip().casefold())


def _sentence_around(text: str, start: int, end: int) -> str:
    left = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 2000), min(len(text), start + 1)):
        if m.end() <= start:
            left = m.end()
    m = _SENTENCE_END.search(text, end)
    right = m.start() if m else len(text)
    s = " ".join(text[left:right].split())
    if len(s) > _MAX_SENTENCE:
        mid = (start - left)
        lo = max(0, mid - _MAX_SENTENCE // 2)
        s = ("…" if lo else "") + s[lo:lo + _MAX_SENTENCE] + "…"
    return s


def find_indicator_mentions(text: str, crosswalk: Crosswalk | None = None) -> list[dict]:
    """Indicators cited by name in ``text``, once per indicator, with the first sentence.

    Returns
    -------
    list of dict
        Keys: indicator (crosswalk id), phrase (as written), sentence, start, end.

    Example
    -------
    >>> [m["indicator"] for m in find_indicator_mentions(
    ...     "Emergency admissions 65+ fell. Positive-destinations rose; positive destinations matter.")]
    ['emergency_admissions_65', 'positive_destinations']
    """
    if not text:
        return []
    cw = crosswalk or load_crosswalk()
    pat, by_phrase = _pattern(cw)
    haystack = text
    if text.isascii() and (lower := _lower_pattern(cw)) is not None:  # lower() keeps ASCII text's positions
        pat, haystack = lower, text.lower()
    seen: set[str] = set()
    out = []
    for m in pat.finditer(haystack):
        phrase = text[m.start():m.end()]  # as written
        iid = by_phrase.get(_norm(phrase))
        if iid is None or iid in seen:
            continue
        seen.add(iid)
        out.append({"indicator": iid, "phrase": phrase, "sentence": _sentence_around(text, m.start(), m.end()),
                    "start": m.start(), "end": m.end()})
    return out


def indicator_mentions(submissions: pd.DataFrame, crosswalk: Crosswalk | None = None, *, known=None) -> pd.DataFrame:
    """Every indicator each submission cites by name.

    Parameters
    ----------
    submissions : pandas.DataFrame
        The processed ``submissions`` table (``submission_id``, ``council``, ``text``).
    crosswalk : Crosswalk, optional
    known : callable, optional
        ``known(text, find)``: the mentions of a text, as ``(indicator, phrase, sentence)`` tuples,
        from ``find()`` or from an earlier run's (the report's :class:`soa_analysis.report.carry.Carry`);
        default: ``find()`` for every text.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MENTION_COLUMNS`; ``priorities`` is the indicator's priority ids,
        ``;``-separated. Text is as in the submission (contact details were removed at
        ingest); escape it before showing it.
    """
    cw = crosswalk or load_crosswalk()
    rows = []
    for sid, council, text in zip(submissions["submission_id"].tolist(), submissions["council"].fillna("").tolist(),
                                  submissions["text"].fillna("").tolist()):
        text = str(text)

        def find(text=text) -> list[tuple[str, str, str]]:
            return [(m["indicator"], m["phrase"], m["sentence"]) for m in find_indicator_mentions(text, cw)]

        for iid, phrase, sentence in (find() if known is None else known(text, find)):
            ind = cw.get(iid)
            rows.append({"submission_id": sid, "council": council, "indicator": ind.id, "label": ind.label,
                         "priorities": ";".join(ind.priorities), "phrase": phrase, "sentence": sentence})
    return pd.DataFrame(rows, columns=list(MENTION_COLUMNS))
