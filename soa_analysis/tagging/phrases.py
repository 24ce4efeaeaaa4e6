"""The one phrase index: where a taxonomy's phrases occur in a sentence, and what counts.

The priorities and the National Outcomes (:class:`~soa_analysis.tagging.lexicon.LexiconTagger`,
and the stage's corpus engine :func:`~soa_analysis.tagging.corpus.match_lexicon`, which walks
the same entries as a trie), the added-value themes and the 2012 guidance expectations
(:mod:`soa_analysis.evidence.themes`) and the highlighter (:func:`phrase_spans`) all find their
phrases here, on the one tokeniser (:mod:`soa_analysis.tagging.tokens`) and Porter stems.

A phrase **occurs** in a sentence where its stems
(:func:`~soa_analysis.tagging.text.phrase_stems`) are consecutive stems of the sentence's
words (:meth:`PhraseIndex.find`). Occurrences become **matches** by one of two rules, both
here and nowhere else:

:func:`resolve`, the tagging rule (priorities, National Outcomes)
    1. a word covered by one of the category's exclusions ("older buildings") counts for
       no phrase of that category;
    2. of overlapping occurrences of a category the longest wins (between equal lengths the
       leftmost, then the entry first in the index: longest phrase, then phrase text);
    3. a phrase whose first word is in the scope of a negation ("no impact on older people")
       does not count; in the scope of a hedge ("might indirectly help jobs") it counts at
       half its weight.

:func:`first_longest`, the reading rule (added-value themes, guidance expectations)
    1. as above: words covered by an exclusion count for no phrase of the category;
    2. the sentence is read left to right: at each word the longest phrase starting there
       is taken and reading resumes after it; negation and hedges are not read (a theme
       of question 5 is named, not claimed).

The two rules are kept apart because the added-value grades were measured with the second;
moving the themes to the first changes their scores (a decision for the rubric, not a
refactoring). Each match carries its token span, its weight and its phrase, so every score
can say which words it rests on.
"""

from __future__ import annotations

from ..errors import TaxonomyError
from .text import phrase_stems, stems
from .tokens import word_spans, words

__all__ = ["PhraseIndex", "resolve", "first_longest", "phrase_spans"]


class PhraseIndex:
    """Weighted phrases of several categories, indexed by their stem sequences.

    Parameters
    ----------
    entries : iterable of (int, str, float, bool)
        ``(category index, phrase, weight, is_exclusion)``.
    names : sequence of str, optional
        The categories' ids, and ``source`` the file they come from: for error messages.

    Attributes
    ----------
    by_first : dict
        First stem -> list of ``(stems, category, weight, phrase, is_exclusion)``, longest
        first, then by phrase text.
    first_stems : frozenset
        The stems a phrase can start with (a sentence holding none of them has no match).

    Raises
    ------
    TaxonomyError
        If a phrase has no words.

    Example
    -------
    >>> from soa_analysis.tagging.text import analyse
    >>> index = PhraseIndex([(0, "older people", 1.0, False), (0, "older buildings", 0.0, True)])
    >>> [index.match(s) for s in analyse("Repairs to older buildings helped older people. Not older people.")]
    [{0: [(5, 7, 1.0, 'older people')]}, {}]
    """

    def __init__(self, entries, *, names=(), source="phrases"):
        by_first: dict[str, list] = {}
        for ci, phrase, weight, exclusion in entries:
            key = phrase_stems(phrase)
            if not key:
                of = f" of {names[ci]!r}" if ci < len(names) else ""
                raise TaxonomyError(f"{source}: phrase {phrase!r}{of} has no words")
            by_first.setdefault(key[0], []).append((key, ci, 0.0 if exclusion else float(weight), phrase,
                                                    bool(exclusion)))
        one: dict[str, list] = {}
        two: dict[tuple, list] = {}
        for v in by_first.values():
            v.sort(key=lambda e: (-len(e[0]), e[3]))
            for e in v:
                if len(e[0]) == 1:
                    one.setdefault(e[0][0], []).append(e)
                else:
                    two.setdefault(e[0][:2], []).append(e)
        self.by_first = by_first
        self.first_stems = frozenset(by_first)
        self._one = one
        self._two = two

    def entries(self):
        """Every entry, by first stem, then longest first, then phrase text (the index's order)."""
        for first in sorted(self.by_first):
            yield from self.by_first[first]

    def find(self, st: list[str]) -> list[tuple]:
        """Every occurrence of an entry's stems in ``st``, before resolution.

        Returns
        -------
        list of tuple
            ``(category, start, end, weight, phrase, is_exclusion)``, ``[start, end)`` token
            positions, by start and then in the index's order.
        """
        firsts = self.first_stems
        if firsts.isdisjoint(st):
            return []
        one, two = self._one, self._two
        found: list[tuple] = []
        n = len(st)
        hit = firsts.intersection(st)
        if len(hit) * 4 < n:  # few candidate stems: find their positions with list methods
            positions = []
            for s in hit:
                i = st.index(s)
                positions.append(i)
                for _ in range(st.count(s) - 1):
                    i = st.index(s, i + 1)
                    positions.append(i)
            positions.sort()
        else:
            positions = [i for i, s in enumerate(st) if s in hit]
        for i in positions:
            s = st[i]
            entries = one.get(s)
            if entries is not None:
                for key, ci, w, phrase, excl in entries:
                    found.append((ci, i, i + 1, w, phrase, excl))
            if i + 1 < n:
                entries = two.get((s, st[i + 1]))
                if entries is not None:
                    for key, ci, w, phrase, excl in entries:
                        L = len(key)
                        if L == 2 or (i + L <= n and tuple(st[i:i + L]) == key):
                            found.append((ci, i, i + L, w, phrase, excl))
        return found

    def match(self, sent) -> dict[int, list[tuple]]:
        """The matches in one :class:`~soa_analysis.tagging.text.AnalysedSentence`, by category.

        :meth:`find`, then :func:`resolve` (the tagging rule) with the sentence's negation
        and hedge scopes.

        Returns
        -------
        dict
            category -> list of ``(start, end, weight, phrase)`` in token order.
        """
        found = self.find(sent.stems)
        return resolve(found, *sent.cues()) if found else {}


def _longest_first(f):
    return (f[1] - f[2], f[1])


def _by_category(found: list[tuple]) -> dict[int, list[tuple]]:
    by_cat: dict[int, list[tuple]] = {}
    for f in found:
        by_cat.setdefault(f[0], []).append(f)
    return by_cat


def resolve(found: list[tuple], negated=None, hedged=None) -> dict[int, list[tuple]]:
    """The tagging rule (see the module): occurrences to matches, per category.

    Parameters
    ----------
    found : list of tuple
        ``(category, start, end, weight, phrase, is_exclusion)`` in :meth:`PhraseIndex.find`'s order.
    negated, hedged : list of bool, optional
        Per token: in a negation / hedge scope (:func:`~soa_analysis.tagging.text.cue_flags`).

    Returns
    -------
    dict
        category -> list of ``(start, end, weight, phrase)`` in token order.
    """
    out: dict[int, list[tuple]] = {}
    for ci, fs in _by_category(found).items():
        if len(fs) == 1:  # the common case: one match, nothing to resolve
            _, a, b, w, phrase, excl = fs[0]
            if excl or (negated is not None and negated[a]):
                continue
            if hedged is not None and hedged[a]:
                w *= 0.5
            out[ci] = [(a, b, w, phrase)]
            continue
        excluded = [(a, b) for _, a, b, _, _, excl in fs if excl]
        fs.sort(key=_longest_first)
        taken: list[tuple[int, int]] = []
        kept = []
        for _, a, b, w, phrase, excl in fs:
            if excl or (negated is not None and negated[a]):
                continue
            clash = False
            for ea, eb in excluded:
                if a < eb and ea < b:
                    clash = True
                    break
            if not clash:
                for ta, tb in taken:
                    if a < tb and ta < b:
                        clash = True
                        break
            if clash:
                continue
            if hedged is not None and hedged[a]:
                w *= 0.5
            taken.append((a, b))
            kept.append((a, b, w, phrase))
        if kept:
            kept.sort()
            out[ci] = kept
    return out


def _starts_then_longest(f):
    return (f[1], f[1] - f[2])


def first_longest(found: list[tuple]) -> dict[int, list[tuple]]:
    """The reading rule (see the module): occurrences to matches, per category.

    Parameters
    ----------
    found : list of tuple
        ``(category, start, end, weight, phrase, is_exclusion)`` as :meth:`PhraseIndex.find`
        gives them. A category should hold one entry per stem sequence (else the first in
        the index's order is taken).

    Returns
    -------
    dict
        category -> list of ``(start, end, weight, phrase)`` in token order.

    Example
    -------
    >>> from soa_analysis.tagging.text import analyse
    >>> index = PhraseIndex([(0, "joint working", 1.0, False), (0, "working together", 1.0, False)])
    >>> [first_longest(index.find(s.stems)) for s in analyse("Joint working together. No joint working.")]
    [{0: [(0, 2, 1.0, 'joint working')]}, {0: [(1, 3, 1.0, 'joint working')]}]
    """
    out: dict[int, list[tuple]] = {}
    for ci, fs in _by_category(found).items():
        blocked = set()
        for _, a, b, _, _, excl in fs:
            if excl:
                blocked.update(range(a, b))
        fs.sort(key=_starts_then_longest)
        kept = []
        pos = 0
        for _, a, b, w, phrase, excl in fs:
            if excl or a < pos or (blocked and not blocked.isdisjoint(range(a, b))):
                continue
            kept.append((a, b, w, phrase))
            pos = b
        if kept:
            out[ci] = kept
    return out


def phrase_spans(sentence: str, phrases) -> list[tuple[int, int]]:
    """Character spans of ``phrases`` in ``sentence``, found by their stems (for highlighting).

    Every occurrence of each phrase's stems counts (a phrase the tagger matched is highlighted
    wherever it stands in the sentence); used for evidence rows that recorded no spans.

    Example
    -------
    >>> phrase_spans("Less reoffending by offenders", ["offender"])
    [(20, 29)]
    """
    st = stems(words(sentence))
    spans = word_spans(sentence)
    out = []
    for p in phrases:
        key = phrase_stems(str(p))
        L = len(key)
        for i in range(len(st) - L + 1):
            if L and tuple(st[i:i + L]) == key:
                out.append((spans[i][0], spans[i + L - 1][1]))
    return out
