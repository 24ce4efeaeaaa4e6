"""The structure step: from a reader's :class:`Document` to a structured :class:`Record`.

:func:`build_record` recognises the template, splits the Document into template sections
(:mod:`.sections`), reads the 2010 checklist and cited outcomes, extracts the lead
officer's contact details (:mod:`.contacts`) and removes them from the narrative, names
the partners (:mod:`.partners`), decides the council (:mod:`.councils`) and the date/year.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date as date_cls
from datetime import datetime

import dateutil.parser

from ..contact_details import contacts_in_text
from ..schema import SECTION_COLUMNS
from .contacts import extract_contacts, find_emails
from .councils import council_from_email, council_from_filename, council_from_text, resolve_council
from .document import Block, Document, Record
from .partners import find_partners, fold
from .sections import Segmentation, outcome_lines, segment

__all__ = ["build_record", "decide_council", "decide_date", "find_outcome_citations", "form_blocks"]

# Labels whose content is not narrative (kept out of Record.text).
_NOT_NARRATIVE = {"contact", "checklist", "cpp", "heading", "template", "other"}
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2})-(\d{2})-(\d{2})")
# A year, not preceded by a digit, currency sign or decimal point: "(?<![\d£$.,])(20[0-2]\d|199\d)...", with
# the look-behind placed after the first digit (it looks at the character before that digit), so
# that the regex engine skips to the digits 1 and 2 instead of trying every position; same matches.
_YEAR = re.compile(r"((?:2(?<![\d£$.,].)0[0-2]\d|1(?<![\d£$.,].)99\d))(?:\s*[/\-\u2013]\s*(?:\d{2}|\d{4}))?(?![\d%])")
# "\b(?:National|Local|SOA) Outcome...", written with each word's first letter in front and the
# look-behind that \b is before a letter after it, so that the regex engine skips to an "N", "L" or
# "S" instead of trying every position; same matches.
_CITATION = re.compile(
    r"(?:N(?<!\w.)ational|L(?<!\w.)ocal|S(?<!\w.)OA) Outcome\s*(?:No\.?\s*)?\d{1,2}\b(?:\s*[-\u2013:]\s*[^.;\n]{3,140})?"
)
# A date written out has a month name or a separator ("3 May 2011", "03/05/2011", "2011.05.03"),
# not bare numbers ("1 2 3"); dateutil is told day-first (British) unless the year comes first.
_DATE_SHAPE = re.compile(r"[/.\-]|[A-Za-z]{3}")
_YEAR_FIRST = re.compile(r"\s*\d{4}\b")
# Parsed twice with different defaults: a day, month or year missing from the text shows as a difference.
_DEFAULTS = (datetime(1900, 1, 1), datetime(1904, 2, 2))
MIN_DATE = "2007-01-01"  # SOAs began in 2008; earlier dates are a template's or a library's
_DATE_FIELD = re.compile(r"\b(?:timestamp|date|submitted)\b", re.IGNORECASE)
_LABELLED_DATE = re.compile(
    r"\b(?:date(?: submitted| of submission| received)?|submitted(?: on)?|received)\s*[:\-\u2013]\s*"
    r"(\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+,? \d{4})",
    re.IGNORECASE,
)


def _may_label_date(text: str) -> bool:
    """False when ``text`` cannot hold a :data:`_LABELLED_DATE` (none of its label words):
    a test much quicker than the case-insensitive search itself. ``fold`` equates the
    characters that case-insensitive matching equates with ASCII letters."""
    folded = fold(text)
    return "date" in folded or "submitted" in folded or "received" in folded


def form_blocks(fields: dict) -> list[Block]:
    """Blocks for a form export: a heading per column header followed by the cell text."""
    blocks: list[Block] = []
    for header, value in fields.items():
        blocks.append(Block("heading", str(header).strip(), level=2))
        if value is not None and str(value).strip():
            blocks.append(Block("para", str(value).strip()))
    return blocks


def decide_council(seg: Segmentation, contacts: list[dict], *, text: str, title: str,
                   source_file: str, meta: dict) -> tuple[str, str, str]:
    """The council, its GSS code and where it was decided from.

    Order: the CPP name field (``cpp_field``), the lead officer's (or sender's) e-mail
    domain (``email_domain``), a council named prominently in the text (``text``), the
    file name (``file_name``); ``("", "", "")`` when none decides.
    """
    cpp = seg.text_of("cpp")
    if cpp:
        name, code = resolve_council(cpp)
        if name:
            return name, code, "cpp_field"
    addresses = [c["email"] for c in contacts if c.get("email")]
    addresses += find_emails(seg.text_of("contact"))
    if meta.get("sender"):
        addresses.append(str(meta["sender"]))
    for address in addresses:
        name, code = council_from_email(address)
        if name:
            return name, code, "email_domain"
    name, code = council_from_text(text, title=title)
    if name:
        return name, code, "text"
    for fname in (source_file, meta.get("file_name", "")):
        name, code = council_from_filename(fname or "")
        if name:
            return name, code, "file_name"
    return "", "", ""


def _parse_date(value) -> str:
    """ISO date of a date value or text with day, month and year all written, else "".

    Example
    -------
    >>> [_parse_date(s) for s in ("3rd May 2011", "03/05/2011 14:22", "2011/05/03", "May 2011", "Yes")]
    ['2011-05-03', '2011-05-03', '2011-05-03', '', '']
    """
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    s = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", str(value).strip()).replace(",", "")
    m = _ISO_DATE.search(s)
    if m:
        try:
            return date_cls(*map(int, m.groups())).isoformat()
        except ValueError:
            return ""
    if not _DATE_SHAPE.search(s):
        return ""
    year_first = bool(_YEAR_FIRST.match(s))
    try:
        first, second = (dateutil.parser.parse(s, dayfirst=not year_first, yearfirst=year_first, default=d)
                         for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return ""
    return first.date().isoformat() if first.date() == second.date() else ""


def decide_date(meta: dict, *, title: str, text: str) -> tuple[str, int | None]:
    """ISO date and year of a submission.

    In order: the reader's date (``meta["date"]``, from e-mail headers or document
    properties) when it is plausible (2007 or later: SOAs began in 2008, and older
    property dates are a template's or a PDF library's, not the submission's); a form
    export's timestamp/date field; a labelled date in the text ("Date submitted: 3 May
    2011"); otherwise only a year, from the title, else the text's most frequent year
    (ties: the latest). A financial year ("2011/12", "2011-12") counts as its first year.

    Example
    -------
    >>> decide_date({}, title="SOA annual report 2011/12", text="")
    ('', 2011)
    >>> decide_date({"date": "2000-01-01"}, title="", text="Date submitted: 3 May 2011")
    ('2011-05-03', 2011)
    """
    candidates = [meta.get("date")]
    for key, value in (meta.get("fields") or {}).items():
        if _DATE_FIELD.search(str(key)):
            candidates.append(value)
    if text and _may_label_date(text):
        candidates += [m.group(1) for m in _LABELLED_DATE.finditer(text)]
    for value in candidates:
        date = _parse_date(value)
        if date and MIN_DATE <= date <= date_cls.today().isoformat():
            return date, int(date[:4])
    m = _YEAR.search(title or "")
    if m:
        return "", int(m.group(1))
    years = Counter(int(y.group(1)) for y in _YEAR.finditer(text or ""))
    if years:
        return "", max(years, key=lambda y: (years[y], y))
    return "", None


def find_outcome_citations(text: str) -> list[str]:
    """Explicit citations such as "National Outcome 6 - We live longer, healthier lives" in text."""
    return list(dict.fromkeys(m.group(0).strip(" ,") for m in _CITATION.finditer(text or "")))


MAX_TITLE_CHARS = 150  # a title is a name: a first "line" of 200,000 characters is not one
ELLIPSIS = "\u2026"


def short_title(title: str) -> str:
    """``title`` cut to :data:`MAX_TITLE_CHARS` at a word boundary, with an ellipsis when cut.

    Example
    -------
    >>> t = short_title("Glenbrae warm homes " * 20)
    >>> len(t), t[-15:]
    (149, 'homes Glenbrae\u2026')
    """
    if len(title) <= MAX_TITLE_CHARS:
        return title
    head = title[:MAX_TITLE_CHARS]
    space = head.rfind(" ")
    return (head[:space] if space > MAX_TITLE_CHARS // 2 else head).rstrip(" ,;:-") + ELLIPSIS


_GENERIC_TITLE = re.compile(r"^(?:microsoft word\s*-|untitled|document\d*$|template\b)|\.(?:docx?|pdf|rtf|odt)$", re.IGNORECASE)


def _choose_title(seg: Segmentation, meta: dict) -> str:
    """The case study's title: its title section, else a meaningful document-properties
    title, else the first heading/line (for unstructured narrative, the first line first)."""
    explicit = next((u.text.split("\n")[0].strip() for u in seg.units
                     if u.label == "title" and u.heading != "first line" and u.text.strip()), "")
    if explicit:
        return explicit
    prop = re.sub(r"\s+", " ", str(meta.get("title") or "")).strip()
    usable = len(prop.split()) >= 3 and not _GENERIC_TITLE.search(prop)
    if usable and seg.template != "unstructured":
        from .sections import _default_matcher

        hm = _default_matcher().match(prop)
        usable = hm is None or hm.score < 0.8  # not a template's own name or a question
    if seg.template == "unstructured":
        return seg.title or (prop if usable else "")
    return prop if usable else seg.title


def build_record(doc: Document, *, source_file: str) -> Record:
    """Structure one Document into a :class:`Record`.

    Parameters
    ----------
    doc : Document
        A reader's output (blocks in reading order, meta, warnings).
    source_file : str
        Path of the raw file relative to the raw folder (used for the council when
        nothing else decides it, and in warnings).

    Returns
    -------
    Record
        submission_type (template), sections (every key of schema.SECTION_COLUMNS),
        text (narrative in reading order, contact details removed: the contact section
        left out, e-mail addresses, phone numbers and names beside them elsewhere replaced
        by marks), council,
        council_code, council_source, checklist (ids really ticked), outcomes_cited,
        date, year, contacts, partners, warnings.

    Example
    -------
    >>> doc = Document([Block("row", "", cells=["Name of CPP", "Fife Partnership"]),
    ...                 Block("row", "", cells=["Brief outline", "A FICTIONAL pilot."]),
    ...                 Block("row", "", cells=["Partners involved", "NHS Fife"])])
    >>> r = build_record(doc, source_file="x.docx")
    >>> r.submission_type, r.council, r.council_source, r.sections["need"]
    ('case_study_2010', 'Fife', 'cpp_field', 'A FICTIONAL pilot.')
    """
    meta = dict(doc.meta or {})
    if not doc.blocks and meta.get("fields"):
        doc = Document(form_blocks(meta["fields"]), meta, list(doc.warnings))
    seg = segment(doc)
    warnings = list(doc.warnings) + list(seg.warnings)
    found_elsewhere, held_contacts = _take_contacts(seg, meta)
    sections = {name: "" for name in SECTION_COLUMNS}
    for name in SECTION_COLUMNS:
        if name != "title":
            sections[name] = seg.text_of(name)
    title = short_title(_choose_title(seg, meta))
    sections["title"] = title
    text = _narrative(seg, title, held_contacts)
    contacts = [{**c, "found_in": "contact section"} for c in extract_contacts(seg.text_of("contact"))]
    outcomes = outcome_lines(seg.text_of("outcomes"))
    for cite in find_outcome_citations(text):
        if not any(cite in o or o in cite for o in outcomes):
            outcomes.append(cite)

    council, code, source = decide_council(seg, contacts, text=text, title=title,
                                           source_file=source_file, meta=meta)
    if not council:
        warnings.append("council could not be decided from the CPP field, e-mail domain, text or file name")
    date, year = decide_date(meta, title=title, text=text)
    partners_source = "\n\n".join(t for t in (sections["partners_text"], text) if t)
    return Record(
        submission_type=seg.template,
        sections=sections,
        text=text,
        council=council,
        council_code=code,
        council_source=source,
        checklist=list(seg.checklist),
        outcomes_cited=outcomes,
        date=date,
        year=year,
        contacts=contacts + [{**c, "found_in": "narrative"} for c in found_elsewhere],
        partners=find_partners(partners_source),
        warnings=warnings,
    )


def _take_contacts(seg: Segmentation, meta: dict) -> tuple[list[dict], set[int]]:
    """Take the contact details out of everything but the contact section (a phone number in the
    narrative, a signature, a name beside an e-mail address; the document title too), leaving
    marks in their place: (the details found, for the restricted table; the indexes of the units
    that held some, since an address field is not narrative)."""
    found_elsewhere: list[dict] = []
    held_contacts: set[int] = set()
    for i, u in enumerate(seg.units):
        if u.label != "contact" and u.text:
            u.text, found = contacts_in_text(u.text)
            found_elsewhere += found
            if found:
                held_contacts.add(i)
    if meta.get("title"):
        meta["title"], found = contacts_in_text(str(meta["title"]))
        found_elsewhere += found
    if seg.title:  # the first line of an unstructured text: already among the units' contacts
        seg.title, _ = contacts_in_text(seg.title)
    return found_elsewhere, held_contacts


def _narrative(seg: Segmentation, title: str, held_contacts: set[int]) -> str:
    """The narrative text: the chosen title once, then every unit that is narrative, in reading
    order (the contact section and other non-narrative parts left out)."""
    narrative = []
    for i, u in enumerate(seg.units):
        if not u.text.strip():
            continue
        # content under an unmatched form column ("Any other comments") is narrative when it
        # is prose, not a timestamp or an address
        keep_other = u.label == "other" and len(u.text.split()) >= 5 and i not in held_contacts
        if u.label in _NOT_NARRATIVE and not keep_other:
            continue
        if u.label == "title":
            continue  # the chosen title opens the text once
        narrative.append(u.text.strip())
    if title and not (narrative and narrative[0].startswith(title.removesuffix(ELLIPSIS))):
        narrative.insert(0, title)
    # The contact section is kept out of the narrative, and contact details found elsewhere
    # have been replaced by marks: both go to the restricted contacts table.
    return "\n\n".join(narrative)
