"""Partner organisations named in a submission, typed by ``reference/partners.yaml``.

Partner types: local_authority, nhs_board, police, fire_rescue, enterprise, transport,
skills, dwp, further_higher_education, housing, third_sector, community, business,
other_public. Patterns are compiled once; overlapping matches resolve to the longest
("Lothian and Borders Police" is police, not a council mention).

Speed: each pattern carries the literal words every match of it must contain
(:func:`required_literals`, read from the compiled pattern), and a pattern is only run
over a text that contains all of them (case-folded; the needles a text holds are found in
one pass over it by an Aho-Corasick automaton, :func:`_needles_in`). Most of the ~150 patterns name
organisations a given submission never mentions, so most are never run. A pattern that
does run is tried only where a match can start: a few characters before each occurrence
of its first literal (:func:`literal_anchor`), unless that distance is unbounded. Both
give exactly the matches of ``finditer`` over the whole text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from ..errors import TaxonomyError
from ..reference import load_councils, load_partner_types

__all__ = ["find_partners", "fold", "literal_anchor", "partner_types", "required_literals"]

_SPACE = re.compile(r"\s+")
_UNNAMED = re.compile(r"\((?:[a-z ]+ )?not named\)")


def partner_types() -> list[str]:
    """Partner type ids, in the order of ``partners.yaml``."""
    return list(load_partner_types())


def _council_alternation() -> str:
    forms: set[str] = set()
    for c in load_councils():
        for f in (c["name"], *c["aliases"]):
            if not re.search(r"Council|Partnership|Alliance|,", f):
                forms.add(f)
    words = lambda f: r"\s+".join(r"(?:and|&)" if w == "and" else re.escape(w) for w in f.split())  # noqa: E731
    return "(?-i:" + "|".join(words(f) for f in sorted(forms, key=len, reverse=True)) + ")"


# Characters outside ASCII that Python's case-insensitive matching equates with an ASCII
# letter: simple lower-case mappings ("\u0130" -> i, Kelvin sign -> k) and re's extra
# equivalences (dotless i, long s). Folded before lower-casing so that a literal found by
# the regex engine is always found by ``in`` on the folded text.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLD_CHARS = tuple(chr(c) for c in _FOLD)


def fold(text: str) -> str:
    """``text`` lower-cased for the literal prefilter (see :data:`_FOLD`); same length,
    character for character, so positions in the folded text are positions in ``text``.

    Example
    -------
    >>> fold("NHS Fife")
    'nhs fife'
    """
    if text.isascii() or not any(c in text for c in _FOLD_CHARS):  # (translate is slow; these are rare)
        return text.lower()
    return text.translate(_FOLD).lower()


def _parse(pattern: str, flags: int):
    """The stdlib's parse tree of ``pattern`` (``(constants, parsed)``), or None."""
    try:
        from re import _constants as C  # noqa: N812 - the stdlib's own parser
        from re import _parser as P

        return C, P, P.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - any doubt means "no prefilter", never a wrong skip
        return None


def _safe_literal(run: str) -> str | None:
    """``run`` folded, when it can serve as a needle (ASCII, one character per character)."""
    folded = fold(run)
    return folded if folded.strip() and run.isascii() and len(folded) == len(run) else None


def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Literal strings (folded) that every match of ``pattern`` contains.

    Runs of literal characters are collected along the pattern's top-level sequence,
    through groups and through repeats of at least one; zero-width assertions do not
    break a run; alternations, classes and optional parts end it. A pattern whose
    structure cannot be read yields ``()`` (no prefilter: the pattern always runs).

    Example
    -------
    >>> required_literals(r"NHS Ayrshire (?:and|&) Arran")
    ('nhs ayrshire ', ' arran')
    >>> required_literals(r"Job ?centre Plus")
    ('job', 'centre plus')
    """
    tree = _parse(pattern, flags)
    if tree is None:
        return ()
    C, _, parsed = tree
    runs: list[str] = []

    def walk(items) -> None:
        cur: list[str] = []

        def flush() -> None:
            if cur:
                runs.append("".join(cur))
                cur.clear()

        for op, av in items:
            if op is C.LITERAL:
                cur.append(chr(av))
            elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
                continue  # zero width: the characters either side are adjacent in the text
            else:
                flush()
                if op is C.SUBPATTERN:
                    walk(av[-1])
                elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1:
                    walk(av[2])
        flush()

    try:
        walk(parsed.data)
    except Exception:  # noqa: BLE001 - a parse tree not as expected: no prefilter
        return ()
    out = []
    for run in runs:
        folded = _safe_literal(run)
        if folded and folded not in out:
            out.append(folded)
    return tuple(out)


def literal_anchor(pattern: str, flags: int = 0, *, max_spread: int = 64) -> tuple[str, int, int] | None:
    r"""The first literal run of ``pattern`` (folded) and the least and greatest number of
    characters any match has before it, or None (no leading run, or a spread over
    ``max_spread``, e.g. a repeat without bound before it).

    Example
    -------
    >>> literal_anchor(r"(?<![\w-])(?:the |local )?police(?! scotland)")
    ('police', 0, 6)
    >>> literal_anchor(r"(?:[A-Z][a-z]+ ){1,3}College") is None
    True
    """
    tree = _parse(pattern, flags)
    if tree is None:
        return None
    C, P, parsed = tree
    try:
        return _anchor_of(C, P, parsed, max_spread)
    except Exception:  # noqa: BLE001 - a parse tree not as expected: no anchor
        return None


def _anchor_of(C, P, parsed, max_spread: int) -> tuple[str, int, int] | None:  # noqa: N803
    def flat(items):
        for op, av in items:
            if op is C.SUBPATTERN:  # a group's items are part of the sequence
                yield from flat(av[-1])
            else:
                yield op, av

    lo = hi = 0
    cur: list[str] = []
    start = (0, 0)
    for op, av in flat(parsed.data):
        if op is C.LITERAL:
            if not cur:
                start = (lo, hi)
            cur.append(chr(av))
            lo, hi = lo + 1, hi + 1
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        elif cur:
            break
        else:
            wlo, whi = P.SubPattern(parsed.state, [(op, av)]).getwidth()
            lo, hi = lo + wlo, hi + whi
            if hi - lo > max_spread:
                return None
    literal = _safe_literal("".join(cur)) if cur else None
    if literal is None or start[1] - start[0] > max_spread:
        return None
    return literal, start[0], start[1]


@dataclass(frozen=True)
class _Pattern:
    """One compiled partners.yaml pattern with its prefilter."""

    tid: str
    canonical: str
    rx: re.Pattern
    needles: tuple[str, ...]
    anchor: tuple[str, int, int] | None

    def finditer(self, text: str, folded: str):
        """The matches of ``rx.finditer(text)`` (``folded`` is ``fold(text)``)."""
        if all(n in folded for n in self.needles):
            yield from self.scan(text, folded)

    def scan(self, text: str, folded: str):
        """:meth:`finditer` for a text known to hold every needle."""
        if self.anchor is None:
            yield from self.rx.finditer(text)
            return
        literal, lo, hi = self.anchor
        match = self.rx.match
        pos = 0  # positions before pos are tried or inside an earlier match
        i = folded.find(literal)
        while i != -1:
            s, stop = max(pos, i - hi), i - lo
            while s <= stop:
                m = match(text, s)
                if m:
                    yield m
                    s = m.end()  # never empty: a match holds the literal
                else:
                    s += 1
            pos = max(pos, s)
            i = folded.find(literal, i + 1)


@lru_cache(maxsize=1)
def _compiled() -> list[_Pattern]:
    """The patterns of partners.yaml with their prefilters, in file order."""
    council_alt = _council_alternation()
    out = []
    for tid, spec in load_partner_types().items():
        for org in spec["organisations"]:
            for pat in org["patterns"]:
                src = pat.replace("{council}", council_alt)
                try:
                    rx = re.compile(rf"(?<![\w-]){src}(?![\w-])", re.IGNORECASE)
                except re.error as exc:
                    raise TaxonomyError(f"partners.yaml: bad pattern {pat!r} for {org['canonical']!r}: {exc}") from None
                out.append(_Pattern(tid, org["canonical"], rx, required_literals(rx.pattern, rx.flags),
                                    literal_anchor(rx.pattern, rx.flags)))
    return out


# Needles shorter than this are looked for one by one (``in``): a letter or two ("c", "&")
# occurs so often that reporting every occurrence would cost more than the search.
_AUTOMATON_MIN_CHARS = 3


@lru_cache(maxsize=1)
def _needle_index():
    """The needles of every pattern: an Aho-Corasick automaton of the longer ones (pyahocorasick)
    and a tuple of the short ones (see :data:`_AUTOMATON_MIN_CHARS`)."""
    import ahocorasick

    needles = sorted({n for pat in _compiled() for n in pat.needles})
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for n in needles:
        if len(n) >= _AUTOMATON_MIN_CHARS:
            automaton.add_word(n, n)
    if len(automaton):
        automaton.make_automaton()
    else:
        automaton = None
    return automaton, tuple(n for n in needles if len(n) < _AUTOMATON_MIN_CHARS)


def _needles_in(folded: str) -> set[str]:
    """The patterns' needles that occur in ``folded`` (a :func:`fold` of the text), from one pass over
    it: a pattern may match only when it holds every needle of that pattern, as ``needle in folded``
    tested one by one would find (the automaton reports every occurrence, overlapping ones too)."""
    automaton, short = _needle_index()
    held = {n for _end, n in automaton.iter(folded)} if automaton is not None else set()
    held.update(n for n in short if n in folded)
    return held


def _canonical(template: str, written: str) -> str:
    if template == "{name}":
        return written
    if "{council}" not in template:
        return template
    from .councils import resolve_council

    name, _ = resolve_council(written)
    return template.replace("{council}", name) if name else _SPACE.sub(" ", written.strip())


def find_partners(text: str) -> list[dict]:
    """Partner organisations named in ``text``.

    Parameters
    ----------
    text : str
        Narrative, e.g. a "Partners involved" answer or a whole submission.

    Returns
    -------
    list of dict
        In order of first mention, one per canonical organisation: ``name`` (as written,
        first mention), ``partner_type`` (type id), ``canonical`` (reference name; for
        generic mentions such as "local businesses" a descriptive canonical name). An
        unnamed mention ("the police", "colleges") is dropped when the text also names an
        organisation of that type ("Grampian Police").

    Example
    -------
    >>> [p["partner_type"] for p in find_partners("NHS Fife, Fife Constabulary and the CVS")]
    ['nhs_board', 'police', 'third_sector']
    """
    if not text:
        return []
    folded = fold(text)
    held = _needles_in(folded)
    hits = []
    for pat in _compiled():
        if held.issuperset(pat.needles):
            for m in pat.scan(text, folded):
                hits.append((m.start(), m.end(), pat.tid, pat.canonical))
    # longest first; drop any hit overlapping an accepted one
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    starts: list[int] = []  # accepted spans are disjoint: kept sorted by start
    ends: list[int] = []
    accepted = []
    for start, end, tid, canonical in hits:
        k = bisect_left(starts, end)  # spans before k start before this hit ends
        if k and ends[k - 1] > start:  # the last of them ends latest (disjoint, sorted)
            continue
        starts.insert(k, start)
        ends.insert(k, end)
        accepted.append((start, end, tid, canonical))
    accepted.sort()
    out, seen = [], set()
    for start, end, tid, template in accepted:
        written = " ".join(text[start:end].split())  # (= _SPACE.sub(" ", ...strip()): \s is str.isspace)
        if written.lower().startswith("the "):
            written = written[4:]
        canonical = _canonical(template, written)
        if (tid, canonical) in seen:
            continue
        seen.add((tid, canonical))
        out.append({"name": written, "partner_type": tid, "canonical": canonical})
    # "the police" after "Grampian Police" is the same force: drop unnamed mentions of a type
    # when the text names an organisation of that type
    named_types = {p["partner_type"] for p in out if not _UNNAMED.search(p["canonical"])}
    return [p for p in out if not (_UNNAMED.search(p["canonical"]) and p["partner_type"] in named_types)]
