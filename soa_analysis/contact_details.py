"""Contact details: the one definition of e-mail addresses, phone numbers and the names beside them.

Ingest uses it to move contact details out of the narrative into the restricted contacts
table; the shared reports use it to remove any that remain. Both therefore agree on what a
contact detail is, in every disguise met so far:

- e-mail addresses as written (``jo.bloggs@fife.gov.uk``), with a full-width or small at
  sign (``＠``, ``﹫``), or spelled out: ``jo [at] fife [dot] gov [dot] uk``,
  ``jo (at) example (dot) org``, ``jamie.evid [at] fife dot gov dot uk``,
  ``jo at example dot org``;
- UK phone numbers with any of the usual separators (space, hyphen, dot, slash, brackets):
  ``0131 496 0000``, ``0131.496.0000``, ``01632/960113``, ``(0141) 496-0000``,
  ``+44 (0)131 496 0000``, ``0044 131 496 0000``; and other international numbers written
  with a leading ``+``;
- full-width digits and punctuation (folded to ASCII before matching, spans kept);
- a person's name just before a detail (``contact Jamie Example, Project Officer, on
  0131 ...``; ``NHS Highland Taylor Example jo@...``; a signature's name line), or in
  brackets just after it.

Matching is linear in the length of the text (no pattern can backtrack across a long run),
so it is safe on very large submissions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "EMAIL_MARK",
    "PHONE_MARK",
    "NAME_MARK",
    "Detail",
    "find_details",
    "find_emails",
    "find_phones",
    "redact_contact_details",
    "redaction_spans",
    "contacts_in_text",
    "TITLE_WORDS",
    "ORG_WORDS",
    "STRONG_ORG_WORDS",
]

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"
NAME_MARK = "[name removed]"
_MARKS = {"email": EMAIL_MARK, "phone": PHONE_MARK, "name": NAME_MARK}

# A length-preserving fold to ASCII, so that spans found on the folded text are spans of the
# original: full-width forms (U+FF01-FF5E), other at signs and full stops, dashes, odd spaces.
_FOLD = {0xFF01 + i: 0x21 + i for i in range(94)}
_FOLD.update({0xFE6B: 0x40, 0x3002: 0x2E, 0xFE52: 0x2E, 0xFF61: 0x2E, 0x2024: 0x2E, 0x2212: 0x2D, 0xFE63: 0x2D})
_FOLD.update({c: 0x2D for c in range(0x2010, 0x2016)})
_FOLD.update({c: 0x20 for c in (0x00A0, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))})
_FOLD_TABLE = _FOLD
_FOLDED_CHAR = re.compile("[" + re.escape("".join(map(chr, _FOLD))) + "]")


def _fold(text: str) -> str:
    # translate (slow) only when a character to fold is there
    return text if text.isascii() or not _FOLDED_CHAR.search(text) else text.translate(_FOLD_TABLE)


# --------------------------------------------------------------------------- e-mail

_BR_OPEN, _BR_CLOSE = r"[\[({<]", r"[\])}>]"
_AT = rf"(?P<at>\s?@\s?|\s?{_BR_OPEN}\s?at\s?{_BR_CLOSE}\s?|\s+at\s+)"
_DOT = rf"(?:\.|\s?{_BR_OPEN}\s?dot\s?{_BR_CLOSE}\s?|\s+dot\s+)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(
    rf"(?<![\w.%+'\-@])(?P<local>[A-Za-z0-9](?:[\w.%+'\-]*[\w%+'\-])?){_AT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})+)(?![\w@])",
    re.IGNORECASE,
)
_DOT_SPLIT = re.compile(_DOT, re.IGNORECASE)
_DOT_SEPS = re.compile(rf"(?<=[A-Za-z0-9]){_DOT}(?=[A-Za-z0-9])", re.IGNORECASE)
_TLD = re.compile(r"^[A-Za-z]{2,24}$")


def _email_value(m: re.Match) -> str | None:
    """The address a match spells (``local@domain``, lower-cased domain), or None if it is not one."""
    local, at, domain = m.group("local"), m.group("at"), m.group("domain")
    labels = _DOT_SPLIT.split(domain)
    if len(labels) < 2 or not _TLD.match(labels[-1]):
        return None
    seps = [s.group(0) for s in _DOT_SEPS.finditer(domain)]
    spelled = all(s != "." for s in seps)
    if at.strip() == "" or at.strip().lower() == "at":  # a bare " at ": prose unless the rest is disguised too
        if not spelled and (not re.search(r"[._\d]", local) or labels[0].lower() == "www"):
            return None
        if spelled and len(labels[-1]) > 6:
            return None
    return f"{local}@{'.'.join(labels).lower()}"


# --------------------------------------------------------------------------- phone

# A run of digit groups with the separators phone numbers are written with; runs are then
# cut into numbers by their digit counts (see _phones_in_run). That is
# "(?<![\w£$€%.,/+\-])(?:\+\s?|\(\s?)?\d(?:...)*", written with its first character ("+", "(" or a
# digit) in front and the look-behind after it, so that the regex engine skips to those characters
# instead of trying every position; same matches.
_PHONE_RUN = re.compile(
    r"[+(\d](?<![\w£$€%.,/+\-].)(?:(?<=[+(])\s?\d|(?<![+(]))(?:[\d()]|[ \-./]{1,3}(?=[(\d])|\s?\((?=\s?\d))*"
)
_GROUP = re.compile(r"\d+")


def _valid_phone(run: str, groups: list[re.Match], start: int) -> bool:
    text = run[start:groups[-1].end()]
    digits = "".join(g.group(0) for g in groups)
    if text.startswith("+") or digits.startswith("0044"):
        national = digits[2:] if text.startswith("+") else digits[4:]
        if text.startswith("+") and not digits.startswith("44"):
            return 8 <= len(digits) <= 15 and len(groups) <= 6
        if len(groups) > 1 and groups[1].group(0) == "0" and "(" in text:
            national = national[1:]  # +44 (0)131 ...
        return len(national) in (9, 10) and national[0] != "0" and len(groups) <= 6
    if not digits.startswith("0") or digits[1:2] == "0":
        return False
    if len(digits) not in (10, 11) or len(groups) > 4:
        return False
    if len(groups) > 1 and (len(groups[0].group(0)) < 3 or any(len(g.group(0)) < 2 for g in groups[1:])):
        return False
    return True


def _phones_in_run(run: str) -> list[tuple[int, int]]:
    """Spans (within ``run``) of the phone numbers a run of digit groups holds, longest first."""
    groups = list(_GROUP.finditer(run))
    out: list[tuple[int, int]] = []
    i = 0
    sizes = [g.end() - g.start() for g in groups]
    while i < len(groups):
        first = groups[i].group(0)
        if not (first[0] == "0" or (i == 0 and run[0] == "+")):
            i += 1
            continue
        total, plausible = 0, False
        for k in range(i, min(len(groups), i + 6)):
            total += sizes[k]
            plausible = plausible or 8 <= total <= 15
        if not plausible:
            i += 1
            continue
        start = groups[i].start()
        if i == 0:
            start = 0  # a leading "+" or "("
        else:
            k = start - 1
            while k > 0 and run[k] == " ":
                k -= 1
            if run[k] == "(":
                start = k
        for j in range(min(len(groups), i + 6), i, -1):
            if _valid_phone(run, groups[i:j], start):
                end = groups[j - 1].end()
                if run[start] == "(" or run[start:end].count("(") > run[start:end].count(")"):
                    close = run.find(")", end)
                    if close == end:
                        end += 1
                out.append((start, end))
                i = j
                break
        else:
            i += 1
    return out


# --------------------------------------------------------------------------- names

_WORD = r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?|O['’][A-Z][a-z]+|[A-Z]\.)"
_HONORIFIC = r"(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Cllr|Councillor|Sir|Dame|Rev)\.?"
_NAME_TAIL = re.compile(rf"(?:(?P<hon>{_HONORIFIC})\s+)?(?P<words>{_WORD}(?:\s+{_WORD}){{0,3}})$")
_NAME_AFTER = re.compile(rf"\s*\(\s*(?:{_HONORIFIC}\s+)?{_WORD}(?:\s+{_WORD}){{1,3}}(?=\s*[),])")
_TRAILING_LINK = re.compile(
    r"(?:\s*(?:\b(?:on|at|via|by|or|and|to|e-?mail|tel|telephone|phone|mobile|mob|fax|[tme])\b\.?|[:\-\u2013(]))+\s*$",
    re.IGNORECASE,
)
_MARK_RE = re.compile(r"\[(?:e-?mail|phone) removed\]")
_SEGMENT_SPLIT = re.compile(r"\s*(?:[,;|\n()\u2013\u2014]|\s-\s)\s*")
_BOUNDARY = re.compile(r"(?:[.!?]\s+(?=[A-Z])|\n\s*\n)")
_CONTACT_VERBS = {"contact", "call", "ring", "email", "e-mail", "mail", "phone", "telephone", "tel", "speak", "talk",
                  "write", "ask", "for", "to", "with", "please", "or", "and", "from", "via", "by", "on", "at",
                  "the", "lead", "officer", "is", "was", "named", "visit", "see", "thanks", "regards"}
# Words of job titles and organisations (shared with the contact-section parser in
# soa_analysis.ingest.contacts). A person's name never holds one.
TITLE_WORDS = ("officer", "manager", "head", "director", "coordinator", "co-ordinator", "lead", "chief", "executive",
               "analyst", "adviser", "advisor", "assistant", "development", "planner", "leader", "consultant",
               "specialist", "worker", "administrator", "secretary", "chair", "convener", "superintendent",
               "inspector", "commander", "clerk", "principal", "senior")
STRONG_ORG_WORDS = ("council", "partnership", "nhs", "police", "constabulary", "enterprise", "college", "university",
                    "association", "trust", "alliance", "cvs", "interface", "comhairle", "government", "board",
                    "agency", "jobcentre")
ORG_WORDS = STRONG_ORG_WORDS + ("service", "services", "department", "directorate", "scotland")
# A word just before a name that makes it a contact's, whatever comes before it.
_CUES = {"contact", "call", "ring", "email", "e-mail", "mail", "phone", "telephone", "tel", "ask", "to", "officer",
         "is", "named", "via"}
_STOP = {
    *TITLE_WORDS, *ORG_WORDS,
    "project", "policy", "team", "programme", "community", "planning", "scottish", "unit", "centre", "center",
    "office", "house", "hall", "street", "road", "helpline", "line", "desk", "reception", "switchboard", "group",
    "forum", "network", "health", "care", "housing", "fire", "rescue", "library", "school", "academy", "ltd",
    "limited", "plc", "partners", "support", "information", "advice", "hub", "gateway", "business",
    # words around contact details
    "contact", "contacts", "email", "e-mail", "mail", "tel", "telephone", "phone", "mobile", "fax", "call",
    "ring", "write", "please", "for", "further", "more", "info", "details", "enquiries", "enquiry",
    "queries", "name", "address", "web", "website", "freephone", "the", "this", "that", "these", "our", "we",
    "if", "you", "your", "all", "any", "on", "at", "in", "by", "to", "or", "and", "of", "a", "an", "it", "he",
    "she", "they", "regards", "thanks", "kind", "best", "yours", "sincerely", "faithfully", "dear",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
}


@lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    """Words of council names and their aliases (``Highland``, ``Fife`` ...): not people's names."""
    from .reference import load_councils

    words = {"scotland", "scottish", "city", "north", "south", "east", "west", "western", "isles", "islands"}
    for c in load_councils():
        for name in (c["name"], *c["aliases"]):
            words.update(w.lower() for w in re.findall(r"[A-Za-z]+", name))
    return frozenset(words)


def _name_in_segment(seg: str, seg_start: int, first: bool) -> tuple[int, int] | None:
    """Span of a person's name ending ``seg`` (after any trailing "on", "at", ":"), or None.

    The words before the name must be contact words ("contact", "call"), organisation or
    place words or acronyms (``NHS Highland``): a name at the end of a sentence about
    something else is not taken.
    """
    trimmed = _TRAILING_LINK.sub("", seg.rstrip()) if first else seg.rstrip()
    m = _NAME_TAIL.search(trimmed)
    if not m:
        return None
    words = m.group("words").split()
    places = _place_words()
    lead = 0
    while lead < len(words) and (words[lead].lower() in _STOP or words[lead].lower() in places
                                 or words[lead].lower() in _CONTACT_VERBS):
        lead += 1
    name_words = words[lead:]
    if not name_words or name_words[-1].lower() in _STOP or any(w.lower() in _STOP for w in name_words):
        return None
    before = trimmed[:m.start()].split() + words[:lead]
    cued = bool(before) and before[-1].lower().strip(":,") in _CUES  # "... contact Jo Example on ..."
    if not cued and not all(b.lower().strip(":") in _CONTACT_VERBS or b.lower() in _STOP or b.lower() in places
                            or (b.isupper() and len(b) <= 6) for b in before):
        return None
    if len(name_words) == 1 and not m.group("hon") or name_words[-1].endswith("."):
        return None  # a first name alone ("call Jo on ...") is not taken
    if m.group("hon") and lead == 0:
        start = m.start()
    else:
        offset = m.start("words")
        for w in words[:lead]:
            offset = trimmed.index(w, offset) + len(w)
        start = offset + (len(trimmed[offset:]) - len(trimmed[offset:].lstrip()))
    end = m.end("words")
    return seg_start + start, seg_start + end


def _name_before(text: str, start: int, floor: int) -> tuple[int, int] | None:
    """A person's name in the clause before a detail starting at ``start`` (not before ``floor``)."""
    lo = max(floor, start - 160)
    window = text[lo:start]
    cut = 0
    for b in _BOUNDARY.finditer(window):
        cut = b.end()
    window = window[cut:]
    base = lo + cut
    pieces = []
    pos = 0
    for sep in _SEGMENT_SPLIT.finditer(window):
        pieces.append((pos, window[pos:sep.start()]))
        pos = sep.end()
    pieces.append((pos, window[pos:]))
    for k, (off, seg) in enumerate(reversed(pieces[-5:])):
        if not seg.strip():
            continue
        found = _name_in_segment(seg, base + off, first=(k == 0))
        if found:
            return found
    return None


# --------------------------------------------------------------------------- finding

@dataclass(frozen=True)
class Detail:
    """One contact detail found in a text.

    Attributes
    ----------
    kind : str
        ``email``, ``phone`` or ``name`` (a person named beside an e-mail or phone).
    start, end : int
        Its span in the text.
    text : str
        As written.
    value : str
        For an e-mail, the address it spells (``jo@example.org``); otherwise as written.
    """

    kind: str
    start: int
    end: int
    text: str
    value: str


# The word "at" in any case: "(?i)\bat\b" written with its first letter in front and the look-behind
# that \b is before a letter after it, so that the regex engine skips to an "a" or "A" instead of
# trying every position (no other character matches "a" or "t" ignoring case); same matches.
_AT_WORD = re.compile(r"[aA](?<!\w.)[tT]\b")


def _emails_and_phones(text: str) -> list[Detail]:
    folded = _fold(text)
    found: list[Detail] = []
    if "@" in folded or _AT_WORD.search(folded):
        for m in _EMAIL_RE.finditer(folded):
            value = _email_value(m)
            if value:
                found.append(Detail("email", m.start(), m.end(), text[m.start():m.end()], value))
    taken = [(d.start, d.end) for d in found]
    for m in _PHONE_RUN.finditer(folded):
        if m.end() - m.start() < 8:  # fewer than 8 digits (a year, a count): never a phone number
            continue
        for a, b in _phones_in_run(m.group(0)):
            s, e = m.start() + a, m.start() + b
            if not any(s < te and ts < e for ts, te in taken):
                found.append(Detail("phone", s, e, text[s:e], text[s:e].strip()))
    found.sort(key=lambda d: d.start)
    return found


def find_details(text: str, *, names: bool = True) -> list[Detail]:
    """Every e-mail address, phone number and (with ``names``) person named beside one, in order.

    Parameters
    ----------
    text : str
        Any text.
    names : bool
        Also find the names of people written just before a detail (or in brackets just after).

    Returns
    -------
    list of Detail
        Non-overlapping, sorted by position.

    Example
    -------
    >>> [(d.kind, d.text) for d in find_details("Contact Jo Example on 0131 496 0000.")]
    [('name', 'Jo Example'), ('phone', '0131 496 0000')]
    """
    if not text:
        return []
    details = _emails_and_phones(text)
    if not names:
        return details
    # marks left by an earlier redaction still show where a detail was: the name beside one goes too
    details += [Detail("mark", m.start(), m.end(), m.group(0), m.group(0)) for m in _MARK_RE.finditer(text)]
    if not details:
        return details
    details.sort(key=lambda d: d.start)
    out: list[Detail] = []
    floor = 0
    for d in details:
        span = _name_before(text, d.start, floor)
        if span and (not out or span[0] >= out[-1].end):
            out.append(Detail("name", span[0], span[1], text[span[0]:span[1]], text[span[0]:span[1]]))
        after = _NAME_AFTER.match(text, d.end)
        out.append(d)
        if after:
            s = text.index("(", d.end, after.end()) + 1
            s += len(text[s:after.end()]) - len(text[s:after.end()].lstrip())
            out.append(Detail("name", s, after.end(), text[s:after.end()], text[s:after.end()]))
        floor = out[-1].end
    return [d for d in out if d.kind != "mark"]


def find_emails(text: str) -> list[str]:
    """E-mail addresses in ``text`` (disguises spelled out as ``local@domain``), in order, de-duplicated.

    Example
    -------
    >>> find_emails("jo (at) example (dot) org, or riley\\uff20falkirk.gov.uk")
    ['jo@example.org', 'riley@falkirk.gov.uk']
    """
    return list(dict.fromkeys(d.value for d in _emails_and_phones(text or "") if d.kind == "email"))


def find_phones(text: str) -> list[str]:
    """Phone numbers in ``text`` as written, in order, de-duplicated.

    Example
    -------
    >>> find_phones("Tel: 01592 583 123, 0131.496.0000 or +44 (0)131 469 3000")
    ['01592 583 123', '0131.496.0000', '+44 (0)131 469 3000']
    """
    return list(dict.fromkeys(d.value for d in _emails_and_phones(text or "") if d.kind == "phone"))


def _replace(text: str, details: list[Detail]) -> str:
    out, pos = [], 0
    for d in details:
        out.append(text[pos:d.start])
        out.append(_MARKS[d.kind])
        pos = d.end
    out.append(text[pos:])
    return "".join(out)


def redact_contact_details(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and the names beside them replaced by marks.

    Example
    -------
    >>> redact_contact_details("Call 0141 287 1234 or mail a.b@glasgow.gov.uk today")
    'Call [phone removed] or mail [email removed] today'
    >>> redact_contact_details("contact Jamie Example, Project Officer, on 01632 960113")
    'contact [name removed], Project Officer, on [phone removed]'
    """
    if not text:
        return ""
    details = find_details(text)
    return _replace(text, details) if details else text


def redaction_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that :func:`redact_contact_details` removes, a name and its detail as one span.

    A caller that cuts the text into pieces (to mark phrases, say) keeps each span whole so
    that redacting a piece still sees the name beside its detail.
    """
    spans: list[list[int]] = []
    for d in find_details(text or ""):
        if spans and d.start - spans[-1][1] <= 160 and (d.kind == "name" or spans[-1][2]):
            if text[spans[-1][1]:d.start].count("\n\n") == 0:
                spans[-1][1] = d.end
                spans[-1][2] = spans[-1][2] or d.kind == "name"
                continue
        spans.append([d.start, d.end, d.kind == "name"])
    return [(a, b) for a, b, _ in spans]


def contacts_in_text(text: str) -> tuple[str, list[dict]]:
    """Move the contact details out of a narrative: (redacted text, contacts found).

    Details close together (one clause, or consecutive lines of a signature) with at most
    one name make one contact.

    Returns
    -------
    (str, list of dict)
        The text with marks in place of the details, and one dict per contact with keys
        raw (the clause as written), name, email, phone.

    Example
    -------
    >>> contacts_in_text("Ask Jo Example (jo@example.org).")
    ('Ask [name removed] ([email removed]).', [{'raw': 'Jo Example (jo@example.org', 'name': 'Jo Example', 'email': 'jo@example.org', 'phone': ''}])
    """
    details = find_details(text or "")
    if not details:
        return text or "", []
    contacts: list[dict] = []
    current: dict | None = None
    last_end = -10**9
    for d in details:
        gap = text[last_end:d.start] if last_end >= 0 else ""
        joined = current is not None and d.start - last_end <= 80 and "\n\n" not in gap and not (
            d.kind == "name" and current["name"]) and not (d.kind != "name" and current[d.kind] and d.value != current[d.kind])
        if not joined:
            current = {"raw": "", "name": "", "email": "", "phone": "", "_start": d.start}
            contacts.append(current)
        if not current[d.kind]:
            current[d.kind] = d.value
        current["_end"] = d.end
        last_end = d.end
    for c in contacts:
        c["raw"] = text[c.pop("_start"):c.pop("_end")]
    return _replace(text, details), contacts
