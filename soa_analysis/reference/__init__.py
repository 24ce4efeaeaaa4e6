"""Reference data shipped with the package: councils, partner types, submission templates.

Files are read with :mod:`importlib.resources` (never paths relative to the working
directory), validated once, and cached. A malformed file raises
:class:`~soa_analysis.errors.TaxonomyError` naming the file and the problem.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources

from ..datafiles import parse_yaml
from ..errors import TaxonomyError

__all__ = ["read_text", "load_councils", "load_partner_types", "load_templates"]

_GSS = re.compile(r"^S12\d{6}$")


def read_text(name: str) -> str:
    """Text of the reference file ``name`` inside this package.

    Raises
    ------
    TaxonomyError
        When the file does not exist in the package.
    """
    try:
        return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"reference file {name!r} is missing from soa_analysis/reference") from None


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


@lru_cache(maxsize=1)
def load_councils() -> tuple[dict, ...]:
    """The 32 Scottish councils from ``councils.csv``.

    Returns
    -------
    tuple of dict
        Keys: name, slug, gss_code, old_gss_code, aliases (list), email_domains (list).

    Raises
    ------
    TaxonomyError
        When a row lacks a field, a GSS code is malformed, or names are repeated.
    """
    rows = list(csv.DictReader(io.StringIO(read_text("councils.csv"))))
    out, seen = [], set()
    for i, row in enumerate(rows, start=2):
        if any(not (row.get(k) or "").strip() for k in ("name", "slug", "gss_code", "old_gss_code")):
            raise TaxonomyError(f"councils.csv line {i}: name, slug, gss_code and old_gss_code are required")
        for k in ("gss_code", "old_gss_code"):
            if not _GSS.match(row[k].strip()):
                raise TaxonomyError(f"councils.csv line {i}: {k} {row[k]!r} is not an S12 GSS code")
        if row["name"] in seen:
            raise TaxonomyError(f"councils.csv line {i}: council {row['name']!r} repeated")
        seen.add(row["name"])
        out.append({
            "name": row["name"].strip(),
            "slug": row["slug"].strip(),
            "gss_code": row["gss_code"].strip(),
            "old_gss_code": row["old_gss_code"].strip(),
            "aliases": _split(row.get("aliases", "")),
            "email_domains": [d.lower() for d in _split(row.get("email_domains", ""))],
        })
    return tuple(out)


@lru_cache(maxsize=1)
def load_partner_types() -> dict:
    """Partner types from ``partners.yaml``: type id -> {label, organisations: [{canonical, patterns}]}.

    Raises
    ------
    TaxonomyError
        When the file's structure is not as documented at its top.
    """
    data = parse_yaml(read_text("partners.yaml"), "soa_analysis/reference/partners.yaml") or {}
    types = data.get("types")
    if not isinstance(types, dict) or not types:
        raise TaxonomyError("partners.yaml: 'types' must be a non-empty mapping")
    for tid, spec in types.items():
        orgs = (spec or {}).get("organisations")
        if not isinstance(orgs, list) or not orgs:
            raise TaxonomyError(f"partners.yaml: type {tid!r} needs a non-empty 'organisations' list")
        for org in orgs:
            if not org.get("canonical") or not isinstance(org.get("patterns"), list) or not org["patterns"]:
                raise TaxonomyError(f"partners.yaml: type {tid!r}: each organisation needs canonical and patterns")
    return types


@lru_cache(maxsize=1)
def load_templates() -> dict:
    """Submission templates from ``templates.yaml``.

    Returns
    -------
    dict
        ``templates`` (id -> {label, sections, numbers}), ``headings`` (section -> list of
        {text, templates}) and ``checklist_items`` (checklist id -> list of wordings).

    Raises
    ------
    TaxonomyError
        When a template names a section without headings, or a heading names an unknown
        template, or a checklist id is not one of ``document.CHECKLIST_IDS``.
    """
    from ..ingest.document import CHECKLIST_IDS

    data = parse_yaml(read_text("templates.yaml"), "soa_analysis/reference/templates.yaml") or {}
    templates = data.get("templates") or {}
    raw_headings = data.get("headings") or {}
    if not templates or not raw_headings:
        raise TaxonomyError("templates.yaml: 'templates' and 'headings' are required")
    headings: dict[str, list[dict]] = {}
    for section, variants in raw_headings.items():
        items = []
        for v in variants or []:
            item = {"text": v, "templates": []} if isinstance(v, str) else dict(v)
            if not item.get("text"):
                raise TaxonomyError(f"templates.yaml: a heading of section {section!r} has no text")
            item.setdefault("templates", [])
            unknown = set(item["templates"]) - set(templates)
            if unknown:
                raise TaxonomyError(f"templates.yaml: heading {item['text']!r} names unknown template(s) {sorted(unknown)}")
            items.append(item)
        headings[section] = items
    for tid, spec in templates.items():
        missing = [s for s in spec.get("sections", []) if s not in headings]
        if missing:
            raise TaxonomyError(f"templates.yaml: template {tid!r} lists sections without headings: {missing}")
        spec["numbers"] = {int(k): v for k, v in (spec.get("numbers") or {}).items()}
    checklist = data.get("checklist_items") or {}
    bad = set(checklist) ^ set(CHECKLIST_IDS)
    if bad:
        raise TaxonomyError(f"templates.yaml: checklist_items must be exactly document.CHECKLIST_IDS; differs in {sorted(bad)}")
    return {"templates": templates, "headings": headings, "checklist_items": checklist}
