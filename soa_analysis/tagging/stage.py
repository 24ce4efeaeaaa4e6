"""The tagging stage: submissions.parquet -> tags.parquet, tag_evidence.parquet, tagging_meta.json."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError
from ..io import read_table, write_table, write_text
from ..labelled import labels_sha256
from ..schema import SECTION_COLUMNS
from ..taxonomies import load_taxonomy
from .lexicon import AnalysedSentence, LexiconTagger, analyse
from .model import CombinedTagger, document_features, load_model
from .text import split_sentences

__all__ = ["run_tagging", "TaggingResult", "submission_document", "TAG_COLUMNS", "EVIDENCE_COLUMNS",
           "SUPERVISED_TAXONOMIES"]

# Taxonomies with a labelled corpus in the package: tagged by the combined tagger.
SUPERVISED_TAXONOMIES = ("priorities",)
# tag_evidence holds every sentence behind tags scoring within this margin of their
# threshold (assigned tags and near misses); weaker matches are summarised in tags.evidence.
EVIDENCE_MARGIN = 0.2
TAG_COLUMNS = ["submission_id", "taxonomy", "priority", "label", "score", "assigned", "threshold",
               "lexicon_score", "model_score", "method", "evidence", "taxonomy_version"]
EVIDENCE_COLUMNS = ["submission_id", "taxonomy", "priority", "section", "sentence", "phrases", "token_spans",
                    "weight", "method", "assigned", "sentence_index"]


@dataclass
class TaggingResult:
    """What :func:`run_tagging` produced: the two tables, the run record and file paths."""

    tags: pd.DataFrame
    evidence: pd.DataFrame
    meta: dict
    paths: dict = field(default_factory=dict)

    def assigned(self) -> pd.DataFrame:
        """The assigned tags only."""
        return self.tags[self.tags["assigned"]]


def submission_document(row) -> list[tuple[str, str]]:
    """A submission row as (section, sentence) pairs: its template sections when it has
    any, else its whole text; plus the National/Local Outcomes it cites."""
    pairs = []
    for sec in SECTION_COLUMNS:
        txt = row.get(sec) if hasattr(row, "get") else None
        if isinstance(txt, str) and txt.strip():
            pairs.extend((sec, s) for s in split_sentences(txt))
    if not pairs:
        pairs = [("text", s) for s in split_sentences(str(row.get("text") or ""))]
    cited = row.get("outcomes_cited")
    if cited is not None and not isinstance(cited, str):
        pairs.extend(("outcomes_cited", str(c)) for c in cited if str(c).strip())
    return pairs


class _Clock:
    """Seconds spent per phase (summed when a phase repeats), recorded in tagging_meta.json."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._t, 4)
        self._t = now


def _strongest_first(h):
    return (-h[3], h[1])


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= 220 else sentence[:217] + "..."


def _hits_text(sents, hits, limit=3) -> str:
    """Human-readable evidence of lexicon hits (strongest first)."""
    return " | ".join(
        f"{', '.join(repr(m[3]) for m in ms)} in {sents[si].section}: \"{_clip(sents[si].sentence)}\""
        for _, si, ms, _ in hits[:limit])


def _evidence_text(rows: list[dict], limit=3) -> str:
    parts = []
    for r in rows[:limit]:
        sent = r["sentence"] if len(r["sentence"]) <= 220 else r["sentence"][:217] + "..."
        parts.append(f"{', '.join(repr(p) for p in r['phrases'])} in {r['section']}: \"{sent}\"")
    return " | ".join(parts)


def _fingerprint(taxonomy, labels, extra, model_params) -> str:
    tax = load_taxonomy(taxonomy)
    blob = json.dumps({"tax": tax.sha256, "labels": labels_sha256(labels), "version": __version__,
                       "params": model_params,
                       "extra": None if extra is None else hashlib.sha256(
                           extra.to_csv(index=False).encode()).hexdigest()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _get_model(processed_dir: Path, taxonomy, labels, extra, params) -> tuple[CombinedTagger, str]:
    tax = load_taxonomy(taxonomy)
    fp = _fingerprint(taxonomy, labels, extra, params)
    model_dir = processed_dir / "models"
    pkl = model_dir / f"{tax.name}.joblib"
    js = pkl.with_suffix(".json")
    if js.exists():
        try:
            meta = json.loads(js.read_text(encoding="utf-8"))
            if meta.get("fingerprint") == fp:
                return load_model(pkl), "loaded"
        except (InputError, ValueError, OSError):
            pass
    model = CombinedTagger(taxonomy=taxonomy, **params).fit_labels(labels, extra=extra)
    model.training_["fingerprint"] = fp
    model.save(model_dir)
    meta = json.loads(js.read_text(encoding="utf-8"))
    meta["fingerprint"] = fp
    write_text(js, json.dumps(meta, indent=2, sort_keys=True))
    return model, "trained"


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: the stage allocates hundreds of thousands of
    small acyclic lists, and repeated full collections over them cost more than the work
    (reference counting still frees everything)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def run_tagging(processed_dir, *, taxonomies=("priorities", "outcomes_soa"), progress=False,
                labels=None, extra_labels=None, model_params=None) -> TaggingResult:
    """Tag every submission against each taxonomy and write the stage's outputs.

    Parameters
    ----------
    processed_dir : path-like
        Folder holding ``submissions.parquet``; outputs are written there.
    taxonomies : sequence
        Shipped taxonomy names or YAML paths. ``priorities`` uses the combined tagger
        (lexicon + model trained on the labelled corpus, thresholds from cross-validation);
        the others use the lexicon with the taxonomy's ``scoring.threshold``.
    progress : bool
        Show a tqdm progress bar (text, not a widget).
    labels : path-like, optional
        Labelled corpus for the model (the package's ``labelled/priorities.csv`` by default).
    extra_labels : DataFrame, optional
        More training passages, e.g. :func:`labels_from_review` of reviewed tags.
    model_params : dict, optional
        CombinedTagger parameters (lexicon_weight, C, cv_folds, seed).

    Returns
    -------
    TaggingResult

    Raises
    ------
    InputError
        If ``submissions.parquet`` is missing.
    SchemaError
        If an input or output table breaks its contract.
    TaxonomyError
        If a taxonomy file is invalid.

    Example
    -------
    >>> result = run_tagging("data/processed")        # doctest: +SKIP
    >>> result.assigned()[["submission_id", "priority", "score"]]   # doctest: +SKIP
    """
    with _gc_paused():
        return _run_tagging(Path(processed_dir), taxonomies, progress, labels, extra_labels, model_params)


def _run_tagging(processed_dir: Path, taxonomies, progress, labels, extra_labels, model_params) -> TaggingResult:
    clock = _Clock()
    subs = read_table(processed_dir, "submissions")
    clock.lap("read")
    params = {"lexicon_weight": 0.5, "C": 8.0, "cv_folds": 5, "seed": 0} | dict(model_params or {})
    records = subs.to_dict("records")
    it = records
    if progress:
        from tqdm import tqdm

        it = tqdm(records, desc="analyse", unit="submission")
    analysed: list[list[AnalysedSentence]] = [analyse(submission_document(r)) for r in it]
    clock.lap("analyse")
    ids = [str(r["submission_id"]) for r in records]

    n = len(records)
    tag_frames: list[pd.DataFrame] = []
    ev_cols: dict[str, list] = {c: [] for c in EVIDENCE_COLUMNS}
    meta: dict = {"package_version": __version__, "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "n_submissions": n, "taxonomies": {}, "models": {}}
    for tax_ref in taxonomies:
        tax = load_taxonomy(tax_ref)
        k = len(tax.ids)
        supervised = tax.name in SUPERVISED_TAXONOMIES
        X = None
        if supervised:
            model, how = _get_model(processed_dir, tax_ref, labels, extra_labels, params)
            lexicon = model.lexicon_
            thresholds = np.array([model.thresholds_[c] for c in tax.ids])
            w = model.lexicon_weight
            meta["models"][tax.name] = model.info() | {"how": how, "model_file": f"models/{tax.name}.joblib"}
        else:
            model, lexicon = None, LexiconTagger(taxonomy=tax_ref).fit()
            thresholds = np.full(k, lexicon.scoring_["threshold"])
            w = 1.0
        clock.lap("load model")
        lex_scores, lex_hits = lexicon.score_many(analysed)
        clock.lap(f"lexicon {tax.name}")
        if model is not None and model.model_ is not None and n:
            X = model.model_.transform([document_features(a) for a in analysed])
            sup = model.model_.classifier_.predict_proba(X)
        else:
            sup = np.zeros_like(lex_scores)
        combined = np.clip(w * lex_scores + (1 - w) * sup, 0, 1)
        clock.lap(f"model {tax.name}")
        assigned = combined >= thresholds
        method = "combined" if supervised else "lexicon"
        cat_ids = tax.ids
        evidence_text = [""] * (n * k)
        keep = combined >= thresholds - EVIDENCE_MARGIN
        ev_sid, ev_pri, ev_sec, ev_sent, ev_phr, ev_tok, ev_w, ev_meth, ev_asg, ev_si = (
            ev_cols[c] for c in ("submission_id", "priority", "section", "sentence", "phrases", "token_spans",
                                 "weight", "method", "assigned", "sentence_index"))
        n_before = len(ev_sid)
        for i in range(n):
            sents = analysed[i]
            by_cat: dict[int, list] = {}
            for h in lex_hits[i]:
                by_cat.setdefault(h[0], []).append(h)
            for ci, hs in by_cat.items():
                hs.sort(key=_strongest_first)
                evidence_text[i * k + ci] = _hits_text(sents, hs)
                if not keep[i, ci]:
                    continue  # far below the threshold: summarised in tags.evidence only
                flag = bool(assigned[i, ci])
                cat = cat_ids[ci]
                sid = ids[i]
                for _, si, ms, w in hs:
                    sent = sents[si]
                    ev_sid.append(sid)
                    ev_pri.append(cat)
                    ev_sec.append(sent.section)
                    ev_sent.append(sent.sentence)
                    ev_phr.append([m[3] for m in ms])
                    ev_tok.append([[m[0], m[1]] for m in ms])
                    ev_w.append(round(w, 4))
                    ev_meth.append("lexicon")
                    ev_asg.append(flag)
                    ev_si.append(si)
            if model is not None:
                for ci in np.flatnonzero(assigned[i]):
                    ci = int(ci)
                    if ci in by_cat:
                        continue
                    rows = model.model_evidence(sents, ci, row=None if X is None else X[i])
                    if not rows:
                        continue
                    evidence_text[i * k + ci] = _evidence_text(rows)
                    for r in rows:
                        ev_sid.append(ids[i])
                        ev_pri.append(cat_ids[ci])
                        ev_sec.append(r["section"])
                        ev_sent.append(r["sentence"])
                        ev_phr.append(r["phrases"])
                        ev_tok.append(r["token_spans"])
                        ev_w.append(float(r["weight"]))
                        ev_meth.append("model")
                        ev_asg.append(True)
                        ev_si.append(r["sentence_index"])
        ev_cols["taxonomy"].extend([tax.name] * (len(ev_sid) - n_before))
        clock.lap("evidence")
        tag_frames.append(pd.DataFrame({
            "submission_id": np.repeat(np.array(ids, dtype=object), k),
            "taxonomy": tax.name,
            "priority": np.tile(np.array(tax.ids, dtype=object), n),
            "label": np.tile(np.array([c.label for c in tax.categories], dtype=object), n),
            "score": combined.ravel().round(6),
            "assigned": assigned.ravel(),
            "threshold": np.tile(thresholds.astype(float), n),
            "lexicon_score": lex_scores.ravel().round(6),
            "model_score": sup.ravel().round(6) if supervised else np.full(n * k, np.nan),
            "method": method,
            "evidence": evidence_text,
            "taxonomy_version": tax.version,
        }, columns=TAG_COLUMNS))
        meta["taxonomies"][tax.name] = tax.provenance() | {
            "method": method, "thresholds": dict(zip(tax.ids, map(float, thresholds))),
            "n_assigned": int(assigned.sum()),
        }
    tags = pd.concat(tag_frames, ignore_index=True) if tag_frames else pd.DataFrame(columns=TAG_COLUMNS)
    tags = tags.astype({"score": float, "assigned": bool, "threshold": float, "lexicon_score": float,
                        "model_score": float})
    for c in ("submission_id", "taxonomy", "priority", "label", "method", "evidence", "taxonomy_version"):
        tags[c] = tags[c].astype("string")
    evidence = pd.DataFrame(ev_cols, columns=EVIDENCE_COLUMNS)
    for c in ("submission_id", "taxonomy", "priority", "section", "sentence", "method"):
        evidence[c] = evidence[c].astype("string")
    evidence = evidence.astype({"weight": float, "assigned": bool, "sentence_index": "int64"})
    clock.lap("frames")
    paths = {
        "tags": write_table(tags, processed_dir / "tags.parquet", table="tags"),
        "tag_evidence": write_table(evidence, processed_dir / "tag_evidence.parquet", table="tag_evidence"),
    }
    clock.lap("write")
    meta["timings_s"] = clock.laps
    paths["meta"] = write_text(processed_dir / "tagging_meta.json", json.dumps(meta, indent=2, sort_keys=True, default=str))
    return TaggingResult(tags, evidence, meta, paths)
