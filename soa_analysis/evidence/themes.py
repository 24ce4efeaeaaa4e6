"""Added-value themes (question 5) and the 2012 guidance expectations, by phrase matching.

Phrases are matched on sequences of Porter stems of every token (hyphens read as spaces),
so "pooled budgets" matches "pooling budget" and "joined-up" matches "joined up". Stop
words are *not* dropped: phrases such as "working together" or "fire safety" need them.
Each theme keeps the sentences and phrases it rests on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ..errors import InputError, TaxonomyError
from ..nlp import split_sentences, stem, tokenize
from ..rubrics import Guidance, load_guidance
from .patterns import HYPHEN, compile_pattern

__all__ = [
    "Theme",
    "ThemeTaxonomy",
    "ThemeScore",
    "PhraseMatcher",
    "ThemeTagger",
    "load_added_value",
    "stems_of",
    "align_guidance",
    "THEME_IDS",
]

THEME_IDS = (
    "prevention", "resources", "business_processes", "partnership", "localisation", "community_engagement",
    "voluntary_sector", "business_sector", "performance", "cost_effectiveness", "shared_data", "outcome_focus",
)


def stems_of(text: str) -> tuple[str, ...]:
    """Stems of every token of ``text``, hyphens and slashes between words read as spaces.

    Example
    -------
    >>> stems_of("Pooled budgets, joined-up")
    ('pool', 'budget', 'join', 'up')
    """
    return tuple(stem(t) for t in tokenize(HYPHEN.sub(" ", text)))


class PhraseMatcher:
    """Find weighted phrases in token-stem sequences, skipping excluded spans.

    Parameters
    ----------
    phrases : dict
        Phrase -> weight.
    exclusions : iterable of str
        Phrases whose tokens may not count for any phrase of this matcher.
    """

    def __init__(self, phrases: dict, exclusions=()):
        self.phrases = dict(phrases)
        self.exclusions = tuple(exclusions)
        self._index: dict[str, list[tuple[tuple[str, ...], str, float]]] = {}
        best: dict[tuple[str, ...], tuple[str, float]] = {}
        for phrase, weight in self.phrases.items():
            key = stems_of(str(phrase))
            if key and weight > best.get(key, (None, float("-inf")))[1]:
                best[key] = (str(phrase), float(weight))  # phrases that stem alike: keep the heaviest
        for key, (phrase, weight) in best.items():
            self._index.setdefault(key[0], []).append((key, phrase, weight))
        for entries in self._index.values():
            entries.sort(key=lambda e: -len(e[0]))
        self._excl: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.exclusions:
            key = stems_of(str(phrase))
            if key:
                self._excl.setdefault(key[0], []).append(key)

    def find(self, stems: tuple[str, ...]) -> list[tuple[str, float]]:
        """``(phrase, weight)`` for each phrase occurrence in ``stems`` (longest match first)."""
        n = len(stems)
        blocked = set()
        if self._excl:
            for i, s in enumerate(stems):
                for key in self._excl.get(s, ()):
                    if stems[i:i + len(key)] == key:
                        blocked.update(range(i, i + len(key)))
        out = []
        i = 0
        while i < n:
            step = 1
            for key, phrase, weight in self._index.get(stems[i], ()):
                k = len(key)
                if stems[i:i + k] == key and not blocked.intersection(range(i, i + k)):
                    out.append((phrase, weight))
                    step = k
                    break
            i += step
        return out


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
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML: {exc}") from None
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


class ThemeTagger:
    """Tag added-value text with the themes of the taxonomy.

    A theme's total is the sum of the weights of the distinct phrases found (a phrase
    repeated counts once); its score is ``total / (total + threshold)`` and it is assigned
    when the total reaches the threshold (score >= 0.5).

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
        """Load the taxonomy and build the phrase matchers; returns self."""
        self.taxonomy_ = load_added_value(self.taxonomy)
        self.matchers_ = {t.id: PhraseMatcher(dict(t.phrases), t.exclusions) for t in self.taxonomy_.themes}
        return self

    def score(self, text: str) -> dict[str, ThemeScore]:
        """Every theme's :class:`ThemeScore` for ``text``."""
        if not hasattr(self, "matchers_"):
            self.fit()
        sentences = [(s, stems_of(s)) for s in split_sentences(text or "")]
        out = {}
        for theme in self.taxonomy_.themes:
            matcher = self.matchers_[theme.id]
            phrases: dict[str, float] = {}
            evid = []
            for sent, stems in sentences:
                hits = matcher.find(stems)
                if hits:
                    evid.append((sent, sorted({p for p, _ in hits})))
                    for p, w in hits:
                        phrases[p] = w
            total = max(0.0, sum(phrases.values()))
            score = total / (total + theme.threshold) if total else 0.0
            out[theme.id] = ThemeScore(theme.id, round(score, 4), total >= theme.threshold, phrases, evid)
        return out

    def predict(self, texts) -> list[list[str]]:
        """Assigned theme ids for each text, in taxonomy order."""
        return [[t for t, s in self.score(x).items() if s.assigned] for x in texts]


@lru_cache(maxsize=8)
def _guidance_matchers(guidance: Guidance):
    return {e.id: (PhraseMatcher({p: 1.0 for p in e.phrases}), tuple(compile_pattern(p) for p in e.patterns))
            for e in guidance.expectations}


def align_guidance(text: str, guidance: Guidance | str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Sentences of ``text`` that meet each expectation of the 2012 guidance.

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
    matchers = _guidance_matchers(guidance)
    out: dict[str, list[str]] = {e.id: [] for e in guidance.expectations}
    for sent in split_sentences(text or ""):
        stems = stems_of(sent)
        for eid, (matcher, regexes) in matchers.items():
            if matcher.find(stems) or any(r.search(sent) for r in regexes):
                out[eid].append(sent)
    return out
