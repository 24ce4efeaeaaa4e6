"""Dates and periods in narrative text, resolved to due dates.

Submissions say when benefits will come or next steps are due in many ways: "by March
2012", "in 2011/12", "by the end of the financial year", "over the next two years",
"summer 2013". :func:`extract_dates` finds each expression and resolves it to the last
day of the period it names (ISO ``YYYY-MM-DD``), using a reference date for relative
expressions.

Resolution rules (the report's methodology section quotes them):

- a month and year ("by March 2012") -> the last day of that month (or the day, if given);
- a financial year ("2011/12", "2011-12") -> 31 March of its second year; a range of
  calendar years ("2008-2011") -> 31 December of the last year;
- seasons -> spring 31 May, summer 31 August, autumn 30 November, winter end of February
  of the next year; early 30 April, mid 30 June, late 31 December;
- quarters -> last day of the calendar quarter;
- "by 2015", "in 2013" -> 31 December of that year;
- "over the next two years", "within six months", "next year" -> the reference date plus
  that period; "by the end of the (financial) year" -> 31 December (31 March) of the
  reference date's (financial) year. Without a reference date these resolve to "".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .patterns import (
    DATE_END_OF_YEAR,
    DATE_FINANCIAL_YEAR,
    DATE_HINT,
    DATE_MONTH,
    DATE_QUARTER,
    DATE_RELATIVE,
    DATE_SEASON,
    DATE_YEAR,
    MONTHS,
    NUMBER_WORDS,
)
from .prefilter import Finder, LiteralIndex, identity_cache, needs_ignorecase, required_literals

__all__ = ["DateMention", "extract_dates", "reference_date"]


@dataclass(frozen=True)
class DateMention:
    """A date or period as written, and the due date it resolves to.

    Attributes
    ----------
    text : str
        The expression as written ("by March 2012").
    due : str
        ISO date it resolves to, "" when it cannot be resolved (relative, no reference).
    kind : str
        month, financial_year, year_range, season, quarter, year, relative, end_of_year.
    start : int
        Offset of the expression in the sentence.
    """

    text: str
    due: str
    kind: str
    start: int = 0


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reference_date(date: str | None = None, year: int | float | None = None) -> dt.date | None:
    """The reference date for relative expressions: an ISO ``date``, else 31 December of ``year``.

    Example
    -------
    >>> reference_date("2011-06-15"), reference_date("", 2010)
    (datetime.date(2011, 6, 15), datetime.date(2010, 12, 31))
    """
    if date:
        try:
            return dt.date.fromisoformat(str(date)[:10])
        except ValueError:
            pass
    try:
        if year is not None and year == year:  # not NaN
            return dt.date(int(year), 12, 31)
    except (TypeError, ValueError):
        pass
    return None


def _number(word: str | None) -> int:
    if not word:
        return 1
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word, 1)


_SEASON_END = {"spring": (0, 5), "summer": (0, 8), "autumn": (0, 11), "fall": (0, 11), "winter": (1, 2),
               "early": (0, 4), "mid": (0, 6), "late": (0, 12), "the start of": (0, 3), "the beginning of": (0, 3)}
_QUARTER_WORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4, "final": 4}


def _resolve_month(m, ref):
    year, month = int(m["year"]), MONTHS[m["month"].lower().rstrip(".")]
    if m["day"] and 1 <= int(m["day"]) <= calendar.monthrange(year, month)[1]:
        return dt.date(year, month, int(m["day"])), "month"
    return _last_day(year, month), "month"


def _resolve_fy(m, ref):
    y1 = int(m["y1"])
    y2 = m["y2"]
    y2 = int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2)
    if y2 == y1 + 1:
        return dt.date(y2, 3, 31), "financial_year"
    if y2 > y1:
        return dt.date(y2, 12, 31), "year_range"
    return None, "financial_year"


def _resolve_season(m, ref):
    extra, month = _SEASON_END[" ".join(m["season"].lower().split())]
    return _last_day(int(m["year"]) + extra, month), "season"


def _resolve_quarter(m, ref):
    q = int(m["q"]) if m["q"] else _QUARTER_WORD[m["qw"].lower()]
    return _last_day(int(m["year"]), 3 * q), "quarter"


def _resolve_relative(m, ref):
    if ref is None:
        return None, "relative"
    unit = (m["unit"] or m["unit2"] or m["unit3"] or "").lower()
    n = _number(m["n"] or m["n2"])
    if unit.startswith("financial"):
        fy_end = dt.date(ref.year + (1 if ref.month > 3 else 0), 3, 31)
        return dt.date(fy_end.year + 1, 3, 31), "relative"
    if unit.startswith("year"):
        return _add_months(ref, 12 * n), "relative"
    if unit.startswith("month"):
        return _add_months(ref, n), "relative"
    return ref + dt.timedelta(weeks=n), "relative"


def _resolve_end_of_year(m, ref):
    if ref is None:
        return None, "end_of_year"
    if m["fin"] and m["fin"].lower().startswith("financial"):
        return dt.date(ref.year + (1 if ref.month > 3 else 0), 3, 31), "end_of_year"
    return dt.date(ref.year, 12, 31), "end_of_year"


def _resolve_year(m, ref):
    return dt.date(int(m["year"]), 12, 31), "year"


_ORDER = (
    (DATE_MONTH, _resolve_month),
    (DATE_QUARTER, _resolve_quarter),
    (DATE_SEASON, _resolve_season),
    (DATE_FINANCIAL_YEAR, _resolve_fy),
    (DATE_RELATIVE, _resolve_relative),
    (DATE_END_OF_YEAR, _resolve_end_of_year),
    (DATE_YEAR, _resolve_year),
)


def _lower_form(regex: re.Pattern) -> re.Pattern:
    """``regex`` (case-insensitive) for lower-cased ASCII text: without IGNORECASE when it finds the
    same there (:func:`.prefilter.needs_ignorecase`; case-sensitive matching is much faster), else itself.

    On ASCII text the two find the same matches at the same offsets; the resolvers lower-case
    what they read, and the mention's text is taken from the original.
    """
    if not regex.flags & re.IGNORECASE or needs_ignorecase(regex):
        return regex
    return re.compile(regex.pattern, regex.flags & ~re.IGNORECASE)


_LOWER_ORDER = tuple((_lower_form(regex), resolve) for regex, resolve in _ORDER)
_LOWER_HINT = _lower_form(DATE_HINT)


@identity_cache
def _search_plan(order, literals) -> tuple:
    """Per expression of ``order`` its :class:`.prefilter.Finder`, and a :class:`.prefilter.LiteralIndex`
    of the words each needs (``literals``: :func:`.prefilter.required_literals`); worked out once per order."""
    return tuple(Finder(regex) for regex, _ in order), LiteralIndex([literals(regex) for regex, _ in order])


def extract_dates(text: str, reference: dt.date | str | None = None) -> list[DateMention]:
    """Find the dates and periods in ``text`` and resolve each to a due date.

    Parameters
    ----------
    text : str
        A sentence or passage.
    reference : datetime.date or str, optional
        The date relative expressions count from (usually the submission's date).

    Returns
    -------
    list of DateMention
        In order of appearance; overlapping expressions are reported once.

    Example
    -------
    >>> [(d.text, d.due) for d in extract_dates("Complete by March 2012, reviewed in 2011/12.")]
    [('by March 2012', '2012-03-31'), ('in 2011/12', '2012-03-31')]
    """
    if not text:
        return []
    if text.isascii():  # lower-cased once, searched without IGNORECASE (_lower_form)
        return _find_dates(text, text.lower(), _LOWER_ORDER, _LOWER_HINT, reference)
    return _find_dates(text, text, _ORDER, DATE_HINT, reference)


def _find_dates(text: str, subject: str, order, hint: re.Pattern, reference) -> list[DateMention]:
    """:func:`extract_dates` searching ``subject`` (``text`` or its lower-cased form) with ``order``."""
    if not hint.search(subject):
        return []
    if isinstance(reference, str):
        reference = reference_date(reference)
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    finders, index = _search_plan(order, required_literals)  # the module's name: a test replaces it
    may = index.bits(subject)  # the expressions whose words the text holds (one pass)
    for number, (_regex, resolve) in enumerate(order):
        if not may >> number & 1:  # a text holding none of its words holds no match (.prefilter)
            continue
        for m, group in finders[number].matches(subject):  # regex.finditer(subject), where a match can start
            start, end = m.span(group)
            if any(start < e and s < end for s, e in taken):
                continue
            try:
                due, kind = resolve(m, reference)
            except (ValueError, KeyError, OverflowError):
                continue
            taken.append((start, end))
            found.append(DateMention(text[start:end].strip(), due.isoformat() if due else "", kind, start))
    return sorted(found, key=lambda d: d.start)
