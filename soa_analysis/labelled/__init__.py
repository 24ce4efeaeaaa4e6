"""Labelled corpora shipped with the package (fictional passages written for the project).

Example
-------
>>> df = load_labels()
>>> {"passage_id", "labels", "kind", "text"} <= set(df.columns)
True
"""

from __future__ import annotations

import io
import os
from importlib import resources

import pandas as pd

from ..datafiles import sha256_hex
from ..errors import InputError, SchemaError

__all__ = ["load_labels", "labels_sha256", "REQUIRED_COLUMNS", "load_real_features", "real_features_bytes",
           "REAL_FEATURES_FILE"]

REQUIRED_COLUMNS = ("passage_id", "labels", "text")


def _read_bytes(path: "str | os.PathLike | None") -> tuple[bytes, str]:
    if path is None:
        res = resources.files(__name__) / "priorities.csv"
        return res.read_bytes(), "package:labelled/priorities.csv"
    try:
        with open(path, "rb") as fh:
            return fh.read(), str(path)
    except OSError as exc:
        raise InputError(f"cannot read labels file {path}: {exc.strerror or exc}") from None


def labels_sha256(path: "str | os.PathLike | None" = None) -> str:
    """SHA-256 of a labels file's bytes (the package corpus when ``path`` is None)."""
    return sha256_hex(_read_bytes(path)[0])


def _read_csv(raw: bytes, source: str) -> pd.DataFrame:
    """The labels CSV's rows as text; a file that is not a UTF-8 CSV is one clear :class:`InputError`."""
    if raw[:4] == b"PK\x03\x04":
        raise InputError(f"{source} is a zip file (an XLSX workbook?), not a CSV: save it as CSV UTF-8")
    try:
        return pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source} is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{source} is empty: a labels file needs a header row "
                         f"({', '.join(REQUIRED_COLUMNS)}) and passages") from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        raise InputError(f"{source} is not a readable CSV ({detail})") from None


def load_labels(path: "str | os.PathLike | None" = None, *, categories=None) -> pd.DataFrame:
    """Read a labelled corpus: one row per passage, ``labels`` ';'-separated.

    Parameters
    ----------
    path : path-like, optional
        A CSV with columns passage_id, labels, text (kind optional). Defaults to the
        package's ``priorities.csv``.
    categories : sequence of str, optional
        Allowed label ids; an unknown id is an error.

    Returns
    -------
    pandas.DataFrame
        Columns passage_id, labels (str), kind, text, label_list (list of ids).

    Raises
    ------
    InputError
        If the file cannot be read, or is not a UTF-8 CSV.
    SchemaError
        If required columns are missing, texts are empty, ids repeat or labels are unknown.
    """
    raw, source = _read_bytes(path)
    df = _read_csv(raw, source)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        hint = (f" (this is a reviewed sheet: turn it into labels with `soa-analysis review import {source} "
                "--out labels.csv`)" if {"review_id", "decision"} <= set(df.columns) else "")
        raise SchemaError(f"{source}: labels file lacks column(s) {', '.join(missing)}; a labels file is a UTF-8 "
                          f"CSV with columns {', '.join(REQUIRED_COLUMNS)} (kind optional), as "
                          f"`soa-analysis review import --out` writes it{hint}")
    if "kind" not in df.columns:
        df["kind"] = ""
    if (df["text"].str.strip() == "").any():
        raise SchemaError(f"{source}: {(df['text'].str.strip() == '').sum()} passage(s) have no text")
    if df["passage_id"].duplicated().any():
        raise SchemaError(f"{source}: repeated passage_id {df.loc[df['passage_id'].duplicated(), 'passage_id'].tolist()[:5]}")
    df["label_list"] = [[x.strip() for x in s.split(";") if x.strip()] for s in df["labels"]]
    if categories is not None:
        allowed = set(categories)
        bad = sorted({x for ls in df["label_list"] for x in ls} - allowed)
        if bad:
            raise SchemaError(f"{source}: unknown label id(s) {bad}; allowed: {sorted(allowed)}")
    return df


# --------------------------------------------------------------------------------------
# Real-text training features (no text): see README.md, "Real-text features".

REAL_FEATURES_FILE = "priorities_real_features.json"


def real_features_bytes() -> bytes:
    """The shipped real-text feature file's bytes (b"" when the package has none)."""
    res = resources.files(__name__) / REAL_FEATURES_FILE
    return res.read_bytes() if res.is_file() else b""


def load_real_features(taxonomy_sha256: str, categories) -> dict | None:
    """The real-text training documents as model features, when they fit this taxonomy.

    The file holds, for each labelled real text of the development part, its labels, the
    tagger's feature counts (stems and stem pairs, the words of a field's vocabulary, never
    its sentences) and its lexicon scores. Those scores were computed with one version of
    the taxonomy, so the documents are used only with that version.

    Parameters
    ----------
    taxonomy_sha256 : str
        SHA-256 of the taxonomy in use.
    categories : sequence of str
        Its category ids, in order.

    Returns
    -------
    dict or None
        ``features`` (list of feature lists), ``lexicon`` (n x k array), ``Y`` (n x k 0/1),
        ``ids``, ``sentences`` (each text's number of sentences), ``short`` (per text: whether every classifier
        of the tagger learns from it, or only the classifier of documents: the file's ``short_parts``),
        ``sha256`` and ``n``; None when there is no file or it was made with another taxonomy.
    """
    import json

    import numpy as np

    raw = real_features_bytes()
    if not raw:
        return None
    data = json.loads(raw.decode("utf-8"))
    if data.get("taxonomy", {}).get("sha256") != taxonomy_sha256 or list(data.get("categories", [])) != list(categories):
        return None
    docs = data["documents"]
    feats = [[f for f, c in d["features"].items() for _ in range(int(c))] for d in docs]
    lex = np.array([d["lexicon"] for d in docs], dtype=float).reshape(len(docs), len(categories))
    Y = np.array([[int(c in d["labels"]) for c in categories] for d in docs], dtype=int).reshape(len(docs), len(categories))
    shared = data.get("short_parts")  # the parts every classifier learns from; the others' documents only the
    short = [shared is None or d.get("part") in shared for d in docs]  # document classifier (tagging.model.split_real)
    return {"features": feats, "lexicon": lex, "Y": Y, "ids": [d["id"] for d in docs],
            "sentences": [int(d["sentences"]) for d in docs], "short": short, "sha256": sha256_hex(raw), "n": len(docs)}
