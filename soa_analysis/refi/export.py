"""Write the workbench's coding as a REFI-QDA project (``.qdpx``) for CAQDAS tools.

The project holds:

- one plain-text source per submission: its narrative (the ``text`` column, which never
  holds the lead officer's contact details), with e-mail addresses and telephone numbers in
  the narrative removed as in the shared reports; named "title (council)";
- the codebook: one folder code (not codable) per taxonomy used in the tagging run (the
  national priorities, the National Outcomes), one for the added-value themes and one for
  the evidence grades of the rubric, each with its categories as codable codes carrying
  their descriptions;
- a coded selection for each evidence sentence at its exact character positions in its
  source: the sentences behind every assigned tag (``tag_evidence``), behind every assigned
  added-value theme, and every sentence the rubric graded strong, some or planned
  (``evidence_sentences``), each selection described with the phrases or rubric rule behind
  it;
- the submission's council, type, year, date, evidence grade and id as variables on its
  source, and one case per council grouping its sources;
- soa-analysis as the user who made every coding.

:func:`export_qdpx` writes it; :func:`build_project` returns the XML and the source texts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from .. import __version__
from ..errors import InputError
from ..io import atomic_path, read_table
from ..report.labels import GRADE_LABELS
from ..report.labels import label as _readable
from ..report.safe import redact
from ..schema import GRADES, SECTION_COLUMNS, TABLES
from .common import NS, SUBMISSION_VARIABLE, TOOL_USER_KEY, Q, code_key, guid, xml_safe

__all__ = ["QdpxExport", "build_project", "export_qdpx", "locate", "CODED_GRADES"]

CODED_GRADES = ("strong", "some", "planned")  # sentence strengths that become coded selections
_COLOURS = {"priorities": "#0072B2", "added_value": "#009E73", "grade": "#D55E00"}
_OTHER_COLOURS = ("#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
_TAXONOMY_TITLES = {"priorities": "National priorities", "outcomes_soa": "National Outcomes (SOA era, 2007-2016)",
                    "outcomes_2018": "National Outcomes (2018)", "added_value": "Added value of the SOA process"}


@dataclass
class QdpxExport:
    """What :func:`build_project` made.

    Attributes
    ----------
    xml : bytes
        ``project.qde``.
    sources : dict of str to str
        File name inside ``sources/`` -> its text.
    n_selections, n_codings : int
        Coded selections and codings written.
    unplaced : list of tuple
        (submission_id, sentence) pairs that could not be found in their source (0 expected).
    """

    xml: bytes
    sources: dict
    n_sources: int = 0
    n_codes: int = 0
    n_selections: int = 0
    n_codings: int = 0
    unplaced: list = field(default_factory=list)
    path: Path | None = None


def _optional(pdir: Path, name: str) -> pd.DataFrame | None:
    return read_table(pdir, name) if (pdir / TABLES[name].filename).exists() else None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def locate(text: str, sentence: str, within: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Character span of ``sentence`` in ``text``, searched first inside ``within`` (a section's span).

    Example
    -------
    >>> locate("Need. Falls fell. Next. Falls fell.", "Falls fell.", (18, 35))
    (24, 35)
    """
    if not sentence:
        return None
    if within is not None:
        i = text.find(sentence, within[0], max(within[1], within[0] + len(sentence)))
        if i >= 0:
            return i, i + len(sentence)
    i = text.find(sentence)
    return (i, i + len(sentence)) if i >= 0 else None


def _section_spans(row: dict, text: str) -> dict[str, tuple[int, int]]:
    spans = {"text": (0, len(text))}
    for s in SECTION_COLUMNS:
        part = redact(row.get(s) or "").strip()
        if part:
            i = text.find(part)
            if i >= 0:
                spans[s] = (i, i + len(part))
    return spans


def _codebook(pdir: Path, tags: pd.DataFrame | None) -> tuple[list[dict], dict]:
    """Folders of codes: [{"key", "name", "description", "colour", "codes": [(key, name, description)]}]."""
    from ..rubrics import load_rubric
    from ..taxonomies import load_taxonomy

    tag_meta = _read_json(pdir / "tagging_meta.json").get("taxonomies") or {}
    ev_meta = _read_json(pdir / "evidence_meta.json")
    used = list(dict.fromkeys(tags["taxonomy"].astype(str))) if tags is not None else []
    used = sorted(used, key=lambda t: (t != "priorities", t))
    folders, names = [], {}
    for i, tax in enumerate(used + ["added_value"]):
        if tax == "added_value":
            src = str((ev_meta.get("added_value_taxonomy") or {}).get("source") or "")
            where = src if src and not src.startswith("soa_analysis/") and Path(src).is_file() else "added_value"
        else:
            src = str((tag_meta.get(tax) or {}).get("source") or "")
            where = src if src and not src.startswith("package:") and Path(src).is_file() else tax
        try:
            t = load_taxonomy(where)
            cats = [(c.id, c.label, c.description or c.wording) for c in t.categories]
            title, desc, version = _TAXONOMY_TITLES.get(t.name, _readable(t.name)), t.description, t.version
        except Exception:  # noqa: BLE001 - a taxonomy file gone since the run: fall back to the tags table
            if tags is None or tax == "added_value":
                continue
            sub = tags[tags["taxonomy"] == tax].drop_duplicates("priority")
            labels = sub["label"] if "label" in sub.columns else sub["priority"].map(_readable)
            cats = [(p, str(lab), "") for p, lab in zip(sub["priority"], labels)]
            title, desc, version = _TAXONOMY_TITLES.get(tax, _readable(tax)), "", ""
        colour = _COLOURS.get(tax, _OTHER_COLOURS[i % len(_OTHER_COLOURS)])
        folders.append({"key": f"folder:{tax}", "name": title, "colour": colour,
                        "description": f"{desc} (taxonomy {tax}{', version ' + version if version else ''})".strip(),
                        "codes": [(code_key(tax, cid), lab, f"{d} [{tax}: {cid}]".strip()) for cid, lab, d in cats]})
        names[tax] = {cid: lab for cid, lab, _ in cats}
    rubric_src = str((ev_meta.get("rubric") or {}).get("source") or "")
    try:
        rubric = load_rubric(rubric_src if rubric_src and Path(rubric_src).is_file() else None)
        grade_desc, rname = dict(rubric.grades), f"{rubric.name} {rubric.version}"
    except Exception:  # noqa: BLE001 - the rubric file is gone: the grades stand without descriptions
        grade_desc, rname = {}, "evidence rubric"
    folders.append({"key": "folder:grade", "name": "Evidence of benefit", "colour": _COLOURS["grade"],
                    "description": f"What a sentence's evidence of benefit supports, graded by the rubric ({rname}); "
                                   "a submission's grade is its best-evidenced sentences' (variable 'Evidence grade').",
                    "codes": [(code_key("grade", g), GRADE_LABELS[g], f"{grade_desc.get(g, '')} [grade: {g}]".strip())
                              for g in GRADES]})
    names["grade"] = {g: GRADE_LABELS[g] for g in GRADES}
    return folders, names


def _theme_sentences(pdir: Path, subs: pd.DataFrame, added: pd.DataFrame | None) -> list[tuple[str, str, str, str]]:
    """(submission_id, theme, sentence, phrases) for every assigned added-value theme, as the evidence stage found them."""
    if added is None or added.empty:
        return []
    from ..evidence.themes import ThemeTagger

    src = str((_read_json(pdir / "evidence_meta.json").get("added_value_taxonomy") or {}).get("source") or "")
    tagger = ThemeTagger(taxonomy=src if src and not src.startswith("soa_analysis/") and Path(src).is_file()
                         else None).fit()
    rows = subs.set_index("submission_id")
    out = []
    a = added[added["assigned"].astype(bool)]
    for sid, g in a.groupby("submission_id", sort=True):
        if sid not in rows.index:
            continue
        section = str(g["source_section"].iloc[0]) if "source_section" in g.columns else "added_value"
        text = str(rows.at[sid, section] if section in rows.columns else rows.at[sid, "text"]) or ""
        scores = tagger.score(text)
        for theme in g["theme"]:
            ts = scores.get(theme)
            for sent, phrases in (ts.sentences if ts else []):
                out.append((sid, theme, sent, ", ".join(sorted(phrases))))
    return out


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, Q(tag), {k: xml_safe(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = xml_safe(text)
    return el


# The variables every source carries: (key, name, REFI type, description).
_VARIABLES = [
    ("council", "Council", "Text", "The council (Community Planning Partnership area) the submission is from"),
    ("submission_type", "Submission type", "Text", "The template recognised: case_study_2009, "
     "case_study_2010, annual_report, form_export or unstructured"),
    ("year", "Year", "Integer", "The year the submission refers to"),
    ("date", "Date", "Date", "The submission or document date"),
    ("grade", "Evidence grade", "Text", "The evidence of benefit grade: strong, some, planned or none"),
    ("submission_id", SUBMISSION_VARIABLE, "Text", "The submission's id in the workbench's tables"),
]
_VALUE_ELEMENT = {"Text": "TextValue", "Integer": "IntegerValue", "Date": "DateValue"}


@dataclass
class _Stamp:
    """Who made every element, and when (written on each)."""

    user: str
    when: str


def build_project(processed_dir: str | os.PathLike, *, name: str = "", created: _dt.datetime | None = None) -> QdpxExport:
    """The REFI-QDA project of the processed tables (see the module docstring).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder after the tag and evidence stages.
    name : str
        Project name (default "SOA submissions (soa-analysis)").
    created : datetime, optional
        Creation time written on every element (default: now, UTC).

    Returns
    -------
    QdpxExport

    Raises
    ------
    InputError
        If the processed folder has no submissions table.
    """
    pdir = Path(processed_dir)
    if not (pdir / TABLES["submissions"].filename).exists():
        raise InputError(f"{pdir / TABLES['submissions'].filename} not found: run `soa-analysis run` "
                         "(or the ingest, tag and evidence stages) first")
    subs = read_table(pdir, "submissions")
    tags, ev = _optional(pdir, "tags"), _optional(pdir, "evidence")
    stamp = _Stamp(guid(TOOL_USER_KEY),
                   (created or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    ET.register_namespace("", NS)
    root = ET.Element(Q("Project"), {"name": xml_safe(name or "SOA submissions (soa-analysis)"),
                                     "origin": f"soa-analysis {__version__}", "creatingUserGUID": stamp.user,
                                     "creationDateTime": stamp.when})
    _sub(_sub(root, "Users"), "User", guid=stamp.user, name=f"soa-analysis {__version__}", id="soa-analysis")
    folders, names = _codebook(pdir, tags)
    n_codes = _codebook_xml(root, folders)
    _variables_xml(root)
    coded = _coded_sentences(pdir, subs, tags, names)
    grades = dict(zip(ev["submission_id"], ev["grade"])) if ev is not None else {}
    sources_el = _sub(root, "Sources")
    files, unplaced, cases = {}, [], {}
    n_sel = n_cod = 0
    for row in subs.to_dict("records"):
        sguid, text, council, counts = _source_xml(sources_el, row, coded.get(row["submission_id"], []),
                                                   grades, stamp, unplaced)
        files[f"{sguid}.txt"] = text
        n_sel, n_cod = n_sel + counts[0], n_cod + counts[1]
        if council:
            cases.setdefault(council, []).append(sguid)
    if cases:
        root.insert(list(root).index(sources_el), _cases_xml(cases))  # Cases come before Sources in the schema
    ET.indent(root, space=" ")
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")
    return QdpxExport(xml=xml, sources=files, n_sources=len(files), n_codes=n_codes, n_selections=n_sel,
                      n_codings=n_cod, unplaced=unplaced)


def _codebook_xml(root: ET.Element, folders: list[dict]) -> int:
    """The CodeBook: one uncodable folder code per taxonomy holding its codes; returns how many codes."""
    codes_el = _sub(_sub(root, "CodeBook"), "Codes")
    n_codes = 0
    for f in folders:
        parent = _sub(codes_el, "Code", guid=guid(f["key"]), name=f["name"], isCodable="false", color=f["colour"])
        _sub(parent, "Description", f["description"])
        for key, cname, desc in f["codes"]:
            c = _sub(parent, "Code", guid=guid(key), name=cname, isCodable="true", color=f["colour"])
            if desc:
                _sub(c, "Description", desc)
            n_codes += 1
    return n_codes


def _variables_xml(root: ET.Element) -> None:
    """The Variables element: :data:`_VARIABLES` with their descriptions."""
    vars_el = _sub(root, "Variables")
    for key, vname, kind, desc in _VARIABLES:
        v = _sub(vars_el, "Variable", guid=guid(f"variable:{key}"), name=vname, typeOfVariable=kind)
        _sub(v, "Description", desc)


def _coded_sentences(pdir: Path, subs: pd.DataFrame, tags: pd.DataFrame | None,
                     names: dict) -> dict[str, list[tuple[str, str, str, str]]]:
    """Submission id -> its coded sentences as (section, sentence, code key, description): the
    assigned tags' evidence, the graded evidence sentences and the added-value themes' sentences."""
    tag_ev, ev_sent, added = _optional(pdir, "tag_evidence"), _optional(pdir, "evidence_sentences"), _optional(pdir, "added_value")
    coded: dict[str, list[tuple[str, str, str, str]]] = {}
    if tag_ev is not None and tags is not None and len(tag_ev):
        yes = tags[tags["assigned"].astype(bool)][["submission_id", "taxonomy", "priority"]].drop_duplicates()
        te = tag_ev.merge(yes, on=["submission_id", "taxonomy", "priority"])
        for r in te.itertuples():
            phrases = ", ".join(str(p) for p in (r.phrases if r.phrases is not None else []))
            label = names.get(r.taxonomy, {}).get(r.priority, _readable(r.priority))
            coded.setdefault(r.submission_id, []).append(
                (r.section, r.sentence, code_key(r.taxonomy, r.priority),
                 f"{label} ({r.taxonomy}): matched {phrases}" if phrases else f"{label} ({r.taxonomy})"))
    if ev_sent is not None and len(ev_sent):
        for r in ev_sent[ev_sent["strength"].isin(CODED_GRADES)].itertuples():
            rule = getattr(r, "rule", "") or ""
            matches = getattr(r, "matches", "") or ""
            coded.setdefault(r.submission_id, []).append(
                (r.section, r.sentence, code_key("grade", r.strength),
                 f"{GRADE_LABELS[r.strength]}: {rule}{'; ' + matches if matches else ''}"))
    av_text = dict(zip(subs["submission_id"], subs["added_value"].fillna("").astype(str)))
    for sid, theme, sent, phrases in _theme_sentences(pdir, subs, added):
        label = names.get("added_value", {}).get(theme, _readable(theme))
        sec = "added_value" if sent in av_text.get(sid, "") else "text"
        coded.setdefault(sid, []).append((sec, sent, code_key("added_value", theme),
                                          f"{label} (added value): matched {phrases}"))
    return coded


def _source_xml(sources_el: ET.Element, row: dict, coded: list[tuple[str, str, str, str]], grades: dict,
                stamp: _Stamp, unplaced: list) -> tuple[str, str, str, tuple[int, int]]:
    """One submission as a TextSource: its redacted text, its coded selections and its variable
    values. Sentences that cannot be placed in the text go to ``unplaced``.

    Returns (the source's guid, its text, its council, (selections, codings)).
    """
    sid = row["submission_id"]
    text = redact(row.get("text") or "")
    sguid = guid(f"source:{sid}")
    council = str(row.get("council") or "")
    title = str(row.get("title") or "").strip() or sid
    src = _sub(sources_el, "TextSource", guid=sguid, name=f"{redact(title)} ({council or 'council unknown'})",
               plainTextPath=f"internal://{sguid}.txt", creatingUser=stamp.user, creationDateTime=stamp.when)
    part = f", {row['part']}" if row.get("part") else ""
    _sub(src, "Description", f"Submission {sid} from {row['source_file']}{part}. Narrative only: the lead "
                             "officer's contact details are not included, and e-mail addresses and telephone "
                             "numbers in the text are removed.")
    spans = _section_spans(row, text)
    selections: dict[tuple[int, int], dict[str, str]] = {}
    for section, sentence, ckey, desc in coded:
        span = locate(text, redact(sentence), spans.get(section))
        if span is None:
            unplaced.append((sid, sentence))
            continue
        selections.setdefault(span, {}).setdefault(ckey, desc)
    n_cod = 0
    for (start, end), codes in sorted(selections.items()):
        sel = _sub(src, "PlainTextSelection", guid=guid(f"selection:{sid}:{start}:{end}"),
                   name=text[start:end][:80], startPosition=str(start), endPosition=str(end),
                   creatingUser=stamp.user, creationDateTime=stamp.when)
        _sub(sel, "Description", "\n".join(codes.values()))
        for ckey in codes:
            c = _sub(sel, "Coding", guid=guid(f"coding:{sid}:{start}:{end}:{ckey}"), creatingUser=stamp.user,
                     creationDateTime=stamp.when)
            _sub(c, "CodeRef", targetGUID=guid(ckey))
            n_cod += 1
    values = {"council": council, "submission_type": row.get("submission_type"), "year": row.get("year"),
              "date": row.get("date"), "grade": grades.get(sid, ""), "submission_id": sid}
    for key, _, kind, _ in _VARIABLES:
        v = values.get(key)
        if v is None or (isinstance(v, float) and v != v) or str(v) == "" or str(v) == "<NA>":
            continue
        vv = _sub(src, "VariableValue")
        _sub(vv, "VariableRef", targetGUID=guid(f"variable:{key}"))
        _sub(vv, _VALUE_ELEMENT[kind], str(int(v)) if kind == "Integer" else str(v)[:10] if kind == "Date" else str(v))
    return sguid, text, council, (len(selections), n_cod)


def _cases_xml(cases: dict[str, list[str]]) -> ET.Element:
    """The Cases element: one case per council, referring to its sources."""
    cases_el = ET.Element(Q("Cases"))
    for council in sorted(cases):
        case = _sub(cases_el, "Case", guid=guid(f"case:{council}"), name=council)
        _sub(case, "Description", f"Submissions from {council}")
        for s in cases[council]:
            _sub(case, "SourceRef", targetGUID=s)
    return cases_el


def export_qdpx(processed_dir: str | os.PathLike, out: str | os.PathLike, **kw) -> QdpxExport:
    """Write the REFI-QDA project of the processed tables to ``out`` (a ``.qdpx`` zip), atomically.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder.
    out : path-like
        Where to write; ``.qdpx`` is added when the name has another suffix.
    **kw
        Passed to :func:`build_project`.

    Returns
    -------
    QdpxExport
        With ``path`` set.

    Example
    -------
    >>> export_qdpx("data/processed", "coding.qdpx").n_sources   # doctest: +SKIP
    29
    """
    out = Path(out)
    if out.suffix.lower() != ".qdpx":
        out = out.with_name(out.name + ".qdpx")
    project = build_project(processed_dir, **kw)
    with atomic_path(out, ".qdpx") as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("project.qde", project.xml)
            for fname, text in project.sources.items():
                zf.writestr(f"sources/{fname}", text.encode("utf-8"))
    project.path = out
    return project
