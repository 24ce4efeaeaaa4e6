"""Template recognition and sectioning: which template a Document follows, and which
section each of its blocks belongs to.

Headings are matched by wording with a tolerance, never by exact strings: a candidate
heading is normalised (question numbers such as "Q4", "4.", "Question 4:", markdown marks
and notes such as "(max 300 words)" removed) and scored against every wording of every
section in ``reference/templates.yaml`` by the best of: Dice overlap of content stems,
containment of the candidate's stems in the wording's, a lead match (the candidate starts
with the wording) and the string similarity (rapidfuzz's normalised Indel ratio). Question numbers map to the 2009 questions
when the wording alone is too short ("Q4").

Heading candidates come from heading blocks, bold/markdown/short paragraphs, a first line
ending in "?" or ":", the left cell of a question | answer table row (a number column
before it is allowed; a row with an empty left cell continues the answer), "Heading:
answer" lines (also inside a multi-line answer), a wording run into its answer without
punctuation ("Name of CPP Fife Partnership"), a heading glued to the end of the previous
answer by PDF extraction, and form-export column headers.

The result is a :class:`Segmentation`: the template id with its recognition scores, and
:class:`Unit` s saying which section each block's content belongs to and which heading
put it there with what score (the evidence behind every assignment).

Labels: the keys of ``schema.SECTION_COLUMNS``, plus ``contact`` (lead officer details),
``cpp`` (the Name of CPP field), ``outcomes`` (outcomes supported), ``checklist`` (2010
tick-box items), ``heading`` (a template heading with no content), ``template`` (the
form's own title line), ``preamble`` (before the first section: greetings, banners),
``narrative`` (unstructured documents) and ``other`` (empty blocks, unmatched form columns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.fuzz import ratio as _fuzz_ratio

from ..nlp import content_stems
from ..reference import load_templates
from .checkbox import TICKED_CHARS, UNTICKED_CHARS
from .councils import resolve_council
from .document import Block, Document

__all__ = [
    "HeadingMatch",
    "HeadingMatcher",
    "Unit",
    "Segmentation",
    "normalise_heading",
    "parse_tick",
    "match_checklist_item",
    "recognise_template",
    "segment",
    "outcome_lines",
    "EXTRA_LABELS",
]

# Labels beyond schema.SECTION_COLUMNS that a block can receive.
EXTRA_LABELS = ("contact", "cpp", "outcomes", "checklist", "heading", "template", "preamble", "narrative", "other")

_NUMBER = re.compile(
    r"^\s*(?:(?:question|section|part|q)\s*\.?\s*(?P<n1>\d{1,2})[a-z]?\b|\(?(?P<n2>\d{1,2})[a-z]?\s*[.):\-\u2013]"
    r"(?!\d)|(?P<n3>\d{1,2})\s+(?=[A-Za-z]))\s*[.):\-\u2013]?\s*",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(r"^\s*#{1,6}\s*|\*\*|__|^\s*[*_]|[*_]\s*$")
_PAREN_NOTE = re.compile(r"\((?:max(?:imum)?|up to|approx|no more than|please|optional|required|e\.g\.)[^)]*\)", re.IGNORECASE)
_TRAILING = re.compile(r"[\s:?.\-\u2013|*]+$")
_SPACE = re.compile(r"\s+")
_SAME_LINE = re.compile(r"^\s*(?P<head>[^:\n]{2,90}?)\s*(?P<sep>:|\s[\u2013\-]\s)\s*(?P<rest>\S.*)$", re.DOTALL)
# A closing formula on a line of its own ("Kind regards", "Many thanks, Sam", "Yours sincerely"):
# the sign-off that opens a letter's or e-mail's contact details. A sentence that only starts the
# same way ("Thank you for coming to the session...") is narrative.
_SIGNOFF = re.compile(
    r"(?:(?:kind |best |warm |many )?(?:regards|wishes|thanks|thank you)(?: again| all| very much)?"
    r"|yours (?:sincerely|faithfully|truly))"
    r"\s*(?:[.!]|,(?:\s*[\w'\u2019.-]+(?: [\w'\u2019.-]+){0,3})?)?\s*$",
    re.IGNORECASE,
)
# Sections that hold a name, not prose: the first piece of content under their heading is the
# field; any further content under it is narrative.
_FIELDS = frozenset({"title", "cpp"})
FIELD_WORDS = 20
_SENTENCE_END = re.compile(r"\w[.!?](?=\s|$)")
_NUMBER_CELL = re.compile(r"^\(?(?:q(?:uestion)?\s*\.?\s*)?\d{1,2}[a-z]?[.):]?$", re.IGNORECASE)
_GREETING = re.compile(r"^(?:hi|hello|dear|good (?:morning|afternoon)|please find|attached)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[\u2022\u25aa\u25cf\u2013\uf0b7\-*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")

# Tick marks beside checklist items: the characters (ingest.checkbox, bullet-like shapes included)
# and a standalone X, or a yes/no word.
_MARK = (
    rf"(?:[{TICKED_CHARS}{UNTICKED_CHARS}]|\[\s*[xX\u2713\u2714]?\s*\]|\(\s*[xX]?\s*\)"
    r"|(?<![\w'])[xX](?![\w'])|\b(?:yes|no|ticked|y|n)\b)"
)
_LEAD_MARK = re.compile(rf"^\s*(?P<mark>{_MARK})\s*(?P<label>\S.*?)\s*$", re.IGNORECASE)
_TRAIL_MARK = re.compile(rf"^\s*(?P<label>\S.*?)\s*[-:\u2013|]?\s*(?P<mark>{_MARK})\s*$", re.IGNORECASE)
_INLINE_MARKS = re.compile(rf"[{TICKED_CHARS}{UNTICKED_CHARS}]|\[\s*[xX\u2713\u2714]?\s*\]")


def normalise_heading(text: str) -> tuple[int | None, str]:
    """Split a heading into its question number and its wording.

    Parameters
    ----------
    text : str
        A heading as written, e.g. "Q4 Evidence of benefits", "4. What is the evidence...?",
        "## Added value:", "**Lead officer**".

    Returns
    -------
    tuple
        ``(number or None, wording)``: the wording lower-cased, with markdown marks,
        bracketed notes such as "(max 300 words)" and trailing punctuation removed.

    Example
    -------
    >>> normalise_heading("Q4 Evidence of benefits:")
    (4, 'evidence of benefits')
    >>> normalise_heading("**Lead officer**")
    (None, 'lead officer')
    """
    s = _MARKDOWN.sub("", text or "").strip()
    s = _PAREN_NOTE.sub("", s)
    number = None
    m = _NUMBER.match(s)
    if m:
        number = int(m.group("n1") or m.group("n2") or m.group("n3"))
        s = s[m.end():]
    s = _MARKDOWN.sub("", s)
    s = _TRAILING.sub("", s.replace("\u2019", "'"))
    return number, _SPACE.sub(" ", s).strip().lower()


# The structure step normalises the same candidate texts more than once (template
# recognition, then sectioning); a pure function of its text, so cached per process.
_normalised = lru_cache(maxsize=8192)(normalise_heading)


@dataclass(frozen=True)
class HeadingMatch:
    """The best section for a heading candidate, with its evidence.

    Attributes
    ----------
    section : str
        Section id ("need", "evidence", "contact", ...).
    score : float
        0-1 similarity to ``variant``.
    variant : str
        The template wording it matched.
    templates : tuple of str
        Templates that wording signals (empty for neutral wordings).
    number : int or None
        Question number found in the candidate.
    """

    section: str
    score: float
    variant: str
    templates: tuple[str, ...] = ()
    number: int | None = None


class HeadingMatcher:
    """Tolerant matcher of heading candidates against the template wordings.

    Parameters
    ----------
    spec : dict or None
        Parsed templates (as :func:`soa_analysis.reference.load_templates` returns);
        None loads the packaged ``templates.yaml``.

    Attributes
    ----------
    variants_ : list of tuple
        (section, wording, normalised wording, stem set, templates) after :meth:`fit`.
    """

    def __init__(self, *, spec: dict | None = None):
        self.spec = spec

    def fit(self) -> "HeadingMatcher":
        spec = self.spec if self.spec is not None else load_templates()
        self.spec_ = spec
        self.variants_ = []
        for section, items in spec["headings"].items():
            for item in items:
                _, norm = normalise_heading(item["text"])
                self.variants_.append((section, item["text"], norm, frozenset(content_stems(norm)), tuple(item["templates"])))
        # prefix_match: wordings of two or more words by their first word, in file order (a
        # line can only start with "w1 w2 ... " if its first word is w1)
        self._by_first_word: dict[str, list[tuple]] = {}
        for section, wording, vnorm, _, templates in self.variants_:
            if len(vnorm.split()) >= 2:
                self._by_first_word.setdefault(vnorm.split(" ", 1)[0], []).append((section, wording, vnorm, templates))
        self._cache: dict = {}
        return self

    @staticmethod
    def similarity(norm_a: str, stems_a: frozenset, norm_b: str, stems_b: frozenset,
                   ratio: float | None = None) -> float:
        """Similarity of two normalised wordings.

        The best of: Dice overlap of content stems; containment (all of ``a``'s stems, at
        least two, are in ``b``: 0.7 plus 0.3 times the share of ``b`` covered); the string
        similarity (:func:`string_ratio`); a lead match (``a`` starts with all of a ``b`` of three or more
        words: 0.75 plus 0.25 times ``b``'s share of ``a``'s length). A candidate with three or more stems of which fewer than half occur
        in ``b`` is penalised (x0.8), so a long line that shares a couple of words with a
        wording ("Template for SOA case studies 2010") is not taken for it.

        Example
        -------
        >>> round(HeadingMatcher.similarity("benefits for communities", frozenset({"benefit", "commun"}),
        ...       "evidence of benefits", frozenset({"evid", "benefit"})), 2)
        0.5
        """
        if not norm_a or not norm_b:
            return 0.0
        if norm_a == norm_b:
            return 1.0
        if ratio is None:
            ratio = string_ratio(norm_a, norm_b)
        if not stems_a or not stems_b:
            if norm_a.startswith(norm_b + " ") and norm_b.count(" ") >= 2:
                return max(ratio, 0.75 + 0.25 * len(norm_b) / len(norm_a))
            return ratio
        inter = len(stems_a & stems_b)
        dice = 2 * inter / (len(stems_a) + len(stems_b))
        contain = 0.0
        if len(stems_a) >= 2 and inter == len(stems_a):
            contain = 0.7 + 0.3 * inter / len(stems_b)
        # a wording of three or more words that the candidate starts with ("What was done and
        # who was involved" starts with "What was done")
        lead = 0.75 + 0.25 * len(norm_b) / len(norm_a) if (
            norm_a.startswith(norm_b + " ") and norm_b.count(" ") >= 2) else 0.0
        score = max(dice, ratio, contain, lead)
        if len(stems_a) >= 3 and inter / len(stems_a) < 0.5 and not lead:
            score *= 0.8
        return score

    def match(self, text: str, *, sections=None) -> HeadingMatch | None:
        """Best-matching section for a heading candidate (None when nothing is comparable).

        An exact (normalised) wording wins over any partial match; ties go to the wording
        with more stems in common, then the closer string, then the closer length.

        Parameters
        ----------
        text : str
            Heading candidate as written.
        sections : iterable of str, optional
            Restrict to these sections (those of a recognised template).

        Example
        -------
        >>> HeadingMatcher().fit().match("Q4 Evidence of benefits").section
        'evidence'
        """
        if not hasattr(self, "variants_"):
            self.fit()
        number, norm = _normalised(text)
        if not norm:
            return HeadingMatch("", 0.0, "", (), number) if number is not None else None
        key = (norm, None if sections is None else tuple(sorted(sections)))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._match_norm(norm, None if sections is None else set(sections))
            if len(self._cache) < 50_000:
                self._cache[key] = hit
        if hit is None:
            return None
        section, score, wording, templates = hit
        return HeadingMatch(section, score, wording, templates, number)

    def prefix_match(self, text: str, *, sections=None) -> tuple[HeadingMatch, str, str] | None:
        """A template wording run into its answer without punctuation ("Name of CPP Fife Partnership").

        Only wordings of two or more words count, matched case-insensitively at the start
        of the line, and only when the rest starts with a capital letter or a digit (so
        "Next steps will follow" is not split).

        Returns
        -------
        tuple or None
            ``(HeadingMatch, heading as written, rest)``; the longest wording wins.
        """
        if not hasattr(self, "variants_"):
            self.fit()
        number, head_text, lowered = _line_head((text or "").split("\n", 1)[0])
        allowed = set(sections) if sections is not None else None
        best = None
        for section, wording, vnorm, templates in self._by_first_word.get(lowered.split(" ", 1)[0], ()):
            if allowed is not None and section not in allowed:
                continue
            if lowered.startswith(vnorm + " ") and (best is None or len(vnorm) > len(best[0][2])):
                rest = head_text[len(vnorm):].strip()
                if rest[:1].isupper() or rest[:1].isdigit():
                    best = ((section, wording, vnorm, templates), rest)
        if best is None:
            return None
        (section, wording, vnorm, templates), rest = best
        remainder = text.split("\n", 1)[1].strip() if "\n" in (text or "") else ""
        full_rest = "\n".join(x for x in (rest, remainder) if x)
        return HeadingMatch(section, 1.0, wording, templates, number), head_text[:len(vnorm)], full_rest

    def _match_norm(self, norm: str, allowed: set | None):
        stems = frozenset(content_stems(norm))
        best, best_key = None, (-1.0, 0.0, 0.0, 0)
        for section, wording, vnorm, vstems, templates in self.variants_:
            if allowed is not None and section not in allowed:
                continue
            if norm == vnorm:
                score = 1.0
            elif len(stems) >= 2 and vstems and stems.isdisjoint(vstems) and not norm.startswith(vnorm + " "):
                continue  # no word in common and not a lead match: cannot score
            else:
                # the string ratio only matters if it can beat both the stem measures and the
                # best so far (and the lowest threshold in use, 0.55): below that floor
                # string_ratio gives 0 without computing it
                score = self.similarity(norm, stems, vnorm, vstems, ratio=0.0)
                floor = max(best_key[0], score, 0.55)
                # a candidate of two or more content words sharing none with the wording is
                # not a rewording of it (one-word candidates may be misspelt: keep the ratio)
                disjoint = len(stems) >= 2 and vstems and not (stems & vstems)
                if not disjoint:
                    score = self.similarity(norm, stems, vnorm, vstems, ratio=string_ratio(norm, vnorm, floor))
            overlap = 2 * len(stems & vstems) / (len(stems) + len(vstems)) if stems and vstems else 0.0
            # ties (same score and stem overlap, e.g. "Name of SOA case study" and "SOA case
            # study": "name" is a stop word) go to the closer string, then the closer length
            ratio = 0.0
            if round(score, 4) >= best_key[0] - 0.0015 and score >= 0.55:
                ratio = string_ratio(norm, vnorm)
            key = (round(score, 4) + (0.001 if norm == vnorm else 0.0), round(overlap, 4), round(ratio, 4),
                   -abs(len(vnorm) - len(norm)))
            if key > best_key:
                best, best_key = (section, round(min(score, 1.0), 4), wording, templates), key
        return best


def string_ratio(a: str, b: str, floor: float = 0.0) -> float:
    """Similarity of two strings in [0, 1]: rapidfuzz's normalised Indel ratio, 0.0 below ``floor``.

    Example
    -------
    >>> string_ratio("evidence of benefits", "evidence of benefit")
    0.9743589743589743
    >>> string_ratio("next steps", "evidence of benefits", floor=0.55)
    0.0
    """
    return _fuzz_ratio(a, b, score_cutoff=floor * 100) / 100


@lru_cache(maxsize=2048)
def _line_head(first_line: str) -> tuple[int | None, str, str]:
    """A line's question number, the line without markdown marks and number, and that lower-cased."""
    marked = "#" in first_line or "*" in first_line or "_" in first_line  # else nothing for _MARKDOWN to remove
    head_text = (_MARKDOWN.sub("", first_line) if marked else first_line).strip()
    m = _NUMBER.match(head_text)
    number = None
    if m:
        number = int(m.group("n1") or m.group("n2") or m.group("n3"))
        head_text = head_text[m.end():]
    return number, head_text, head_text.lower().replace("\u2019", "'")


@lru_cache(maxsize=1)
def _default_matcher() -> HeadingMatcher:
    return HeadingMatcher().fit()


@lru_cache(maxsize=1)
def _checklist_variants() -> list[tuple[str, str, frozenset]]:
    out = []
    for cid, wordings in load_templates()["checklist_items"].items():
        for w in wordings:
            _, norm = normalise_heading(w)
            out.append((cid, norm, frozenset(content_stems(norm))))
    return out


@lru_cache(maxsize=4096)
def match_checklist_item(label: str, *, threshold: float = 0.72) -> str | None:
    """The 2010 checklist id a label names ("Partnership working" -> "partnership"), or None.

    Example
    -------
    >>> match_checklist_item("Children's early years")
    'early_years'
    """
    _, norm = normalise_heading(label)
    norm = norm.strip(" .;")
    if not norm:
        return None
    stems = frozenset(content_stems(norm))
    best, best_score = None, 0.0
    for cid, vnorm, vstems in _checklist_variants():
        score = HeadingMatcher.similarity(norm, stems, vnorm, vstems)
        if score > best_score:
            best, best_score = cid, score
    return best if best_score >= threshold else None


def _mark_state(mark: str) -> bool:
    m = mark.strip().lower()
    if any(c in m for c in UNTICKED_CHARS) or m in ("[]", "()", "no", "n") or re.fullmatch(r"[\[(]\s*[\])]", m):
        return False
    return True


def parse_tick(line: str) -> list[tuple[str, bool | None]]:
    """Checklist items and their tick state in one line of text.

    Handles marks before ("☒ Partnership working", "X Health inequalities", "[x] ...")
    or after the label ("Partnership working ✓", "Economic recovery | Yes"), several
    boxed items on one line ("☒ Economic recovery ☐ Health inequalities"), and lines
    with no mark at all (state None: the tick was lost in extraction).

    Returns
    -------
    list of (label, state)
        state True (ticked), False (visibly unticked) or None (unknown).

    Example
    -------
    >>> parse_tick("\u2612 Partnership working")
    [('Partnership working', True)]
    >>> parse_tick("Health inequalities")
    [('Health inequalities', None)]
    """
    line = _BULLET.sub("", line or "").strip()
    if not line:
        return []
    marks = list(_INLINE_MARKS.finditer(line))
    if len(marks) >= 2:
        out = []
        if marks[0].start() == 0:  # mark, label, mark, label ...
            for i, m in enumerate(marks):
                end = marks[i + 1].start() if i + 1 < len(marks) else len(line)
                label = line[m.end():end].strip(" ,;|")
                if label:
                    out.append((label, _mark_state(m.group(0))))
            return out
        start = 0  # label, mark, label, mark ...
        for m in marks:
            label = line[start:m.start()].strip(" ,;|")
            if label:
                out.append((label, _mark_state(m.group(0))))
            start = m.end()
        return out
    m = _LEAD_MARK.match(line)
    if m and len(m.group("label")) > 2:
        return [(m.group("label"), _mark_state(m.group("mark")))]
    m = _TRAIL_MARK.match(line)
    if m and len(m.group("label")) > 2:
        return [(m.group("label"), _mark_state(m.group("mark")))]
    return [(line, None)]


@dataclass
class Unit:
    """What the sectioning made of one block.

    Attributes
    ----------
    index : int
        Position of the block in ``Document.blocks``.
    label : str
        Section id (a key of schema.SECTION_COLUMNS, or one of :data:`EXTRA_LABELS`).
    text : str
        The block's content with any heading removed ("" for a pure heading).
    heading : str
        The heading (as written) that put the block in its section.
    score : float
        Similarity of that heading to the template wording.
    """

    index: int
    label: str
    text: str
    heading: str = ""
    score: float = 0.0


@dataclass
class Segmentation:
    """A Document's template and per-block sections (one or more :class:`Unit` s per block).

    ``title`` is the case study's name: the title section's first line, or for an
    unstructured Document its first heading/line.
    """

    template: str
    template_scores: dict[str, float]
    units: list[Unit]
    title: str = ""
    checklist: list[str] = field(default_factory=list)
    checklist_states: dict[str, bool | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def first_units(self) -> list[Unit]:
        """The first unit of each block, in block order (a block whose lines carry their own
        headings, "Results: ...", yields several units)."""
        seen: dict[int, Unit] = {}
        for u in self.units:
            seen.setdefault(u.index, u)
        return [seen[i] for i in sorted(seen)]

    @property
    def labels(self) -> list[str]:
        """One label per block, in block order (the label of the block's first unit)."""
        return [u.label for u in self.first_units()]

    def text_of(self, label: str) -> str:
        """Content of every block labelled ``label``, joined by blank lines."""
        return "\n\n".join(u.text for u in self.units if u.label == label and u.text.strip())


# Thresholds per kind of heading candidate (tuned on tests/data/sections).
T_HEADING = 0.62    # a heading block, a form column header, a one-cell table row
T_CELL = 0.55       # the left cell of a question | answer row
T_SAME_LINE = 0.74  # "Heading: answer" on one line
T_SHORT = 0.78      # a short paragraph with no full stop (bold or plain)


@dataclass(frozen=True)
class _Candidate:
    head: str
    rest: str
    threshold: float
    kind: str


def _is_sign_off(text: str) -> bool:
    r"""Whether a block opens with a sign-off (a closing formula alone on its first line, a name after
    it at most) and is short enough to be a signature rather than prose.

    >>> _is_sign_off("Kind regards,\nA Fictional Officer\nCommunity Planning")
    True
    >>> _is_sign_off("Thank you to the fictional volunteers who ran the club. It reached 40 families.")
    False
    """
    return _SIGNOFF.match(text.split("\n", 1)[0].strip()) is not None and _words(text) <= 40


def _words(text: str) -> int:
    return len(text.split())


def _candidates(block: Block) -> tuple[_Candidate, ...]:
    """Ways a block could be (or start with) a heading, strongest reading first."""
    if block.kind == "checkbox":
        return ()
    return _candidates_of(block.kind, block.text or "", tuple(block.cells or ()))


@lru_cache(maxsize=2048)  # each block is read twice: template recognition, then sectioning
def _candidates_of(kind: str, text: str, cells: tuple[str, ...]) -> tuple[_Candidate, ...]:
    return tuple(_candidates_list(kind, text.strip(), cells))


def _candidates_list(kind: str, text: str, cells: tuple[str, ...]) -> list[_Candidate]:
    if kind == "row":
        cells = [c.strip() for c in cells]
        if len(cells) >= 3 and _NUMBER_CELL.match(cells[0]):
            # number column | question | answer
            rest = "\n".join(c for c in cells[2:] if c)
            return [_Candidate(f"{cells[0]} {cells[1]}", rest, T_CELL, "cell")]
        if len(cells) >= 2:
            if not cells[0]:
                return []
            rest = "\n".join(c for c in cells[1:] if c)
            return [_Candidate(cells[0], rest, T_CELL, "cell")]
        text = cells[0] if cells else text
        out = [_Candidate(text, "", T_HEADING, "row1")] if _words(text) <= 30 else []
        return out + _para_candidates(text)
    if kind == "heading":
        return [_Candidate(text, "", T_HEADING, "heading")] + _para_candidates(text)[:1]
    return _para_candidates(text)


def _para_candidates(text: str) -> list[_Candidate]:
    out = []
    if text.startswith("#") or (text.startswith("**") and text.rstrip(" :").endswith("**")):
        out.append(_Candidate(text, "", T_HEADING, "markdown"))
    if "\n" in text:
        first, rest = text.split("\n", 1)
        bare = first.rstrip(" *_")
        if _words(first) <= 25 and (bare.endswith((":", "?")) or _words(first) <= 8):
            out.append(_Candidate(first, rest.strip(), T_SHORT, "first_line"))
    m = _SAME_LINE.match(text)
    if m and _words(m.group("head")) <= 10 and not (m.group("sep") != ":" and m.group("rest")[:1].islower()):
        # after a dash the answer must not start in lower case ("What was done - and by which ...")
        out.append(_Candidate(m.group("head"), m.group("rest").strip(), T_SAME_LINE, "same_line"))
    elif _words(text) <= 25 and text.rstrip().endswith((":", "?")):
        out.append(_Candidate(text, "", T_HEADING, "question"))
    elif _words(text) <= 25 and not text.rstrip().endswith((".", "!", ";")):
        # (a line ending in "," or "-" may be the first half of a question wrapped by a PDF)
        out.append(_Candidate(text, "", T_SHORT, "short"))
    return out


# the variant of a heading read as its question by its number alone (:func:`_number_only` tells it)
_BY_NUMBER = "question {}"


def _best_heading(block: Block, matcher: HeadingMatcher, sections, numbers: dict) -> tuple[HeadingMatch, _Candidate] | None:
    for cand in _candidates(block):
        hm = matcher.match(cand.head, sections=sections)
        if hm is None:
            continue
        by_number = numbers.get(hm.number) if hm.number is not None else None
        if by_number and (sections is None or by_number in sections):
            if hm.section == by_number:
                hm = HeadingMatch(hm.section, min(1.0, hm.score + 0.15), hm.variant, hm.templates, hm.number)
            elif hm.score < cand.threshold + 0.1 and _words(_normalised(cand.head)[1]) <= 3:
                hm = HeadingMatch(by_number, cand.threshold, _BY_NUMBER.format(hm.number), (), hm.number)
        if hm.section == "cpp" and resolve_council(cand.head)[0]:
            continue  # "Fife Community Planning Partnership: ..." names a CPP, it is not the field label
        if hm.section and hm.score >= cand.threshold:
            result = (hm, cand)
            break
    else:
        result = None
    if result is not None and result[0].score >= 0.9:
        return result
    # a wording run into its answer ("Name of case study Rutherglen parenting classes") is a
    # better reading than a so-so match of the whole line
    if block.kind in ("para", "heading", "list_item") or (block.kind == "row" and len(block.cells) <= 1):
        found = matcher.prefix_match(block.text or "", sections=sections)
        if found:
            hm, head, rest = found
            return hm, _Candidate(head, rest, 1.0, "prefix")
    return result


_NARRATIVE_SECTIONS = frozenset({"need", "actions", "partners_text", "evidence", "added_value", "next_steps",
                                  "achievements", "challenges", "support_required", "outcome_progress"})
T_INLINE = 0.8  # a "Heading: answer" line inside a multi-line answer


def _inline_units(i: int, content: str, label: str, head: str, score: float, matcher: HeadingMatcher,
                  sections) -> tuple[list[Unit], tuple[str, str, float]]:
    """Split a multi-line answer at lines that open another section ("Results: ...").

    Returns the units and the (section, heading, score) in force after the block.
    """
    state = (label, head, score)
    if label not in _NARRATIVE_SECTIONS or "\n" not in content:
        return [Unit(i, label, content, head, score)], state
    units: list[Unit] = []
    buf: list[str] = []
    for n, line in enumerate(content.split("\n")):
        m = _SAME_LINE.match(line) if n else None
        hm = None
        if m and _words(m.group("head")) <= 8 and not (m.group("sep") != ":" and m.group("rest")[:1].islower()):
            hm = matcher.match(m.group("head"), sections=sections)
        if hm is not None and hm.section in _NARRATIVE_SECTIONS and hm.score >= T_INLINE and hm.section != state[0]:
            if buf:
                units.append(Unit(i, state[0], "\n".join(buf).strip(), state[1], state[2]))
            state, buf = (hm.section, m.group("head"), hm.score), [m.group("rest").strip()]
        else:
            buf.append(line)
    if buf:
        units.append(Unit(i, state[0], "\n".join(buf).strip(), state[1], state[2]))
    return units, state


# (the sentence end matched rather than looked behind at, so that the regex engine skips to
# ".", "!" and "?"; only the tail and where it starts are used)
_LAST_FRAGMENT = re.compile(r"[.!?]\s+(?P<tail>[A-Z0-9][^.!?\n]{2,120}[?:]?)\s*$")
T_TRAILING = 0.9  # a template heading glued to the end of the previous answer (PDF extraction)


def _last_fragment(text: str) -> re.Match | None:
    """``_LAST_FRAGMENT.search(text)``, tried only where a match can start.

    After its opening "." "!" or "?" a match holds none of them but the "?" that may end the
    tail, and it runs to the end of the text (or a last line break): so it starts at the last
    of those characters, or at the one before it when the last is the tail's "?". Matching
    there, in that order, gives the match ``search`` would find, without trying every sentence
    end of a long paragraph (each try reading up to 120 characters ahead).
    """
    last = max(text.rfind("."), text.rfind("!"), text.rfind("?"))
    if last < 0:
        return None
    before = max(text.rfind(".", 0, last), text.rfind("!", 0, last), text.rfind("?", 0, last))
    for start in (before, last):
        if start >= 0:
            m = _LAST_FRAGMENT.match(text, start)
            if m:
                return m
    return None


def _trailing_heading(text: str, matcher: HeadingMatcher, sections) -> tuple[HeadingMatch, int] | None:
    """A template heading run onto the end of a paragraph ("... in 2011/12. Contact details of lead officer")."""
    m = _last_fragment(text or "")
    if not m or _words(m.group("tail")) > 25:
        return None
    hm = matcher.match(m.group("tail"), sections=sections)
    if hm is None or not hm.section or hm.section == "template_title" or hm.score < T_TRAILING:
        return None
    return hm, m.start("tail")


# One line of a table of contents: a label ending in a page number, after spaces or dot leaders
# ("3: Partners and funding 12", "Next steps ........ 40"); a sentence's end before it rules it out.
_TOC_ENTRY = re.compile(r"^(?=[^\n]*[A-Za-z])[^\n!?]{2,100}?[^\s.!?](?:\s*[.\u2026\u00b7]{2,}\s*|\s+)\d{1,3}$")
TOC_RUN = 3  # entries in a row that make a table of contents


def toc_blocks(blocks) -> frozenset[int]:
    """Indices of the blocks that are entries of a table of contents: :data:`TOC_RUN` or more
    one-line blocks in a row, each a label ending in a page number. Such lines name sections of
    the report they index, not the text that follows them, so they never open a section.

    Example
    -------
    >>> from soa_analysis.ingest.document import Block
    >>> lines = ["Contents", "1: Introduction 4", "2: Local need 6", "3: Next steps 9", "Introduction"]
    >>> sorted(toc_blocks([Block("para", t) for t in lines]))
    [1, 2, 3]
    """
    found: set[int] = set()
    run: list[int] = []
    for i, b in enumerate(list(blocks) + [None]):
        text = (b.text or "").strip() if b is not None else ""
        if b is not None and b.kind != "checkbox" and "\n" not in text and _TOC_ENTRY.match(text):
            run.append(i)
            continue
        if len(run) >= TOC_RUN:
            found.update(run)
        run = []
    return frozenset(found)


def _number_only(hm: HeadingMatch) -> bool:
    """A heading read as its template question by its number alone, its wording matching no section well
    (:func:`_best_heading`)."""
    return hm.number is not None and not hm.templates and hm.variant == _BY_NUMBER.format(hm.number)


def recognise_template(doc: Document, *, matcher: HeadingMatcher | None = None) -> tuple[str, dict[str, float]]:
    """Which template a Document follows.

    Every heading candidate is matched against all sections; each template scores 1
    per distinct section matched by a wording that signals it, and 0.25 per section
    of its own matched by a neutral wording. A Document whose reader found form
    ``fields`` is a form export. The best template needs a score of at least 1.5,
    otherwise the Document is ``unstructured``.

    Returns
    -------
    tuple
        ``(template id, {template id: score})``.
    """
    matcher = matcher or _default_matcher()
    spec = matcher.spec_ if hasattr(matcher, "spec_") else load_templates()
    templates = spec["templates"]
    if doc.meta.get("fields"):
        return "form_export", {"form_export": float(len(doc.meta["fields"]))}
    signal: dict[str, set] = {t: set() for t in templates}
    neutral: dict[str, set] = {t: set() for t in templates}
    numbers_2009 = templates.get("case_study_2009", {}).get("numbers", {})
    contents = toc_blocks(doc.blocks)
    found_all = [f for i, block in enumerate(doc.blocks) if i not in contents
                 for f in [_best_heading(block, matcher, None, numbers_2009)] if f]
    by_number_only = [hm.number for hm, _ in found_all if _number_only(hm)]
    # a numbered line read as question N by its number alone ("2 Parks and play") says "form" only where such
    # lines number a form: at least three, each number once, in increasing order; a list of counts ("1 ...",
    # "2 ...", "1 ...") and a minute's or an agenda's numbered items are narrative
    numbered_form = len(by_number_only) >= 3 and all(a < b for a, b in zip(by_number_only, by_number_only[1:]))
    for hm, _ in found_all:
        if _number_only(hm) and not numbered_form:
            continue
        for t in templates:
            if t == "form_export":
                continue
            if t in hm.templates:
                signal[t].add(hm.section)
            elif not hm.templates and hm.section in templates[t]["sections"]:
                neutral[t].add(hm.section)
        if hm.number is not None and hm.section == templates["case_study_2009"]["numbers"].get(hm.number):
            signal["case_study_2009"].add(f"number:{hm.number}")
    scores = {t: len(signal[t]) + 0.25 * len(neutral[t] - signal[t]) for t in templates if t != "form_export"}
    best = max(scores, key=lambda t: (scores[t], t == "case_study_2009"))
    if scores[best] < 1.5:
        return "unstructured", scores
    return best, scores


def _split_outcome_lines(text: str) -> list[str]:
    out = []
    for line in re.split(r"\n|;|(?=(?:National|Local|SOA) Outcome\s*\d)", text):
        line = _BULLET.sub("", line).strip(" ,.;")
        if len(line) > 3:
            out.append(line)
    return out



_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\u2019'\"][.!?])\s+(?=[A-Z\u2018\u201c\"'])")


def _guess_title(line: str, *, max_words: int = 20, clip_words: int = 12) -> str:
    """A title for narrative that came without one: its first line when that is short, else
    its first sentence when that is short, else its opening words (always a prefix of the line).

    Example
    -------
    >>> _guess_title("Town centre fund")
    'Town centre fund'
    >>> _guess_title("Shops reopened in the high street after years of decline, as owners and the council "
    ...              "found new uses for empty units. Rents fell.")
    'Shops reopened in the high street after years of decline, as owners and the council found new uses for empty units.'
    """
    if _words(line) <= max_words:
        return line
    first = _SENTENCE_END.split(line, maxsplit=1)[0]
    if _words(first) <= max_words + 5:
        return first.strip()
    return " ".join(line.split()[:clip_words])

def segment(doc: Document, *, matcher: HeadingMatcher | None = None, template: str | None = None) -> Segmentation:
    """Assign every block of ``doc`` to a section of its template.

    Parameters
    ----------
    doc : Document
        A reader's output.
    matcher : HeadingMatcher, optional
        A fitted matcher; the packaged templates by default.
    template : str, optional
        Force a template id instead of recognising it.

    Returns
    -------
    Segmentation
        Template id, per-block :class:`Unit` s, and the 2010 checklist's ticked ids
        with its warnings.
    """
    matcher = matcher or _default_matcher()
    spec = matcher.spec_
    if template is None:
        template, scores = recognise_template(doc, matcher=matcher)
    else:
        scores = {}
    if template == "unstructured":
        return _segment_unstructured(doc, scores)

    tspec = spec["templates"][template]
    sections = tspec["sections"]
    numbers = tspec.get("numbers", {})
    walk = _Walk()
    contents = toc_blocks(doc.blocks)
    for i, b in enumerate(doc.blocks):
        text = (b.text or "").strip()
        if i in contents:  # a table of contents' line names a section elsewhere: content where it stands
            _take_content(walk, i, b, text, matcher, sections)
        elif b.kind == "checkbox":
            _take_checkbox(walk, i, b, text)
        elif not (_take_loose_ticks(walk, i, b, text, sections)
                  or _take_checklist_entry(walk, i, b, text)
                  or _take_heading(walk, i, b, text, template, matcher, sections, numbers)):
            _take_content(walk, i, b, text, matcher, sections)

    _demote_guessed_title(walk.units)
    _overflow_fields(walk.units)
    checklist, warnings = _checklist_outcome(spec, walk.states)
    title = next((u.text.split("\n")[0].strip() for u in walk.units if u.label == "title" and u.text.strip()), "")
    return Segmentation(template, scores, walk.units, title=title, checklist=checklist,
                        checklist_states=walk.states, warnings=warnings)


def _segment_unstructured(doc: Document, scores: dict[str, float]) -> Segmentation:
    """Phase of :func:`segment` for a Document that follows no template.

    The first non-empty line is the title (a block of its own when it is one short line),
    everything from a sign-off on is contact details, the rest is narrative.
    """
    units: list[Unit] = []
    title = ""
    in_contact = False
    for i, b in enumerate(doc.blocks):
        text = (b.text or "").strip()
        if not text:
            units.append(Unit(i, "other", ""))
            continue
        if not title:
            title = _guess_title(_MARKDOWN.sub("", text.split("\n", 1)[0]).strip())
            if "\n" not in text and _words(text) <= 20:
                units.append(Unit(i, "title", title, "first line"))
                continue
        if in_contact or _is_sign_off(text):
            in_contact = True
            units.append(Unit(i, "contact", text, "sign-off"))
            continue
        units.append(Unit(i, "narrative", text))
    return Segmentation("unstructured", scores, units, title=title,
                        warnings=["no template recognised: ingested as unstructured narrative"])


@dataclass
class _Walk:
    """Where :func:`segment`'s walk over a templated Document's blocks has got to.

    ``current`` is the section in force (None before the first heading), ``head`` and
    ``score`` the heading that opened it and its similarity, ``has_content`` whether that
    section has had any content yet; ``units`` and ``states`` (checklist id -> ticked, or
    None when unreadable) collect the results.
    """

    current: str | None = None
    head: str = ""
    score: float = 0.0
    has_content: bool = False
    units: list[Unit] = field(default_factory=list)
    states: dict[str, bool | None] = field(default_factory=dict)
    number: int = 0  # the question number of the last numbered section opened (0 before any)
    list_number: int | None = None  # a number-only line's number that was not a question (a list's item)

    def goes_forward(self, number: int) -> bool:
        """Whether a heading read as question ``number`` by its number alone opens that question: it goes
        forward through the form, and is not the next item of a numbered list (:func:`_take_heading`)."""
        return number > self.number and not (self.list_number is not None and number == self.list_number + 1)

    def enter(self, section: str | None, head: str, score: float) -> None:
        """Make ``section`` (opened by ``head`` with ``score``) the section in force."""
        self.current, self.head, self.score = section, head, score

    def add(self, i: int, label: str, text: str) -> None:
        """Record a unit of block ``i`` under the heading in force."""
        self.units.append(Unit(i, label, text, self.head, self.score))

    def note_ticks(self, items) -> None:
        """Record the (label, state) pairs that name a checklist item; a tick beats an earlier
        non-tick, otherwise the first reading of an item stands."""
        for lab, st in items:
            cid = match_checklist_item(lab)
            if cid and (st is True or cid not in self.states):
                self.states[cid] = st


def _take_checkbox(walk: _Walk, i: int, b: Block, text: str) -> None:
    """A checkbox block (a reader-recognised form control): record its item's tick state."""
    checked, label = b.checked, text
    if checked is None:  # the reader could not tell: a tick character left in the text still counts
        parsed = parse_tick(text)
        if len(parsed) == 1:
            label, checked = parsed[0]
    cid = match_checklist_item(label)
    if cid and (checked is True or cid not in walk.states or walk.states[cid] is None):
        walk.states[cid] = checked
    walk.add(i, "checklist", text)


def _take_loose_ticks(walk: _Walk, i: int, b: Block, text: str, sections) -> bool:
    """Ticked items outside a recognised checklist heading ("☒ Partnership working").

    Returns whether the block was taken as checklist lines.
    """
    if walk.current == "checklist" or b.kind not in ("para", "list_item") or "checklist" not in sections:
        return False
    ticks = [(lab, st) for line in text.split("\n") for lab, st in parse_tick(line)]
    if ticks and all(st is not None and match_checklist_item(lab) for lab, st in ticks) \
            and _INLINE_MARKS.search(text):
        walk.note_ticks(ticks)
        walk.add(i, "checklist", text)
        return True
    return False


def _take_checklist_entry(walk: _Walk, i: int, b: Block, text: str) -> bool:
    """Lines or table rows naming checklist items inside the checklist section.

    A row with no tick mark beside a recognised item counts its other cells as the mark.
    Returns whether the block was taken as checklist entries.
    """
    if walk.current != "checklist" or b.kind not in ("para", "list_item", "row"):
        return False
    lines = [" ".join(c for c in b.cells if c)] if b.kind == "row" and b.cells else text.split("\n")
    items = [(lab, st) for line in lines for lab, st in parse_tick(line) if match_checklist_item(lab)]
    if not items and b.kind == "row" and len(b.cells) >= 2:
        label_cell = next((c for c in b.cells if match_checklist_item(c)), None)
        mark_cells = [c for c in b.cells if c is not label_cell]
        if label_cell:
            mark = " ".join(mark_cells).strip()
            items = [(label_cell, _mark_state(mark) if mark else False)]
    if items:
        walk.note_ticks(items)
        walk.add(i, "checklist", text)
        return True
    return False


def _take_heading(walk: _Walk, i: int, b: Block, text: str, template: str, matcher: HeadingMatcher,
                  sections, numbers: dict) -> bool:
    """A block that is (or starts with) a template heading: open its section.

    Also the form's own title line and, in a form export, any other heading block.
    Returns whether the block was taken as a heading.
    """
    found = _best_heading(b, matcher, sections, numbers)
    if found and _number_only(found[0]) and not walk.goes_forward(found[0].number):
        # a numbered line inside an answer ("1 Lunch clubs", "2 Transport"): a list's item, not question 1 or 2;
        # it is a heading only if its wording alone reads as one
        walk.list_number = found[0].number
        found = _best_heading(b, matcher, sections, {})
    if found and found[0].section == walk.current and not walk.has_content and not found[1].rest:
        found = None  # e.g. "Name of CPP" followed by "Highland Community Planning Partnership"
    if found and found[0].section == "template_title":
        walk.units.append(Unit(i, "template", text, found[1].head, found[0].score))
        return True
    if found and not (walk.current == "contact" and found[0].section == "contact"):
        walk.number = next((n for n, sec in numbers.items() if sec == found[0].section), walk.number)
        walk.list_number = None
        _open_section(walk, i, *found, matcher, sections)
        return True
    if template == "form_export" and b.kind == "heading":
        walk.enter("other", text, 0.0)
        walk.units.append(Unit(i, "heading", "", text))
        return True
    return False


def _open_section(walk: _Walk, i: int, hm: HeadingMatch, cand: _Candidate, matcher: HeadingMatcher,
                  sections) -> None:
    """Enter the section ``hm`` found by heading candidate ``cand``; any answer written after
    the heading in the same block becomes its content (ticks included, for the checklist)."""
    walk.enter(hm.section, cand.head, hm.score)
    rest = cand.rest.strip()
    walk.has_content = bool(rest)
    if walk.current == "checklist" and rest:
        walk.note_ticks(parse_tick(rest))
    if rest:
        new_units, state = _inline_units(i, rest, walk.current, cand.head, hm.score, matcher, sections)
        walk.units.extend(new_units)
        walk.enter(*state)
    else:
        walk.units.append(Unit(i, "heading", "", cand.head, hm.score))


def _take_content(walk: _Walk, i: int, b: Block, text: str, matcher: HeadingMatcher, sections) -> None:
    """A block of content: a sign-off opens the contact section; before any section it is the
    title or preamble; otherwise it belongs to the section in force, split where a heading is
    glued to its end or a line inside it opens another section."""
    if text and _is_sign_off(text):
        walk.enter("contact", text.split("\n")[0], 0.0)
    content = text
    if b.kind == "row" and b.cells:
        content = "\n".join(c for c in b.cells if c.strip())
    if walk.current is None:
        walk.units.append(_opening_unit(i, content, walk.units, sections))
        return
    trailing = _trailing_heading(content, matcher, sections) if b.kind in ("para", "list_item") else None
    if trailing:
        hm, start = trailing
        walk.add(i, walk.current, content[:start].strip())
        walk.enter(hm.section, content[start:].strip(), hm.score)
        walk.has_content = False
        return
    walk.has_content = walk.has_content or bool(content)
    if not content:
        walk.add(i, "other", "")
        return
    new_units, state = _inline_units(i, content, walk.current, walk.head, walk.score, matcher, sections)
    walk.units.extend(new_units)
    walk.enter(*state)


def _opening_unit(i: int, content: str, units: list[Unit], sections) -> Unit:
    """A block before the first section: the title when it is the first short line of
    content (no greeting, no closing full stop or comma), otherwise preamble."""
    first_line = (content and not any(u.label not in ("other", "template") for u in units) and _words(content) <= 20
                  and "title" in sections and not _GREETING.match(content)
                  and not content.rstrip().endswith((".", ",")))
    label = "title" if first_line else "preamble"
    return Unit(i, label if content else "other", _MARKDOWN.sub("", content).strip() if first_line else content,
                "first line" if first_line else "")


def _demote_guessed_title(units: list[Unit]) -> None:
    """An explicit title section beats a guessed first line: the guess becomes preamble."""
    if any(u.label == "title" and u.heading != "first line" for u in units):
        for u in units:
            if u.label == "title" and u.heading == "first line":
                u.label, u.heading = "preamble", ""


def _overflow_fields(units: list[Unit]) -> None:
    """Prose that a short section cannot hold becomes narrative.

    A name field (:data:`_FIELDS`) keeps the first content under its heading when it reads as a
    name (at most :data:`FIELD_WORDS` words); prose, and what follows under the same heading, is
    narrative: a long report whose council's name in capitals reads as the "Council" heading, or
    whose "Title" heading is followed by the whole story, keeps its story. In the contact section,
    a block of several sentences (:func:`_is_prose`) is narrative too (its contact details are
    taken out as in any narrative); the details themselves stay in the section.
    """
    taken: str | None = None  # the field whose content has been taken since the last heading
    for u in units:
        if not u.text.strip():
            if u.label == "heading":
                taken = None
            continue
        if u.label in _FIELDS:
            field = u.label
            if field == taken or _words(u.text) > FIELD_WORDS:
                u.label = "narrative"
            taken = field
        elif u.label == "contact" and _is_prose(u.text):
            u.label = "narrative"
        else:
            taken = None


def _is_prose(text: str) -> bool:
    r"""Several sentences of running text (at least 60 words, three sentence ends), not a signature
    or an address block.

    >>> _is_prose("Jo Fictional\nCommunity Planning Officer\nFictional Council")
    False
    """
    return _words(text) >= 60 and len(_SENTENCE_END.findall(text)) >= 3


def _checklist_outcome(spec: dict, states: dict[str, bool | None]) -> tuple[list[str], list[str]]:
    """The ticked checklist ids in the template's order, and a warning naming any item whose
    tick state could not be read."""
    checklist = [cid for cid in spec["checklist_items"] if states.get(cid) is True]
    warnings: list[str] = []
    unknown = sorted(cid for cid, st in states.items() if st is None)
    if unknown:
        warnings.append(
            f"checklist: tick state unreadable for {len(unknown)} item(s) ({', '.join(unknown)}); not counted as ticked"
        )
    return checklist, warnings


def outcome_lines(text: str) -> list[str]:
    """The outcomes listed in an "SOA outcome/s and National Outcome/s supported" answer.

    Example
    -------
    >>> outcome_lines("National Outcome 6 - We live longer, healthier lives; Local Outcome 18 - Fewer falls")
    ['National Outcome 6 - We live longer, healthier lives', 'Local Outcome 18 - Fewer falls']
    """
    return _split_outcome_lines(text)
