"""Versioned taxonomies: the categories a submission is tagged against.

A taxonomy is a YAML file with a ``name``, a quoted ``version`` string, an optional
``description`` and ``scoring`` block, and a list of ``categories``; each category has an
``id``, a ``label``, a ``description``, weighted ``phrases`` (``phrase: weight``, weight in
(0, 1], or a plain list meaning weight 1), optional ``exclusions`` (phrases whose words must
not count for this category, e.g. "older buildings"), and for National Outcomes a
``wording`` and ``number``. The package ships ``priorities``, ``outcomes_soa`` and
``outcomes_2018``; a researcher can edit a copy and pass its path instead of a name, and
the tagging run records the version and SHA-256 of the file it used.

Example
-------
>>> tax = load_taxonomy("priorities")
>>> tax.ids[:2]
('economic_growth', 'employment')
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..datafiles import parse_yaml, sha256_hex
from ..errors import TaxonomyError

__all__ = ["Category", "Taxonomy", "load_taxonomy", "list_taxonomies"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_HAS_WORD = re.compile(r"[A-Za-z0-9]")
_TOP_KEYS = {"name", "version", "description", "scoring", "categories"}
_CAT_KEYS = {"id", "label", "description", "phrases", "exclusions", "wording", "number"}
_SCORING_KEYS = {"saturation", "coverage_weight", "coverage_target", "threshold", "sentence_cap"}
DEFAULT_SCORING = {
    "saturation": 1.5,
    "coverage_weight": 0.4,
    "coverage_target": 0.25,
    "threshold": 0.5,
    "sentence_cap": 2.0,
}


@dataclass(frozen=True)
class Category:
    """One category of a taxonomy (a priority or a National Outcome)."""

    id: str
    label: str
    description: str = ""
    phrases: tuple[tuple[str, float], ...] = ()
    exclusions: tuple[str, ...] = ()
    wording: str = ""
    number: int | None = None


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy: its version, scoring settings and categories.

    Attributes
    ----------
    source : str
        Where it was loaded from (``package:priorities.yaml`` or a file path).
    sha256 : str
        SHA-256 of the file's bytes, recorded with every tagging run.
    """

    name: str
    version: str
    categories: tuple[Category, ...]
    description: str = ""
    scoring: dict = field(default_factory=dict)
    source: str = ""
    sha256: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def get(self, category_id: str) -> Category:
        """The category with id ``category_id`` (TaxonomyError if unknown)."""
        for c in self.categories:
            if c.id == category_id:
                return c
        raise TaxonomyError(f"taxonomy {self.name!r} has no category {category_id!r}; ids: {', '.join(self.ids)}")

    def provenance(self) -> dict:
        """Name, version, source and SHA-256: what a run records about the taxonomy."""
        return {"name": self.name, "version": self.version, "source": self.source, "sha256": self.sha256}


def list_taxonomies() -> list[str]:
    """Names of the taxonomies shipped in the package."""
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def _fail(where: str, msg: str) -> TaxonomyError:
    return TaxonomyError(f"{where}: {msg}")


def _parse_phrases(raw, where: str) -> tuple[tuple[str, float], ...]:
    if raw is None:
        return ()
    if isinstance(raw, list):
        raw = {p: 1.0 for p in raw}
    if not isinstance(raw, dict):
        raise _fail(where, "'phrases' must be a mapping of phrase: weight (or a list of phrases)")
    out = []
    for phrase, weight in raw.items():
        if not isinstance(phrase, str) or not _HAS_WORD.search(phrase):
            raise _fail(where, f"phrase {phrase!r} must be a string with at least one word")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < float(weight) <= 1.5:
            raise _fail(where, f"phrase {phrase!r} has weight {weight!r}; weights must be numbers in (0, 1.5]")
        out.append((phrase.strip(), float(weight)))
    return tuple(out)


def _parse(data, where: str, source: str, digest: str) -> Taxonomy:
    if not isinstance(data, dict):
        raise _fail(where, "the file must hold a mapping with name, version and categories")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(where, f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not _ID.match(name):
        raise _fail(where, f"'name' must be a lower-case identifier, got {name!r}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise _fail(where, f"'version' must be a non-empty string (quote it in YAML: version: \"1.0\"), got {version!r}")
    scoring = dict(DEFAULT_SCORING)
    raw_scoring = data.get("scoring") or {}
    if not isinstance(raw_scoring, dict) or set(raw_scoring) - _SCORING_KEYS:
        raise _fail(where, f"'scoring' must be a mapping with keys among {sorted(_SCORING_KEYS)}")
    for k, v in raw_scoring.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise _fail(where, f"scoring.{k} must be a non-negative number, got {v!r}")
        scoring[k] = float(v)
    if scoring["saturation"] <= 0:
        raise _fail(where, "scoring.saturation must be positive")
    cats_raw = data.get("categories")
    if not isinstance(cats_raw, list) or not cats_raw:
        raise _fail(where, "'categories' must be a non-empty list")
    cats: list[Category] = []
    seen: set[str] = set()
    for i, c in enumerate(cats_raw):
        cw = f"{where}: category #{i + 1}"
        if not isinstance(c, dict):
            raise TaxonomyError(f"{cw} must be a mapping")
        unknown = set(c) - _CAT_KEYS
        if unknown:
            raise TaxonomyError(f"{cw} ({c.get('id')!r}) has unknown key(s) {sorted(unknown)}; allowed: {sorted(_CAT_KEYS)}")
        cid = c.get("id")
        if not isinstance(cid, str) or not _ID.match(cid):
            raise TaxonomyError(f"{cw}: 'id' must be a lower-case identifier, got {cid!r}")
        if cid in seen:
            raise TaxonomyError(f"{where}: category id {cid!r} is repeated")
        seen.add(cid)
        cw = f"{where}: category {cid!r}"
        label = c.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{cw}: 'label' must be a non-empty string")
        phrases = _parse_phrases(c.get("phrases"), cw)
        excl = c.get("exclusions") or []
        if not isinstance(excl, list) or not all(isinstance(e, str) and _HAS_WORD.search(e) for e in excl):
            raise TaxonomyError(f"{cw}: 'exclusions' must be a list of phrases")
        wording = c.get("wording") or ""
        if not isinstance(wording, str):
            raise TaxonomyError(f"{cw}: 'wording' must be a string")
        if not phrases and not wording:
            raise TaxonomyError(f"{cw}: needs at least one phrase or a wording")
        number = c.get("number")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise TaxonomyError(f"{cw}: 'number' must be an integer")
        cats.append(Category(cid, label.strip(), str(c.get("description") or ""), phrases,
                             tuple(e.strip() for e in excl), wording.strip(), number))
    return Taxonomy(name, version.strip(), tuple(cats), str(data.get("description") or ""),
                    scoring, source, digest)


def load_taxonomy(name_or_path: "str | os.PathLike | Taxonomy") -> Taxonomy:
    """Load and validate a taxonomy by package name or file path.

    Parameters
    ----------
    name_or_path : str, path-like or Taxonomy
        A shipped name (``"priorities"``, ``"outcomes_soa"``, ``"outcomes_2018"``), or the
        path of a YAML file a researcher wrote or edited. A Taxonomy is returned as is.

    Returns
    -------
    Taxonomy

    Raises
    ------
    TaxonomyError
        If the name is unknown, the file cannot be read or parsed, or its content breaks the
        format (the message names the file, the category and the problem).

    Example
    -------
    >>> load_taxonomy("outcomes_soa").get("no06").wording
    'We live longer, healthier lives'
    """
    if isinstance(name_or_path, Taxonomy):
        return name_or_path
    text = str(name_or_path)
    key = _cache_key(name_or_path)
    if key is not None and key in _CACHE:
        return _CACHE[key]
    tax = _load(name_or_path, text)
    if key is not None:
        _CACHE[key] = tax
    return tax


_CACHE: dict = {}


def _cache_key(name_or_path):
    """Files are cached by resolved path, size and modification time (an edit reloads)."""
    text = str(name_or_path)
    if isinstance(name_or_path, os.PathLike) or text.endswith((".yaml", ".yml")) or os.sep in text:
        try:
            st = os.stat(text)
        except OSError:
            return None
        return ("file", os.path.realpath(text), st.st_size, st.st_mtime_ns)
    return ("package", text)


def _load(name_or_path, text: str) -> Taxonomy:
    looks_like_path = isinstance(name_or_path, os.PathLike) or text.endswith((".yaml", ".yml")) or os.sep in text
    if looks_like_path:
        path = Path(name_or_path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TaxonomyError(f"cannot read taxonomy file {path}: {exc.strerror or exc}") from None
        source = str(path)
    else:
        res = resources.files(__name__) / f"{text}.yaml"
        if not res.is_file():
            raise TaxonomyError(f"unknown taxonomy {text!r}; shipped: {', '.join(list_taxonomies())} (or pass a file path)")
        raw = res.read_bytes()
        source = f"package:{text}.yaml"
    return _parse(parse_yaml(raw, source), source, source, sha256_hex(raw))
