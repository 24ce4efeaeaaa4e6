"""Redaction and HTML escaping: the one door every data value passes through.

Submission text is written by people outside the project and is shown to people outside
it, so the report treats every value from the data as untrusted: e-mail addresses and UK
telephone numbers are removed (lead officers' details must not travel with a forwarded
report) and the result is HTML-escaped, so markup in a submission (``<script>``,
``<img onerror=...>``, ``javascript:`` links) is shown as text and runs nothing.

Use :func:`esc` for every value from the data that goes into HTML. :func:`redact` is the
text-only half, for places that are not HTML (chart labels, CSV exports).
"""

from __future__ import annotations

import html
import re

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"

# name@example.org, also the "name (at) example (dot) org" and "name[at]example.org" disguises.
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+'-]+"
    r"(?:@|\s?[\[(]\s?at\s?[\])]\s?)"
    r"[A-Za-z0-9-]+(?:(?:\.|\s?[\[(]\s?dot\s?[\])]\s?)[A-Za-z0-9-]+)*"
    r"(?:\.|\s?[\[(]\s?dot\s?[\])]\s?)[A-Za-z]{2,}",
    re.IGNORECASE,
)
# A candidate UK number: +44 or a leading 0, then digits with spaces, hyphens, dots or
# brackets. Candidates are then checked by their digit count (see _is_uk_phone).
_PHONE_RE = re.compile(
    r"(?<![\w£$€.,/])"
    r"(?:\+\s?44\s?(?:\(\s?0\s?\)\s?)?|\(\s?0|0)"
    r"\d[\d \-.()\u00a0]{6,16}\d"
    r"(?![\w/%]|[.,]\d)"
)
_DIGITS_RE = re.compile(r"\d")


def _is_uk_phone(candidate: str) -> bool:
    digits = "".join(_DIGITS_RE.findall(candidate))
    if candidate.lstrip().startswith("+"):
        digits = digits[2:]  # drop the 44
        if "(0)" in candidate.replace(" ", ""):
            digits = digits[1:]
        digits = "0" + digits
    # UK numbers: 0 + 9 or 10 digits; the second digit is never 0 on a real number.
    return len(digits) in (10, 11) and digits[0] == "0" and digits[1] != "0"


def _phone_sub(match: re.Match) -> str:
    return PHONE_MARK if _is_uk_phone(match.group(0)) else match.group(0)


def redact(text: object) -> str:
    """Remove e-mail addresses and UK phone numbers from ``text``.

    Parameters
    ----------
    text : object
        Any value; ``None`` and NaN become ``""``, anything else is turned into ``str``.

    Returns
    -------
    str
        The text with each address replaced by ``"[email removed]"`` and each UK
        telephone number by ``"[phone removed]"``.

    Example
    -------
    >>> redact("Call Jo on 0131 496 0000 or jo@example.org")
    'Call Jo on [phone removed] or [email removed]'
    """
    if text is None:
        return ""
    if isinstance(text, float) and text != text:  # NaN
        return ""
    s = str(text)
    s = _EMAIL_RE.sub(EMAIL_MARK, s)
    return _PHONE_RE.sub(_phone_sub, s)


def redaction_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that :func:`redact` would remove (e-mails, UK phones)."""
    spans = [m.span() for m in _EMAIL_RE.finditer(text)]
    spans += [m.span() for m in _PHONE_RE.finditer(text) if _is_uk_phone(m.group(0))]
    return sorted(spans)


def esc(value: object) -> str:
    """Redact then HTML-escape a value from the data: the one escaping function.

    Parameters
    ----------
    value : object
        Any value from the processed tables.

    Returns
    -------
    str
        Text safe to place in HTML element content or in a quoted attribute.

    Example
    -------
    >>> esc('<script>alert("x")</script> a@b.org')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; [email removed]'
    """
    return html.escape(redact(value), quote=True)


def slug(value: object) -> str:
    """A value reduced to ``[a-z0-9-]`` for use in ids and ``data-`` attributes."""
    s = re.sub(r"[^a-z0-9]+", "-", redact(value).lower()).strip("-")
    return s or "none"
