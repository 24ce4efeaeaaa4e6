"""Added-value themes (question 5) and the 2012 guidance expectations, by phrase matching.

Phrases are found by the one phrase index the priorities and the National Outcomes use
(:mod:`soa_analysis.tagging.phrases`, which says what a match is), on Porter stems of every
word, hyphens read as spaces, so "pooled budgets" matches "pooling budget" and "joined-up"
matches "joined up". Occurrences count by that module's reading rule
(:func:`~soa_analysis.tagging.phrases.first_longest`): left to right, the longest phrase at
each word, words of a theme's exclusions never counting, negation and hedges not read.
Stop words are *not* dropped: phrases such as "working together" or "fire safety" need them.
Each theme keeps the sentences and phrases it rests on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..datafiles import parse_yaml
from ..errors import InputError, TaxonomyError
from ..rubrics import Guidance, load_guidance
from ..tagging.phrases import PhraseIndex, first_longest
from ..tagging.text import analyse, phrase_stems
from . import prefilter
from .patterns import compile_lower, compile_pattern

__all__ = [
    "Theme",
    "ThemeTaxonomy",
    "ThemeScore",
    "ThemeTagger",
    "load_added_value",
    "theme_index",
    "align_guidance",
    "THEME_IDS",
]

THEME_IDS = (
    "prevention", "resources", "business_processes", "partnership", "localisation", "community_engagement",
    "voluntary_sector", "business_sector", "performance", "cost_effectiveness", "shared_data", "outcome_focus",
)


@dataclass(frozen=True)
class Theme:
    """One added-value theme of the taxonomy."""

    id: str
    label: str
    description: str
    phrases: tuple[tuple[str, float], ...]
    exclusions: tuple[str, ...]
    threshold: float


@dataclass(frozen=True)
class ThemeTaxonomy:
    """The validated added-value taxonomy."""

    name: str
    version: str
    themes: tuple[Theme, ...]
    source: str

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)


@dataclass
class ThemeScore:
    """A theme's score in one text and the evidence behind it."""

    theme: str
    score: float
    assigned: bool
    phrases: dict = field(default_factory=dict)  # phrase -> weight
    sentences: list = field(default_factory=list)  # (sentence, [phrases])

    @property
    def evidence(self) -> str:
        """``"sentence" [phrase, phrase]`` entries joined by " | "."""
        return " | ".join(f"\"{s}\" [{', '.join(p)}]" for s, p in self.sentences)


def _parse_taxonomy(data: dict, source: str) -> ThemeTaxonomy:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise TaxonomyError(f"{source}: expected a mapping with a 'categories' list")
    scoring = data.get("scoring") or {}
    if not isinstance(scoring, dict):
        raise TaxonomyError(f"{source}: 'scoring' must be a mapping")
    try:
        default = float(scoring.get("threshold", data.get("threshold", 1.0)))
    except (TypeError, ValueError):
        raise TaxonomyError(f"{source}: threshold must be a number") from None
    themes, seen = [], set()
    for i, c in enumerate(data["categories"]):
        if not isinstance(c, dict) or not c.get("id"):
            raise TaxonomyError(f"{source}: categories[{i}] needs an id")
        if c["id"] in seen:
            raise TaxonomyError(f"{source}: theme id {c['id']!r} repeated")
        seen.add(c["id"])
        phrases = c.get("phrases")
        if not isinstance(phrases, dict) or not phrases:
            raise TaxonomyError(f"{source}: theme {c['id']!r} needs a non-empty 'phrases' mapping")
        try:
            weighted = tuple((str(p), float(w)) for p, w in phrases.items())
        except (TypeError, ValueError):
            raise TaxonomyError(f"{source}: theme {c['id']!r} has a non-numeric phrase weight") from None
        try:
            threshold = float(c.get("threshold", default))
        except (TypeError, ValueError):
            raise TaxonomyError(f"{source}: theme {c['id']!r} threshold must be a number") from None
        if threshold <= 0:
            raise TaxonomyError(f"{source}: theme {c['id']!r} threshold must be positive")
        themes.append(Theme(str(c["id"]), str(c.get("label", c["id"])), str(c.get("description", "")),
                            weighted, tuple(str(e) for e in c.get("exclusions", []) or []), threshold))
    return ThemeTaxonomy(str(data.get("name", "added_value")), str(data.get("version", "")), tuple(themes), source)


@lru_cache(maxsize=8)
def _load_cached(path: str | None, mtime: float) -> ThemeTaxonomy:
    if path is None:
        ref = resources.files("soa_analysis").joinpath("taxonomies", "added_value.yaml")
        text, source = ref.read_text(encoding="utf-8"), "soa_analysis/taxonomies/added_value.yaml"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"added-value taxonomy {p} not found")
        text, source = p.read_text(encoding="utf-8"), str(p)
    data = parse_yaml(text, source)
    return _parse_taxonomy(data, source)


def load_added_value(path: str | os.PathLike | ThemeTaxonomy | None = None) -> ThemeTaxonomy:
    """Load and validate the added-value themes taxonomy.

    Parameters
    ----------
    path : path-like, ThemeTaxonomy or None
        ``None`` for the packaged ``soa_analysis/taxonomies/added_value.yaml``.

    Raises
    ------
    InputError
        If ``path`` does not exist.
    TaxonomyError
        If the file is malformed (no categories, repeated ids, empty phrases, bad weights).
    """
    if isinstance(path, ThemeTaxonomy):
        return path
    key = None if path is None else str(Path(path))
    mtime = os.stat(key).st_mtime if key and os.path.exists(key) else 0.0
    return _load_cached(key, mtime)


def _heaviest_alike(phrases) -> list[tuple[str, float]]:
    """Phrases that stem alike ("pooled", "pooling") as one: the heaviest (on a tie, the first listed)."""
    best: dict[tuple[str, ...], tuple[str, float]] = {}
    for phrase, weight in phrases:
        key = phrase_stems(str(phrase))
        if key not in best or float(weight) > best[key][1]:
            best[key] = (str(phrase), float(weight))
    return list(best.values())


def theme_index(taxonomy: ThemeTaxonomy) -> PhraseIndex:
    """The themes' phrases and exclusions as one :class:`~soa_analysis.tagging.phrases.PhraseIndex`.

    Category ``i`` is ``taxonomy.themes[i]``. A theme's phrases that stem alike count as one
    phrase, of the heaviest weight.
    """
    entries = []
    for ci, theme in enumerate(taxonomy.themes):
        entries += [(ci, p, w, False) for p, w in _heaviest_alike(theme.phrases)]
        entries += [(ci, p, 0.0, True) for p in theme.exclusions]
    return PhraseIndex(entries, names=taxonomy.ids, source=taxonomy.source)


class ThemeTagger:
    """Tag added-value text with the themes of the taxonomy.

    A theme's total is the sum of the weights of the distinct phrases matched (a phrase
    repeated counts once); its score is
    ``total / (total + threshold)`` and it is assigned when the total reaches the threshold
    (score >= 0.5).

    Parameters
    ----------
    taxonomy : path-like, ThemeTaxonomy or None
        ``None`` for the packaged taxonomy.

    Example
    -------
    >>> ThemeTagger().fit().predict(["Partners pooled budgets and co-located staff."])
    [['resources']]
    """

    def __init__(self, *, taxonomy: str | os.PathLike | ThemeTaxonomy | None = None):
        self.taxonomy = taxonomy

    def fit(self, X=None, y=None) -> "ThemeTagger":
        """Load the taxonomy and index its phrases; returns self."""
        self.taxonomy_ = load_added_value(self.taxonomy)
        self.index_ = theme_index(self.taxonomy_)
        return self

    def score(self, text: str) -> dict[str, ThemeScore]:
        """Every theme's :class:`ThemeScore` for ``text``."""
        if not hasattr(self, "index_"):
            self.fit()
        themes = self.taxonomy_.themes
        phrases: list[dict[str, float]] = [{} for _ in themes]
        evid: list[list] = [[] for _ in themes]
        find = self.index_.find
        for sent in analyse(text or ""):
            for ci, hits in first_longest(find(sent.stems)).items():
                evid[ci].append((sent.sentence, sorted({h[3] for h in hits})))
                for _, _, w, p in hits:
                    phrases[ci][p] = w
        out = {}
        for theme, found, sentences in zip(themes, phrases, evid):
            total = max(0.0, sum(found.values()))
            score = total / (total + theme.threshold) if total else 0.0
            out[theme.id] = ThemeScore(theme.id, round(score, 4), total >= theme.threshold, found, sentences)
        return out

    def predict(self, texts) -> list[list[str]]:
        """Assigned theme ids for each text, in taxonomy order."""
        return [[t for t, s in self.score(x).items() if s.assigned] for x in texts]


@lru_cache(maxsize=8)
def _guidance_matchers(guidance: Guidance):
    """The expectations' phrase index; per expectation its patterns (case-insensitive, for text that is
    not ASCII) and, for lower-cased ASCII text, their numbers and span finders (:func:`.patterns.compile_lower`,
    :class:`.prefilter.Finder`); and a :class:`.prefilter.LiteralIndex` of those patterns' words."""
    index = PhraseIndex([(ci, p, 1.0, False) for ci, e in enumerate(guidance.expectations) for p in e.phrases],
                        names=[e.id for e in guidance.expectations], source=guidance.source)
    regexes = [tuple(compile_pattern(p) for p in e.patterns) for e in guidance.expectations]
    number = iter(range(sum(map(len, regexes))))
    lower = [tuple((next(number), prefilter.Finder(compile_lower(p)).span) for p in e.patterns)
             for e in guidance.expectations]
    words = prefilter.LiteralIndex([prefilter.required_literals(compile_lower(p))
                                    for e in guidance.expectations for p in e.patterns])
    return index, regexes, lower, words


def align_guidance(text: str, guidance: Guidance | str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Sentences of ``text`` that meet each expectation of the 2012 guidance.

    A sentence meets an expectation when one of its phrases matches (by the reading rule, as
    the themes' phrases do) or one of its patterns is found.

    Returns
    -------
    dict
        Expectation id -> the matching sentences (empty list: absent).

    Example
    -------
    >>> align_guidance("We used SIMD data zones to target support.")["evidence_based"]
    ['We used SIMD data zones to target support.']
    """
    if not isinstance(guidance, Guidance):
        guidance = load_guidance(guidance)
    index, regexes, lower, words = _guidance_matchers(guidance)
    out: dict[str, list[str]] = {e.id: [] for e in guidance.expectations}
    for sent in analyse(text or ""):
        matched = first_longest(index.find(sent.stems))
        sentence = sent.sentence
        if sentence.isascii():  # lower-cased once: the patterns whose words it holds, where they can start
            low = sentence.lower()
            may = words.bits(low)
            for ci, e in enumerate(guidance.expectations):
                if ci in matched or any(may >> n & 1 and span(low) is not None for n, span in lower[ci]):
                    out[e.id].append(sentence)
            continue
        for ci, e in enumerate(guidance.expectations):
            if ci in matched or any(r.search(sentence) for r in regexes[ci]):
                out[e.id].append(sentence)
    return out
