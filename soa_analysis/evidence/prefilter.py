"""A cheap test that a rubric pattern cannot match a text, derived from the pattern itself.

Most rubric patterns cannot match a sentence unless it contains one of a few words: a pattern
``\\b(?:fell|reduc(?:ed|tion))\\b`` needs ``fell`` or ``reduc`` somewhere in the text. Looking for
those words (a substring search, done in C) is much cheaper than running the expression, and
most sentences hold none of a given pattern's words. :func:`required_literals` works the words
out from the compiled expression's parse tree, so an edited rule can never make the test wrong;
:func:`may_match` is the test. It is exact: when it says no, the expression finds no match in
that text (a test checks every rubric and guidance pattern on a varied corpus and the sample).

The reasoning, per node of the parse tree: a run of literal characters must appear as it is;
a group needs what its contents need; an alternation needs one of what each branch needs (and
nothing, when one branch needs nothing); a repeat needs what its item needs when it repeats at
least once; a sequence needs what each of its items needs, and the most selective one is kept
(the one whose shortest word is longest). Anything else (character classes, ``.``, optional
items, look-arounds, back-references) needs nothing. A case-insensitive expression gets no
words at all (Unicode case folding makes a few characters match letters they do not lower-case
to), so the rubric's patterns, which :func:`.patterns.compile_lower` compiles case-sensitively
for lower-cased text, are the ones this serves.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache, wraps

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

__all__ = ["required_literals", "may_match", "LiteralIndex", "requires_digit", "needs_ignorecase", "DIGIT", "first_chars",
           "Finder", "top_level_alternatives", "split_alternatives", "AlternativeSpans", "alternatives", "identity_cache"]

DIGIT = re.compile(r"\d")  # the test for a text that :func:`requires_digit` patterns need


def identity_cache(build):
    """``build`` of objects that need not be hashable (a rubric, a plan, an order of expressions),
    worked out once per the identity of its arguments: the search plans the grader and the date
    finder build once and read for every sentence.

    The arguments are kept with the value, so an id is not reused while its entry lives; the
    cache holds at most 16 entries (it is emptied when full). ``cache_clear()`` empties it.
    """
    store: dict = {}

    @wraps(build)
    def cached(*args):
        key = tuple(map(id, args))
        hit = store.get(key)
        if hit is not None:
            return hit[1]
        value = build(*args)
        if len(store) >= 16:
            store.clear()
        store[key] = (args, value)
        return value

    cached.cache_clear = store.clear
    return cached
_Need = frozenset  # a set of words: a match contains at least one of them
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())
_GROUPS = {_c.ATOMIC_GROUP} if hasattr(_c, "ATOMIC_GROUP") else set()


def _better(a: _Need | None, b: _Need | None) -> _Need | None:
    """The more selective of two needs (longest shortest word, then fewer words)."""
    if a is None or b is None:
        return a if b is None else b
    return max(a, b, key=lambda n: (min(map(len, n)), -len(n)))


def _sequence(items) -> _Need | None:
    best: _Need | None = None
    run: list[str] = []
    for op, av in list(items) + [(None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            best = _better(best, _Need(["".join(run)]))
            run = []
        if op is not None:
            best = _better(best, _node(op, av))
    return best


def _node(op, av) -> _Need | None:
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        return None if add_flags & re.IGNORECASE else _sequence(body)
    if op in _GROUPS:
        return _sequence(av)
    if op is _c.BRANCH:
        needs = [_sequence(branch) for branch in av[1]]
        return None if any(n is None for n in needs) else _Need().union(*needs)
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(body) if low >= 1 else None
    return None


@lru_cache(maxsize=4096)
def _parsed(pattern: str, flags: int):
    """``re``'s parse tree of an expression, parsed once for the analyses here (the words a match needs,
    whether it needs a digit, its first characters, whether it needs IGNORECASE), which only read it:
    parsing is most of building the grader's search plan."""
    return _p.parse(pattern, flags)


@lru_cache(maxsize=4096)
def _literals(pattern: str, flags: int) -> frozenset[str] | None:
    if flags & re.IGNORECASE:
        return None
    need = _sequence(_parsed(pattern, flags))
    if not need or "" in need:
        return None
    # a word holding another of the set adds nothing (where it is, the other is): fewer to look for
    return frozenset(w for w in need if not any(o != w and o in w for o in need))


def required_literals(compiled: re.Pattern) -> frozenset[str] | None:
    """Words of which every match of ``compiled`` contains at least one (``None``: no such words known).

    Example
    -------
    >>> sorted(required_literals(re.compile(r"\\b(?:fell|reduc(?:ed|tion)s?)\\b")))
    ['fell', 'reduc']
    >>> required_literals(re.compile(r"\\d+%?")) is None
    True
    """
    return _literals(compiled.pattern, compiled.flags)


def may_match(compiled: re.Pattern, text: str) -> bool:
    """False only when ``compiled`` cannot match anywhere in ``text`` (it holds none of the words)."""
    need = _literals(compiled.pattern, compiled.flags)
    if need is None:
        return True
    for word in need:
        if word in text:
            return True
    return False


class LiteralIndex:
    """Which of many patterns may match a text, from one pass over it.

    ``needs[i]`` is what pattern ``i`` needs (:func:`required_literals`; ``None``: nothing known,
    so it may always match). :meth:`candidates` finds every occurrence of every word at once
    with an Aho-Corasick automaton (pyahocorasick) instead of one substring search per word and
    pattern, and gives the patterns at least one of whose words occurs: exactly those
    :func:`may_match` would let through, one by one.

    Example
    -------
    >>> index = LiteralIndex([frozenset({"fell", "reduc"}), None, frozenset({"award"})])
    >>> sorted(index.candidates("admissions fell by a third"))
    [0, 1]
    """

    def __init__(self, needs) -> None:
        import ahocorasick

        self._always = frozenset(i for i, need in enumerate(needs) if need is None)
        words: dict[str, set[int]] = {}
        for i, need in enumerate(needs):
            for word in need or ():
                words.setdefault(word, set()).add(i)
        self._always_bits = sum(1 << i for i in self._always)
        self._automaton = ahocorasick.Automaton() if words else None
        for word, patterns in words.items():
            self._automaton.add_word(word, sum(1 << i for i in patterns))  # the patterns as a bit set
        if self._automaton is not None:
            self._automaton.make_automaton()

    def bits(self, text: str) -> int:
        """:meth:`candidates` as a bit set: bit ``i`` is set when pattern ``i`` may match ``text``."""
        out = self._always_bits
        if self._automaton is not None:
            for _end, bits in self._automaton.iter(text):
                out |= bits
        return out

    def candidates(self, text: str) -> set[int]:
        """The patterns that may match ``text``: any of whose words it holds, and those that need none."""
        bits = self.bits(text)
        return {i for i in range(bits.bit_length()) if bits >> i & 1}


def _set_is_digits(items) -> bool:
    """An ``IN`` node (a character class) that matches only decimal digits."""
    for op, av in items:
        if op is _c.CATEGORY and av is _c.CATEGORY_DIGIT:
            continue
        if op is _c.LITERAL and chr(av).isdecimal():
            continue
        if op is _c.RANGE and all(chr(c).isdecimal() for c in range(av[0], av[1] + 1)):
            continue
        return False  # NEGATE, other categories, letters ...
    return bool(items)


def _digit_sequence(items) -> bool:
    return any(_digit_node(op, av) for op, av in items)


def _digit_node(op, av) -> bool:
    if op is _c.LITERAL:
        return chr(av).isdecimal()
    if op is _c.IN:
        return _set_is_digits(av)
    if op is _c.SUBPATTERN:
        return _digit_sequence(av[3])
    if op in _GROUPS:
        return _digit_sequence(av)
    if op is _c.BRANCH:
        return all(_digit_sequence(branch) for branch in av[1])
    if op in _REPEATS:
        return av[0] >= 1 and _digit_sequence(av[2])
    return False  # look-arounds, anchors, back-references, ``.`` ...


@lru_cache(maxsize=4096)
def _needs_digit(pattern: str, flags: int) -> bool:
    return _digit_sequence(_parsed(pattern, flags))


def requires_digit(compiled: re.Pattern) -> bool:
    """True when every match of ``compiled`` holds a decimal digit (a character ``\\d`` matches), so
    that it cannot match a text :data:`DIGIT` finds nothing in.

    Digits have no case, so this holds with or without IGNORECASE.

    Example
    -------
    >>> requires_digit(re.compile(r"\\b(?:19|20)\\d{2}\\b|\\bp[1-7]\\b", re.I)), requires_digit(re.compile(r"\\d*%"))
    (True, False)
    """
    return _needs_digit(compiled.pattern, compiled.flags)


def _nodes(items):
    """Every ``(op, av)`` node of a parsed expression, nested ones included."""
    for op, av in items:
        yield op, av
        stack = [av]
        while stack:
            x = stack.pop()
            if isinstance(x, _p.SubPattern):
                yield from _nodes(x)
            elif isinstance(x, list) and x and isinstance(x[0], tuple) and len(x[0]) == 2 \
                    and isinstance(x[0][0], _c._NamedIntConstant):
                yield from _nodes(x)  # a character class's items
            elif isinstance(x, (tuple, list)):
                stack.extend(x)


def _cased(c: str) -> bool:
    """A character IGNORECASE may match differently from its lower-case ASCII self."""
    return not (c.isascii() and c == c.lower()) and not (c == c.lower() == c.upper())


def needs_ignorecase(compiled: re.Pattern) -> bool:
    """False when ``compiled`` (case-insensitive) can search lower-cased ASCII text without IGNORECASE
    and find the same matches: every literal character (alone, excluded, in a class or a range) is
    lower-case ASCII or has no case at all.

    Example
    -------
    >>> needs_ignorecase(re.compile(r"(?P<year>20\\d{2})–|[a-z]+")), needs_ignorecase(re.compile(r"[A-Z]{2}"))
    (False, True)
    """
    for op, av in _nodes(_parsed(compiled.pattern, compiled.flags)):
        if op in (_c.LITERAL, _c.NOT_LITERAL) and _cased(chr(av)):
            return True
        if op is _c.RANGE and any(_cased(chr(c)) for c in range(av[0], av[1] + 1)):
            return True
    return False


# -- Searching only where a match can start ---------------------------------------------------------
#
# Python's ``re`` skips quickly (in C) to the characters a match can begin with when the expression
# starts with a literal or a character class; an expression that starts with ``\b``, a look-behind
# or an optional item is instead tried at every position of the text, which is most of the cost of
# the rubric's patterns. :func:`first_chars` works out, from the parse tree, a class of characters
# every match's first character belongs to; :class:`Finder` then searches
# ``[F](?<=(?=(P))[F])`` instead of ``P``: the class is matched first (the fast skip), the look-behind
# steps back over it and the look-ahead runs ``P`` itself from there, capturing its match. A
# look-ahead takes the first match the expression has at that position, as a search does, and
# positions whose character is not in ``F`` hold no match, so the leftmost match found is the one
# ``P.search`` finds (a test checks every rubric and guidance pattern on a varied corpus).
# Alternatives anchored at the start of the text (``^`` without MULTILINE, ``\A``) can only match
# at position 0: they add nothing to ``F``, and the expression is tried there first with
# ``P.match``.

_CATEGORY_CLASS = {_c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
                   _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W"}
_AT_START = {_c.AT_BEGINNING, _c.AT_BEGINNING_STRING}
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}


class _Unknown(Exception):
    """A node whose first characters are not worked out (the expression is searched as it is)."""


def _class_item(op, av) -> str:
    if op is _c.LITERAL:
        return re.escape(chr(av))
    if op is _c.RANGE:
        return f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}"
    if op is _c.CATEGORY and av in _CATEGORY_CLASS:
        return _CATEGORY_CLASS[av]
    raise _Unknown(op)  # a negated class, ``.``, a back-reference ...


def _first_sequence(items, multiline: bool) -> tuple[list[str], bool, bool]:
    """(class items, nullable, may match at 0 only): the first characters of the matches of a sequence
    that do not start at position 0 through an anchor; whether it can match without consuming."""
    first: list[str] = []
    at_start = False
    for op, av in items:
        f, nullable, anchored = _first_node(op, av, multiline)
        first += f
        at_start |= anchored
        if not nullable:
            return first, False, at_start
    return first, True, at_start


def _first_node(op, av, multiline: bool) -> tuple[list[str], bool, bool]:
    if op is _c.LITERAL:
        return [_class_item(op, av)], False, False
    if op is _c.IN:
        return [_class_item(o, a) for o, a in av], False, False
    if op is _c.AT and av in _AT_START and not (multiline and av is _c.AT_BEGINNING):
        return [], False, True  # nothing after it matches anywhere but at position 0
    if op in _ZERO_WIDTH:
        return [], True, False
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        if add_flags & (re.IGNORECASE | re.MULTILINE):
            raise _Unknown(op)
        return _first_sequence(body, multiline)
    if op in _GROUPS:
        return _first_sequence(av, multiline)
    if op is _c.BRANCH:
        first, nullable, anchored = [], False, False
        for branch in av[1]:
            f, n, a = _first_sequence(branch, multiline)
            first += f
            nullable |= n
            anchored |= a
        return first, nullable, anchored
    if op in _REPEATS:
        low, _high, body = av
        f, n, a = _first_sequence(body, multiline)
        return f, n or low == 0, a
    raise _Unknown(op)


_REFERENCES = {_c.GROUPREF, _c.GROUPREF_EXISTS} | ({_c.GROUPREF_IGNORE} if hasattr(_c, "GROUPREF_IGNORE") else set())


@lru_cache(maxsize=4096)
def _first_chars(pattern: str, flags: int) -> tuple[str | None, bool]:
    if flags & (re.IGNORECASE | re.VERBOSE):
        return None, True
    try:
        tree = _parsed(pattern, flags)
        if any(op in _REFERENCES for op, _ in _nodes(tree)):
            return None, True  # group numbers shift inside the wrapper
        first, nullable, at_start = _first_sequence(tree, bool(flags & re.MULTILINE))
    except (_Unknown, re.error):
        return None, True
    if nullable:
        return None, True
    return ("[" + "".join(dict.fromkeys(first)) + "]" if first else ""), at_start


def first_chars(compiled: re.Pattern) -> str | None:
    """A character class every match of ``compiled`` not anchored at the start of the text begins
    with (``""``: every match is anchored there), or ``None`` when not worked out (a
    case-insensitive or verbose expression, one that can match the empty string, a back-reference,
    a negated class or ``.`` among the first characters).

    Example
    -------
    >>> first_chars(re.compile(r"\\b(?:fell|reduc(?:ed|tion))\\b|\\d+%"))
    '[fr\\\\d]'
    >>> first_chars(re.compile(r"\\w*")) is None
    True
    """
    return _first_chars(compiled.pattern, compiled.flags)[0]


class Finder:
    """``compiled.search`` (its leftmost match's span), searching only where a match can start.

    ``compiled`` may be given as an expression's text and ``flags``: it is then compiled when first
    searched (as is the expression searched where a match can start, in either case). A grader's plan
    holds a thousand alternatives and the words a text holds rule most of them out of every search, so
    a run that grades a few sentences compiles a few of them.

    Example
    -------
    >>> Finder(re.compile(r"(?<!than\\s)\\btarget\\b|^\\W*to\\s+reduce")).span("to reduce the target")
    (0, 9)
    >>> Finder(r"(?<!than\\s)\\btarget\\b|^\\W*to\\s+reduce").span("more than target, a target")
    (20, 26)
    """

    __slots__ = ("_pattern", "_text", "_search", "_group", "_at_start", "_wrap")

    def __init__(self, compiled: re.Pattern | str, flags: int = 0, *, first: tuple[str | None, bool] | None = None):
        if isinstance(compiled, str):
            self._pattern, self._text = None, (compiled, flags)
        else:
            self._pattern, self._text = compiled, (compiled.pattern, compiled.flags)
        self._search, self._group, self._at_start = None, 0, None
        # what _ready compiles from, when first searched (``first``: _first_chars of the expression, known)
        self._wrap = first if first is not None else _first_chars(*self._text)

    @property
    def pattern(self) -> re.Pattern:
        """The expression, compiled."""
        if self._pattern is None:
            self._pattern = re.compile(*self._text)
        return self._pattern

    def _ready(self) -> None:
        first, at_start = self._wrap
        self._wrap = None
        compiled = self.pattern
        self._search = compiled.search
        if first is None:
            return
        if not first:  # anchored at the start only
            self._search, self._at_start = None, compiled.match
            return
        try:
            wrapped = re.compile(f"{first}(?<=(?=({compiled.pattern})){first})", compiled.flags)
        except (re.error, OverflowError, RecursionError):
            return
        self._search, self._group = wrapped.search, 1
        self._at_start = compiled.match if at_start else None

    def matches(self, text: str):
        """``(match, group)`` for each match ``compiled.finditer(text)`` finds, in order: its span is
        ``match.span(group)``; its named groups are the expression's own."""
        if self._wrap is not None:
            self._ready()
        if self._group == 0 and self._at_start is None:
            for m in self.pattern.finditer(text):
                yield m, 0
            return
        # searched where a match can start: an expression that cannot match the empty string
        # (_first_chars), so the next match starts where the last one ended, as finditer does
        # An empty match (an anchored alternative such as ``^\b``) is where that stops holding: from
        # there on finditer's own rule for what may follow an empty match decides, so the rest is its.
        pos = 0
        if self._at_start is not None:
            m = self._at_start(text)
            if m is not None:
                if m.end() == m.start():
                    yield from ((m, 0) for m in self.pattern.finditer(text))
                    return
                yield m, 0
                pos = m.end()
        if self._search is None:
            return
        while True:
            m = self._search(text, pos)
            if m is None:
                return
            if m.end(self._group) == m.start(self._group):
                yield from ((m, 0) for m in self.pattern.finditer(text, pos))
                return
            yield m, self._group
            pos = m.end(self._group)

    def span(self, text: str, pos: int = 0) -> tuple[int, int] | None:
        """The span of ``compiled.search(text, pos)``, or None when it finds no match."""
        if self._wrap is not None:
            self._ready()
        if self._at_start is not None and not pos:
            m = self._at_start(text)
            if m is not None:
                return m.span()
        if self._search is None:
            return None
        m = self._search(text, pos)
        return m.span(self._group) if m is not None else None


# -- Every match, alternative by alternative --------------------------------------------------------
#
# An expression of many alternatives (the figure mask) that begin with ``\b`` or a word is tried at
# every position of the text, each alternative in turn, and a case-insensitive one more slowly still.
# :class:`AlternativeSpans` searches each top-level alternative on its own instead: lower-cased ASCII
# text without IGNORECASE where that finds the same (as :mod:`.timeline` does), only where the
# alternative can start (:class:`Finder`), and not at all when the text holds none of its words or no
# digit it needs. The expression's next match is then the leftmost of the alternatives' next matches,
# and of two starting at the same place the one written first: at each position ``re`` tries the
# alternatives in order and the first that matches there is the match (nothing follows a top-level
# alternative). So the spans are those ``finditer`` gives (a test checks, on every text of a varied
# corpus, for the figure mask and generated expressions).

_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def _structure(pattern: str):
    """``(index, character)`` of every "(", ")" and "|" of ``pattern`` that is not escaped nor in a class."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a class: "]" first (after an optional "^") is a literal
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c in "()|":
            yield i, c
        i += 1


def top_level_alternatives(pattern: str) -> list[str] | None:
    """The top-level alternatives of ``pattern`` as written, or None when it is not split safely
    (inline global flags or a back-reference, whose meaning would change alone).

    Example
    -------
    >>> top_level_alternatives("a(b|c)|[|]d|e")
    ['a(b|c)', '[|]d', 'e']
    """
    if _GLOBAL_FLAGS.search(pattern):
        return None
    parts, start, depth = [], 0, 0
    for i, c in _structure(pattern):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0:  # "|"
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    if "|".join(parts) != pattern:
        return None
    try:
        if any(op in _REFERENCES for op, _ in _nodes(_p.parse(pattern))):
            return None
    except re.error:
        return None
    return parts


def leading_group_alternatives(part: str) -> list[str] | None:
    """``part`` written as alternatives when it is zero-width assertions, then a group ``(?:A|B|...)``
    repeated once, then the rest: ``[assertions + A + rest, assertions + B + rest, ...]``; else None.

    At each position ``re`` tries ``A`` and the rest (backtracking into ``A``), then ``B`` and the
    rest ..., after assertions that match in one way or not at all: what it tries for the
    alternatives, in their order. So the first match at each position, and the leftmost match, are
    the same (a test checks every rubric pattern on a varied corpus).

    Example
    -------
    >>> leading_group_alternatives(r"(?<!not\\s)\\b(?:fell|cut)\\s+by")
    ['(?<!not\\\\s)\\\\bfell\\\\s+by', '(?<!not\\\\s)\\\\bcut\\\\s+by']
    >>> leading_group_alternatives(r"\\b(?:fell|cut)?\\s+by") is None  # repeated: not once
    True
    """
    depth, start = 0, None
    for i, c in _structure(part):
        if c == "|":
            continue
        if c == "(":
            if depth == 0 and start is None and part.startswith("(?:", i):
                start = i  # the first group at the top level that is not a look-around (checked below)
            depth += 1
            continue
        depth -= 1
        if depth == 0 and start is not None:
            end = i
            break
    else:
        return None
    prefix, body, rest = part[:start], part[start + 3:end], part[end + 1:]
    if rest[:1] in ("*", "+", "?", "{"):
        return None
    try:
        if any(op not in _ZERO_WIDTH for op, _ in _p.parse(prefix)):
            return None
    except re.error:
        return None
    alts = top_level_alternatives(body)
    if not alts or len(alts) < 2:
        return None
    return [prefix + alt + rest for alt in alts]


@lru_cache(maxsize=1024)
def split_alternatives(pattern: str, flags: int) -> tuple[str, ...] | None:
    """``pattern``'s top-level alternatives (:func:`top_level_alternatives`), an alternative that
    opens with a group of alternatives written out as one per member of the group
    (:func:`leading_group_alternatives`), each an expression that parses alone with ``flags``; ``None``
    when the expression is not split (one alternative, a verbose expression, or a part that does not
    parse alone).
    The one place the rule of splitting lives: :func:`alternatives` (search) and
    :class:`AlternativeSpans` (finditer) both take their alternatives from here.

    Example
    -------
    >>> list(split_alternatives(r"\\b(?:fell|cut)\\s+by|\\d+%", 0))
    ['\\\\bfell\\\\s+by', '\\\\bcut\\\\s+by', '\\\\d+%']
    >>> split_alternatives(r"fell", 0) is None
    True
    """
    parts = top_level_alternatives(pattern) if not flags & re.VERBOSE else None
    if not parts:
        return None
    parts = [alt for part in parts for alt in (leading_group_alternatives(part) or [part])]
    if len(parts) < 2:
        return None
    try:  # each alternative an expression of its own (parsed here; compiled where it is first searched)
        for part in parts:
            _parsed(part, flags)
    except re.error:
        return None
    return tuple(parts)


@lru_cache(maxsize=1024)
def _alternatives(pattern: str, flags: int) -> tuple:
    parts, found = analyses(pattern, flags)
    if parts:  # compiled when first searched (Finder): most are ruled out of most searches by their words
        return tuple((Finder(part, flags, first=first).span, need, digit)
                     for part, (first, need, digit) in zip(parts, found))
    (first, need, digit), = found
    return ((Finder(re.compile(pattern, flags), first=first).span, need, digit),)


# Within :func:`carried_analyses`: the analyses handed in, and those found (None outside it: nothing is taken
# or recorded, so what a process works out alone is as before)
_CARRIED: dict | None = None


def analyses(pattern: str, flags: int) -> tuple[tuple[str, ...] | None, tuple]:
    """What :func:`alternatives` builds its finders from, as plain values: ``pattern``'s alternatives
    (:func:`split_alternatives`; None when it is not split) and, for each of them (or the whole expression),
    its first characters (:func:`_first_chars`), the words it needs and whether it needs a digit. Parsing the
    expressions for these is most of the cost of a grader's search plan, paid in every process that grades;
    :func:`carried_analyses` carries them over from another process (the evidence stage keeps them in its
    cache folder).

    Example
    -------
    >>> parts, found = analyses(r"\\bfell\\b|\\d+%", 0)
    >>> len(parts), [sorted(need) for _first, need, _digit in found]
    (2, [['fell'], ['%']])
    """
    key = (pattern, flags)
    if _CARRIED is not None and key in _CARRIED:
        return _CARRIED[key]
    parts = split_alternatives(pattern, flags)
    if parts:
        found = tuple((_first_chars(t, flags), _literals(t, flags), _needs_digit(t, flags)) for t in parts)
    else:
        whole = re.compile(pattern, flags)
        found = ((_first_chars(whole.pattern, whole.flags), required_literals(whole), requires_digit(whole)),)
    if _CARRIED is not None:
        _CARRIED[key] = (parts, found)
    return parts, found


@contextmanager
def carried_analyses(known: dict):
    """Within this block, :func:`analyses` takes those of ``known`` (worked out by the same code in another
    process: only plain values are taken, strings, flags, booleans and sets of words) and adds those it works
    out to it, for the caller to keep."""
    global _CARRIED
    for key in [k for k, found in known.items() if not _plain_analysis(k, found)]:
        del known[key]
    _CARRIED = known
    try:
        yield known
    finally:
        _CARRIED = None


def _plain_analysis(key, found) -> bool:
    try:
        (pattern, flags), (parts, per) = key, found
        ok = type(pattern) is str and type(flags) is int and (parts is None or all(type(p) is str for p in parts))
        ok = ok and len(per) == (len(parts) if parts else 1)
        for (first, at_start), need, digit in per:
            ok = ok and (first is None or type(first) is str) and type(at_start) is bool and type(digit) is bool
            ok = ok and (need is None or (type(need) is frozenset and all(type(w) is str for w in need)))
        return ok
    except (TypeError, ValueError):
        return False


def alternatives(compiled: re.Pattern) -> tuple:
    """``compiled``'s top-level alternatives (:func:`top_level_alternatives`; the whole expression
    when it is not split), an alternative that opens with a group of alternatives written out as one
    per alternative of the group (:func:`leading_group_alternatives`: ``\\b(?:fell|cut)\\s+by`` as
    ``\\bfell\\s+by`` and ``\\bcut\\s+by``), each as ``(span, needs, digit)``: its :class:`Finder`'s span, the words it
    needs (:func:`required_literals`) and whether it needs a digit (:func:`requires_digit`). Built once
    per expression (kept by its text, so a worker forked after building them inherits them).

    ``compiled.search``'s match is the leftmost of the alternatives' first matches, and of two
    starting at the same place the one written first: at each position ``re`` tries the
    alternatives in order and the first that matches there is the match (nothing follows a
    top-level alternative). So the alternatives that cannot match a text (it holds none of their
    words, or no digit they need) may be skipped and the others searched alone, each where it can
    start, for the same span (a test checks every rubric pattern on a varied corpus).

    Example
    -------
    >>> [(span("cut by 5%"), sorted(need), digit) for span, need, digit in alternatives(re.compile(r"\\bfell\\b|\\d+%"))]
    [(None, ['fell'], False), ((7, 9), ['%'], True)]
    """
    return _alternatives(compiled.pattern, compiled.flags)


class AlternativeSpans:
    """The spans of ``compiled.finditer(text)``, found alternative by alternative in ASCII text.

    For an expression that cannot match the empty string (an empty match, or text that is not
    ASCII, is left to ``finditer`` itself). Each top-level alternative is searched on its own:
    when it finds the same case-insensitively in lower-cased ASCII text without IGNORECASE
    (:func:`needs_ignorecase`), there (where it can start, :class:`Finder`; skipped when the
    text holds none of its words, :func:`required_literals`), else in the text as it is; it is
    skipped when it needs a digit and the text has none (:func:`requires_digit`).

    Example
    -------
    >>> AlternativeSpans(re.compile(r"\\bp[1-7]\\b|\\b(?:19|20)\\d{2}", re.I)).spans("P1 pupils in 2010 and S4")
    [(0, 2), (13, 17)]
    """

    def __init__(self, compiled: re.Pattern):
        self.pattern = compiled
        self._alts = None
        parts = split_alternatives(compiled.pattern, compiled.flags)
        if parts is None:
            return
        alts = []
        for alone in (re.compile(part, compiled.flags) for part in parts):
            lower = alone.flags & re.IGNORECASE and not needs_ignorecase(alone)
            if lower:
                alone = re.compile(alone.pattern, alone.flags & ~re.IGNORECASE)
            alts.append((Finder(alone).span, bool(lower), required_literals(alone) if lower else None,
                         requires_digit(alone)))
        self._alts = alts
        self._index = LiteralIndex([need for _, _, need, _ in alts])  # every alternative's words, in one pass
        self._digit_bits = sum(1 << number for number, (*_, digit) in enumerate(alts) if digit)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The ``(start, end)`` of every match ``finditer`` finds, in order."""
        if self._alts is None or not text.isascii():
            return [m.span() for m in self.pattern.finditer(text)]
        lower = text.lower()
        may = self._index.bits(lower)
        if DIGIT.search(text) is None:
            may &= ~self._digit_bits
        live = []  # the alternatives that may match, in order: [span, subject, next match at or after pos]
        while may:
            bit = may & -may
            may ^= bit
            span, on_lower, _need, _digit = self._alts[bit.bit_length() - 1]
            live.append([span, lower if on_lower else text, ()])  # () not searched yet
        out: list[tuple[int, int]] = []
        pos = 0
        while live:
            best = None
            for alt in live:
                at = alt[2]
                if at == () or at[0] < pos:
                    at = alt[2] = alt[0](alt[1], pos)
                if at is not None and (best is None or at[0] < best[0]):
                    best = at
            if best is None:
                break
            if best[0] == best[1]:  # an empty match: leave the rules for those to finditer
                return [m.span() for m in self.pattern.finditer(text)]
            out.append(best)
            pos = best[1]
            live = [alt for alt in live if alt[2] is not None]
        return out
