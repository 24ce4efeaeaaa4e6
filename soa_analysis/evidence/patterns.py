"""Every regular expression of the evidence stage, compiled once, in one module.

Two kinds live here: the fixed expressions of the stage (date and period expressions for
timelines, the masks that stop years and outcome numbers counting as figures, the actors
named in next steps), and :func:`compile_pattern`, the single, cached place where the
researcher-editable patterns of the rubric and guidance files are compiled.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import TaxonomyError

__all__ = [
    "compile_pattern",
    "compile_lower",
    "MONTHS",
    "NUMBER_WORDS",
    "FIGURE_MASK",
    "DATE_MONTH",
    "DATE_FINANCIAL_YEAR",
    "DATE_SEASON",
    "DATE_QUARTER",
    "DATE_RELATIVE",
    "DATE_END_OF_YEAR",
    "DATE_YEAR",
    "ACTOR",
]

_FLAGS = re.IGNORECASE


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern:
    """Compile a rubric or guidance pattern (case-insensitive), once per distinct string.

    Parameters
    ----------
    pattern : str
        A Python regular expression as written in a YAML data file.

    Returns
    -------
    re.Pattern

    Raises
    ------
    TaxonomyError
        If the expression does not compile, or matches the empty string (it would fire
        on every sentence).
    """
    try:
        compiled = re.compile(pattern, _FLAGS)
    except re.error as exc:
        raise TaxonomyError(f"invalid regular expression {pattern!r}: {exc}") from None
    if compiled.fullmatch(""):
        raise TaxonomyError(f"regular expression {pattern!r} matches the empty string")
    return compiled


_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]")


@lru_cache(maxsize=4096)
def compile_lower(pattern: str) -> re.Pattern:
    """Compile a rubric pattern for matching against *lower-cased* text.

    Case-insensitive matching is about 2.5 times slower in Python's ``re``; sentences are
    lower-cased once instead. A pattern with upper-case literal letters keeps the
    IGNORECASE flag, so it still matches. Validation is that of :func:`compile_pattern`.
    """
    compile_pattern(pattern)
    return re.compile(pattern, _FLAGS if _UPPER_LITERAL.search(pattern) else 0)


MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
    "thirty-six": 36, "couple of": 2, "few": 3,
}

_MONTH_ALT = (
    r"january|february|march|april|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|may"
)
_YEAR = r"(?:19|20)\d{2}"
_NUM_ALT = r"\d{1,3}|" + "|".join(re.escape(w) for w in sorted(NUMBER_WORDS, key=len, reverse=True))

_COUNT_NOT_YEAR = (
    r"(?:(?<=over\s\d{4})|(?<=than\s\d{4})|(?<=about\s\d{4})|(?<=around\s\d{4})|(?<=almost\s\d{4})"
    r"|(?<=nearly\s\d{4})|(?<=some\s\d{4}))\s+(?:[\w-]+\s+)?(?:people|children|pupils|families|households|"
    r"residents|adults|patients|learners|participants|visitors|members|customers|tenants|users|homes|jobs|businesses|"
    r"volunteers|carers|clients|students)\b"
)

# Spans that look like numbers but are not figures: years and financial years, dates,
# outcome and section numbers, school stages (P1, S4), ratios like 24/7.
FIGURE_MASK = re.compile(
    # a year, unless a quantity word comes before it and people after it ("over 2000 young people": a count)
    rf"\b{_YEAR}(?:\s*[/-]\s*(?:{_YEAR}|\d{{2}}))?\b(?!{_COUNT_NOT_YEAR})"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH_ALT})\b"
    r"|\b(?:national|local|soa|strategic)?\s*outcomes?\s*(?:no\.?\s*)?\d+[a-z]?\b"
    r"|\b(?:phase|stage|level|tier|priority|objective|question|section|theme|year|round|step|page|table|figure|annex|appendix|cohort|wave"
    r"|intermediate|higher|band|scqf|svq|nvq|aim|outcome|action|chapter|part|paragraph|version|item|no\.?)\s+\d+(?:\.\d+)*\b"
    r"|\bpage\s+\d+\s+of\s+\d+\b|\[\d{1,3}\]|^\W*\d{1,2}(?:\.\d{1,2})*\.?\s+(?=(?-i:[A-Z]))"  # page numbers, footnotes, list numbers
    r"|\b\d{1,2}[./]\d{1,2}[./](?:19|20)?\d{2}\b"  # dates written 20.02.2019 or 02/04/09
    r"|\b0\d{2,4}\s?\d{3}\s?\d{3,4}\b"  # telephone numbers
    r"|(?<!from\s)(?<!to\s)(?<![\d.])\b\d{1,3}\s+(?:years?|months?|weeks?|days?|hours?|minutes?)\b(?!\s+(?:of\s+)?(?:care|support|respite|childcare|volunteering))"  # durations
    r"|\b[a-z]{2,}-?\d+\b"  # codes such as SVQ2, COVID-19 (any case: [a-z] is [A-Z] under IGNORECASE)
    r"|\bup\s+to\s+\d[\d,]*\b|\bbetween\s+\d[\d,]*\s+and\s+\d[\d,]*\b"  # capacities and ranges, not counts
    r"|\b\d+(?:\.\d+)?\s?(?:m|bn)\b"  # sums written without the pound sign
    r"|\b[ps][1-7]\b|\b24/7\b|\b1:1\b|\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b"
    r"|\b\d{1,2}\s+(?:key\s+|local\s+|national\s+|strategic\s+|main\s+)?(?:priorities|outcomes|themes|objectives|strands|workstreams|pillars|commitments|principles|aims|actions|recommendations)\b"
    r"|\b(?:aged|ages)\s+\d{1,2}\s?(?:-|–|to|and)\s?\d{1,2}\b"  # age ranges: "aged 16 to 24"
    r"|\b(?:aged|age|ages|under|over)\s+\d{1,2}s?\b(?![,.]?\d)(?!\s*(?:%|per\s?cent|people|young|children|adults|pupils|families|households|residents|clients|participants))"
    r"|\b\d{1,3}(?:\s?(?:-|–|to)\s?\d{1,3})?[-\s](?:week|month|year|day|hour|minute)\b(?!s)"  # adjectival: "12-week course", "27-30 month review"
    r"|\b(?:primary|secondary)\s+[1-7]\b"
    r"|\b\d{1,2}\s?(?:-|–|to)\s?\d{1,2}\s?(?:year|yr)s?[-\s]olds?\b",
    _FLAGS,
)

# Timeline expressions, tried in this order; a later one never overlaps an earlier match.
DATE_MONTH = re.compile(
    rf"\b(?:(?:by|before|until|till|in|during|from|for|end\s+of|completed\s+in|due\s+in)\s+)?"
    rf"(?:the\s+)?(?:end\s+of\s+)?(?P<day>\d{{1,2}})?(?:st|nd|rd|th)?\s*(?:of\s+)?"
    rf"(?P<month>{_MONTH_ALT})\.?,?\s+(?P<year>{_YEAR})\b",
    _FLAGS,
)
DATE_FINANCIAL_YEAR = re.compile(
    rf"\b(?:(?:by|in|during|for|from|until|through|throughout|over)\s+)?(?:the\s+)?(?:end\s+of\s+)?"
    rf"(?:financial\s+year\s+)?(?P<y1>{_YEAR})\s*(?:/|-|–|to)\s*(?P<y2>{_YEAR}|\d{{2}})\b",
    _FLAGS,
)
DATE_SEASON = re.compile(
    rf"\b(?:(?:by|in|during|from|until|over)\s+)?(?:the\s+)?(?:end\s+of\s+)?"
    rf"(?P<season>spring|summer|autumn|fall|winter|early|mid|late|the\s+start\s+of|the\s+beginning\s+of)"
    rf"[-\s]+(?:of\s+)?(?P<year>{_YEAR})\b",
    _FLAGS,
)
DATE_QUARTER = re.compile(
    rf"\b(?:(?:by|in|during)\s+)?(?:the\s+)?(?:end\s+of\s+)?(?:q(?P<q>[1-4])|(?P<qw>first|second|third|fourth|last|final)\s+quarter)"
    rf"\s+(?:of\s+)?(?P<year>{_YEAR})\b",
    _FLAGS,
)
DATE_RELATIVE = re.compile(
    rf"\b(?:(?:over|in|within|during|for)\s+)?(?:the\s+)?(?:next|coming|following)\s+"
    rf"(?:(?P<n>{_NUM_ALT})\s+)?(?P<unit>years?|months?|weeks?)\b"
    rf"|\bwithin\s+(?:the\s+)?(?P<n2>{_NUM_ALT})\s+(?P<unit2>years?|months?|weeks?)\b"
    rf"|\bnext\s+(?P<unit3>year|month|financial\s+year)\b",
    _FLAGS,
)
DATE_END_OF_YEAR = re.compile(
    r"\b(?:by|before|at|until)?\s*(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<fin>financial\s+|calendar\s+)?year\b",
    _FLAGS,
)
DATE_YEAR = re.compile(
    rf"\b(?P<prep>by|in|during|until|till|before|from|for|throughout|through|of|end\s+of)\s+(?:the\s+end\s+of\s+)?(?P<year>{_YEAR})\b(?!\s*(?:/|-|–)\s*\d)",
    _FLAGS,
)

# Who acts in a next step: organisations and roles that commonly head such sentences.
ACTOR = re.compile(
    r"\b(?:the\s+)?(?:council|local\s+authority|nhs(?:\s+[a-z&]+)?|health\s+board|police(?:\s+scotland)?|"
    r"(?:scottish\s+)?fire\s+and\s+rescue(?:\s+service)?|community\s+planning\s+partnership|cpp|the\s+partnership|partners|"
    r"third\s+sector\s+interface|tsi|skills\s+development\s+scotland|sds|jobcentre\s+plus|dwp|scottish\s+enterprise|"
    r"highlands\s+and\s+islands\s+enterprise|college|university|housing\s+associations?|steering\s+group|working\s+group|"
    r"project\s+team|board|community\s+councils?|voluntary\s+sector|chamber\s+of\s+commerce)\b",
    _FLAGS,
)

# The subject of a next-step sentence: the words before "will", "is to", "plans to" ...
NEXT_STEP_SUBJECT = re.compile(
    r"^(?P<subj>[A-Z][^,.;:]{1,80}?)\s+(?:will|shall|is\s+to|are\s+to|plans?\s+to|intends?\s+to|aims?\s+to|"
    r"is\s+due\s+to|are\s+due\s+to|has\s+agreed\s+to|have\s+agreed\s+to|is\s+going\s+to|are\s+going\s+to)\b"
)
PRONOUN_SUBJECT = re.compile(r"^(?:we|it|this|they|there|these|those|that|i|you|all|work|progress)$", re.IGNORECASE)
LEADING_TIME = re.compile(
    r"^(?:(?:in|by|from|during|over|within|after|before|at)\s+(?:the\s+)?(?:\w+\s+){0,3}?(?:(?:19|20)\d{2}(?:/\d{2})?|year|months?|weeks?|phase)|"
    r"next|then|finally|also|in\s+addition|following\s+this)\s*,?\s+",
    re.IGNORECASE,
)

# Cheap test run before the timeline expressions: a digit or a relative-period word.
DATE_HINT = re.compile(r"\d|\b(?:next|coming|following|within|end\s+of)\b", re.IGNORECASE)
