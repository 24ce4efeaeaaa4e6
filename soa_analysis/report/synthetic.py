"""A synthetic processed folder, for the report's tests and benchmark.

ALL CONTENT HERE IS FICTIONAL: invented case studies, invented partners and invented
figures, written for testing. Council names are the real 32 areas (the report needs them
to place tiles), but nothing said about them here is true.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import pandas as pd

from ..io import write_table
from ..schema import GRADES, PRIORITY_IDS
from ..tagging.tokens import words
from .labels import PRIORITY_LABELS
from .tiles import council_tiles

_PHRASES = {
    "economic_growth": ["town centre", "business growth", "regeneration", "tourism"],
    "employment": ["employability", "apprenticeships", "into work", "jobs"],
    "early_years": ["nursery", "parenting", "early learning", "babies"],
    "safer_communities": ["antisocial behaviour", "fire safety", "reoffending", "community safety"],
    "health_inequalities": ["physical activity", "alcohol", "healthy weight", "mental wellbeing"],
    "older_people": ["older people", "telecare", "reablement", "dementia"],
}
_THEMES = ("partnership_working", "prevention", "better_use_of_resources", "community_engagement", "voluntary_sector")
_PARTNER_TYPES = ("council", "nhs_board", "police", "fire_rescue", "enterprise_agency", "third_sector", "college", "housing_association")
_OUTCOMES = ("no6_live_longer_healthier_lives", "no9_safe_from_crime", "no2_full_economic_potential", "no5_best_start_in_life", "no15_older_people_independence")


def _sentence(rng: random.Random, priority: str) -> tuple[str, list[str]]:
    p = rng.sample(_PHRASES[priority], 2)
    return (f"The fictional partnership worked on {p[0]} and {p[1]} with local groups.", p)


def _token_spans(sentence: str, phrases: list[str]) -> list[list[int]]:
    """[start, end) token positions of each phrase in the sentence's words, as the tagging stage records them."""
    toks = words(sentence)
    out = []
    for ph in phrases:
        key = words(ph)
        out += [[i, i + len(key)] for i in range(len(toks) - len(key) + 1) if toks[i:i + len(key)] == key]
    return out


def make_synthetic_processed(
    dest: str | os.PathLike,
    n: int = 24,
    *,
    seed: int = 0,
    councils: list[str] | None = None,
    drop: tuple[str, ...] = (),
    narrative_extra: dict[int, str] | None = None,
    fictional: tuple[int, ...] = (),
) -> Path:
    """Write a small, valid, fictional processed folder.

    Parameters
    ----------
    dest : path-like
        Folder to create (the processed folder).
    n : int
        Number of submissions.
    seed : int
        Seed of the random choices, so a folder can be rebuilt exactly.
    councils : list of str, optional
        Councils to draw from; default the first eight of the 32.
    drop : tuple of str
        Optional tables (e.g. ``("followups",)``) not to write, to test missing inputs.
    narrative_extra : dict of int to str, optional
        Text appended to the local-need, actions and evidence sections (and the whole text) of
        submission number *i*: a way to plant e-mails, phone numbers, markup or a very long
        text for the safety and size tests.
    fictional : tuple of int
        Numbers of the submissions to flag as from the bundled fictional sample (the
        ``fictional`` column the ingest stage writes), to test the banner; the rest are
        unflagged, as real submissions would be.

    Returns
    -------
    pathlib.Path
        ``dest``.
    """
    rng = random.Random(seed)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    councils = councils or [t.council for t in council_tiles()[:8]]
    code = {t.council: t.code for t in council_tiles()}
    extra = narrative_extra or {}
    rows = _Rows()
    for i in range(n):  # the random draws happen in this order, so a seed rebuilds the same folder
        _add_submission(rows, rng, i, councils[i % len(councils)], code, extra.get(i), i in fictional)
    rows.log.append({"source_file": "fictional/broken.pdf", "sha256": "f" * 64, "status": "quarantined",
                     "reason": "fictional: the PDF has no text layer (scanned image)", "submission_id": ""})
    _write(dest, rows, drop)
    return dest


class _Rows:
    """The rows of every table, one list a table, as they are made; and the partner pairs,
    (partner type a, b, priority) -> submission ids."""

    TABLES = ("subs", "tags", "tev", "ev", "evs", "av", "partners", "fups", "exem", "align", "log", "contacts")

    def __init__(self):
        for name in self.TABLES:
            setattr(self, name, [])
        self.pairs: dict[tuple[str, str, str], list[str]] = {}


def _narrative(rng: random.Random, i: int, council: str, extra: str | None) -> tuple[list, str, str, list, str, int, dict]:
    """A submission's priorities, grade, first tagged sentence and phrases, evidence text, year and sections."""
    pri = rng.sample(PRIORITY_IDS, rng.choice([1, 1, 2, 3]))
    grade = rng.choice(GRADES)
    s1, ph1 = _sentence(rng, pri[0])
    plus = " " + extra if extra is not None else ""
    evidence = {
        "strong": f"Fictional survey: {rng.randint(10, 60)}% fewer incidents than the 2010 baseline of {rng.randint(100, 900)}.",
        "some": "Fictional feedback from participants was positive.",
        "planned": "Benefits are expected by March 2014.",
        "none": "",
    }[grade] + plus
    year = rng.choice([2009, 2010, 2011, 2012])
    sections = {
        "title": f"Fictional case study {i + 1}: {label_for(pri[0])} in {council}",
        "need": "A fictional local need in the area." + plus,
        "actions": s1 + plus,
        "partners_text": "Fictional Health Board; Fictional Voluntary Action",
        "evidence": evidence,
        "added_value": "The SOA brought partners together to pool budgets.",
        "next_steps": f"Partners will extend the work by December {year + 1}.",
        "achievements": "",
        "challenges": "",
        "support_required": "",
        "outcome_progress": "",
    }
    return pri, grade, s1, ph1, evidence, year, sections


def _add_submission(t: _Rows, rng: random.Random, i: int, council: str, code: dict, extra: str | None,
                    fictional: bool) -> None:
    """Submission number ``i`` and its rows in every table."""
    sid = f"syn{i:05d}"
    pri, grade, s1, ph1, evidence, year, sections = _narrative(rng, i, council, extra)
    text = " ".join(v for k, v in sections.items() if v)
    t.subs.append({
        "submission_id": sid, "source_file": f"fictional/{sid}.docx",
        "submission_type": rng.choice(["case_study_2009", "case_study_2010"]),
        "council": council, "council_code": code.get(council, ""), **sections,
        "checklist": ["partnership_working", "prevention"] if i % 3 == 0 else [],
        "outcomes_cited": ["National Outcome 6 - We live longer, healthier lives"],
        "text": text, "format": "docx", "council_source": "cpp_field",
        "date": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "year": year, "warnings": [],
        "fictional": fictional,
    })
    t.contacts.append({"submission_id": sid, "raw": f"Fictional Officer {i}, officer{i}@contact-secret.example, 0131 496 {i:04d}"})
    _add_tags(t, rng, sid, pri, s1, ph1)
    _add_evidence(t, sid, grade, evidence, sections["next_steps"], year, pri)
    for th in _THEMES:
        a = rng.random() < 0.5
        t.av.append({"submission_id": sid, "theme": th, "score": 0.7 if a else 0.2, "assigned": a,
                     "ticked": th in t.subs[-1]["checklist"], "evidence": ""})
    types = sorted(rng.sample(_PARTNER_TYPES, rng.randint(2, 4)))
    for pt in types:
        t.partners.append({"submission_id": sid, "name": f"Fictional {pt}", "partner_type": pt})
    for (a, b), p in itertools.product(itertools.combinations(types, 2), sorted(pri)):
        t.pairs.setdefault((a, b, p), []).append(sid)
    t.log.append({"source_file": f"fictional/{sid}.docx", "sha256": f"{i:064x}", "status": "ingested",
                  "reason": "", "submission_id": sid})


def _add_tags(t: _Rows, rng: random.Random, sid: str, pri: list, s1: str, ph1: list) -> None:
    """A submission's tag rows (every priority and the outcomes) and tag evidence sentences."""
    for p in PRIORITY_IDS:
        on = p in pri
        t.tags.append({"submission_id": sid, "taxonomy": "priorities", "priority": p,
                       "score": 0.8 if on else 0.1, "assigned": on,
                       "evidence": f"phrases: {', '.join(ph1)}" if p == pri[0] else ""})
    for o in _OUTCOMES:
        t.tags.append({"submission_id": sid, "taxonomy": "outcomes_soa", "priority": o,
                       "score": 0.6, "assigned": rng.random() < 0.4, "evidence": ""})
    t.tev.append({"submission_id": sid, "taxonomy": "priorities", "priority": pri[0],
                  "section": "actions", "sentence": s1, "phrases": ph1, "token_spans": _token_spans(s1, ph1),
                  "assigned": True})
    for p in pri[1:]:
        s, ph = _sentence(rng, p)
        t.tev.append({"submission_id": sid, "taxonomy": "priorities", "priority": p,
                      "section": "title", "sentence": s, "phrases": [ph[0]], "token_spans": _token_spans(s, ph[:1]),
                      "assigned": True})


def _add_evidence(t: _Rows, sid: str, grade: str, evidence: str, next_steps: str, year: int, pri: list) -> None:
    """A submission's grade, graded sentence, follow-up, exemplar and guidance alignment rows."""
    t.ev.append({"submission_id": sid, "grade": grade, "reasons": f"fictional rubric: {grade}"})
    if evidence:
        t.evs.append({"submission_id": sid, "section": "evidence", "sentence": evidence,
                      "features": ["figure", "baseline"] if grade == "strong" else [], "strength": grade})
    t.fups.append({"submission_id": sid, "who": "Fictional Health Board", "what": next_steps,
                   "by_when": f"December {year + 1}", "due": f"{year + 1}-12-31"})
    if grade == "strong":
        t.exem.append({"submission_id": sid, "kind": "priority", "category": pri[0], "rank": 1,
                       "sentence": evidence, "score": 0.9})
    t.align.append({"submission_id": sid, "expectation": "evidence_based", "present": grade == "strong",
                    "sentences": [evidence] if grade == "strong" else []})


def _write(dest: Path, t: _Rows, drop: tuple[str, ...]) -> None:
    """Write every table (validated against its contract) and the two meta files, but those in ``drop``."""
    frames = {
        "submissions": (t.subs, "submissions.parquet"), "tags": (t.tags, "tags.parquet"),
        "tag_evidence": (t.tev, "tag_evidence.parquet"), "evidence": (t.ev, "evidence.parquet"),
        "evidence_sentences": (t.evs, "evidence_sentences.parquet"), "added_value": (t.av, "added_value.parquet"),
        "partners": (t.partners, "partners.parquet"), "followups": (t.fups, "followups.parquet"),
        "exemplars": (t.exem, "exemplars.parquet"), "alignment": (t.align, "alignment.parquet"),
        "ingest_log": (t.log, "ingest_log.csv"), "contacts": (t.contacts, "restricted/contacts.parquet"),
        "partner_pairs": ([{"partner_type_a": a, "partner_type_b": b, "priority": p, "n": len(ids),
                            "submission_ids": ids} for (a, b, p), ids in sorted(t.pairs.items())],
                          "partner_pairs.parquet"),
    }
    for name, (rows, fname) in frames.items():
        if name in drop:
            continue
        df = pd.DataFrame(rows)
        if name == "submissions":
            df["year"] = df["year"].astype("Int64")
        write_table(df, dest / fname, table=name)
    if "tagging_meta" not in drop:
        (dest / "tagging_meta.json").write_text(json.dumps({
            "taxonomy_version": "fictional-tax-1.0",
            "accuracy": {"priorities": {"micro_f1": 0.81, "n_gold": 60}},
        }), encoding="utf-8")
    if "evidence_meta" not in drop:
        (dest / "evidence_meta.json").write_text(json.dumps({
            "rubric_version": "fictional-rubric-0.3", "accuracy": {"grade_agreement": 0.74},
        }), encoding="utf-8")


def label_for(priority: str) -> str:
    """The readable name of a priority id (for fictional titles)."""
    return PRIORITY_LABELS.get(priority, priority)
