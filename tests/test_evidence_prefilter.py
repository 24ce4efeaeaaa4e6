"""The rubric patterns' prefilter (soa_analysis.evidence.prefilter): derived from the patterns, and
exact: with it, every sentence gets the features it gets without it.

Test sentences are fictional: the bundled sample's case studies (scripts/sample_cases, written for
the project) and sentences made here from the rubric's own words.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from soa_analysis.evidence import grader, prefilter
from soa_analysis.evidence.patterns import compile_lower, compile_pattern
from soa_analysis.evidence.prefilter import may_match, required_literals
from soa_analysis.nlp import split_sentences
from soa_analysis.rubrics import load_guidance, load_rubric

CASES = Path(__file__).resolve().parents[1] / "scripts" / "sample_cases"


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _sample_sentences() -> list[str]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            out += split_sentences(text)
    return out


def _rubric_patterns() -> list[re.Pattern]:
    rubric = load_rubric()
    pats = [compile_lower(rx) for f in rubric.features for _, rx in f.patterns]
    return pats + [compile_lower(p) for e in load_guidance().expectations for p in e.patterns]


def _made_sentences(n: int = 1500, seed: int = 11) -> list[str]:
    """Fictional sentences mixing the rubric's own words (whole, cut short, run together) with
    figures, money, dates, hedges and punctuation: near misses as well as matches."""
    rng = random.Random(seed)
    words = sorted({w for p in _rubric_patterns() for w in (required_literals(p) or ())})
    filler = ["the", "fictional", "partnership", "in", "2011", "by", "20%", "£3,000", "than", "before", "since",
              "March 2012", "will", "has", "have", "been", "not", "people", "pupils", "per cent", "12", "to",
              "from", "we", "were", "evaluation", "Survey", "(SIMD)", "‘excellent’", "-", ",", "?"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(3, 18)):
            w = rng.choice(words) if rng.random() < 0.5 else rng.choice(filler)
            if rng.random() < 0.1:
                w = w[: max(1, len(w) - 1)]  # a near miss
            if rng.random() < 0.1:
                w = w.capitalize()
            parts.append(w)
        out.append(" ".join(parts) + rng.choice([".", "?", "", "!"]))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _sample_sentences() + _made_sentences()


def test_the_corpus_is_varied(corpus):
    assert len(corpus) > 2000
    rubric = load_rubric()
    seen = {k for s in corpus[:600] for k in grader.sentence_features(s, rubric)}
    assert len(seen) > 30  # most features occur somewhere


def test_no_pattern_matches_where_the_prefilter_says_it_cannot(corpus):
    pats = _rubric_patterns()
    assert sum(required_literals(p) is not None for p in pats) > len(pats) // 2  # it does filter
    for text in corpus:
        low = text.lower()
        for p in pats:
            if not may_match(p, low):
                assert p.search(low) is None, (p.pattern, text)


@pytest.fixture
def fresh_alternatives():
    """prefilter.alternatives built afresh in the test (it keeps them by pattern text), and again after it."""
    prefilter._alternatives.cache_clear()
    prefilter.split_alternatives.cache_clear()
    yield
    prefilter._alternatives.cache_clear()
    prefilter.split_alternatives.cache_clear()


def test_features_are_the_same_with_and_without_the_prefilter(corpus, monkeypatch, fresh_alternatives):
    """Without the words, the digit test and the split into alternatives, every pattern searched whole."""
    rubric = load_rubric()
    with_it = [grader.sentence_features(s, rubric) for s in corpus]
    _specs, alternatives, _index = grader._feature_plan(rubric)
    assert any(need for *_, need, _ in alternatives)
    assert any(digit for *_, digit in alternatives)
    assert len(alternatives) > len({n for n, *_ in alternatives})  # some patterns are split
    monkeypatch.setattr(prefilter, "required_literals", lambda compiled: None)
    monkeypatch.setattr(prefilter, "requires_digit", lambda compiled: False)
    monkeypatch.setattr(prefilter, "top_level_alternatives", lambda pattern: None)
    monkeypatch.setattr(grader, "_MASK_NEEDS_DIGIT", False)
    monkeypatch.setattr(grader, "_PLANS", {})
    prefilter._alternatives.cache_clear()
    prefilter.split_alternatives.cache_clear()
    _specs, alternatives, _index = grader._feature_plan(rubric)
    assert not any(need or digit for *_, need, digit in alternatives)
    assert len(alternatives) == len({n for n, *_ in alternatives})  # each pattern whole
    without = [grader.sentence_features(s, rubric) for s in corpus]
    assert without == with_it
    assert [list(f) for f in without] == [list(f) for f in with_it]  # the same order too


def _plain_pattern_features(sentence: str, rubric) -> dict[str, str]:
    """The pattern features as the rubric defines them: each pattern searched case-insensitively in the
    sentence (or its masked form), no prefilter, no lower-casing, no split into alternatives."""
    masked = grader.mask_non_figures(sentence)
    found = {}
    for spec in rubric.features:
        text = masked if spec.masked else sentence
        for name, rx in spec.patterns:
            m = compile_pattern(rx).search(text)
            if m:
                found[spec.feature_id(name)] = sentence[m.start():m.end()].strip()
    return found


def test_the_pattern_features_are_each_patterns_own_search(corpus):
    """The grader's search (lower-cased text, prefilter, alternative by alternative) finds, for every
    pattern, the match a plain case-insensitive search of the whole pattern finds, in the same order."""
    rubric = load_rubric()
    plan = grader._feature_plan(rubric)
    texts = corpus + ["Crime fell by 20% since 2009.", "CRIME FELL BY 20%", "İstanbul visits rose by 5%."]
    matched = 0
    for text in texts:
        got, want = grader._pattern_features(text, plan), _plain_pattern_features(text, rubric)
        assert list(got.items()) == list(want.items()), text
        matched += len(got)
    assert matched > 3000


def test_the_figure_mask_and_digit_patterns_need_a_digit(corpus):
    from soa_analysis.evidence.patterns import FIGURE_MASK

    assert prefilter.requires_digit(FIGURE_MASK)
    for text in corpus:
        if not prefilter.DIGIT.search(text):
            assert grader.mask_non_figures(text) == text
            for p in _rubric_patterns():
                if prefilter.requires_digit(p):
                    assert p.search(text.lower()) is None, (p.pattern, text)


@pytest.mark.parametrize(("pattern", "needs"), [
    (r"\d+%", True), (r"\d*%", False), (r"(?:19|20)\d{2}", True), (r"p[1-7]\b", True), (r"[^0-9]", False),
    (r"(?:\d|x)", False), (r"(?:\d+|one)\s+people", False), (r"[0-9a]", False), (r"(?=\d)", False),
    (r"(?:a\d|\db)", True), (r"\u0663", True),  # an Arabic-Indic digit is a digit too
])
def test_requires_digit_by_hand(pattern, needs):
    assert prefilter.requires_digit(re.compile(pattern)) is needs
    assert prefilter.requires_digit(re.compile(pattern, re.IGNORECASE)) is needs


@pytest.mark.parametrize(("pattern", "words"), [
    (r"\b(?:fell|reduc(?:ed|tion)s?)\b", {"fell", "reduc"}),
    (r"cut\s+by", {"cut"}),
    (r"(?:a|b)?c+", {"c"}),
    (r"x*y", {"y"}),
    (r"(?:ab|)cd", {"cd"}),
    (r"(?:one|two)(?:three|four)", {"three", "four"}),  # the longer of two needs
    (r"(?:reduced|reduce)", {"reduce"}),  # a word holding another adds nothing
    (r"\d+%?", None),
    (r"(?:abc|\d)", None),  # a branch that needs nothing
    (r"(?i:abc)d", {"d"}),
    (r"(?:ab)?", None),
])
def test_required_literals_by_hand(pattern, words):
    got = required_literals(re.compile(pattern))
    assert (set(got) if got is not None else None) == words


def test_a_case_insensitive_pattern_is_never_filtered():
    assert required_literals(re.compile("abc", re.IGNORECASE)) is None
    assert may_match(re.compile("abc", re.IGNORECASE), "xyz")


_PIECES = st.recursive(
    st.sampled_from(["a", "b", "c", "ab", "[ab]", ".", r"\b", r"\s", " ", r"\d"]),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda t: f"(?:{t[0]}|{t[1]})"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{1,2}", "{2}", "*?"])).map(lambda t: f"(?:{t[0]}){t[1]}"),
        inner.map(lambda x: f"({x})"),
        inner.map(lambda x: f"(?=a){x}"),
        inner.map(lambda x: f"(?<!b){x}"),
    ),
    max_leaves=8,
)


@given(_PIECES, st.text(alphabet="abc 1", max_size=12))
def test_any_pattern_that_matches_passes_the_prefilter(pattern, text):
    compiled = re.compile(pattern)
    if compiled.search(text) is not None:
        assert may_match(compiled, text), pattern


def test_dates_are_the_same_searched_in_lower_case(corpus):
    """extract_dates searches lower-cased ASCII text without IGNORECASE: the same mentions."""
    import datetime as dt

    from soa_analysis.evidence import timeline

    assert any(a is not b for (a, _), (b, _) in zip(timeline._ORDER, timeline._LOWER_ORDER))
    extra = [f"{w} {m} {y}" for w in ("By", "BY THE END OF", "in", "During") for m in ("March", "MARCH", "q3", "Summer")
             for y in ("2012", "2011/12", "2011-2013")] + ["Over The Next Two Years.", "WITHIN SIX MONTHS", "Next Year"]
    seen = 0
    for text in corpus + extra:
        for ref in (None, dt.date(2011, 6, 1)):
            got = timeline.extract_dates(text, ref)
            assert got == timeline._find_dates(text, text, timeline._ORDER, timeline.DATE_HINT, ref), text
            seen += bool(got)
    assert seen > 200


def test_the_literal_index_lets_through_exactly_what_may_match_does(corpus):
    """One pass for every alternative's words gives, per sentence, the alternatives may_match lets through."""
    _specs, alternatives, index = grader._feature_plan(load_rubric())
    compiled = [span.__self__.pattern for _n, span, *_ in alternatives]  # Finder.span's pattern
    assert len(compiled) > 10
    for text in corpus:
        lower = text.lower()
        assert index.candidates(lower) == {i for i, rx in enumerate(compiled) if may_match(rx, lower)}


def test_an_empty_literal_index_lets_every_pattern_through():
    assert prefilter.LiteralIndex([None, None]).candidates("anything") == {0, 1}
    assert prefilter.LiteralIndex([]).candidates("anything") == set()


def test_the_finder_finds_what_search_finds_for_every_rubric_and_guidance_pattern(corpus):
    """Searching only where a match can start (prefilter.Finder) gives the span search gives, on the
    lower-cased and the masked lower-cased sentences, for every pattern; most patterns are sped up."""
    pats = _rubric_patterns()
    finders = [prefilter.Finder(p) for p in pats]
    assert sum(prefilter.first_chars(p) is not None for p in pats) > len(pats) * 3 // 4
    texts = [t.lower() for t in corpus] + [grader.mask_non_figures(t).lower() for t in corpus]
    texts += ["", " ", "to reduce", "  and to cut", "-- get help", "target", "?"]
    found = 0
    for text in texts:
        for p, f in zip(pats, finders):
            m = p.search(text)
            assert f.span(text) == (m.span() if m else None), (p.pattern, text)
            found += m is not None
    assert found > 1000


@pytest.mark.parametrize(("pattern", "first"), [
    (r"\b(?:fell|cut)\b", "[fc]"),
    (r"(?<!than\s)\btarget", "[t]"),
    (r"x?y", "[xy]"),
    (r"(?:ab)*c|\d", r"[ac\d]"),
    (r"[a-c]z", "[a-c]"),
    (r"^\W*to|\bby", "[b]"),  # the anchored alternative is tried at position 0 only
    (r"^to", ""),
    (r"\w*", None),  # matches the empty string
    (r"[^a]b", None),  # a negated class
    (r".b", None),
    (r"(a)\1", None),  # a back-reference
    (r"(?i:a)b", None),
])
def test_first_chars_by_hand(pattern, first):
    assert prefilter.first_chars(re.compile(pattern)) == first
    assert prefilter.first_chars(re.compile(pattern, re.IGNORECASE)) is None


@given(st.one_of(_PIECES, _PIECES.map(lambda p: "^" + p), st.tuples(_PIECES, _PIECES).map(lambda t: f"^{t[0]}|{t[1]}")),
       st.text(alphabet="abc 1\n", max_size=12))
def test_the_finder_finds_what_search_finds(pattern, text):
    compiled = re.compile(pattern)
    m = compiled.search(text)
    assert prefilter.Finder(compiled).span(text) == (m.span() if m else None), pattern
    compiled_m = re.compile(pattern, re.MULTILINE)
    m = compiled_m.search(text)
    assert prefilter.Finder(compiled_m).span(text) == (m.span() if m else None), pattern



def test_dates_skip_only_expressions_that_cannot_match(corpus, monkeypatch):
    """_find_dates skips an expression when the text holds none of its words: the same mentions as
    running every expression on every text."""
    import datetime as dt

    from soa_analysis.evidence import timeline

    assert any(required_literals(rx) for rx, _ in timeline._LOWER_ORDER)
    texts = corpus + ["By the end of March 2012, over the next two years.", "Within SIX MONTHS; next year.",
                      "in early 2013 and q3 2012, by the end of the financial year"]
    with_it = [timeline.extract_dates(t, dt.date(2011, 6, 1)) for t in texts]
    monkeypatch.setattr(timeline, "required_literals", lambda compiled: None)
    without = [timeline.extract_dates(t, dt.date(2011, 6, 1)) for t in texts]
    assert with_it == without
    assert sum(map(bool, with_it)) > 200


def test_the_figure_mask_alternative_by_alternative_is_the_mask(corpus):
    """mask_non_figures finds FIGURE_MASK's spans alternative by alternative (prefilter.AlternativeSpans):
    the same masked text as FIGURE_MASK.sub, on the corpus as written, upper- and lower-cased, and
    on text that is not ASCII (left to the expression itself)."""
    from soa_analysis.evidence.patterns import FIGURE_MASK

    spans = prefilter.AlternativeSpans(FIGURE_MASK)
    assert spans._alts is not None and len(spans._alts) > 10
    assert sum(on_lower for _, on_lower, _, _ in spans._alts) > len(spans._alts) // 2  # most searched without IGNORECASE
    extra = ["1. Crime fell", "1. crime fell", "12.3 Pupils", "SVQ2 and covid-19 in P1, S4 and 24/7", "Aged 16 to 24",
             "Page 3 of 12 [4]", "a 12-week course for 18-24 year olds", "at 10.30am on 3rd May", "since 2010/11",
             "National Outcome 6 and outcomes 1 and 2", "£3m and 2.5bn", "Kelvin \u212a9 and \u017f1 and \u0130x2"]
    masked = 0
    for text in corpus + extra:
        for t in (text, text.lower(), text.upper()):
            want = FIGURE_MASK.sub(lambda m: "Y" * len(m.group(0)), t)
            assert grader.mask_non_figures(t) == want, t
            assert spans.spans(t) == [m.span() for m in FIGURE_MASK.finditer(t)], t
            masked += want != t
    assert masked > 500


def test_the_codes_class_is_the_same_in_either_case():
    """FIGURE_MASK writes its codes' letters [a-z] (case-insensitive: no IGNORECASE needed in lower-cased
    text); under IGNORECASE that class matches exactly the characters [A-Z] does."""
    import sys

    upper, lower = re.compile("[A-Z]", re.IGNORECASE), re.compile("[a-z]", re.IGNORECASE)
    assert all(bool(upper.fullmatch(chr(c))) == bool(lower.fullmatch(chr(c))) for c in range(sys.maxunicode + 1))


@pytest.mark.parametrize(("pattern", "parts"), [
    ("a|b", ["a", "b"]),
    ("a(b|c)|d", ["a(b|c)", "d"]),
    (r"[|]a|\||b", ["[|]a", r"\|", "b"]),
    (r"[]|]a|b", ["[]|]a", "b"]),
    (r"[^]|]a|b", ["[^]|]a", "b"]),
    (r"[\]|]a|b", [r"[\]|]a", "b"]),
    ("abc", ["abc"]),
    ("(?i)a|b", None),  # a global flag applies to every alternative
    (r"(a)|\1", None),  # a back-reference
])
def test_top_level_alternatives_by_hand(pattern, parts):
    assert prefilter.top_level_alternatives(pattern) == parts


@given(st.lists(st.one_of(_PIECES, _PIECES.map(lambda p: "^" + p)), min_size=2, max_size=4).map("|".join),
       st.text(alphabet="abcAB 1\n", max_size=14), st.booleans())
def test_alternative_spans_are_finditer_spans(pattern, text, ignorecase):
    compiled = re.compile(pattern, re.IGNORECASE if ignorecase else 0)
    assert prefilter.AlternativeSpans(compiled).spans(text) == [m.span() for m in compiled.finditer(text)], pattern


def test_the_finder_finds_every_match_finditer_finds(corpus):
    """Finder.matches (the date expressions' matches, searched where one can start) gives finditer's
    spans and named groups, for every date expression and rubric pattern."""
    from soa_analysis.evidence import timeline

    pats = [rx for rx, _ in timeline._LOWER_ORDER] + _rubric_patterns()
    finders = [prefilter.Finder(p) for p in pats]
    texts = [t.lower() for t in corpus] + ["by march 2012 and in 2013, over the next two years; to reduce", ""]
    found = 0
    for text in texts:
        for p, f in zip(pats, finders):
            want = [(m.span(), m.groupdict()) for m in p.finditer(text)]
            assert [(m.span(g), m.groupdict()) for m, g in f.matches(text)] == want, (p.pattern, text)
            found += len(want)
    assert found > 1000


@given(st.one_of(_PIECES, _PIECES.map(lambda p: "^" + p), st.tuples(_PIECES, _PIECES).map(lambda t: f"^{t[0]}|{t[1]}")),
       st.text(alphabet="abc 1\n", max_size=12))
@example(r"^\b|a", "a")  # an empty match at the start: once yielded without end, filling memory
@example(r"^\b|a", "ba a")
def test_the_finder_matches_what_finditer_matches(pattern, text):
    compiled = re.compile(pattern)
    want = [m.span() for m in compiled.finditer(text)]
    got = list(itertools.islice(prefilter.Finder(compiled).matches(text), len(want) + 1))  # bounded: a loop fails
    assert [m.span(g) for m, g in got] == want, (pattern, text)


def test_identity_cache_builds_once_per_identity_of_its_arguments():
    calls = []

    @prefilter.identity_cache
    def build(a, b):
        calls.append((a, b))
        return [len(a), len(b)]

    first, second = [1, 2], {"k": 1}  # unhashable, as a rubric's lists are
    value = build(first, second)
    assert build(first, second) is value and len(calls) == 1
    assert build([1, 2], second) == value and len(calls) == 2  # equal but another object: built again
    build.cache_clear()
    assert build(first, second) is not value and len(calls) == 3


def _first_of_alternatives(compiled: re.Pattern, text: str):
    """The span grader._pattern_features takes: the leftmost of the alternatives' first matches, the first written on a tie."""
    best = None
    for span, _need, _digit in prefilter.alternatives(compiled):
        at = span(text)
        if at is not None and (best is None or at[0] < best[0]):
            best = at
    return best


@pytest.mark.parametrize(("pattern", "parts"), [
    (r"\b(?:fell|cut)\s+by", [r"\bfell\s+by", r"\bcut\s+by"]),
    (r"(?<!not\s)\b(?:a|b(?:c|d))x", [r"(?<!not\s)\bax", r"(?<!not\s)\bb(?:c|d)x"]),
    (r"(?=a)(?:a|b)", ["(?=a)a", "(?=a)b"]),
    (r"(?:a|b)", ["a", "b"]),
    (r"(?:a|b)?c", None),  # not repeated once
    (r"(?:a|b)+c", None),
    (r"(?:a|b){2}", None),
    (r"x(?:a|b)", None),  # a character before the group
    (r"(x)(?:a|b)", None),
    (r"[(](?:a|b)", None),
    (r"\((?:a|b)", None),
    (r"\b(?:ab)c", None),  # one alternative
])
def test_leading_group_alternatives_by_hand(pattern, parts):
    assert prefilter.leading_group_alternatives(pattern) == parts


@given(st.tuples(st.sampled_from(["", r"\b", "(?=a)", "(?<!b)", r"(?<!b\s)\b", "^"]),
                 st.lists(_PIECES, min_size=2, max_size=4), _PIECES | st.just(""),
                 st.lists(_PIECES, max_size=2))
       .map(lambda t: "|".join([t[0] + "(?:" + "|".join(t[1]) + ")" + t[2], *t[3]])),
       st.text(alphabet="abc 1\n", max_size=14))
def test_the_alternatives_first_match_is_the_search(pattern, text):
    """prefilter.alternatives (top-level alternatives, a leading group's alternatives written out):
    the leftmost of their matches, the first written on a tie, is the span search finds."""
    compiled = re.compile(pattern)
    m = compiled.search(text)
    assert _first_of_alternatives(compiled, text) == (m.span() if m else None), pattern
    assert len(prefilter.alternatives(compiled)) >= 2


def test_the_rubric_patterns_first_match_is_the_search(corpus):
    """The same for every rubric and guidance pattern, on the lower-cased and masked lower-cased sentences."""
    pats = _rubric_patterns()
    assert sum(len(prefilter.alternatives(p)) for p in pats) > 3 * len(pats)  # most are split
    texts = [t.lower() for t in corpus[:800]] + [grader.mask_non_figures(t).lower() for t in corpus[:800]]
    found = 0
    for text in texts:
        for p in pats:
            m = p.search(text)
            assert _first_of_alternatives(p, text) == (m.span() if m else None), (p.pattern, text)
            found += m is not None
    assert found > 500


@pytest.mark.parametrize("pattern", [r"\b(?:fell|cut)\s+by\s+\d+%|\bhalved\b", r"(?:p|s)[1-7]\b|\d{4}", r"\b(?:19|20)\d{2}"])
def test_search_and_finditer_split_alike(pattern):
    """One rule of splitting (prefilter.split_alternatives) for the search of the rubric's patterns
    (prefilter.alternatives) and the finditer of the figure mask (AlternativeSpans): a leading group is
    written out per member in both, and the spans stay finditer's (fictional text)."""
    compiled = re.compile(pattern, re.IGNORECASE)
    split = prefilter.split_alternatives(compiled.pattern, compiled.flags)
    assert split is not None and len(split) >= 2
    spans = prefilter.AlternativeSpans(compiled)
    assert len(spans._alts) == len(split) == len(prefilter.alternatives(compiled))
    for text in ["Waiting fell by 12% and then CUT BY 3% in 2011", "P1 and S4 in 1999", "halved in 2020, cut by 5%", ""]:
        assert spans.spans(text) == [m.span() for m in compiled.finditer(text)], text


def test_a_finder_given_an_expression_s_text_compiles_it_when_first_searched(corpus):
    """The grader's plan holds its alternatives as text until one is searched; searched, each finds what
    the compiled alternative's search finds."""
    grader._PLANS.clear()
    prefilter._alternatives.cache_clear()  # built afresh: another test may have searched them
    prefilter.split_alternatives.cache_clear()
    _specs, alternatives, _index = grader._feature_plan(load_rubric())
    finders = [span.__self__ for _n, span, *_ in alternatives]
    assert len(finders) > 100
    fresh = [f for f in finders if f._pattern is None]
    assert len(fresh) > len(finders) // 2  # not compiled by building the plan
    texts = [t.lower() for t in corpus[:200]]
    for f in fresh[:150]:
        compiled = re.compile(*f._text)
        for text in texts:
            m = compiled.search(text)
            assert f.span(text) == (m.span() if m else None), f._text
        assert f._pattern is not None and f.pattern.pattern == f._text[0]
