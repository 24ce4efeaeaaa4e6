"""Which of the 32 Scottish councils (and so which CPP) a submission comes from.

The reference list is ``soa_analysis/reference/councils.csv``: canonical name, slug,
current and pre-2019 GSS codes, aliases (including CPP names such as "Edinburgh
Partnership" or "Inverclyde Alliance") and e-mail domains. Functions here resolve a
field value, an e-mail address, running text or a file name to ``(name, gss_code)``;
``("", "")`` means "could not decide".
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..reference import load_councils

__all__ = [
    "resolve_council",
    "council_from_email",
    "council_from_text",
    "council_from_filename",
    "find_council_mentions",
    "council_codes",
]

NOT_FOUND = ("", "")

# Phrases that contain a council name without pointing at that council's area: "Highlands?
# (?:and|&) Islands|Lothian (?:and|&) Borders|...|[A-Z][a-z]+ Road|[A-Z][a-z]+ Street", written
# with the capital every one starts with in front (each alternative checks it with a look-behind),
# so that the regex engine skips straight to capitals instead of trying every alternative at
# every position; same matches.
_MASKS = re.compile(
    r"[A-Z](?:(?<=H)ighlands? (?:and|&) Islands|(?<=L)othian (?:and|&) Borders|(?<=A)yrshire (?:and|&) Arran"
    r"|(?<=G)reater Glasgow (?:and|&) Clyde|(?<=P)ort Glasgow|(?<=U)niversity of [A-Z][a-z]+|[a-z]+ Road"
    r"|[a-z]+ Street)",
)
# "Angus" is also a forename: in running text it counts only when not followed by a surname.
# (``\bAngus`` written as "A" then the look-behind that \b is before a letter, so that the
# engine searches for the literal "A" first; same matches.)
_ANGUS_FORENAME = re.compile(r"A(?<!\w.)ngus(?= (?!Council|Community|Partnership|CPP|Alliance|area)[A-Z][a-z])")
_CORPORATE_SUFFIX = re.compile(r"\s+(?:Council|Community Planning Partnership|CPP|Partnership|Alliance)\b")
_STRIP_FIELD = re.compile(
    r"^(?:the\s+)?|\s+(?:council|community planning partnership|cpp|partnership|alliance|area)\s*$", re.IGNORECASE
)
_GSS = re.compile(r"\bS12\d{6}\b")
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9.\-]+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_FILE_SEP = re.compile(r"[_\-.+\s]+")
_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub(" ", text.replace("&", " and ").replace(",", " ")).strip().lower()


@lru_cache(maxsize=1)
def _index() -> tuple[dict, dict, dict, list]:
    by_key: dict[str, dict] = {}
    by_code: dict[str, dict] = {}
    by_domain: dict[str, dict] = {}
    surface: list[tuple[str, dict]] = []
    for c in load_councils():
        by_code[c["gss_code"]] = c
        by_code[c["old_gss_code"]] = c
        for form in (c["name"], c["slug"].replace("-", " "), *c["aliases"]):
            by_key[_key(form)] = c
            surface.append((form, c))
        for d in c["email_domains"]:
            by_domain[d] = c
    surface.sort(key=lambda fc: -len(fc[0]))
    return by_key, by_code, by_domain, surface


def _form_regex(form: str) -> str:
    words = [r"(?:and|&)" if w in ("and", "&") else re.escape(w) for w in form.split()]
    return r"\s+".join(words)


@lru_cache(maxsize=2)
def _mention_pattern(ignore_case: bool) -> re.Pattern:
    _, _, _, surface = _index()
    forms = [_form_regex(f) for f, _ in surface if "," not in f]
    if not ignore_case and all(f[:1].isalpha() for f in forms):
        # the forms grouped by their first letter ("E(?:ast\s+Lothian|dinburgh|...)|F(?:ife|...)"), in
        # their order within each group: forms with different first letters never match at the same
        # place, so the matches are the same, and the engine tries one branch a letter instead of
        # every form at the start of every word
        groups: dict[str, list[str]] = {}
        for f in forms:
            groups.setdefault(f[0], []).append(f[1:])
        alt = "|".join(f"{first}(?:{'|'.join(rest)})" for first, rest in groups.items())
    else:
        alt = "|".join(forms)
    return re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.IGNORECASE if ignore_case else 0)


def _lookup_form(form: str) -> dict | None:
    # every surface form's key is in by_key (built from the same forms), so a key missing
    # there matches no form
    return _index()[0].get(_key(form))


def _result(c: dict | None) -> tuple[str, str]:
    return (c["name"], c["gss_code"]) if c else NOT_FOUND


def council_codes() -> dict[str, str]:
    """Map every GSS code (current and pre-2019) to the council's current code.

    Example
    -------
    >>> council_codes()["S12000015"]
    'S12000047'
    """
    _, by_code, _, _ = _index()
    return {code: c["gss_code"] for code, c in by_code.items()}


def resolve_council(text: str) -> tuple[str, str]:
    """Resolve a council name, alias, CPP name or GSS code to ``(canonical name, current GSS code)``.

    Parameters
    ----------
    text : str
        A field value such as "Fife Partnership", "Comhairle nan Eilean Siar",
        "S12000046", "Perth & Kinross Council" or "The Highland Council".

    Returns
    -------
    tuple of str
        ``(name, gss_code)``, or ``("", "")`` when nothing matches. When the text names
        several councils, the first named wins.

    Example
    -------
    >>> resolve_council("Inverclyde Alliance")
    ('Inverclyde', 'S12000018')
    >>> resolve_council("S12000046")
    ('Glasgow City', 'S12000049')
    """
    if not text or not text.strip():
        return NOT_FOUND
    _, by_code, _, _ = _index()
    code = _GSS.search(text)
    if code and code.group(0) in by_code:
        return _result(by_code[code.group(0)])
    stripped = text.strip().strip(".:;")
    c = _lookup_form(stripped) or _lookup_form(_STRIP_FIELD.sub("", stripped))
    if c:
        return _result(c)
    m = _mention_pattern(True).search(_MASKS.sub(lambda mm: "#" * len(mm.group(0)), text))
    return _result(_lookup_form(m.group(0))) if m else NOT_FOUND


def council_from_email(address: str) -> tuple[str, str]:
    """The council whose e-mail domain an address (or bare domain) belongs to.

    Sub-domains count ("x@fife.gcsx.gov.uk" is Fife: the secure-mail ``gcsx`` label is
    ignored). NHS, police and other partners' domains give ``("", "")``.

    Example
    -------
    >>> council_from_email("a.person@cne-siar.gov.uk")
    ('Na h-Eileanan Siar', 'S12000013')
    """
    if not address:
        return NOT_FOUND
    m = _EMAIL_DOMAIN.search(address)
    domain = (m.group(1) if m else address).lower().strip(". ")
    domain = domain.replace(".gcsx.", ".").replace(".gsx.", ".")
    _, _, by_domain, _ = _index()
    parts = domain.split(".")
    for i in range(len(parts) - 1):
        cand = ".".join(parts[i:])
        if cand in by_domain:
            return _result(by_domain[cand])
    return NOT_FOUND


def find_council_mentions(text: str, *, ignore_case: bool = False) -> list[dict]:
    """Council mentions in running text, with positions.

    Phrases that contain a council's name without meaning its area are skipped:
    "Highlands and Islands Enterprise" is not Highland, "Lothian and Borders Police" is
    not the Scottish Borders, "Angus Smith" is a person. "Fife Constabulary" still
    points at Fife.

    Returns
    -------
    list of dict
        Keys: name, gss_code, matched (as written), start, end, corporate (True when
        followed by Council/Partnership/CPP/Alliance).
    """
    if not text:
        return []
    masked = _MASKS.sub(lambda m: "#" * len(m.group(0)), text)
    if not ignore_case:
        masked = _ANGUS_FORENAME.sub("#####", masked)
    out = []
    for m in _mention_pattern(ignore_case).finditer(masked):
        c = _lookup_form(m.group(0))
        if not c:
            continue
        out.append({
            "name": c["name"], "gss_code": c["gss_code"], "matched": text[m.start():m.end()],
            "start": m.start(), "end": m.end(),
            "corporate": bool(_CORPORATE_SUFFIX.match(text, m.end())) or "Council" in m.group(0)
            or "Partnership" in m.group(0) or "Alliance" in m.group(0),
        })
    return out


def council_from_text(text: str, *, title: str = "", min_score: float = 2.0) -> tuple[str, str]:
    """The council a narrative is prominently about, or ``("", "")``.

    Each mention scores 1; a mention in the title or the first 300 characters, or a
    corporate one ("Fife Council", "Edinburgh Partnership"), scores 2 more. The best
    council must reach ``min_score`` (so one passing mention is not enough) and beat
    the runner-up.

    Example
    -------
    >>> council_from_text("Moray Council and partners ran the scheme across Moray.")
    ('Moray', 'S12000020')
    """
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    codes: dict[str, str] = {}
    for offset, chunk in ((0, title), (len(title) + 1, text)):
        for m in find_council_mentions(chunk):
            s = 1.0
            if chunk is title or m["start"] < 300:
                s += 2
            if m["corporate"]:
                s += 2
            scores[m["name"]] = scores.get(m["name"], 0) + s
            first.setdefault(m["name"], offset + m["start"])
            codes[m["name"]] = m["gss_code"]
    if not scores:
        return NOT_FOUND
    ranked = sorted(scores, key=lambda n: (-scores[n], first[n]))
    best = ranked[0]
    if scores[best] < min_score or (len(ranked) > 1 and scores[ranked[1]] == scores[best]):
        return NOT_FOUND
    return best, codes[best]


def council_from_filename(file_name: str) -> tuple[str, str]:
    """The council named in a file name or path ("north_lanarkshire_2010.docx", "FifeSOA.pdf").

    Example
    -------
    >>> council_from_filename("raw/2010/perth-and-kinross_case_study.docx")
    ('Perth and Kinross', 'S12000048')
    """
    if not file_name:
        return NOT_FOUND
    base = re.split(r"[\\/]", file_name)
    for part in reversed(base):
        words = _FILE_SEP.sub(" ", _CAMEL.sub(" ", part))
        mentions = find_council_mentions(words, ignore_case=True)
        if mentions:
            best = max(mentions, key=lambda m: m["end"] - m["start"])
            return best["name"], best["gss_code"]
    return NOT_FOUND
