"""Human coding from a CAQDAS tool, as reviewed labels (the review loop, from a ``.qdpx``).

A researcher opens the workbench's export in a CAQDAS tool, and coders code the sources
themselves (as the tool's users). :func:`qdpx_review` reads the project back and turns each
coder's codings into the decisions the spreadsheet review loop makes
(:func:`soa_analysis.tagging.import_review`'s table), so the same agreement figures (Cohen's
kappa against the tagger, and between coders) and the same training labels
(:func:`soa_analysis.tagging.labels_from_review`, for ``--extra-labels``) follow.

The rules:

- a source is matched to its submission by its "Submission id" variable, else by its GUID
  (the export's), else by its text (line ends and trailing spaces aside);
- a code is matched to a taxonomy category by its GUID (the export's), else by its name
  (the category's label or id; a "Folder::Name" prefix is ignored);
- the codings soa-analysis made itself (its user) are the tagger's, not a coder's: ignored;
- a coder has reviewed a submission's categories in a taxonomy when the coder coded
  anything in that submission's source and used that taxonomy's codes somewhere in the
  project; then each category is "yes" if the coder applied it anywhere in the source and
  "no" otherwise (independent coding; a coder who codes only priorities reviews no outcomes);
- codings with codes outside the tagging taxonomies (added-value themes, evidence grades,
  the coders' own new codes) are counted, not turned into labels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from ..io import read_table
from ..report.labels import label as _readable
from ..report.safe import redact
from ..schema import GRADES
from ..tagging.review import REVIEW_COLUMNS
from .common import SUBMISSION_VARIABLE, TOOL_USER_KEY, code_key, guid
from .read import QdpxProject, read_qdpx

__all__ = ["QdpxReview", "qdpx_review"]


@dataclass
class QdpxReview:
    """Decisions read from a ``.qdpx`` and what was left aside.

    Attributes
    ----------
    review : DataFrame
        The review loop's decisions table (columns of :func:`soa_analysis.tagging.import_review`;
        ``label`` is 1.0 for "yes", 0.0 for "no").
    coders : list of str
        Coders whose codings became decisions.
    """

    review: pd.DataFrame
    coders: list = field(default_factory=list)
    n_codings: int = 0
    n_used: int = 0
    n_tool: int = 0
    n_other_codes: int = 0
    n_unmatched_codes: int = 0
    unmatched_sources: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def summary(self, path) -> str:
        """A few lines for ``soa-analysis review import``."""
        lines = [f"{path}: {self.n_used} of {self.n_codings} coding(s) by {len(self.coders)} coder(s) "
                 f"({', '.join(self.coders) or 'none'}) became {len(self.review)} decision(s)"]
        if not self.coders:
            lines.append("  no coder's codings found: code the sources in the CAQDAS tool as a user other than "
                         "soa-analysis, then export the project again")
        if self.n_tool:
            lines.append(f"  {self.n_tool} coding(s) made by soa-analysis itself were left aside (the tagger's)")
        if self.n_other_codes:
            lines.append(f"  {self.n_other_codes} coding(s) with added-value theme or evidence grade codes were "
                         "read but are not tag labels")
        if self.n_unmatched_codes:
            lines.append(f"  {self.n_unmatched_codes} coding(s) with codes that match no category were left aside")
        if self.unmatched_sources:
            lines.append(f"  {len(self.unmatched_sources)} source(s) match no submission in the processed folder, "
                         f"e.g. {self.unmatched_sources[0]!r}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")).strip()


def _plain_name(name: str) -> str:
    for sep in ("::", "\\", "/"):
        if sep in name:
            name = name.rsplit(sep, 1)[-1]
    return name.strip().casefold()


def qdpx_review(path: str | os.PathLike, processed_dir: str | os.PathLike) -> QdpxReview:
    """Read a coded ``.qdpx`` as review decisions (see the module docstring).

    Parameters
    ----------
    path : path-like
        A REFI-QDA project coded in a CAQDAS tool (usually from ``soa-analysis export-qdpx``).
    processed_dir : path-like
        The processed folder the project was exported from (submissions and tags).

    Returns
    -------
    QdpxReview

    Raises
    ------
    InputError
        If the file cannot be read (see :func:`.read.read_qdpx`) or the processed folder has no
        submissions or tags table.
    """
    proj = read_qdpx(path)
    subs = read_table(processed_dir, "submissions")
    tags = read_table(processed_dir, "tags")
    out = QdpxReview(review=pd.DataFrame(columns=[c for c in REVIEW_COLUMNS if c != "label"] + ["label", "review_file"]),
                     warnings=list(proj.warnings), n_codings=len(proj.codings))
    source_sub = _source_submissions(proj, subs, out.unmatched_sources)
    code_cat, code_other = _code_categories(proj, tags)
    coded, used = _coders_codings(proj, source_sub, code_cat, code_other, out)
    review = _decisions(coded, used, subs, tags, origin=proj.origin, review_file=str(path))
    if len(review):
        review.insert(0, "review_id", [f"q{i + 1:05d}" for i in range(len(review))])
        # As import_review's table: "label" holds the decision (1.0 yes, 0.0 no).
        out.review = review[[c for c in REVIEW_COLUMNS if c != "label"] + ["label", "review_file"]]
    out.coders = sorted(set(used["coder"]))
    return out


def _source_submissions(proj: QdpxProject, subs: pd.DataFrame, unmatched: list) -> dict[str, str]:
    """Source guid -> submission id: by the source's submission-id variable, else by the guid the
    export gave it, else by its text; the names of sources matching none go to ``unmatched``."""
    ids = set(subs["submission_id"])
    by_guid = {guid(f"source:{s}"): s for s in ids}
    by_text = {}
    for sid, text in zip(subs["submission_id"], subs["text"]):
        by_text.setdefault(_norm(redact(text or "")), sid)
    source_sub = {}
    for s in proj.sources.itertuples():
        sid = (s.variables or {}).get(SUBMISSION_VARIABLE, "")
        sid = sid if sid in ids else by_guid.get(s.guid) or by_text.get(_norm(s.text), "")
        if sid:
            source_sub[s.guid] = sid
        else:
            unmatched.append(s.name)
    return source_sub


def _code_categories(proj: QdpxProject, tags: pd.DataFrame) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """Code guid -> (taxonomy, category) for the codes that are tag categories (by the export's
    guid, else by name, the folder deciding between taxonomies), and the guids of the
    added-value and evidence-grade codes (read, but not tag labels)."""
    cats = tags.drop_duplicates(["taxonomy", "priority"])
    labels = dict(zip(zip(cats["taxonomy"], cats["priority"]),
                      cats["label"] if "label" in cats.columns else cats["priority"].map(_readable)))
    known = {guid(code_key(t, c)): (t, c) for t, c in labels}
    names: dict[str, list[tuple[str, str]]] = {}
    for (t, c), lab in labels.items():
        for n in {str(lab).casefold(), c.casefold()}:
            names.setdefault(n, []).append((t, c))
    other = {guid(code_key("grade", g)) for g in GRADES}
    code_cat, code_other = {}, set()
    for c in proj.codes.itertuples():
        if c.guid in known:
            code_cat[c.guid] = known[c.guid]
        elif c.guid in other or c.path.startswith(("Added value", "Evidence of benefit")):
            code_other.add(c.guid)
        elif c.codable:
            hits = names.get(_plain_name(c.name), [])
            if len(hits) > 1:  # the same label in two taxonomies: the folder decides
                hits = [h for h in hits if h[0].casefold() in c.path.casefold() or
                        _readable(h[0]).casefold() in c.path.casefold()] or hits[:1]
            if hits:
                code_cat[c.guid] = hits[0]
    return code_cat, code_other


def _coders_codings(proj: QdpxProject, source_sub: dict, code_cat: dict, code_other: set,
                    out: QdpxReview) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The codings of coders other than soa-analysis on matched submissions (``coded``), and
    those of them whose code is a tag category (``used``, with taxonomy and priority); the
    counts of left-aside codings go to ``out``."""
    tool = guid(TOOL_USER_KEY)
    user_names = dict(zip(proj.users["guid"], proj.users["name"]))
    cod = proj.codings.copy()
    is_tool = (cod["user_guid"] == tool) | cod["user_guid"].map(
        lambda g: str(user_names.get(g, "")).startswith("soa-analysis"))
    out.n_tool = int(is_tool.sum())
    cod = cod[~is_tool]
    cod = cod.assign(coder=[user_names.get(g) or g or "unknown coder" for g in cod["user_guid"]],
                     submission_id=cod["source_guid"].map(source_sub))
    out.n_other_codes = int(cod["code_guid"].isin(code_other).sum())
    cat = cod["code_guid"].map(code_cat)
    out.n_unmatched_codes = int((cat.isna() & ~cod["code_guid"].isin(code_other)).sum())
    cod = cod[cod["submission_id"].notna()]
    coded = cod.assign(cat=cat.reindex(cod.index))
    used = coded[coded["cat"].notna()].copy()
    used["taxonomy"] = used["cat"].map(lambda x: x[0])
    used["priority"] = used["cat"].map(lambda x: x[1])
    out.n_used = len(used)
    return coded, used


def _decisions(coded: pd.DataFrame, used: pd.DataFrame, subs: pd.DataFrame, tags: pd.DataFrame, *,
               origin: str, review_file: str) -> pd.DataFrame:
    """One review decision per coder, submission and category of every taxonomy the coder used:
    yes when the coder coded a sentence of the submission with the category, else no."""
    taxonomies_used = used.groupby("coder")["taxonomy"].agg(set).to_dict()
    sub_meta = subs.set_index("submission_id")[["council", "title"]]
    rows = []
    tag_rows = {k: g.sort_values("priority") for k, g in tags.groupby(["submission_id", "taxonomy"], sort=False)}
    used_by = {k: g for k, g in used.groupby(["coder", "submission_id"], sort=False)}
    empty = used.iloc[0:0]
    for coder, sid in sorted(set(zip(coded["coder"], coded["submission_id"]))):
        mine = used_by.get((coder, sid), empty)
        for tax in sorted(taxonomies_used.get(coder, set())):
            t = tag_rows.get((sid, tax), tags.iloc[0:0])
            for r in t.itertuples():
                hit = mine[(mine["taxonomy"] == tax) & (mine["priority"] == r.priority)]
                rows.append({
                    "submission_id": sid, "council": sub_meta.at[sid, "council"], "title": sub_meta.at[sid, "title"],
                    "taxonomy": tax, "priority": r.priority, "label": 1.0 if len(hit) else 0.0,
                    "score": float(r.score), "assigned": bool(r.assigned), "evidence": r.evidence,
                    "sentences": " | ".join(list(dict.fromkeys(hit["text"]))[:3]), "reviewer": coder,
                    "decision": "yes" if len(hit) else "no",
                    "comment": f"coded in {origin or 'a CAQDAS tool'}", "review_file": review_file,
                })
    return pd.DataFrame(rows)
