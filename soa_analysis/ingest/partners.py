"""Partner organisations named in a submission, typed by ``reference/partners.yaml``.

Partner types: local_authority, nhs_board, police, fire_rescue, enterprise, transport,
skills, dwp, further_higher_education, housing, third_sector, community, business,
other_public. Patterns are compiled once; overlapping matches resolve to the longest
("Lothian and Borders Police" is police, not a council mention).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import TaxonomyError
from ..reference import load_councils, load_partner_types

__all__ = ["find_partners", "partner_types"]

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


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, str, re.Pattern]]:
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
                out.append((tid, org["canonical"], rx))
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
    hits = []
    for tid, canonical, rx in _compiled():
        for m in rx.finditer(text):
            hits.append((m.start(), m.end(), tid, canonical))
    # longest first; drop any hit overlapping an accepted one
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken: list[tuple[int, int]] = []
    accepted = []
    for start, end, tid, canonical in hits:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
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
