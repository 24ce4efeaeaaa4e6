"""How far to trust the workbench's judgments: one record of what was measured, said in plain words.

The figures live in one data file beside this module, ``accuracy/accuracy.json`` (kept here, with what reads
it, so that the record is part of the report's code fingerprint and of no analysis stage's: a new record
recomputes no tag or grade; see :func:`soa_analysis.partition.code_fingerprint`), written by
``benchmarks/accuracy_record.py``: the priority tagger and the evidence grader measured on the
project's own labelled passages (fictional, written in the register of council case studies)
and on real published council and partnership text (``benchmarks/real_text/``), each with its
number of texts and a 95% interval. The report's methodology section and ``soa-analysis
evaluate`` both read it, so a figure is the same wherever it appears.

Example
-------
>>> rec = load_accuracy()
>>> {"tagging_own", "evidence_own", "real_text"} <= set(rec)
True
>>> len(plain_sentences(rec)) >= 4
True
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["load_accuracy", "plain_sentences", "ACCURACY_FILE"]

ACCURACY_FILE = "accuracy.json"
# Issue 9's bar for the grade on real text: the level at which two careful readers agree (Cohen's kappa).
READERS_KAPPA = 0.75


@lru_cache(maxsize=1)
def load_accuracy() -> dict:
    """The packaged accuracy record (``{}`` when the package has none)."""
    res = resources.files(__name__) / ACCURACY_FILE
    return json.loads(res.read_text(encoding="utf-8")) if res.is_file() else {}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _ci(ci) -> str:
    return f" (95% interval {ci[0]:.2f} to {ci[1]:.2f})" if ci else ""


def _part_no(name: str) -> int:
    """A held-out part's place in the order they were gathered (``test``, ``test2``, ... ``test15``)."""
    digits = name.removeprefix("test")
    return int(digits) if digits.isdigit() else 1


def plain_sentences(rec: dict | None = None) -> list[str]:
    """The record as short plain-language statements for readers who are not analysts.

    Parameters
    ----------
    rec : dict, optional
        An accuracy record; the packaged one by default.

    Returns
    -------
    list of str
        One sentence per measurement, saying what was measured, on what, and the result.
    """
    rec = load_accuracy() if rec is None else rec
    out: list[str] = []
    real = rec.get("real_text") or {}
    test = real.get("test") or {}
    if test:
        out.append(
            f"On {test['n']} real published texts from Scottish councils, NHS boards, police, fire and partnerships "
            f"that the tool had never seen (kept aside and scored once), the priority tags matched the texts' labels "
            f"(two independent careful readings, reconciled) with an F1 score of {test['macro_f1']:.2f}{_ci(test.get('macro_f1_ci'))}, where 1 is perfect "
            f"agreement.")
        out.append(
            f"On the same texts the evidence grade (strong, some or none) matched the readers' grade in "
            f"{_pct(test['grade_accuracy'])} of cases; allowing for chance agreement (Cohen's kappa) that is "
            f"{test['grade_kappa']:.2f}{_ci(test.get('grade_kappa_ci'))}.")
        earlier = [t for _, t in sorted((real.get("earlier_tests") or {}).items(), key=lambda kv: _part_no(kv[0]))
                   if t][-5:]
        if min([test["grade_kappa"], *(t["grade_kappa"] for t in earlier)]) < READERS_KAPPA:
            out.append(f"That is below how far two careful readings agree with each other (kappa {READERS_KAPPA:.2f} "
                       "or more): on real text, use the evidence grades to sort submissions for a person to read, "
                       "not as findings in themselves.")
        if earlier:
            lo = min(t["grade_kappa"] for t in earlier)
            hi = max(t["grade_kappa"] for t in earlier)
            tags = [t["macro_f1"] for t in earlier if "macro_f1" in t]
            spread = f"priority-tag F1 scores from {min(tags):.2f} to {max(tags):.2f} and " if tags else ""
            out.append(f"The {len(earlier)} sets of real texts kept aside and scored once before this one gave "
                       f"{spread}kappas from {lo:.2f} to {hi:.2f}, so one set's figure is not the whole story.")
    lopo = real.get("leave_one_part_out") or {}
    if lopo:
        where = f" ({lopo['first_part']} to {lopo['last_part']})" if lopo.get("first_part") else ""
        out.append(
            f"With the tool's present settings, over {lopo['n']:,} real texts in {len(lopo.get('parts') or {})} of the "
            f"studied parts{where}, each part scored by a tagger and a grading model that had not learned from it, "
            f"the priority tags scored F1 {lopo['macro_f1']:.2f} and the evidence grade matched the readers' in "
            f"{_pct(lopo['grade_accuracy'])} of cases (kappa {lopo['grade_kappa']:.2f}); the grading rules were written "
            f"while most of those texts were studied.")
    agree = real.get("agreement") or {}
    if agree:
        out.append(
            f"Two independent readings of those {agree['n']} real texts, made blind to each other and to the tool, "
            f"agreed with each other at F1 {agree['macro_f1']:.2f} for priorities and kappa "
            f"{agree['grade_kappa']:.2f} for grades (the two readers were language-model sessions given the same "
            f"codebook, not people, so two people would probably agree less).")
    own = rec.get("tagging_own") or {}
    if own:
        out.append(
            f"On {own['n']} short passages written for this project (in the style of council case studies), "
            f"cross-validated priority tagging scored F1 {own['macro_f1']:.2f}{_ci(own.get('macro_f1_ci'))}.")
    ev = rec.get("evidence_own") or {}
    if ev:
        out.append(
            f"On {ev['n']} of those passages held back from writing the grading rules, the evidence grade matched "
            f"the intended one in {_pct(ev['grade_accuracy'])} of cases (kappa {ev['grade_kappa']:.2f}), and the "
            f"added-value themes scored F1 {ev['theme_macro_f1']:.2f} on {ev['n_themes']} passages.")
    if out:
        out.append("Treat any single tag or grade as a pointer to read the submission, not as a verdict: the "
                   "figures describe agreement over many texts, and every tag and grade in this report shows the "
                   "sentences it rests on.")
    return out
