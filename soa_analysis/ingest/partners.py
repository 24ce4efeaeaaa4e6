"""Partner organisations named in a submission, typed by ``reference/partners.yaml``.

Partner types: local_authority, nhs_board, police, fire_rescue, enterprise, transport,
skills, dwp, further_higher_education, housing, third_sector, community, business,
other_public. Patterns are compiled once; overlapping matches resolve to the longest
("Lothian and Borders Police" is police, not a council mention).

Speed: each pattern carries the literal words every match of it must contain
(:func:`required_literals`, read from the compiled pattern), and a pattern is only run
over a text that contains all of them (case-folded). Most of the ~150 patterns name
organisations a given submission never mentions, so most are never run.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from ..errors import TaxonomyError
from ..reference import load_councils, load_partner_types

__all__ = ["find_partners", "partner_types", "required_literals"]

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


def fold(text: str) -> str:
    """``text`` lower-cased for the literal prefilter (see :data:`_FOLD`).

    Example
    -------
    >>> fold("NHS Fife")
    'nhs fife'
    """
    return text.translate(_FOLD).lower()


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
    try:
        from re import _constants as C, _parser as P  # noqa: N812 - the stdlib's own parser

        parsed = P.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - any doubt means "no prefilter", never a wrong skip
        return ()
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

    walk(parsed.data if hasattr(parsed, "data") else parsed)
    out = []
    for run in runs:
        folded = fold(run)
        # only ASCII literals whose folding is one character per character are safe needles
        if folded.strip() and run.isascii() and len(folded) == len(run) and folded not in out:
            out.append(folded)
    return tuple(out)


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, str, re.Pattern, tuple[str, ...]]]:
    """(type id, canonical template, compiled pattern, required folded literals), in file order."""
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
                out.append((tid, org["canonical"], rx, required_literals(rx.pattern, rx.flags)))
    return out


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
    hits = []
    for tid, canonical, rx, needles in _compiled():
        if all(n in folded for n in needles):
            for m in rx.finditer(text):
                hits.append((m.start(), m.end(), tid, canonical))
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
        written = _SPACE.sub(" ", text[start:end].strip())
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
