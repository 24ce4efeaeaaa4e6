"""Zip containers (docx, xlsx, odt): their member names, and opening one only after checking it is no zip bomb."""

from __future__ import annotations

import io
import zipfile

from ..errors import QuarantineError
from .limits import Limits

__all__ = ["ZIP_MAGICS", "zip_names", "open_zip"]

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


# The last archive's names: format detection and the sniffers ask for the same file's
# names several times. One (bytes object, names) tuple, keyed on the bytes object itself
# (immutable; replaced as a whole, so threads never see a mixed pair); read_bytes drops it.
_LAST_ZIP: list = [None]


def zip_names(data: bytes) -> list[str] | None:
    """Member names of a zip archive, or None if ``data`` is not a readable zip (central directory only)."""
    if not data.startswith(ZIP_MAGICS):
        return None
    last = _LAST_ZIP[0]
    if last is not None and last[0] is data:
        names = last[1]
    else:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = tuple(zf.namelist())
        except Exception:  # noqa: BLE001 - any failure means "not a readable zip"
            names = None
        _LAST_ZIP[0] = (data, names)
    return None if names is None else list(names)


def open_zip(data: bytes, fmt: str, limits: Limits) -> zipfile.ZipFile:
    """Open a zip-based document after checking it is not a zip bomb.

    The declared sizes in the central directory are checked BEFORE anything is
    decompressed (``zipfile`` never inflates a member past its declared size).

    Raises
    ------
    QuarantineError
        Not a valid zip, too many members, total declared size or a member's compression
        ratio above the limits.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise QuarantineError(f"truncated or corrupt .{fmt}: not a valid zip archive ({exc})") from None
    if len(infos) > limits.max_zip_members:
        raise QuarantineError(f"suspicious .{fmt}: {len(infos)} zip members (limit {limits.max_zip_members})")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise QuarantineError(
            f"possible zip bomb: .{fmt} would unpack to {total:,} bytes (limit {limits.max_unzipped_bytes:,})")
    for i in infos:
        if i.file_size > limits.zip_ratio_floor:
            ratio = i.file_size / max(i.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise QuarantineError(
                    f"possible zip bomb: member {i.filename!r} of .{fmt} compressed {ratio:,.0f}:1 "
                    f"(limit {limits.max_zip_ratio:,.0f}:1)")
    return zf
