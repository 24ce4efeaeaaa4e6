"""Text or binary, and which encoding: plain-text bytes decoded to ``str``.

The guess is deliberately simple: byte-order marks, UTF-16 without one, strict UTF-8, then
Windows-1252 (Latin-1 for its five undefined bytes). charset-normalizer was tried in its place
and left out: on short British council text saved as Windows-1252 it chooses Windows-1250 or
another code page (the bundled sample's one Windows-1252 file came back with every "£" as "Ł").
"""

from __future__ import annotations

import codecs
import re

from ..errors import QuarantineError

__all__ = ["looks_like_text", "decode_text"]

_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _binary_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    return len(_CONTROL_BYTES.findall(sample)) / len(sample)


def looks_like_text(data: bytes) -> bool:
    """True if ``data`` has a Unicode BOM, or its first 64 KB are nearly free of control bytes."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = data[:65536]
    if _utf16_guess(sample):
        return True
    return _binary_ratio(sample) < 0.005


def _utf16_guess(sample: bytes) -> str | None:
    """UTF-16 without BOM: most odd (LE) or even (BE) bytes are NUL and the rest are mostly ASCII."""
    if len(sample) < 4 or sample.count(0) < len(sample) // 3:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then UTF-8, UTF-16 (no BOM), Windows-1252, Latin-1.

    Returns
    -------
    (str, str)
        The text (BOM removed) and the encoding used.

    Raises
    ------
    QuarantineError
        When the bytes are binary (control bytes) or cannot be decoded.

    Example
    -------
    >>> decode_text("caf\\u00e9".encode("cp1252"))
    ('café', 'windows-1252')
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", " with BOM")
            except UnicodeDecodeError as exc:
                raise QuarantineError(f"text file with a {enc} byte-order mark does not decode as {enc}: {exc.reason}") from None
    guess = _utf16_guess(data[:65536])
    if guess:
        try:
            return data.decode(guess), guess
        except UnicodeDecodeError:
            pass
    if _binary_ratio(data[:65536]) >= 0.005:
        raise QuarantineError("binary content, not text (control bytes found): not a supported document format")
    for enc in ("utf-8", "windows-1252", "latin-1"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise QuarantineError("text could not be decoded")  # pragma: no cover - latin-1 decodes everything
