"""Labelled corpora shipped with the package (fictional passages written for the project).

Example
-------
>>> df = load_labels()
>>> {"passage_id", "labels", "kind", "text"} <= set(df.columns)
True
"""

from __future__ import annotations

import hashlib
import io
import os
from importlib import resources

import pandas as pd

from ..errors import InputError, SchemaError

__all__ = ["load_labels", "labels_sha256", "REQUIRED_COLUMNS"]

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
    return hashlib.sha256(_read_bytes(path)[0]).hexdigest()


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
        If the file cannot be read.
    SchemaError
        If required columns are missing, texts are empty, ids repeat or labels are unknown.
    """
    raw, source = _read_bytes(path)
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(f"{source}: labels file lacks column(s) {missing}")
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
