"""Rubrics as data: the evidence-grading rubric and the 2012 guidance expectations.

The files in this folder are read with :mod:`importlib.resources`, validated, and turned
into frozen objects. Researchers adjust the grading by editing
``evidence_rubric.yaml`` or by passing the path of their own copy. :func:`rubric_markdown`
and :func:`rubric_table` render a rubric for a report's methodology section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..datafiles import parse_yaml
from ..errors import InputError, TaxonomyError
from ..schema import GRADES, SECTION_COLUMNS

__all__ = [
    "FeatureSpec",
    "SentenceRule",
    "SubmissionRule",
    "Rubric",
    "Expectation",
    "Guidance",
    "load_rubric",
    "load_guidance",
    "rubric_markdown",
    "rubric_table",
    "DERIVED_FEATURES",
]

DERIVED_FEATURES = ("future_only", "output_only", "timeline", "when", "question", "adverse_change")
_RANK = {g: i for i, g in enumerate(reversed(GRADES))}  # none 0, planned 1, some 2, strong 3


@dataclass(frozen=True)
class FeatureSpec:
    """One feature family: its patterns (name -> regex), weight and description."""

    family: str
    description: str
    weight: float
    masked: bool
    patterns: tuple[tuple[str, str], ...]

    def feature_id(self, name: str) -> str:
        """``family`` when the family has a single pattern named like it, else ``family:name``."""
        return self.family if name == self.family else f"{self.family}:{name}"


@dataclass(frozen=True)
class SentenceRule:
    """A sentence-strength rule: every group in ``all`` present, every item in ``none`` absent."""

    strength: str
    all: tuple[tuple[str, ...], ...]
    none: tuple[str, ...]
    explain: str

    def describe(self) -> str:
        need = " AND ".join("(" + " or ".join(g) + ")" if len(g) > 1 else g[0] for g in self.all)
        text = need or "always"
        if self.none:
            text += " AND NOT (" + " or ".join(self.none) + ")"
        return text


@dataclass(frozen=True)
class SubmissionRule:
    """A submission-grade rule: at least ``min[strength]`` sentences of each listed strength."""

    grade: str
    min: tuple[tuple[str, int], ...]
    explain: str


@dataclass(frozen=True)
class Rubric:
    """A validated evidence rubric (see ``evidence_rubric.yaml`` for the meaning of each part)."""

    name: str
    version: str
    description: str
    grades: tuple[tuple[str, str], ...]
    features: tuple[FeatureSpec, ...]
    derived: tuple[tuple[str, str], ...]
    sentence_rules: tuple[SentenceRule, ...]
    section_cap: tuple[tuple[str, str], ...]
    graded_sections: tuple[str, ...]
    submission_rules: tuple[SubmissionRule, ...]
    source: str
    sentence_model: str = ""
    planned_model: str = ""
    check_model: str = ""
    rules_decide: tuple[str, ...] = ()  # a sentence with any of these the rules do not grade: the model does not count it
    # a sentence the rules do not grade is counted by the model only when one of these holds (each as a rule's "all")
    model_needs: tuple[tuple[tuple[str, ...], ...], ...] = ()

    def cap(self, section: str) -> str:
        """The strongest strength a sentence in ``section`` may support."""
        return dict(self.section_cap).get(section, "strong")

    def feature_ids(self) -> set[str]:
        """Every feature id the rubric can emit, derived ones included."""
        ids = {f.feature_id(n) for f in self.features for n, _ in f.patterns}
        return ids | {f.family for f in self.features} | set(DERIVED_FEATURES)


@dataclass(frozen=True)
class Expectation:
    """One 2012-guidance expectation: phrases (stem-matched) and regex patterns."""

    id: str
    label: str
    description: str
    phrases: tuple[str, ...]
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Guidance:
    """The validated 2012 guidance expectations."""

    name: str
    version: str
    expectations: tuple[Expectation, ...]
    source: str


def _read_yaml(path: str | os.PathLike | None, default: str) -> tuple[dict, str]:
    if path is None:
        ref = resources.files(__name__).joinpath(default)
        text, source = ref.read_text(encoding="utf-8"), f"soa_analysis/rubrics/{default}"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"rubric file {p} not found")
        text, source = p.read_text(encoding="utf-8"), str(p)
    data = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: expected a mapping at the top level")
    return data, source


def _require(data: dict, key: str, kind: type, source: str):
    if key not in data:
        raise TaxonomyError(f"{source}: missing key {key!r}")
    if not isinstance(data[key], kind):
        raise TaxonomyError(f"{source}: {key!r} should be a {kind.__name__}")
    return data[key]


def _parse_rubric(data: dict, source: str) -> Rubric:
    from ..evidence.patterns import compile_pattern

    name = str(_require(data, "name", str, source))
    version = str(_require(data, "version", (str, int, float), source))
    feats_raw = _require(data, "features", dict, source)
    features = []
    for family, spec in feats_raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("patterns"), dict) or not spec["patterns"]:
            raise TaxonomyError(f"{source}: feature {family!r} needs a non-empty 'patterns' mapping")
        pats = []
        for pname, regex in spec["patterns"].items():
            if not isinstance(regex, str):
                raise TaxonomyError(f"{source}: feature {family}:{pname} pattern must be a string")
            try:
                compile_pattern(regex)
            except TaxonomyError as exc:
                raise TaxonomyError(f"{source}: feature {family}:{pname}: {exc}") from None
            pats.append((str(pname), regex))
        try:
            weight = float(spec.get("weight", 0.0))
        except (TypeError, ValueError):
            raise TaxonomyError(f"{source}: feature {family!r} weight must be a number") from None
        features.append(FeatureSpec(str(family), str(spec.get("description", "")), weight,
                                    bool(spec.get("masked", False)), tuple(pats)))
    known = {f.feature_id(n) for f in features for n, _ in f.patterns} | {f.family for f in features}
    known |= set(DERIVED_FEATURES)

    def _check_feature(item: str, where: str) -> str:
        if item not in known:
            raise TaxonomyError(f"{source}: {where} refers to unknown feature {item!r}")
        return item

    def _groups(items, where: str) -> tuple[tuple[str, ...], ...]:
        # a rule's "all": per item, its alternatives ("a|b")
        return tuple(tuple(_check_feature(alt.strip(), where) for alt in str(item).split("|")) for item in items)

    rules = []
    for i, rule in enumerate(_require(data, "sentence_rules", list, source)):
        where = f"sentence_rules[{i}]"
        if not isinstance(rule, dict) or rule.get("strength") not in GRADES:
            raise TaxonomyError(f"{source}: {where} needs a strength, one of {list(GRADES)}")
        groups = _groups(rule.get("all", []) or [], where)
        none = tuple(_check_feature(str(n), where) for n in rule.get("none", []) or [])
        rules.append(SentenceRule(rule["strength"], groups, none, str(rule.get("explain", ""))))
    caps = data.get("section_cap", {}) or {}
    for section, cap in caps.items():
        if section not in SECTION_COLUMNS and section != "text":
            raise TaxonomyError(f"{source}: section_cap names unknown section {section!r}")
        if cap not in GRADES:
            raise TaxonomyError(f"{source}: section_cap[{section}] must be one of {list(GRADES)}")
    graded = tuple(data.get("graded_sections", ["evidence"]))
    for section in graded:
        if section not in SECTION_COLUMNS:
            raise TaxonomyError(f"{source}: graded_sections names unknown section {section!r}")
    sub_rules = []
    for i, rule in enumerate(_require(data, "submission_rules", list, source)):
        if not isinstance(rule, dict) or rule.get("grade") not in GRADES:
            raise TaxonomyError(f"{source}: submission_rules[{i}] needs a grade, one of {list(GRADES)}")
        mins = rule.get("min", {}) or {}
        if not isinstance(mins, dict) or any(k not in GRADES for k in mins):
            raise TaxonomyError(f"{source}: submission_rules[{i}].min must map strengths to counts")
        sub_rules.append(SubmissionRule(rule["grade"], tuple((k, int(v)) for k, v in mins.items()),
                                        str(rule.get("explain", ""))))
    decide = data.get("rules_decide", []) or []
    if not isinstance(decide, list):
        raise TaxonomyError(f"{source}: 'rules_decide' should be a list of features")
    rules_decide = tuple(_check_feature(str(f), "rules_decide") for f in decide)
    needs = data.get("model_needs", []) or []
    if not isinstance(needs, list) or not all(isinstance(g, list) and g for g in needs):
        raise TaxonomyError(f"{source}: 'model_needs' should be a list of non-empty lists of features (each as a rule's 'all')")
    model_needs = tuple(_groups(group, "model_needs") for group in needs)
    if not sub_rules or sub_rules[-1].min:
        raise TaxonomyError(f"{source}: the last submission rule must have an empty 'min' (the default grade)")
    return Rubric(
        name=name, version=version, description=str(data.get("description", "")),
        grades=tuple((str(k), str(v)) for k, v in (data.get("grades") or {}).items()),
        features=tuple(features),
        derived=tuple((str(k), str(v)) for k, v in (data.get("derived") or {}).items()),
        sentence_rules=tuple(rules), section_cap=tuple((str(k), str(v)) for k, v in caps.items()),
        graded_sections=graded, submission_rules=tuple(sub_rules), source=source,
        sentence_model=_model_path(data.get("sentence_model"), source),
        planned_model=_model_path(data.get("planned_model"), source, key="planned_model"),
        check_model=_model_path(data.get("check_model"), source, key="check_model"),
        rules_decide=rules_decide,
        model_needs=model_needs,
    )


def _model_path(name, source: str, key: str = "sentence_model") -> str:
    """Where the rubric's sentence model (or, with ``key``, its planned model or grade check) is: "" for none (rules only), else
    the file's path.

    The name is a file next to the rubric file; a name not found there is looked for among the
    packaged rubrics (so a copy of the packaged rubric keeps the packaged model)."""
    if name in (None, "", "none", False):
        return ""
    if not isinstance(name, str):
        raise TaxonomyError(f"{source}: '{key}' should be a file name or none")
    if not source.startswith("soa_analysis/rubrics/"):
        here = Path(source).parent / name
        if here.is_file():
            return str(here)
    packaged = resources.files(__name__).joinpath(name)
    if not packaged.is_file():
        what = key.replace("_", " ")
        raise TaxonomyError(f"{source}: {what} {name!r} not found next to the rubric or in the package")
    return f"soa_analysis/rubrics/{name}"


@lru_cache(maxsize=16)
def _load_rubric_cached(path: str | None, mtime: float) -> Rubric:
    data, source = _read_yaml(path, "evidence_rubric.yaml")
    return _parse_rubric(data, source)


def _mtime(path) -> float:
    try:
        return os.stat(path).st_mtime if path is not None else 0.0
    except OSError:
        return -1.0


def load_rubric(path: str | os.PathLike | Rubric | None = None) -> Rubric:
    """Load and validate an evidence rubric.

    Parameters
    ----------
    path : path-like, Rubric or None
        A YAML file in the format of the packaged ``evidence_rubric.yaml``; ``None`` for the
        packaged rubric; a :class:`Rubric` is returned as is.

    Returns
    -------
    Rubric

    Raises
    ------
    InputError
        If ``path`` does not exist.
    TaxonomyError
        If the file is not valid YAML, misses a part, names unknown features, sections or
        grades, or holds a regular expression that does not compile.

    Example
    -------
    >>> load_rubric().name
    'evidence_rubric'
    """
    if isinstance(path, Rubric):
        return path
    key = None if path is None else str(Path(path))
    return _load_rubric_cached(key, _mtime(key))


def load_guidance(path: str | os.PathLike | None = None) -> Guidance:
    """Load and validate the 2012 guidance expectations (``guidance_2012.yaml``).

    Raises
    ------
    InputError
        If ``path`` does not exist.
    TaxonomyError
        If the file is malformed (missing ids, no phrases or patterns, bad regex).
    """
    from ..evidence.patterns import compile_pattern

    data, source = _read_yaml(path, "guidance_2012.yaml")
    exps = []
    seen = set()
    for i, e in enumerate(_require(data, "expectations", list, source)):
        if not isinstance(e, dict) or not e.get("id"):
            raise TaxonomyError(f"{source}: expectations[{i}] needs an id")
        if e["id"] in seen:
            raise TaxonomyError(f"{source}: expectation id {e['id']!r} repeated")
        seen.add(e["id"])
        phrases = tuple(str(p) for p in e.get("phrases", []) or [])
        patterns = tuple(str(p) for p in e.get("patterns", []) or [])
        if not phrases and not patterns:
            raise TaxonomyError(f"{source}: expectation {e['id']!r} has neither phrases nor patterns")
        for p in patterns:
            compile_pattern(p)
        exps.append(Expectation(str(e["id"]), str(e.get("label", e["id"])), str(e.get("description", "")),
                                phrases, patterns))
    return Guidance(str(data.get("name", "guidance")), str(data.get("version", "")), tuple(exps), source)


def rubric_table(rubric: str | os.PathLike | Rubric | None = None) -> pd.DataFrame:
    """The rubric as a table: one row per feature pattern, sentence rule and submission rule.

    Returns
    -------
    pandas.DataFrame
        Columns ``part`` (feature, derived, sentence rule, section cap, submission rule),
        ``id``, ``result`` (feature weight or the grade a rule gives), ``definition``
        and ``description``.
    """
    r = load_rubric(rubric)
    rows = []
    for f in r.features:
        for name, regex in f.patterns:
            rows.append(("feature", f.feature_id(name), f"weight {f.weight:g}", regex, f.description))
    for name, text in r.derived:
        rows.append(("derived", name, "", text, ""))
    for i, rule in enumerate(r.sentence_rules, 1):
        rows.append(("sentence rule", f"S{i}", rule.strength, rule.describe(), rule.explain))
    for section, cap in r.section_cap:
        rows.append(("section cap", section, cap, f"a sentence in '{section}' supports at most {cap}", ""))
    for i, rule in enumerate(r.submission_rules, 1):
        cond = " and ".join(f">= {n} {s} sentence(s)" for s, n in rule.min) or "otherwise"
        rows.append(("submission rule", f"G{i}", rule.grade, cond, rule.explain))
    return pd.DataFrame(rows, columns=["part", "id", "result", "definition", "description"])


def rubric_markdown(rubric: str | os.PathLike | Rubric | None = None, *, patterns: bool = False) -> str:
    """The rubric as Markdown for a report's methodology section.

    Parameters
    ----------
    rubric : path-like, Rubric or None
        Default: the packaged rubric.
    patterns : bool
        Also list every feature's regular expression (an appendix for the curious).

    Example
    -------
    >>> rubric_markdown().splitlines()[0]   # doctest: +ELLIPSIS
    '### Evidence rubric ...'
    """
    r = load_rubric(rubric)
    out = [f"### Evidence rubric `{r.name}` version {r.version}", "", r.description, "", "**Grades**", ""]
    out += [f"- **{g}**: {d}" for g, d in r.grades]
    out += ["", "**Sentence features** (case-insensitive patterns; figures are read with years, dates and "
            "outcome numbers masked)", "", "| feature | weight | what it detects |", "|---|---|---|"]
    for f in r.features:
        ids = ", ".join(f"`{f.feature_id(n)}`" for n, _ in f.patterns)
        out.append(f"| {ids} | {f.weight:g} | {f.description} |")
    for name, text in r.derived:
        out.append(f"| `{name}` (derived) | | {text} |")
    out += ["", "**Sentence rules** (first match gives the sentence's strength; otherwise none)", ""]
    for i, rule in enumerate(r.sentence_rules, 1):
        out.append(f"{i}. **{rule.strength}** if {rule.describe()} - {rule.explain}")
    if r.sentence_model:
        from ..evidence.sentence_model import load_sentence_model

        m = load_sentence_model(r.sentence_model)
        n = m.meta.get("trained_on", {}).get("n_texts", "?")
        out += ["", f"**Sentence model**: after the rules, a logistic regression learned from {n} real council "
                "texts (in those with evidence, which sentences carry it) decides which sentences count, from what the rules say of the "
                "sentence and its neighbours, the text's make-up and the sentence's words: a sentence counts when "
                f"its probability is at least {m.threshold:g}"
                + (f" (a sentence the rules did not grade: at least {m.promote:g})" if m.policy == "gate" else "")
                + ", at the rules' strength (some when no rule graded it). Each graded sentence's explanation gives "
                "the probability and the words or features that weighed most."
                + (f" It decides only in a text of at least {m.min_sentences} sentences: a shorter passage is graded "
                   "by the rules alone." if m.min_sentences > 1 else "")]
    if r.sentence_model and r.rules_decide:
        out += ["", "A sentence with " + " or ".join(f"`{f}`" for f in r.rules_decide)
                + " that the rules do not grade some or strong is not counted by the sentence model (the need, the process, "
                "an award or a target is not evidence of benefit)."]
    if r.sentence_model and r.model_needs:
        out += ["", "A sentence the rules do not grade some or strong is counted by the sentence model only when it has "
                + "; or ".join(" and ".join(" or ".join(f"`{f}`" for f in item) for item in group) for group in r.model_needs)
                + " (a sentence with none of them, an assertion or an account of the work done, is not evidence of "
                "benefit)."]
    if r.section_cap:
        out += ["", "**Section caps**: " + "; ".join(f"{s} at most {c}" for s, c in r.section_cap)]
    out += ["", f"**Graded sections**: {', '.join(r.graded_sections)} (when all are empty: the other sections "
            "under their caps, else the whole narrative)",
            "", "**Submission rules** (first match)", ""]
    for i, rule in enumerate(r.submission_rules, 1):
        cond = " and ".join(f"at least {n} {s} sentence(s)" for s, n in rule.min) or "otherwise"
        out.append(f"{i}. **{rule.grade}** if {cond} - {rule.explain}")
    if r.check_model:
        from ..evidence.check_model import load_check_model

        cm = load_check_model(r.check_model)
        out += ["", "**Grade check**: a narrative without the template (a form's sections say where its evidence is) is "
                "then read whole, beside the grade the rules gave it, by a multinomial logistic regression over its "
                "words and word pairs and that grade"
                + (" and what the sentence model made of its sentences (its two highest probabilities and the share "
                   "at even odds or more)" if cm.sentence else "")
                + f", learned from {cm.meta.get('trained_on', {}).get('n_texts', '?')} "
                "real council texts with readers' grades; where it names another of strong, some and none (planned "
                "counts as none)"
                + (f" and finds it likelier than the rules' grade by at least {cm.margin:g} (a difference of two "
                   "probabilities)" if cm.margin else "")
                + f", the grade is its, in a text of at least {cm.min_sentences} sentences. The grade's "
                "explanation gives its probability, the words that weighed most, "
                + ("the sentence model's likeliest sentence, " if cm.sentence else "")
                + "and the rules' own grade and reason."]
    if r.planned_model:
        from ..evidence.planned_model import load_planned_model

        pm = load_planned_model(r.planned_model)
        out += ["", f"**Planned model**: a narrative without the template (a form's timeline question is left to the "
                "rules) with no sentence that counts is then read whole by a logistic regression "
                f"over its words and word pairs, learned from {pm.meta.get('trained_on', {}).get('n_texts', '?')} real "
                "council texts graded "
                "none or planned by the rules and labelled by readers; it grades the text planned when its probability "
                f"is at least {pm.threshold:g}, else none, in a text of at least {pm.min_sentences} sentences "
                "(a shorter "
                "passage keeps the rules' grade). The grade's explanation gives the probability and the words that "
                "weighed most."]
    if patterns:
        out += ["", "**Feature patterns** (Python regular expressions, case-insensitive)", ""]
        for f in r.features:
            for name, regex in f.patterns:
                out.append(f"- `{f.feature_id(name)}`: `{regex}`")
    out += ["", f"Source: {r.source}"]
    return "\n".join(out) + "\n"
