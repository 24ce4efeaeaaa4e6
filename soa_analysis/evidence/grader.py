"""Sentence features and the grade of a submission's evidence of benefit.

Every grade carries its evidence: :class:`GradeResult` keeps the rule that fired and the
sentences (with their features and the text each feature matched) it rests on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

from ..nlp import split_sentences
from ..rubrics import Rubric, load_rubric
from ..schema import GRADES, SECTION_COLUMNS
from . import prefilter
from .check_model import GradeCheck, load_check_model
from .patterns import FIGURE_MASK, compile_lower, compile_pattern
from .planned_model import PlannedModel, load_planned_model
from .prefilter import DIGIT
from .sentence_model import SentenceModel, load_sentence_model, text_terms
from .timeline import DateMention, extract_dates

__all__ = [
    "SentenceEvidence",
    "GradeResult",
    "EvidenceGrader",
    "sentence_features",
    "mask_non_figures",
    "RANK",
]

RANK = {"none": 0, "planned": 1, "some": 2, "strong": 3}
# A sentence that carries on from the one before it ("This was ...", "These figures ...").
_CONTINUES = re.compile(r"^\W*(?:this|these|that|those|it|which|such|the\s+(?:rise|increase|fall|figure|figures|rate|gap))\b",
                        re.IGNORECASE)
_BASE = {"none": 0.0, "planned": 0.25, "some": 0.5, "strong": 0.75}


@dataclass(frozen=True)
class SentenceEvidence:
    """One sentence, the features found in it and what it supports on its own.

    Attributes
    ----------
    section : str
        Template section the sentence is in ("text" when the whole narrative was used).
    sentence : str
    features : dict
        Feature id -> the text that matched (derived features map to "").
    strength : str
        strong, some, planned or none (after the section cap).
    rule : str
        The explanation of the sentence rule that fired ("" when none did).
    score : float
        0-1 weight of the feature families present (the rubric's weights).
    dates : tuple of DateMention
        Dates and periods in the sentence, resolved to due dates.
    """

    section: str
    sentence: str
    features: dict
    strength: str
    rule: str
    score: float
    dates: tuple = ()

    def describe(self, limit: int = 6) -> str:
        """``[section] "sentence" (feature 'match', ...)`` for the reasons column."""
        shown = [f"{k} '{v}'" if v else k for k, v in list(self.features.items())[:limit]]
        return f"[{self.section}] \"{self.sentence}\" ({', '.join(shown)})"


@dataclass
class GradeResult:
    """The grade of one submission and the evidence behind it."""

    grade: str
    score: float
    rule: str
    sentences: list = field(default_factory=list)
    timeline: list = field(default_factory=list)

    def supporting(self, strength: str | None = None) -> list[SentenceEvidence]:
        """Sentences of the given strength (default: of the grade), best first."""
        strength = strength or self.grade
        return sorted((s for s in self.sentences if s.strength == strength), key=lambda s: -s.score)

    @property
    def reasons(self) -> str:
        """Human-readable: the rule that fired and the (up to three) sentences it rests on."""
        head = f"{self.grade}: {self.rule}"
        support = self.supporting()[:3]
        if not support:
            return head
        return head + " | " + " | ".join(s.describe() for s in support)

    @property
    def timeline_text(self) -> str:
        """The dated benefits still to come: ``as written -> due``, ';'-separated."""
        return "; ".join(f"{d.text} -> {d.due}" if d.due else d.text for d in self.timeline)


def mask_non_figures(sentence: str) -> str:
    """Blank out years, dates, outcome numbers and school stages so they are not read as figures.

    Example
    -------
    >>> mask_non_figures("In 2010/11, 40 P1 pupils (National Outcome 5)")
    'In YYYYYYY, 40 YY pupils (YYYYYYYYYYYYYYYYYY)'
    """
    pieces, at = [], 0
    for start, end in _MASK_SPANS(sentence):  # FIGURE_MASK.finditer's spans, alternative by alternative
        pieces += (sentence[at:start], "Y" * (end - start))
        at = end
    if not pieces:
        return sentence
    pieces.append(sentence[at:])
    return "".join(pieces)


_MASK_SPANS = prefilter.AlternativeSpans(FIGURE_MASK).spans


def sentence_features(sentence: str, rubric: Rubric | None = None, *,
                      dates: list[DateMention] | None = None) -> dict[str, str]:
    """The rubric features present in one sentence, each with the text that matched.

    Parameters
    ----------
    sentence : str
    rubric : Rubric, optional
        Default: the packaged rubric.
    dates : list of DateMention, optional
        Dates already extracted from the sentence (computed when omitted).

    Returns
    -------
    dict
        Feature id (``figure:percent``, ``change:down``, ``future`` ...) -> matched text;
        derived features (``future_only``, ``output_only``, ``question``) -> "", and ``timeline`` (a date
        resolved to a due date) and ``when`` (any date or period, resolved or not) -> the date as written.

    Example
    -------
    >>> found = sentence_features("Crime fell by 20% since 2009.")
    >>> found["figure:percent"], found["change:down"], "baseline:period" in found
    ('20%', 'fell', True)
    """
    rubric = rubric or load_rubric()
    found = _pattern_features(sentence, _feature_plan(rubric))
    families = {k.split(":", 1)[0] for k in found}
    if "future" in families and "achieved" not in families:
        found["future_only"] = ""
    if "output" in families and "outcome" not in families:
        found["output_only"] = ""
    if _adverse(found, families):
        found["adverse_change"] = ""
    if dates is None:
        dates = extract_dates(sentence)
    if sentence.rstrip().endswith("?"):
        found["question"] = ""
    dated = [d for d in dates if d.due]
    if dated:
        found["timeline"] = dated[0].text
    if dates:
        found["when"] = (dated or dates)[0].text
    return found


def _adverse(found: dict, families: set) -> bool:
    """An outcome moving the wrong way: a rise in harm (deaths, crime, claimants) with no fall, or a fall in
    what is valued (satisfaction, visits, take-up) with no rise and no harm named, in a sentence with no word
    of benefit, attribution or reach (those tell a result of the work, e.g. "advised 40 families whose debts had grown")."""
    if not families.isdisjoint(("benefit", "attribution")) or "output:reach" in found:
        return False
    up, down = "change:up" in found, "change:down" in found
    return ("harm" in families and up and not down) or ("valued" in families and down and not up
                                                        and "harm" not in families)


# The figure mask holds a digit in every match (prefilter.requires_digit): a sentence without one is its own mask.
_MASK_NEEDS_DIGIT = prefilter.requires_digit(FIGURE_MASK)
_PLANS: dict[int, tuple] = {}


def _feature_plan(rubric: Rubric) -> tuple:
    """The rubric's patterns, ready to search: ``(specs, alternatives, index)``. Per feature spec,
    whether it reads the masked text, and per pattern its number in the rubric, its feature id and
    its case-insensitive compiled form; per top-level alternative of every pattern's lower-case form
    (:func:`.prefilter.alternatives`), in the rubric's order, its pattern's number, its span finder
    (:class:`.prefilter.Finder`), the words a match needs (:func:`.prefilter.required_literals`) and
    whether it needs a digit (:func:`.prefilter.requires_digit`); and a :class:`.prefilter.LiteralIndex`
    of every alternative's words. Worked out once per rubric."""
    key = id(rubric.features)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is rubric.features:
        return hit[1]
    number = iter(range(sum(len(spec.patterns) for spec in rubric.features)))
    specs = tuple((spec.masked, tuple((next(number), spec.feature_id(name), compile_pattern(rx), compile_lower(rx))
                                      for name, rx in spec.patterns))
                  for spec in rubric.features)
    alternatives = tuple((n, *alt) for _, patterns in specs for n, _fid, _anycase, lower in patterns
                         for alt in prefilter.alternatives(lower))
    plan = (specs, alternatives, prefilter.LiteralIndex([need for _n, _span, need, _digit in alternatives]))
    if len(_PLANS) > 16:
        _PLANS.clear()
    _PLANS[key] = (rubric.features, plan)
    return plan


@prefilter.identity_cache
def _run_plan(plan: tuple) -> tuple:
    """The alternatives of a :func:`_feature_plan` as :func:`_pattern_features` runs them: per
    alternative its pattern's number, span finder and whether it reads the masked text; per pattern
    its feature id; and bit sets of the alternatives that read the masked text, those that read the
    text as it is, and those that need a digit."""
    fids, uses = {}, {}
    for uses_mask, patterns in plan[0]:
        for number, fid, *_ in patterns:
            fids[number], uses[number] = fid, uses_mask
    masked_bits = plain_bits = digit_bits = 0
    run = []
    for i, (number, span, _need, digit) in enumerate(plan[1]):
        run.append((number, span, uses[number]))
        if uses[number]:
            masked_bits |= 1 << i
        else:
            plain_bits |= 1 << i
        if digit:
            digit_bits |= 1 << i
    return tuple(run), tuple(fids[n] for n in range(len(fids))), masked_bits, plain_bits, digit_bits


def _pattern_features(sentence: str, plan: tuple) -> dict[str, str]:
    """The pattern features of one sentence (in the rubric's order), each with the text it matched.

    Searches the lower-cased sentence with the case-sensitive forms, alternative by alternative
    (:func:`.prefilter.alternatives`: a pattern's match is the leftmost of its alternatives'
    matches, the first written on a tie), skipping an alternative when the text holds none of the
    words it needs (found for all alternatives in one pass, :class:`.prefilter.LiteralIndex`, as a
    bit set) or no digit when it needs one: only the alternatives left are searched, in the rubric's
    order; when lower-casing changes the sentence's length, the case-insensitive forms on the
    sentence itself, unfiltered.
    """
    specs, _alternatives, index = plan
    lower = sentence.lower()
    fast = len(lower) == len(sentence)  # offsets into the lower-cased text are valid
    has_digit = DIGIT.search(sentence) is not None
    if fast:
        alts, fids, masked_bits, plain_bits, digit_bits = _run_plan(plan)
        may = index.bits(lower)
        run = may & plain_bits
        masked_lower = lower
        if masked_bits:
            masked = mask_non_figures(sentence) if has_digit or not _MASK_NEEDS_DIGIT else sentence
            if masked != sentence:
                masked_lower = masked.lower()
                may = index.bits(masked_lower)
            run |= may & masked_bits
        if not has_digit:
            run &= ~digit_bits
        found: dict[str, str] = {}
        pattern, best = -1, None  # the pattern searched, and the leftmost match of its alternatives so far
        while run:  # the alternatives left, lowest number (the rubric's order) first
            bit = run & -run
            run ^= bit
            number, span, uses_mask = alts[bit.bit_length() - 1]
            if number != pattern:
                if best is not None:
                    found[fids[pattern]] = sentence[best[0]:best[1]].strip()
                pattern, best = number, None
            at = span(masked_lower if uses_mask else lower)
            if at is not None and (best is None or at[0] < best[0]):
                best = at
        if best is not None:
            found[fids[pattern]] = sentence[best[0]:best[1]].strip()
        return found
    masked = None  # lower-casing changed the length: every pattern, case-insensitively, on the text itself
    found = {}
    for uses_mask, patterns in specs:
        if uses_mask and masked is None:
            masked = mask_non_figures(sentence) if has_digit or not _MASK_NEEDS_DIGIT else sentence
        text = masked if uses_mask else sentence
        for _number, fid, anycase, _lower in patterns:
            m = anycase.search(text)
            if m:
                found[fid] = sentence[m.start():m.end()].strip()
    return found


def _present(features: dict) -> set[str]:
    present = set(features)
    present |= {k.split(":", 1)[0] for k in features}
    return present


@prefilter.identity_cache
def _rule_plan(rubric: Rubric) -> tuple:
    """The rubric's sentence rules as sets (per rule: its groups of alternatives, the features it
    must not see, its strength and explanation), its features' (family, weight) in order and its
    section caps as a dict. Worked out once per rubric."""
    rules = tuple((tuple(frozenset(group) for group in rule.all), frozenset(rule.none), rule.strength, rule.explain)
                  for rule in rubric.sentence_rules)
    return rules, tuple((f.family, f.weight) for f in rubric.features), dict(rubric.section_cap)


@prefilter.identity_cache
def _model_limits(rubric: Rubric) -> tuple:
    """What the sentence model may not count, as sets: the rubric's ``rules_decide``, and its ``model_needs`` (per
    group, per item, its alternatives, as a rule's groups in :func:`_rule_plan`). Worked out once per rubric."""
    return frozenset(rubric.rules_decide), tuple(tuple(frozenset(item) for item in group) for group in rubric.model_needs)


def _meets(present: set, groups) -> bool:
    """Every group has an alternative present (a rule's "all", a ``model_needs`` group)."""
    for group in groups:
        if present.isdisjoint(group):
            return False
    return True


def _strength(features: dict, rubric: Rubric) -> tuple[str, str]:
    present = _present(features)
    # a rule fires when every group has an alternative present and none of its "none" features is
    for groups, none, strength, explain in _rule_plan(rubric)[0]:
        if present.isdisjoint(none) and _meets(present, groups):
            return strength, explain
    return "none", ""


def _score(features: dict, rubric: Rubric) -> float:
    families = {k.split(":", 1)[0] for k in features}
    total = sum(weight for family, weight in _rule_plan(rubric)[1] if family in families)  # in the rubric's order
    return round(min(1.0, max(0.0, total)), 4)


class EvidenceGrader:
    """Grade the evidence of benefit of submissions with a rubric.

    Estimator-shaped: ``__init__`` only stores parameters, :meth:`fit` loads and validates
    the rubric (nothing is learned from data), :meth:`grade` and :meth:`predict` are pure.

    Parameters
    ----------
    rubric : path-like, Rubric or None
        The rubric; ``None`` for the packaged ``evidence_rubric.yaml``.
    model : "rubric", "packaged", path-like, SentenceModel or None
        The sentence model that decides, with the rules, which sentences count
        (:mod:`soa_analysis.evidence.sentence_model`): ``"rubric"`` (default) the one the
        rubric names in ``sentence_model`` (none: rules only); ``None``: the rules only.
    planned : "rubric", "packaged", path-like, PlannedModel or None
        The planned model that decides between none and planned for a text with no sentence that
        counts (:mod:`soa_analysis.evidence.planned_model`): ``"rubric"`` (default) the one the
        rubric names in ``planned_model``; ``None``: the rules alone.
    check : "rubric", "packaged", path-like, GradeCheck or None
        The grade check that reads a narrative's whole text beside the rules' grade and may change it
        (:mod:`soa_analysis.evidence.check_model`): ``"rubric"`` (default) the one the rubric names in
        ``check_model``; ``None``: the rules' grade stands.

    Example
    -------
    >>> EvidenceGrader().fit().predict(["Crime fell from 320 to 240 incidents a year between 2008 and 2010."])
    ['strong']
    """

    def __init__(self, *, rubric: str | os.PathLike | Rubric | None = None,
                 model: str | os.PathLike | SentenceModel | None = "rubric",
                 planned: str | os.PathLike | PlannedModel | None = "rubric",
                 check: str | os.PathLike | GradeCheck | None = "rubric"):
        self.rubric = rubric
        self.model = model
        self.planned = planned
        self.check = check

    def fit(self, X=None, y=None) -> "EvidenceGrader":
        """Load and validate the rubric and its models (sentence model, planned model, grade check); returns self.
        ``X`` and ``y`` are ignored."""
        self.rubric_ = load_rubric(self.rubric)
        self.model_ = load_sentence_model(self._named(self.model, self.rubric_.sentence_model))
        self.planned_ = load_planned_model(self._named(self.planned, self.rubric_.planned_model))
        self.check_ = load_check_model(self._named(self.check, self.rubric_.check_model))
        return self

    @staticmethod
    def _named(given, in_rubric: str):
        """A model parameter as its loader takes it: ``"rubric"`` is the file the rubric names (``None`` when it
        names none); anything else as given."""
        if isinstance(given, str) and given == "rubric":
            return in_rubric or None
        return given

    def model_digests(self) -> dict:
        """The digest of each learned model the grader uses ("" for one it does not): part of the evidence stage's
        cache keys."""
        return {name: m.sha256 if m is not None else ""
                for name, m in (("sentence_model", self.model_), ("planned_model", self.planned_),
                                ("check_model", self.check_))}

    def _check(self) -> Rubric:
        if not hasattr(self, "rubric_"):
            self.fit()
        return self.rubric_

    def grade_sentence(self, sentence: str, section: str = "evidence", reference=None, *,
                       after_need: bool = False) -> SentenceEvidence:
        """Features and strength of one sentence in ``section`` (after the section cap).

        ``after_need``: the previous sentence described the need; a sentence that goes on
        about it ("This was twice the Scottish rise") describes the need too.
        """
        rubric = self._check()
        dates = extract_dates(sentence, reference)
        features = sentence_features(sentence, rubric, dates=dates)
        if after_need and _CONTINUES.match(sentence):
            features["need:continued"] = sentence.split()[0]
        strength, rule = _strength(features, rubric)
        cap = _rule_plan(rubric)[2].get(section, "strong")  # rubric.cap(section)
        if RANK[strength] > RANK[cap]:
            strength, rule = cap, f"{rule} (capped: section '{section}' supports at most {cap})"
        return SentenceEvidence(section, sentence, features, strength, rule, _score(features, rubric), tuple(dates))

    def model_probabilities(self, graded) -> list[float] | None:
        """The sentence model's probability for each of the ``graded`` sentences (:class:`SentenceEvidence`, one
        text's, in order) it reads, as the grade check reads them; ``None`` without a sentence model or for a text
        too short for it."""
        return self._with_model(list(graded))[1]

    def _with_model(self, graded: list[SentenceEvidence]) -> tuple[list[SentenceEvidence], list[float] | None]:
        """The sentences with the strengths the sentence model and the rules decide together, and the model's
        probability for each sentence it read; the rules' sentences and ``None`` without a sentence model or for a
        text too short for it.

        A sentence whose strength changes, or that the model keeps at some or strong, has the
        model's probability and the terms that weighed most added to its rule text. A sentence with a
        feature of the rubric's ``rules_decide`` that the rules do not grade some or strong is not counted
        (it keeps the rules' strength and rule text, and the model does not read it), nor is one that meets none
        of the rubric's ``model_needs``."""
        model = self.model_
        if model is None or not model.applies(len(graded)):
            return graded, None
        terms = text_terms([(s.sentence, s.features, s.strength, s.rule, s.section) for s in graded])
        keep, needs = _model_limits(self.rubric_)
        out, read = [], []
        for s, ts in zip(graded, terms):
            if (keep or needs) and s.strength not in ("some", "strong"):
                present = _present(s.features)
                if not keep.isdisjoint(present):
                    out.append(s)  # rules_decide: the model does not count what describes the need
                    continue
                if needs and not any(_meets(present, group) for group in needs):
                    out.append(s)  # model_needs: nor a sentence with nothing a result could rest on
                    continue
            weighed = model.weighed(ts)  # looked up once for the probability and the explanation
            p = model.probability(ts, weighed)
            read.append(p)
            strength = model.decide(s.strength, p)
            if strength == s.strength and strength not in ("some", "strong"):
                out.append(s)
                continue
            why = model.explain(ts, p, weighed=weighed)
            if strength == s.strength:
                rule = f"{s.rule}; {why}"
            elif strength == "none" or strength == "planned":
                rule = f"not counted: {why}; the rules said {s.strength}: {s.rule}"
            else:
                rule = f"counted by the {why}"
                if s.strength != "none":
                    rule += f"; the rules said {s.strength}" + (f": {s.rule}" if s.rule else "")
            out.append(replace(s, strength=strength, rule=rule))
        return out, read

    def sections_to_grade(self, sections: dict | str) -> list[tuple[str, str]]:
        """``(section, text)`` pairs to grade.

        The rubric's graded sections when any has text; otherwise the other sections (each
        under its section cap; title and next steps excepted); otherwise the whole narrative ``text``.
        """
        rubric = self._check()
        if isinstance(sections, str):
            return [("text", sections)]
        chosen = [(s, sections.get(s) or "") for s in rubric.graded_sections]
        chosen = [(s, t) for s, t in chosen if isinstance(t, str) and t.strip()]
        if not chosen:
            # No graded section: grade the other sections under their caps, else the whole text.
            chosen = [(s, sections.get(s) or "") for s in SECTION_COLUMNS if s not in rubric.graded_sections]
            chosen = [(s, t) for s, t in chosen if isinstance(t, str) and t.strip() and s not in ("next_steps", "title")]
            if not chosen:
                text = sections.get("text") or ""
                chosen = [("text", text)] if isinstance(text, str) and text.strip() else []
        return chosen

    def grade(self, sections: dict | str, reference=None) -> GradeResult:
        """Grade one submission.

        Parameters
        ----------
        sections : dict or str
            Section name -> text (the submission's row, e.g. ``{"evidence": ..., "text": ...}``),
            or a bare passage (graded as the whole narrative).
        reference : datetime.date or str, optional
            Reference date for relative timeline expressions.

        Returns
        -------
        GradeResult
        """
        rubric = self._check()
        graded = []
        for section, text in self.sections_to_grade(sections):
            after_need = False
            for sent in split_sentences(text):
                g = self.grade_sentence(sent, section, reference, after_need=after_need)
                after_need = any(k == "need" or k.startswith("need:") for k in g.features)
                graded.append(g)
        graded, read = self._with_model(graded)  # read: the sentence model's probabilities, for the grade check
        counts = {g: 0 for g in GRADES}
        for s in graded:
            counts[s.strength] += 1
        grade, rule = "none", ""
        for r in rubric.submission_rules:
            if all(counts.get(k, 0) >= n for k, n in r.min):
                grade, rule = r.grade, r.explain
                break
        narrative = all(s.section == "text" for s in graded)
        if self.check_ is not None and narrative:
            # a narrative without the template, read whole beside the rules' grade (on the form, its sections
            # say where the evidence is)
            grade, rule = self.check_.decide(grade, rule, [s.sentence for s in graded], read)
        if self.planned_ is not None and narrative:
            # a narrative without the template (on it, question 4's timeline is a section the rules read)
            grade, rule = self.planned_.decide(grade, rule, [s.sentence for s in graded])
        best = max((s.score for s in graded if s.strength == grade), default=0.0)
        score = round(_BASE[grade] + 0.25 * min(1.0, best), 4)
        timeline = [d for s in graded if "future" in s.features or s.strength == "planned" for d in s.dates]
        return GradeResult(grade, score, rule, graded, timeline)

    def predict(self, texts) -> list[str]:
        """Grades of an iterable of passages (or section dicts)."""
        return [self.grade(t).grade for t in texts]
