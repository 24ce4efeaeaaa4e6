"""The tagging stage: submissions.parquet -> tags.parquet, tag_evidence.parquet, tagging_meta.json."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..datafiles import sha256_hex
from ..errors import InputError
from ..io import write_arrow_tables, write_text
from ..labelled import labels_sha256, real_features_bytes
from ..partition import LazyFrame
from ..procs import gc_paused
from ..schema import SECTION_COLUMNS, narrative_parts
from ..taxonomies import load_taxonomy
from . import store
from .corpus import Corpus, large_text, match_lexicon, submission_sentences
from .lexicon import LexiconTagger
from .model import LEXICON_WEIGHT, PASSAGE_WEIGHT, RELATIVE, CombinedTagger, CorpusScores, blend, load_model
from .text import split_sentences

__all__ = ["run_tagging", "tag_frames", "TaggingResult", "submission_document", "TAG_COLUMNS", "EVIDENCE_COLUMNS",
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
    """What :func:`run_tagging` produced: the two tables, the run record and file paths. ``evidence``
    (tag_evidence: hundreds of thousands of rows of lists at 10,000 submissions) is made a DataFrame only
    when first read."""

    tags: pd.DataFrame
    _evidence: "pd.DataFrame | LazyFrame"
    meta: dict
    paths: dict = field(default_factory=dict)

    @property
    def evidence(self) -> pd.DataFrame:
        if isinstance(self._evidence, LazyFrame):
            self._evidence = self._evidence.frame()
        return self._evidence

    def assigned(self) -> pd.DataFrame:
        """The assigned tags only."""
        return self.tags[self.tags["assigned"]]


def submission_document(row) -> list[tuple[str, str]]:
    """A submission row as (section, sentence) pairs: the parts :func:`schema.narrative_parts`
    gives (its template sections, or its title and whole text when it came without a template),
    plus the National/Local Outcomes it cites."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: d)
    parts = narrative_parts({s: get(s) for s in SECTION_COLUMNS}, get("text") or "")
    pairs = [(sec, s) for sec, txt in parts for s in split_sentences(txt)]
    cited = get("outcomes_cited")
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


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= 220 else sentence[:217] + "..."


def _clipped(sentences: np.ndarray) -> np.ndarray:
    """:func:`_clip` of each of ``sentences`` (an object array, changed in place and returned):
    only the long ones are touched."""
    lengths = np.fromiter(map(len, sentences.tolist()), dtype=np.int64, count=len(sentences))
    long = np.flatnonzero(lengths > 220)
    if len(long):
        sentences[long] = [_clip(s) for s in sentences[long].tolist()]
    return sentences


_SD = object


def _object_text(values) -> np.ndarray:
    """Arrow text as an object array of str (an object array as it is)."""
    return np.array(values.to_pylist(), dtype=object) if isinstance(values, (pa.Array, pa.ChunkedArray)) else values


def _evidence_joined(lm, cell, sections, sentences, limit=3) -> tuple[np.ndarray, pa.Array] | None:
    """The cells with hits and their tags.evidence (see :meth:`_EvidenceText.of_hits`) as Arrow text, or None when
    the hits are not in cell order (or a hit has no match). ``sections`` are the corpus's sentences' sections (an
    object array, or a pandas Categorical); ``sentences`` its sentences (an object array or Arrow text: only the
    sentences longer than 220 characters are then made Python strings, to be clipped)."""
    first = np.ones(len(cell), dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    idx = np.arange(len(cell))
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0))
    top = np.flatnonzero(rank < limit)
    lo = lm.hit_lo[top]
    cnt = lm.hit_hi[top] - lo
    if not len(top) or cnt.min() < 1 or (cell[1:] < cell[:-1]).any():
        return None
    text = pa.large_string()
    rep = pa.array([repr(p) for p in lm.phrases.tolist()], type=text)  # each phrase code's repr
    starts = np.cumsum(cnt) - cnt
    at = np.arange(int(cnt.sum())) - np.repeat(starts, cnt) + np.repeat(lo, cnt)  # each hit's matches in turn
    phrases = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(np.append(starts, len(at))),
                                                           rep.take(pa.array(lm.m_code[at]))), pa.scalar(", ", text))
    sent_ix = lm.hit_sent[top]
    sec_codes, sec_names = pd.factorize(sections[sent_ix])
    su, sinv = np.unique(sent_ix, return_inverse=True)
    clipped = _clipped_arrow(sentences, su).take(pa.array(sinv))
    part = pc.binary_join_element_wise(phrases, pa.scalar(" in ", text), pa.array(list(sec_names), type=text).take(
        pa.array(sec_codes)), pa.scalar(': "', text), clipped, pa.scalar('"', text), pa.scalar("", text))
    heads = np.flatnonzero(rank[top] == 0)  # each cell's strongest hit: where its run of parts starts
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(np.append(heads, len(top))), part),
                            pa.scalar(" | ", text))
    return cell[top[heads]], joined


def _clipped_arrow(sentences, at: np.ndarray) -> pa.Array:
    """:func:`_clip` of the ``sentences`` at positions ``at``, as Arrow ``large_string``: ``sentences`` an object
    array (:func:`_clipped`), or Arrow text (taken by Arrow, its lengths in code points, as Python counts them,
    found by Arrow; the long ones clipped in Python)."""
    if not isinstance(sentences, (pa.Array, pa.ChunkedArray)):
        return pa.array(_clipped(sentences[at]), type=pa.large_string())
    got = large_text(sentences.take(pa.array(at)))
    long = pc.greater(pc.utf8_length(got), 220)
    if not pc.any(long).as_py():
        return got
    return pc.replace_with_mask(got, long, pa.array([_clip(x) for x in got.filter(long).to_pylist()],
                                                    type=pa.large_string()))


class _EvidenceText:
    """tags.evidence of one taxonomy's cells (submission x category), "" where nothing is set: the lexicon's
    strings as Arrow text (:func:`_evidence_joined`) or as an object array, and single cells set after
    (``evidence[cell] = text``: the model's evidence), made one Arrow text column by :meth:`arrow`."""

    def __init__(self, size: int):
        self.size = size
        self.at = np.zeros(0, np.int64)
        self.joined = pa.array([], type=pa.large_string())
        self.objects: np.ndarray | None = None
        self.cells: dict[int, str] = {}

    @classmethod
    def of_hits(cls, lm, cell, sections, sentences, size: int, limit=3) -> "_EvidenceText":
        """tags.evidence of every cell (submission x category): its ``limit`` strongest hits as
        ``'phrase', 'phrase' in section: "sentence"`` joined by " | ", each string built once by Arrow's
        string kernels (:func:`_evidence_joined`; :func:`_evidence_strings_by_objects` when the hits are not in
        cell order), "" for a cell without hits. ``sentences`` are the corpus's sentences as an object array or as
        Arrow text."""
        out = cls(size)
        if not len(cell):
            return out
        got = _evidence_joined(lm, cell, sections, sentences, limit)
        if got is None:
            out.objects = _evidence_strings_by_objects(lm, cell, sections, _object_text(sentences), size, limit)
        else:
            out.at, out.joined = got
        return out

    def __setitem__(self, cell: int, value: str) -> None:
        self.cells[int(cell)] = value

    def strings(self) -> np.ndarray:
        """The strings as an object array of ``size`` (those :meth:`arrow` holds)."""
        if self.objects is not None:
            out = self.objects.copy()
        else:
            out = np.full(self.size, "", dtype=_SD)
            out[self.at] = self.joined.to_numpy(zero_copy_only=False)
        for c, v in self.cells.items():
            out[c] = v
        return out

    def arrow(self):
        """The strings as Arrow ``large_string`` (as :func:`_text_arrow` makes them; an object array of strings
        when a value is not a string)."""
        if self.objects is not None:
            out = self.objects
            for c, v in self.cells.items():
                out[c] = v
            return _text_arrow(out)
        extra = list(self.cells.items())
        values = pa.concat_arrays([self.joined, pa.array([v for _, v in extra] + [""], type=pa.large_string())])
        index = np.full(self.size, len(values) - 1, dtype=np.int64)
        index[self.at] = np.arange(len(self.at))
        if extra:
            index[np.array([c for c, _ in extra], dtype=np.int64)] = len(self.at) + np.arange(len(extra))
        return values.take(pa.array(index))


def _evidence_strings_by_objects(lm, cell, sections, sentences, size: int, limit=3) -> np.ndarray:
    """tags.evidence (:meth:`_EvidenceText.of_hits`) by numpy operations on object arrays (any order of hits)."""
    add = np.add  # on object arrays: str concatenation in a C loop
    first = np.ones(len(cell), dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    idx = np.arange(len(cell))
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0))
    top = np.flatnonzero(rank < limit)
    rep = np.array([repr(p) for p in lm.phrases.tolist()], dtype=_SD)[lm.m_code]
    lo = lm.hit_lo[top]
    cnt = lm.hit_hi[top] - lo
    acc = rep[lo]
    for j in range(1, int(cnt.max()) if len(cnt) else 0):
        has = np.flatnonzero(cnt > j)
        acc[has] = add(add(acc[has], ", "), rep[lo[has] + j])
    sent_ix = lm.hit_sent[top]
    sec_codes, sec_names = pd.factorize(sections[sent_ix])
    su, sinv = np.unique(sent_ix, return_inverse=True)
    clipped = _clipped(sentences[su])[sinv]
    part = add(add(add(add(acc, " in "), np.array(list(sec_names), dtype=_SD)[sec_codes]), ': "'), add(clipped, '"'))
    out = np.full(size, "", dtype=_SD)
    r, c = rank[top], cell[top]
    out[c[r == 0]] = part[r == 0]
    for j in range(1, limit):
        m = r == j
        out[c[m]] = add(add(out[c[m]], " | "), part[m])
    return out


def _evidence_text(rows: list[dict], limit=3) -> str:
    parts = []
    for r in rows[:limit]:
        sent = r["sentence"] if len(r["sentence"]) <= 220 else r["sentence"][:217] + "..."
        parts.append(f"{', '.join(repr(p) for p in r['phrases'])} in {r['section']}: \"{sent}\"")
    return " | ".join(parts)


def _fingerprint(taxonomy, labels, extra, model_params) -> str:
    tax = load_taxonomy(taxonomy)
    import sklearn

    from ..partition import code_fingerprint

    # The saved model is a pickle: a new scikit-learn, numpy or pyarrow (its vocabulary's parts are Arrow
    # arrays) may read it differently, so their versions are part of what the model is (a change trains it again).
    blob = json.dumps({"tax": tax.sha256, "labels": labels_sha256(labels), "version": __version__,
                       "libraries": [sklearn.__version__, np.__version__, pa.__version__],
                       "code": code_fingerprint("soa_analysis.tagging.model"),
                       "params": model_params, "real_text": sha256_hex(real_features_bytes()),
                       "extra": None if extra is None else sha256_hex(extra.to_csv(index=False))}, sort_keys=True)
    return sha256_hex(blob)


def _saved_model(pkl: Path, fp: str) -> CombinedTagger | None:
    """The model saved at ``pkl`` when its JSON records fingerprint ``fp`` (and it loads), else ``None``."""
    js = pkl.with_suffix(".json")
    if not js.exists():
        return None
    try:
        if json.loads(js.read_text(encoding="utf-8")).get("fingerprint") == fp:
            return load_model(pkl)
    except (InputError, ValueError, OSError):
        pass
    return None


def _get_model(processed_dir: Path, taxonomy, labels, extra, params) -> tuple[CombinedTagger, str, str]:
    """The supervised tagger for ``taxonomy``: the saved one when its fingerprint (taxonomy,
    labelled corpus, extra labels, parameters, package, scikit-learn and numpy versions and
    the tagger's code and data, :func:`soa_analysis.partition.code_fingerprint`) is today's;
    else a copy from the per-user model store (:mod:`soa_analysis.tagging.store`) with that
    fingerprint; else trained, saved and kept in the store.
    Returns the model, "loaded", "from the model store" or "trained", and the fingerprint."""
    tax = load_taxonomy(taxonomy)
    fp = _fingerprint(taxonomy, labels, extra, params)
    model_dir = processed_dir / "models"
    pkl = model_dir / f"{tax.name}.joblib"
    model = _saved_model(pkl, fp)
    if model is not None:
        return model, "loaded", fp
    if store.fetch(fp, tax.name, model_dir):
        model = _saved_model(pkl, fp)
        if model is not None:
            return model, "from the model store", fp
    model = CombinedTagger(taxonomy=taxonomy, **params).fit_labels(labels, extra=extra)
    model.training_["fingerprint"] = fp
    model.save(model_dir)
    js = pkl.with_suffix(".json")
    meta = json.loads(js.read_text(encoding="utf-8"))
    meta["fingerprint"] = fp
    write_text(js, json.dumps(meta, indent=2, sort_keys=True))
    store.keep(fp, tax.name, model_dir)
    return model, "trained", fp


def run_tagging(processed_dir, *, taxonomies=("priorities", "outcomes_soa"), progress=False,
                labels=None, extra_labels=None, model_params=None, full=False, engine=None) -> TaggingResult:
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
        CombinedTagger parameters (lexicon_weight, C, cv_folds, seed, group_folds...).
    full : bool
        Tag every submission again; otherwise the rows of raw files whose submissions and
        versions are unchanged since the last run are reused (:mod:`soa_analysis.partition`).
    engine : soa_analysis.engine.Engine, optional
        Where the submissions are tagged (default: in this process).

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
    with gc_paused():
        return _run_tagging(Path(processed_dir), taxonomies, progress, labels, extra_labels, model_params, full,
                            engine)


_DEFAULT_PARAMS = {"lexicon_weight": LEXICON_WEIGHT, "C": 8.0, "cv_folds": 5, "seed": 0, "relative": RELATIVE, "real_text": True,
                   "passage_weight": PASSAGE_WEIGHT, "group_folds": True}


def _run_tagging(processed_dir: Path, taxonomies, progress, labels, extra_labels, model_params, full=False,
                 engine=None) -> TaggingResult:
    from ..partition import (
        _frame_of_arrow,
        concat_frames,
        fingerprint,
        in_chunks,
        note_written,
        plan_tables,
        read_submissions,
    )

    clock = _Clock()
    subs, identity = read_submissions(processed_dir)
    clock.lap("read")
    params = _DEFAULT_PARAMS | dict(model_params or {})
    # what shapes the rows: each taxonomy (and the model of a supervised one, trained now if
    # its saved copy is stale, before any rows are computed), the code and the parameters
    shaped, models = {}, {}
    for tax_ref in taxonomies:
        tax = load_taxonomy(tax_ref)
        shaped[tax.name] = tax.sha256
        if tax.name in SUPERVISED_TAXONOMIES:
            models[tax.name] = _get_model(processed_dir, tax_ref, labels, extra_labels, params)
            shaped[tax.name] = models[tax.name][2]
    clock.lap("load model")
    fp = fingerprint("tag", "soa_analysis.tagging.stage", {"taxonomies": shaped, "order": list(shaped),
                                                          "params": params})
    plan = plan_tables(processed_dir, "tag", subs, fp, full=full, identity=identity)
    if len(plan.todo) == len(plan.units):  # every unit (a full or first run): every row, without a filtered copy
        todo = subs.reset_index(drop=True)
    else:
        todo = subs[subs["submission_id"].astype(str).isin(plan.todo_ids)].reset_index(drop=True)
    clock.lap("plan")
    fast = _fast_tables(processed_dir, plan, todo, taxonomies, labels, extra_labels, params, progress, clock, models,
                        list(shaped)) if engine is None else None
    if fast is not None:
        tables, meta, tags, checked = fast
        computed = {"tags": tags, "tag_evidence": checked}
    elif engine is not None and len(todo):
        tags, evidence, meta = engine.tag(processed_dir, todo, plan.todo, taxonomies, labels, extra_labels, params)
    else:  # a part of the submissions at a time: memory bounded whatever the corpus
        parts = in_chunks(todo, lambda part: tag_frames(processed_dir, part, taxonomies, labels, extra_labels,
                                                        params, progress=progress, clock=clock, models=models))
        # taxonomy by taxonomy, as combine orders them (then it need not reorder the rows)
        tags, evidence = (_taxonomy_major(concat_frames, [p[i] for p in parts], list(shaped)) for i in (0, 1))
        meta = parts[0][2]
    if fast is None:
        computed = {"tags": tags, "tag_evidence": evidence}
        # in Arrow: the reused files' rows spliced from the last run's tables as they are (TablePlan.tables)
        tables = plan.tables(computed, major={"tags": ("taxonomy", list(shaped)),
                                              "tag_evidence": ("taxonomy", list(shaped))})
        tags = _frame_of_arrow(tables["tags"], TAG_DTYPES)  # the notebook's; text columns without a copy
    clock.lap("frames")
    meta["n_submissions"] = int(len(subs))
    for name, info in meta["taxonomies"].items():
        info["n_assigned"] = int(tags.loc[(tags["taxonomy"] == name) & tags["assigned"], "submission_id"].size)
    meta["reuse"] = {k: v for k, v in plan.reuse().as_dict().items() if k.startswith("n_") or k == "full"}
    paths = write_arrow_tables({  # tag_evidence's reused rows were checked when first written: its computed rows now
        "tags": (tables["tags"], processed_dir / "tags.parquet", tags),
        "tag_evidence": (tables["tag_evidence"], processed_dir / "tag_evidence.parquet", computed["tag_evidence"]),
    })
    note_written(processed_dir, "tag", plan.kept_token, paths)  # the next stage reads them from the kept tables
    clock.lap("write")
    meta["timings_s"] = clock.laps | {k: v for k, v in meta.get("timings_s", {}).items() if k not in clock.laps}
    paths["meta"] = write_text(processed_dir / "tagging_meta.json", json.dumps(meta, indent=2, sort_keys=True, default=str))
    return TaggingResult(tags, LazyFrame(tables["tag_evidence"], EVIDENCE_DTYPES), meta, paths)


def _fast_tables(processed_dir: Path, plan, todo: pd.DataFrame, taxonomies, labels, extra_labels, params, progress,
                 clock, models, order: list[str]
                 ) -> tuple[dict[str, pa.Table], dict, pd.DataFrame, pd.DataFrame] | None:
    """A full or first run's tables built in Arrow, without a DataFrame between (None when the run is not one:
    :meth:`TablePlan.tables` then combines the computed frames).

    When every unit is computed, none is kept from the last run and the units' submissions are the table's rows in
    order (ids unique), the rows a full run combines are each taxonomy's rows of the parts in turn, each part's in
    its submissions' order (what :meth:`TablePlan.combine` gives by a stable sort on (taxonomy, submission)): the
    parts' Arrow tables (:func:`_tag_tables`) are joined so, each row's unit is known from its submission's
    position, and the tables are kept for the next run as :meth:`TablePlan.tables` keeps them. Returns the tables,
    the run record, the tags as a DataFrame (the notebook's, and the rows its contract is checked on) and the
    tag_evidence rows to check its contract on (:func:`_checked_frame`)."""
    from ..partition import _frame_of_arrow, in_chunks

    ids = plan.unit_rows[0]
    if plan.source is not None or len(plan.todo) != len(plan.units) or not len(todo) or not order or not ids.is_unique \
            or len(set(order)) != len(taxonomies) or len(ids) != len(todo) \
            or not np.array_equal(ids.to_numpy(dtype=object), todo["submission_id"].astype(str).to_numpy(dtype=object)):
        return None
    starts = [0]  # each part's first submission's position (the parts are consecutive, in order)

    def compute(part):
        starts.append(starts[-1] + len(part))
        return _tag_tables(processed_dir, part, taxonomies, labels, extra_labels, params, progress=progress,
                           clock=clock, models=models)

    parts = in_chunks(todo, compute)
    sub_unit = np.repeat(np.arange(len(plan.units), dtype=np.int32), [len(u.ids) for u in plan.units])
    tables, codes = {}, {}
    for name, (t, d) in (("tags", (0, 1)), ("tag_evidence", (2, 3))):
        pieces, docs = [], []
        for tax in order:
            for (got, _), start in zip(parts, starts):
                table, doc = got[tax][t], got[tax][d]
                if len(doc) > 1 and (doc[1:] < doc[:-1]).any():  # a submission's rows together, in their order
                    keep = np.argsort(doc, kind="stable")
                    table, doc = table.take(pa.array(keep)), doc[keep]
                pieces.append(table)
                docs.append(doc + start)
        joined = pa.concat_tables(pieces)
        tables[name] = _with_pandas_schema(joined, TAG_DTYPES if name == "tags" else EVIDENCE_DTYPES)
        codes[name] = sub_unit[np.concatenate(docs)]
    meta = parts[0][1]
    tags = _frame_of_arrow(tables["tags"], TAG_DTYPES)
    tables_checked = _checked_frame(tables["tag_evidence"], EVIDENCE_DTYPES)
    plan.keep(tables, codes, lambda: {"tags": tags, "tag_evidence": tables_checked})
    return tables, meta, tags, tables_checked


def _checked_frame(table: pa.Table, dtypes: pd.Series) -> pd.DataFrame:
    """``table`` as a DataFrame of ``dtypes`` whose list cells are Python lists (made by slicing one list of a
    column's values, as the computed frames held them), for checking its contract (:func:`schema.validate`)."""
    index = pd.RangeIndex(table.num_rows)
    cols = {}
    for name, dtype in dtypes.items():
        col = table.column(name)
        if pa.types.is_list(col.type) and not col.null_count:
            values = _objects(_pylists(col.combine_chunks()))
        elif dtype == _TEXT:
            values = _text_column(col)
        else:
            values = col.to_numpy(zero_copy_only=False) if col.num_chunks else np.zeros(0, dtype=dtype)
        cols[name] = pd.Series(values, index=index, dtype=dtype, copy=False)
    return pd.DataFrame(cols, index=index, columns=list(dtypes.index))


def _pylists(arr) -> list:
    """A list array (without nulls; nested ones too) as Python lists: its values made Python objects once and
    each cell a slice of them."""
    values = _pylists(arr.values) if pa.types.is_list(arr.values.type) else arr.values.to_pylist()
    bounds = arr.offsets.to_numpy().tolist()
    return list(map(values.__getitem__, map(slice, bounds[:-1], bounds[1:])))


def _with_pandas_schema(table: pa.Table, dtypes: pd.Series) -> pa.Table:
    """``table`` with the schema ``pa.Table.from_pandas`` gives its DataFrame (of ``dtypes``; pandas' metadata,
    which says how the Parquet file is read back), worked out from its first row; the whole DataFrame's when the
    table is empty or a type differs."""
    from ..partition import _frame_of_arrow

    if table.num_rows:
        schema = pa.Schema.from_pandas(_frame_of_arrow(table.slice(0, 1), dtypes), preserve_index=False)
        if schema.names == table.schema.names and schema.types == table.schema.types:
            return table.replace_schema_metadata(schema.metadata)
    return pa.Table.from_pandas(_frame_of_arrow(table, dtypes), preserve_index=False)


def _taxonomy_major(concat_frames, frames: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """The parts' rows (each part's rows in runs of one taxonomy) joined taxonomy by taxonomy in
    ``order``, then part by part: the rows of the parts in the order ``TablePlan.combine`` gives them,
    by slices instead of a reordering of every column."""
    rank = {name: i for i, name in enumerate(order)}
    runs = []
    for j, f in enumerate(frames):
        if not len(f):
            continue
        tax = f["taxonomy"].astype(object).to_numpy()
        starts = np.concatenate(([0], np.flatnonzero(tax[1:] != tax[:-1]) + 1))
        ends = np.append(starts[1:], len(f))
        if any(tax[a] not in rank for a in starts):
            return concat_frames(frames)  # a taxonomy not in order: combine orders the rows
        runs += [(rank[tax[a]], j, a, b) for a, b in zip(starts.tolist(), ends.tolist())]
    if len(runs) <= 1:
        return concat_frames(frames)
    runs.sort(key=lambda r: r[:2])
    return concat_frames([frames[j].iloc[a:b] for _, j, a, b in runs])


def tag_frames(processed_dir: Path, subs: pd.DataFrame, taxonomies, labels, extra_labels, params, *,
               progress: bool = False, clock: _Clock | None = None,
               models: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The tags and tag_evidence rows of ``subs`` (any subset of the submissions), and the run record.

    The stage's pure core: every submission's rows depend on its own text and the taxonomies
    and models only, so tagging a subset gives the rows a whole run gives those submissions.
    ``models`` may pass :func:`_get_model`'s result per supervised taxonomy (else each is loaded).
    """
    docs, parts, meta = _tagged(processed_dir, subs, taxonomies, labels, extra_labels, params, progress=progress,
                                clock=clock, models=models)
    frames = [_frame_of(_tags_columns(scored, docs.ids, evidence_text), TAG_DTYPES)
              for scored, evidence_text, _ in parts]
    tags = pd.concat(frames, ignore_index=True) if frames else _frame_of({}, TAG_DTYPES)
    evidence = _frame_of(_evidence_columns([p[2] for p in parts], docs), EVIDENCE_DTYPES)
    return tags, evidence, meta


def _tagged(processed_dir: Path, subs: pd.DataFrame, taxonomies, labels, extra_labels, params, *,
            progress: bool = False, clock: _Clock | None = None, models: dict | None = None
            ) -> tuple["_Documents", list[tuple["_Scored", "_EvidenceText", tuple]], dict]:
    """What :func:`tag_frames` makes its tables of: the documents, and for each taxonomy its scores, its
    tags.evidence and its tag_evidence columns (by numbers: :func:`_lexicon_evidence`) with its name and
    category ids; and the run record."""
    clock = clock or _Clock()
    n = len(subs)
    meta: dict = {"package_version": __version__, "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "n_submissions": n, "taxonomies": {}, "models": {}}
    corpus = _corpus(subs, progress, clock)
    docs = _Documents(np.array([str(x) for x in subs["submission_id"].tolist()], dtype=object), corpus)
    parts = []
    for tax_ref in taxonomies:
        scored = _score_taxonomy(processed_dir, tax_ref, corpus, labels, extra_labels, params, meta, clock,
                                 models or {})
        evidence_text, cols, row_docs = _lexicon_evidence(scored, docs)
        cols = _with_model_evidence(scored, docs, evidence_text, cols, row_docs)
        parts.append((scored, evidence_text, (cols, scored.taxonomy.name, list(scored.taxonomy.ids))))
        clock.lap("evidence")
        meta["taxonomies"][scored.taxonomy.name] = scored.taxonomy.provenance() | {
            "method": scored.method, "thresholds": dict(zip(scored.taxonomy.ids, map(float, scored.thresholds))),
            "n_assigned": int(scored.assigned.sum()),
        }
    meta["timings_s"] = dict(clock.laps)
    return docs, parts, meta


def _tag_tables(processed_dir: Path, subs: pd.DataFrame, taxonomies, labels, extra_labels, params, *,
                progress: bool = False, clock: _Clock | None = None, models: dict | None = None
                ) -> tuple[dict[str, tuple], dict]:
    """:func:`tag_frames`'s rows as Arrow tables, taxonomy by taxonomy: ``{name: (tags, tags' documents,
    tag_evidence, its rows' documents)}`` (each row's document: its submission's position in ``subs``), and the
    run record. No DataFrame is made (:func:`_fast_tables` joins them)."""
    docs, parts, meta = _tagged(processed_dir, subs, taxonomies, labels, extra_labels, params, progress=progress,
                                clock=clock, models=models)
    out = {}
    for scored, evidence_text, part in parts:
        n, k = scored.assigned.shape
        ev_docs = np.asarray(part[0]["submission_id"], dtype=np.int64)
        out[scored.taxonomy.name] = (_table_of(_tags_columns(scored, docs.ids, evidence_text)),
                                     np.repeat(np.arange(n, dtype=np.int64), k),
                                     _table_of(_evidence_columns([part], docs)), ev_docs)
    if clock is not None:
        clock.lap("frames")
    return out, meta


def _corpus(subs: pd.DataFrame, progress: bool, clock: _Clock) -> Corpus:
    """Every submission's sentences (:func:`submission_sentences`), tokenised once as a :class:`Corpus`."""
    n = len(subs)
    columns = {sec: subs[sec] for sec in SECTION_COLUMNS if sec in subs.columns}  # as Series: Arrow text is read as it is
    cited = subs["outcomes_cited"].tolist() if "outcomes_cited" in subs.columns else [None] * n
    text = subs["text"] if "text" in subs.columns else [""] * n
    if progress:
        from tqdm import tqdm

        with tqdm(total=n, desc="split", unit="submission") as bar:
            sentences, sections, counts = submission_sentences(columns, cited, text)
            bar.update(n)
    else:
        sentences, sections, counts = submission_sentences(columns, cited, text)
    clock.lap("split")
    corpus = Corpus.from_sentences(sentences, sections, counts)
    clock.lap("tokenise")
    return corpus


@dataclass
class _Documents:
    """The submissions' ids and the corpus of their sentences, whose sentences and sections are given as arrays."""

    ids: np.ndarray
    corpus: Corpus

    @functools.cached_property
    def sentences(self) -> np.ndarray:
        """The corpus's sentences as an object array (made when first asked for)."""
        return np.array(self.corpus.sentences, dtype=object)

    @functools.cached_property
    def sections(self) -> pd.Categorical:
        """Each corpus sentence's section (from the corpus's codes: no Python string a sentence)."""
        return pd.Categorical.from_codes(self.corpus.sent_section, categories=pd.Index(self.corpus.section_names,
                                                                                        dtype=object))

    def text(self):
        """The corpus's sentences as Arrow text when it holds them so, else as :attr:`sentences`."""
        arrow = getattr(self.corpus, "_arrow", None)
        return self.sentences if arrow is None else arrow


@dataclass
class _Scored:
    """One taxonomy's scores and decisions for every submission."""

    taxonomy: object
    model: CombinedTagger | None
    scores: CorpusScores
    thresholds: np.ndarray
    assigned: np.ndarray
    method: str
    text_thresholds: np.ndarray | None = None

    def applied(self) -> np.ndarray:
        """The threshold each submission x category was held to, shape (n, k): a supervised
        taxonomy's depend on the submission's length (short passages have their own)."""
        n = len(self.assigned)
        return self.text_thresholds if self.text_thresholds is not None else \
            np.broadcast_to(self.thresholds, (n, len(self.thresholds)))


def _score_taxonomy(processed_dir, tax_ref, corpus, labels, extra_labels, params, meta, clock, models) -> _Scored:
    """Score every submission against one taxonomy: the combined tagger for a supervised one
    (trained or loaded, recorded in ``meta["models"]``), the lexicon with the taxonomy's
    threshold for the others."""
    tax = load_taxonomy(tax_ref)
    if tax.name in SUPERVISED_TAXONOMIES:
        model, how, _ = models.get(tax.name) or _get_model(processed_dir, tax_ref, labels, extra_labels, params)
        thresholds = model.threshold_array()
        meta["models"][tax.name] = model.info() | {"how": how, "model_file": f"models/{tax.name}.joblib"}
        clock.lap("load model")
        matches = match_lexicon(model.lexicon_, corpus)
        clock.lap(f"lexicon {tax.name}")
        scores = model.score_corpus(corpus, matches=matches)
        clock.lap(f"model {tax.name}")
        n_sentences = np.diff(corpus.doc_sent)
        return _Scored(tax, model, scores, thresholds, model.decide(scores.combined, n_sentences), "combined",
                       model.rule(n_sentences)[0])
    lexicon = LexiconTagger(taxonomy=tax_ref).fit()
    thresholds = np.full(len(tax.ids), lexicon.scoring_["threshold"])
    clock.lap("load model")
    matches = match_lexicon(lexicon, corpus)
    clock.lap(f"lexicon {tax.name}")
    none = np.zeros_like(matches.scores)
    combined = np.clip(blend(matches.scores, none, 1.0), 0, 1)
    clock.lap(f"model {tax.name}")
    return _Scored(tax, None, CorpusScores(matches, none, combined), thresholds, combined >= thresholds, "lexicon")


def _lexicon_evidence(scored: _Scored, docs: _Documents) -> tuple[_EvidenceText, dict, np.ndarray]:
    """``tags.evidence`` (the three strongest sentences of every submission x category with
    phrase matches), the tag_evidence columns of every sentence behind tags within
    :data:`EVIDENCE_MARGIN` of their threshold, and each of those rows' document index.

    The text columns are given by numbers (:func:`_evidence_frame` makes them text): submission_id the
    document, taxonomy 0 (this one), priority the category, section and sentence the corpus sentence,
    method 0 (lexicon) or 1 (model)."""
    lm = scored.scores.matches
    n, k = scored.assigned.shape
    keep = scored.scores.combined >= scored.applied() - EVIDENCE_MARGIN
    hd, hc, hs = lm.hit_doc, lm.hit_cat, lm.hit_sent
    cell = hd * k + hc
    evidence_text = _EvidenceText.of_hits(lm, cell, docs.sections, docs.text(), n * k)
    sel = np.flatnonzero(keep[hd, hc]) if len(cell) else np.zeros(0, np.int64)
    # the matches of the selected hits only, in hit order: each hit's a slice of them
    lo, cnt = lm.hit_lo[sel], lm.hit_hi[sel] - lm.hit_lo[sel]
    ends = np.cumsum(cnt)
    at = np.repeat(lo - (ends - cnt), cnt) + np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    offsets = pa.array(np.concatenate(([0], ends)).astype(np.int32))  # each row's matches
    phrases = pa.array(lm.phrases.tolist(), type=pa.string()).take(pa.array(lm.m_code[at].astype(np.int64)))
    spans = np.empty(2 * len(at), dtype=np.int64)  # each match's [start, end] pair, one after the other
    spans[0::2], spans[1::2] = lm.m_a[at], lm.m_b[at]
    pairs = pa.ListArray.from_arrays(pa.array(np.arange(0, len(spans) + 1, 2, dtype=np.int32)), pa.array(spans))
    sd = hd[sel]
    cols = {
        "submission_id": sd, "taxonomy": np.zeros(len(sel), dtype=np.int64),
        "priority": hc[sel].astype(np.int64), "section": hs[sel].astype(np.int64), "sentence": hs[sel].astype(np.int64),
        "phrases": pa.ListArray.from_arrays(offsets, phrases),
        "token_spans": pa.ListArray.from_arrays(offsets, pairs),
        "weight": np.round(lm.hit_w[sel], 4), "method": np.zeros(len(sel), dtype=np.int64),
        "assigned": scored.assigned[hd[sel], hc[sel]],
        "sentence_index": (hs[sel] - docs.corpus.doc_sent[sd]).astype(np.int64),
    }
    return evidence_text, cols, sd


def _with_model_evidence(scored: _Scored, docs: _Documents, evidence_text: _EvidenceText, cols: dict,
                         row_docs: np.ndarray) -> dict:
    """Add the evidence of model-only tags (assigned, no phrase matched: the words that pushed
    the score up) to ``evidence_text`` (in place) and to the tag_evidence columns, each
    submission's model rows after its lexicon rows."""
    model, X = scored.model, scored.scores.features
    if model is None or X is None:
        return cols
    lm = scored.scores.matches
    n, k = scored.assigned.shape
    has_hit = np.zeros((n, k), dtype=bool)
    has_hit[lm.hit_doc, lm.hit_cat] = True
    mrows: dict[str, list] = {c: [] for c in EVIDENCE_COLUMNS}
    mdoc = []
    for i, ci in zip(*np.nonzero(scored.assigned & ~has_hit)):
        i, ci = int(i), int(ci)
        rows = model.model_evidence(docs.corpus.analysed(i), ci, row=X[i])
        if not rows:
            continue
        evidence_text[i * k + ci] = _evidence_text(rows)
        first = int(docs.corpus.doc_sent[i])  # the document's sentences: corpus sentences first, first + 1, ...
        for r in rows:
            at = first + r["sentence_index"]
            for c, v in (("submission_id", i), ("taxonomy", 0), ("priority", ci),
                         ("section", at), ("sentence", at), ("phrases", r["phrases"]),
                         ("token_spans", r["token_spans"]), ("weight", float(r["weight"])),
                         ("method", 1), ("assigned", True), ("sentence_index", r["sentence_index"])):
                mrows[c].append(v)
            mdoc.append(i)
    if not mdoc:
        return cols
    order = np.argsort(np.concatenate((row_docs, np.array(mdoc, dtype=np.int64))), kind="stable")
    return {c: pa.concat_arrays([v, pa.array(mrows[c], type=v.type)]).take(pa.array(order)) if _is_arrow(v) else
            np.concatenate((v, np.array(mrows[c], dtype=v.dtype)))[order] for c, v in cols.items()}


def _tags_columns(scored: _Scored, ids: np.ndarray, evidence_text: _EvidenceText) -> dict:
    """tags columns of one taxonomy: one row per submission x category (text columns as Arrow text taken
    from their few values, :func:`_text_arrow`; numbers as numpy arrays)."""
    tax = scored.taxonomy
    n, k = scored.assigned.shape
    doc, cat, one = np.repeat(np.arange(n), k), np.tile(np.arange(k), n), np.zeros(n * k, dtype=np.int64)
    return {
        "submission_id": _text_arrow(ids, doc),
        "taxonomy": _text_arrow([tax.name], one),
        "priority": _text_arrow(tax.ids, cat),
        "label": _text_arrow([c.label for c in tax.categories], cat),
        "score": scored.scores.combined.ravel().round(6),
        "assigned": scored.assigned.ravel(),
        "threshold": scored.applied().astype(float).ravel(),
        "lexicon_score": scored.scores.matches.scores.ravel().round(6),
        "model_score": scored.scores.model.ravel().round(6) if scored.model is not None else np.full(n * k, np.nan),
        "method": _text_arrow([scored.method], one),
        "evidence": evidence_text.arrow(),
        "taxonomy_version": _text_arrow([tax.version], one),
    }


_TEXT = pd.StringDtype()
# The computed tables' column types (what :func:`tag_frames` gives and what their Parquet files are read back as).
TAG_DTYPES = pd.Series({c: _TEXT for c in TAG_COLUMNS} | {c: np.dtype(float) for c in (
    "score", "threshold", "lexicon_score", "model_score")} | {"assigned": np.dtype(bool)})[TAG_COLUMNS]
EVIDENCE_DTYPES = pd.Series({c: _TEXT for c in ("submission_id", "taxonomy", "priority", "section", "sentence", "method")}
                            | {"phrases": np.dtype(object), "token_spans": np.dtype(object), "weight": np.dtype(float),
                               "assigned": np.dtype(bool), "sentence_index": np.dtype(np.int64)})[EVIDENCE_COLUMNS]


def _is_arrow(values) -> bool:
    return isinstance(values, (pa.Array, pa.ChunkedArray))


def _text_arrow(values, at: np.ndarray | None = None):
    """``values`` (taken at the positions ``at`` when given) as Arrow ``large_string``, built from the distinct
    values when they are all strings (no Python string per row); otherwise an object array (made pandas text
    by :func:`_text_column`)."""
    values = values if isinstance(values, np.ndarray) and values.dtype == object else np.array(list(values), dtype=object)
    if all(t is str for t in set(map(type, values.tolist()))):
        arr = pa.array(values, type=pa.large_string())
        return arr.take(pa.array(at)) if at is not None else arr
    return values if at is None else values[at]


def _text_column(values):
    """Text values (:func:`_text_arrow`'s) as a pandas text column, as ``astype("string")`` makes it."""
    if _is_arrow(values):
        return _TEXT.__from_arrow__(values if isinstance(values, pa.ChunkedArray) else
                                    pa.chunked_array([values], type=values.type))
    return pd.Series(values, dtype=object).astype("string")


def _objects(values: list) -> np.ndarray:
    """A 1-d object array of ``values`` (lists stay lists, never become a 2-d array)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _frame_of(cols: dict, dtypes: pd.Series) -> pd.DataFrame:
    """A table's columns (:func:`_tags_columns`, :func:`_evidence_columns`) as a DataFrame of ``dtypes``: text
    as pandas text without a copy, Arrow lists as object arrays of numpy arrays (as a Parquet reading gives)."""
    n = len(next(iter(cols.values()))) if cols else 0
    index = pd.RangeIndex(n)
    out = {}
    for c, dtype in dtypes.items():
        v = cols.get(c, np.zeros(0, dtype=object))
        if dtype == _TEXT:
            v = _text_column(v)
        elif _is_arrow(v):
            v = v.to_numpy(zero_copy_only=False) if len(v) else np.zeros(0, dtype=object)
        out[c] = pd.Series(v, index=index, dtype=dtype, copy=False)
    return pd.DataFrame(out, index=index, columns=list(dtypes.index))


def _table_of(cols: dict) -> pa.Table:
    """A table's columns as an Arrow table (no pandas metadata yet: :func:`_with_pandas_schema`); NaN is null, as
    ``pa.Table.from_pandas`` makes it."""
    return pa.table({c: v if _is_arrow(v) else pa.array(v, from_pandas=True) for c, v in cols.items()})


def _evidence_columns(parts: list[tuple[dict, str, list]], docs: _Documents) -> dict:
    """tag_evidence's columns of each taxonomy's columns, name and category ids (``parts``): the text columns,
    given by numbers (:func:`_lexicon_evidence`), taken by Arrow from the documents' ids, the taxonomies' names
    and categories, the corpus's sentences and sections, and the two methods (no Python string a row)."""
    if not parts:
        return {c: np.array([], dtype=object) for c in EVIDENCE_COLUMNS}
    cols = {c: pa.concat_arrays([p[0][c] for p in parts]) if _is_arrow(parts[0][0][c]) else
            np.concatenate([p[0][c] for p in parts]) for c in EVIDENCE_COLUMNS}
    part = np.repeat(np.arange(len(parts)), [len(p[0]["submission_id"]) for p in parts])
    first_cat = np.cumsum([0] + [len(p[2]) for p in parts])[:-1]
    corpus = docs.corpus
    sent, text = cols["sentence"], docs.text()
    sentence = large_text(text.take(pa.array(sent))) if _is_arrow(text) else _text_arrow(text[sent])
    return cols | {
        "submission_id": _text_arrow(docs.ids, cols["submission_id"]),
        "taxonomy": _text_arrow([p[1] for p in parts], cols["taxonomy"] + part),
        "priority": _text_arrow([c for p in parts for c in p[2]], cols["priority"] + first_cat[part]),
        "section": _text_arrow(corpus.section_names, corpus.sent_section[cols["section"]]),
        "sentence": sentence,
        "method": _text_arrow(["lexicon", "model"], cols["method"]),
        "weight": np.asarray(cols["weight"], dtype=float), "assigned": np.asarray(cols["assigned"], dtype=bool),
        "sentence_index": np.asarray(cols["sentence_index"], dtype=np.int64),
    }
