"""Reading data files one way everywhere: YAML parsed once, SHA-256 digests computed once.

Taxonomies, rubrics, reference lists, the outcome crosswalk and run files are all YAML read
through :func:`parse_yaml` (libyaml's safe loader when it is installed, else PyYAML's own);
every content hash the package records (of taxonomies, labels, models, tables, files) is
:func:`sha256_hex` of bytes or :func:`sha256_file` of a file, whose chunks are read and hashed
by :func:`read_stream` (the raw files too).

Kept free of pandas, nltk and scikit-learn: the shared report and the run guards import it.
"""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

import yaml

from .errors import SoaError, TaxonomyError

__all__ = ["parse_yaml", "sha256_hex", "sha256_file", "read_stream"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(data: str | bytes, source: str, *, error: type[SoaError] = TaxonomyError):
    """Parse YAML text (or UTF-8 bytes) with a safe loader.

    Parameters
    ----------
    data : str or bytes
        The file's text, or its bytes (decoded as UTF-8).
    source : str
        What the text is, for the error message ("soa_analysis/rubrics/x.yaml", "run file x.yaml").
    error : type
        The package error to raise (:class:`~soa_analysis.errors.TaxonomyError` by default).

    Returns
    -------
    object
        The parsed document (``None`` for an empty one).

    Raises
    ------
    SoaError
        Of type ``error``, "<source>: not valid YAML: <why>", when the bytes are not UTF-8
        or the text is not YAML.

    Example
    -------
    >>> parse_yaml("phrases: {older people: 1.0}", "mine.yaml")
    {'phrases': {'older people': 1.0}}
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"{source}: not valid YAML: {exc}") from None


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 (hex) of bytes, or of text encoded as UTF-8.

    Example
    -------
    >>> sha256_hex("FICTIONAL")[:12] == sha256_hex(b"FICTIONAL")[:12]
    True
    """
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def read_stream(fh: BinaryIO, *, keep: int = -1, digest: bool = True) -> tuple[bytes | None, str, int]:
    """Read a binary file object to its end in 1 MiB chunks, hashing as it goes.

    The one place a file's SHA-256 is computed from its chunks (:func:`sha256_file` here,
    the raw files in :func:`soa_analysis.ingest.files.read_raw_file`).

    Parameters
    ----------
    fh : binary file object
        Open for reading.
    keep : int
        Keep the bytes when there are at most this many (``-1``: never keep them).
    digest : bool
        Compute the SHA-256 (``False`` when it is known already: the second item is then ``""``).

    Returns
    -------
    tuple
        (the bytes or None, the SHA-256 in hex, the number of bytes).

    Example
    -------
    >>> import io
    >>> read_stream(io.BytesIO(b"FICTIONAL"), keep=100)[0::2]
    (b'FICTIONAL', 9)
    """
    h = hashlib.sha256() if digest else None
    chunks: list[bytes] = []
    n = 0
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        if h is not None:
            h.update(chunk)
        n += len(chunk)
        if n <= keep:
            chunks.append(chunk)
        elif chunks:
            chunks.clear()
    return (b"".join(chunks) if n <= keep else None), (h.hexdigest() if h is not None else ""), n


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB chunks.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    with open(path, "rb") as fh:
        return read_stream(fh)[1]
