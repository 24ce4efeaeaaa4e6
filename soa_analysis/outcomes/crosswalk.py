"""The crosswalk: CPOP indicators -> national priorities and National Outcomes.

The crosswalk is data (``soa_analysis/outcomes/crosswalk.yaml``, versioned like the
taxonomies). Each indicator says what it measures, whether higher or lower is better,
which of the six priorities it speaks to (with a one-line reason each), which National
Outcomes, and the phrases by which a submission may cite it by name.

Example
-------
>>> cw = load_crosswalk()
>>> cw.get("emergency_admissions_65").priorities
('older_people',)
>>> cw.indicator_for_name("EMERGENCY ADMISSIONS").id
'emergency_admissions_65'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from ..datafiles import parse_yaml, sha256_hex
from ..errors import TaxonomyError
from ..schema import PRIORITY_IDS

__all__ = ["Indicator", "Crosswalk", "load_crosswalk", "name_key", "OUTCOME_TAXONOMIES"]

OUTCOME_TAXONOMIES = ("outcomes_soa", "outcomes_2018")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"name", "version", "description", "little_change_pct", "indicators"}
_IND_KEYS = {"id", "label", "cpop_names", "measure", "higher_is_better", "priorities", "national_outcomes",
             "phrases"}
_NON_WORD = re.compile(r"[^a-z0-9+]+")


def name_key(name: object) -> str:
    """An indicator or area name reduced for matching: lower case, punctuation and spaces dropped.

    Example
    -------
    >>> name_key(" Out Of Work-Benefits ")
    'outofworkbenefits'
    """
    return _NON_WORD.sub("", str(name).casefold())


@dataclass(frozen=True)
class Indicator:
    """One outcome indicator of the crosswalk."""

    id: str
    label: str
    cpop_names: tuple[str, ...]
    measure: str
    higher_is_better: bool
    priority_reasons: tuple[tuple[str, str], ...]
    national_outcomes: tuple[tuple[str, tuple[str, ...]], ...]
    phrases: tuple[str, ...]

    @property
    def priorities(self) -> tuple[str, ...]:
        """Ids of the national priorities the indicator speaks to."""
        return tuple(p for p, _ in self.priority_reasons)

    def reason(self, priority: str) -> str:
        """The one-line reason the indicator speaks to ``priority`` ("" if it does not)."""
        return dict(self.priority_reasons).get(priority, "")

    def outcome_ids(self, taxonomy: str) -> tuple[str, ...]:
        """National Outcome ids in ``taxonomy`` (``outcomes_soa`` or ``outcomes_2018``)."""
        return dict(self.national_outcomes).get(taxonomy, ())

    @property
    def direction(self) -> str:
        """``"higher is better"`` or ``"lower is better"``."""
        return "higher is better" if self.higher_is_better else "lower is better"


@dataclass(frozen=True)
class Crosswalk:
    """A validated crosswalk: its version, reading settings and indicators."""

    name: str
    version: str
    indicators: tuple[Indicator, ...]
    little_change_pct: float
    description: str = ""
    source: str = ""
    sha256: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def get(self, indicator_id: str) -> Indicator:
        """The indicator with id ``indicator_id`` (TaxonomyError if unknown)."""
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise TaxonomyError(f"crosswalk has no indicator {indicator_id!r}; ids: {', '.join(self.ids)}")

    def indicator_for_name(self, name: object) -> Indicator | None:
        """The indicator a data file's indicator name stands for, or None."""
        return self._by_name.get(name_key(name))

    @cached_property
    def _by_name(self) -> dict[str, Indicator]:
        return {name_key(n): i for i in self.indicators for n in (*i.cpop_names, i.label, i.id)}

    def for_priority(self, priority: str) -> tuple[Indicator, ...]:
        """Indicators that speak to ``priority``, in crosswalk order."""
        return tuple(i for i in self.indicators if priority in i.priorities)

    def provenance(self) -> dict:
        """Name, version, source and SHA-256: what a run records about the crosswalk."""
        return {"name": self.name, "version": self.version, "source": self.source, "sha256": self.sha256}


def _fail(where: str, msg: str) -> TaxonomyError:
    return TaxonomyError(f"{where}: {msg}")


def _str_list(value, where: str, key: str, *, ids: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, f"'{key}' must be a non-empty list of strings")
    if ids and not all(_ID.match(v) for v in value):
        raise _fail(where, f"'{key}' must hold lower-case ids, got {value!r}")
    return tuple(v.strip() for v in value)


@lru_cache(maxsize=1)
def _outcome_ids() -> dict[str, frozenset[str]]:
    from ..taxonomies import load_taxonomy

    return {t: frozenset(load_taxonomy(t).ids) for t in OUTCOME_TAXONOMIES}


def _parse_indicator(raw, where: str) -> Indicator:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a mapping")
    unknown = set(raw) - _IND_KEYS
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_IND_KEYS)}")
    iid = raw.get("id")
    if not isinstance(iid, str) or not _ID.match(iid):
        raise _fail(where, f"'id' must be a lower-case identifier, got {iid!r}")
    where = f"{where.split(':')[0]}: indicator {iid!r}"
    for key in ("label", "measure"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(where, f"'{key}' must be a non-empty string")
    if not isinstance(raw.get("higher_is_better"), bool):
        raise _fail(where, "'higher_is_better' must be true or false")
    pri = raw.get("priorities")
    if pri is None or not isinstance(pri, dict):
        raise _fail(where, "'priorities' must be a mapping of priority id: reason ({} for none)")
    reasons = []
    for p, why in pri.items():
        if p not in PRIORITY_IDS:
            raise _fail(where, f"priority {p!r} is not one of {', '.join(PRIORITY_IDS)}")
        if not isinstance(why, str) or not why.strip() or "\n" in why.strip():
            raise _fail(where, f"the reason for priority {p!r} must be one line of text")
        reasons.append((p, why.strip()))
    nos = raw.get("national_outcomes")
    if not isinstance(nos, dict) or not nos:
        raise _fail(where, f"'national_outcomes' must map taxonomies ({', '.join(OUTCOME_TAXONOMIES)}) to id lists")
    known = _outcome_ids()
    outcomes = []
    for tax, ids in nos.items():
        if tax not in known:
            raise _fail(where, f"national_outcomes names unknown taxonomy {tax!r}; known: {', '.join(known)}")
        ids = _str_list(ids, where, f"national_outcomes.{tax}", ids=True)
        bad = sorted(set(ids) - known[tax])
        if bad:
            raise _fail(where, f"national_outcomes.{tax} has id(s) {bad} not in the {tax} taxonomy")
        outcomes.append((tax, ids))
    return Indicator(
        id=iid, label=raw["label"].strip(), cpop_names=_str_list(raw.get("cpop_names"), where, "cpop_names"),
        measure=raw["measure"].strip(), higher_is_better=raw["higher_is_better"], priority_reasons=tuple(reasons),
        national_outcomes=tuple(outcomes), phrases=_str_list(raw.get("phrases"), where, "phrases"),
    )


def _parse(data, where: str, source: str, digest: str) -> Crosswalk:
    if not isinstance(data, dict):
        raise _fail(where, "the file must hold a mapping with name, version and indicators")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(where, f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not _ID.match(name):
        raise _fail(where, f"'name' must be a lower-case identifier, got {name!r}")
    if not isinstance(version, str) or not version.strip():
        raise _fail(where, f"'version' must be a non-empty string (quote it in YAML), got {version!r}")
    band = data.get("little_change_pct", 1.0)
    if isinstance(band, bool) or not isinstance(band, (int, float)) or not 0 <= band < 100:
        raise _fail(where, f"'little_change_pct' must be a number from 0 to under 100, got {band!r}")
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "'indicators' must be a non-empty list")
    inds = [_parse_indicator(r, f"{where}: indicator #{n}") for n, r in enumerate(raw, 1)]
    seen_ids: set[str] = set()
    seen_names: dict[str, str] = {}
    for i in inds:
        if i.id in seen_ids:
            raise _fail(where, f"indicator id {i.id!r} is repeated")
        seen_ids.add(i.id)
        for n in {name_key(x) for x in (*i.cpop_names, i.label, i.id)}:
            if seen_names.setdefault(n, i.id) != i.id:
                raise _fail(where, f"name {n!r} belongs to both {seen_names[n]!r} and {i.id!r}")
    return Crosswalk(name, version.strip(), tuple(inds), float(band), str(data.get("description") or ""),
                     source, digest)


def load_crosswalk(path: str | os.PathLike | None = None) -> Crosswalk:
    """Load and validate the crosswalk.

    Parameters
    ----------
    path : path-like, optional
        A crosswalk YAML file a researcher edited; default the packaged ``crosswalk.yaml``.

    Returns
    -------
    Crosswalk

    Raises
    ------
    TaxonomyError
        When the file is missing, is not YAML, or breaks the structure described at its top
        (unknown priority or National Outcome ids, a missing direction, a repeated name ...).
    """
    if path is None or str(path) == "":
        return _packaged()
    p = Path(path)
    if not p.is_file():
        raise TaxonomyError(f"crosswalk file {p} not found")
    return _load_bytes(p.read_bytes(), str(p))


@lru_cache(maxsize=1)
def _packaged() -> Crosswalk:
    raw = resources.files(__package__).joinpath("crosswalk.yaml").read_bytes()
    return _load_bytes(raw, "package:crosswalk.yaml")


def _load_bytes(raw: bytes, source: str) -> Crosswalk:
    data = parse_yaml(raw, f"crosswalk {source}")
    return _parse(data, f"crosswalk {source}", source, sha256_hex(raw))
