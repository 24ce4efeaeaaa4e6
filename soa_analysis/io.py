"""Atomic writing of outputs and reading of the processed tables.

Outputs are written to a temporary file in the destination folder and moved into
place with :func:`os.replace`, so a reader never sees a half-written table and a
failed write leaves the previous file untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; move it onto ``dest`` on success.

    Parameters
    ----------
    dest : path-like
        Final location of the file.
    suffix : str
        Suffix for the temporary file (some writers choose a format by suffix).

    Example
    -------
    >>> with atomic_path(tmp / "x.csv") as p:   # doctest: +SKIP
    ...     df.to_csv(p)
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or ".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates the file readable by its owner only; give it the usual
        # permissions (0666 less the umask) so a shared report is readable.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(dest: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``dest`` atomically and return the path."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(dest)


def read_keyed(path: str | os.PathLike, key: str, field: str):
    """The ``field`` :func:`write_keyed` kept in ``path`` under ``key``; ``None`` when the file is
    absent, damaged or was written under another key (a cache that is only ever a cache).

    Example
    -------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "kept.json"
    >>> write_keyed(p, "k1", "figures", {"a": 1}), read_keyed(p, "k1", "figures"), read_keyed(p, "k2", "figures")
    (True, {'a': 1}, None)
    """
    try:
        kept = json.loads(Path(path).read_text(encoding="utf-8"))
        return kept[field] if kept.get("key") == key else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_keyed(path: str | os.PathLike, key: str, field: str, value) -> bool:
    """Keep ``value`` (JSON-able) in ``path`` under ``key``, atomically; ``False`` when it cannot be
    written (a read-only folder: the caller works it out again next time)."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps({"key": key, field: value}, sort_keys=True))
    except OSError:
        return False
    return True


def write_bytes(dest: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``dest`` atomically and return the path."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_table(df: pd.DataFrame, dest: str | os.PathLike, *, table: str | None = None) -> Path:
    """Write a DataFrame atomically as Parquet or CSV (chosen by ``dest``'s suffix).

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    dest : path-like
        ``*.parquet`` or ``*.csv``.
    table : str, optional
        Name of the contract in :mod:`soa_analysis.schema` to validate against first.

    Raises
    ------
    SchemaError
        If ``table`` is given and ``df`` breaks its contract.
    """
    if table is not None:
        from .schema import validate

        validate(df, table)
    dest = Path(dest)
    if dest.suffix == ".parquet":
        with atomic_path(dest, ".parquet") as tmp:
            df.to_parquet(tmp, index=False)
    elif dest.suffix == ".csv":
        with atomic_path(dest, ".csv") as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8")
    else:
        raise ValueError(f"write_table: unsupported suffix {dest.suffix!r} for {dest}")
    return dest


def _checked_arrow_table(table, name: str, checked: pd.DataFrame | None) -> None:
    """Check ``table`` against the contract of ``name``: ``checked``, a DataFrame of the rows not checked before
    (the rows computed this run; the whole table when ``None``: it is then made a DataFrame), and the whole table
    for what rows alone cannot show: a unique column's repeats and a non-nullable column's missing values."""
    import pyarrow.compute as pc

    from .errors import SchemaError
    from .schema import TABLES, validate

    validate(checked if checked is not None else table.to_pandas(), name)
    problems = []
    for col in TABLES[name].columns:
        if col.name not in table.schema.names or not table.num_rows:
            continue
        values = table.column(col.name)
        if not col.nullable and values.null_count:
            problems.append(f"column {col.name!r} has {values.null_count} null value(s)")
        if col.unique and pc.count_distinct(values, mode="all").as_py() != table.num_rows:
            problems.append(f"column {col.name!r} must be unique")
    if problems:
        raise SchemaError(f"table {name!r} breaks its contract: " + "; ".join(problems))


def _write_parquet(table, dest: str | os.PathLike) -> Path:
    import pyarrow.parquet as pq

    dest = Path(dest)
    with atomic_path(dest, ".parquet") as tmp:
        pq.write_table(table, tmp)
    return dest


def write_arrow_tables(tables: dict) -> dict[str, Path]:
    """Write Arrow tables (each a stage's table in table order) atomically as Parquet, as :func:`write_table`
    writes the same rows as a DataFrame (the table's schema carries pandas' metadata): ``{name: (table, dest,
    checked)}``. Every table is first checked against the contract of ``name`` on ``checked``
    (:func:`_checked_arrow_table`); then the files are written at once, a thread each (Arrow's Parquet writer
    works outside Python's lock, so on two cores two files take about the time of the larger). Returns
    ``{name: path}``.

    Raises
    ------
    SchemaError
        If a table breaks its contract: nothing is written then.
    OSError
        If a file cannot be written (the others are written or left as they were: each is atomic).
    """
    from concurrent.futures import ThreadPoolExecutor

    for name, (table, _, checked) in tables.items():
        _checked_arrow_table(table, name, checked)
    if len(tables) <= 1:
        return {name: _write_parquet(table, dest) for name, (table, dest, _) in tables.items()}
    with ThreadPoolExecutor(len(tables), thread_name_prefix="parquet") as pool:
        futures = {name: pool.submit(_write_parquet, table, dest) for name, (table, dest, _) in tables.items()}
        return {name: f.result() for name, f in futures.items()}


def parquet_selection(path: str | os.PathLike, columns: list[str], filters: list | None = None
                      ) -> tuple[list[str], list[str], list | None]:
    """What :func:`read_table` reads of a Parquet file when given ``columns`` and ``filters``: the file's column
    names, those of ``columns`` it has, and the ``filters`` (pyarrow's form) on columns it has (``None`` when
    none is left), so a table written before a column existed still reads.

    Example
    -------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pd.DataFrame({"a": [1], "b": ["x"]}).to_parquet(f)
    >>> parquet_selection(f, ["a", "c"], [("c", "==", 1)])
    (['a', 'b'], ['a'], None)
    """
    import pyarrow.parquet as pq

    present = pq.read_schema(path).names
    return present, [c for c in columns if c in present], [f for f in filters or () if f[0] in present] or None


def read_table(processed_dir: str | os.PathLike, name: str, *, validate: bool = True,
               columns: list[str] | None = None, filters: list | None = None) -> pd.DataFrame:
    """Read a processed table by contract name (e.g. ``"submissions"``).

    ``columns`` reads only those columns of a Parquet table (a stage that needs a few columns of a
    large table need not hold the rest): they are validated, and the file's own schema must still
    hold every required column of the contract. ``filters`` (with ``columns``; pyarrow's form, e.g.
    ``[("taxonomy", "==", "priorities")]``) reads only the rows that pass them, in table order.

    Raises
    ------
    InputError
        If the table's file does not exist (usually: an earlier stage has not run).
    SchemaError
        If ``validate`` and the table breaks its contract.
    """
    from .schema import TABLES
    from .schema import validate as _validate

    spec = TABLES[name]
    path = Path(processed_dir) / spec.filename
    if not path.exists():
        raise InputError(
            f"{path} not found: run the stage that writes it first ({spec.written_by})"
        )
    if columns is not None and path.suffix == ".parquet":
        present, cols, flt = parquet_selection(path, columns, filters)
        df = pd.read_parquet(path, columns=cols, filters=flt)
        if validate:
            _validate(df, name, present=present)
        return df
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)
    if validate:
        _validate(df, name)
    return df[columns] if columns is not None else df
