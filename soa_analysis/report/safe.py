"""Redaction and HTML escaping: the one door every data value passes through.

Submission text is written by people outside the project and is shown to people outside
it, so the report treats every value from the data as untrusted: contact details are
removed (lead officers' details must not travel with a forwarded report), bidirectional
override characters are dropped, and the result is HTML-escaped, so markup in a submission (``<script>``,
``<img onerror=...>``, ``javascript:`` links) is shown as text and runs nothing.

Use :func:`esc` for every value from the data that goes into HTML. :func:`redact` is the
text-only half, for places that are not HTML (chart labels, CSV exports).
"""

from __future__ import annotations

import html
import re

from ..contact_details import EMAIL_MARK, PHONE_MARK, redaction_spans
from ..sharing import shareable

__all__ = ["EMAIL_MARK", "PHONE_MARK", "redact", "redaction_spans", "esc", "slug"]


def redact(text: object) -> str:
    """Remove contact details (e-mail addresses, phone numbers, names beside them) and bidi controls.

    The patterns are :mod:`soa_analysis.contact_details`, the ones ingest uses to move
    contact details to the restricted table; see :func:`soa_analysis.sharing.shareable`.

    Parameters
    ----------
    text : object
        Any value; ``None`` and NaN become ``""``, anything else is turned into ``str``.

    Returns
    -------
    str
        The text with each address replaced by ``"[email removed]"``, each telephone number
        by ``"[phone removed]"`` and a person named beside one by ``"[name removed]"``.

    Example
    -------
    >>> redact("Call Jo on 0131 496 0000 or jo@example.org")
    'Call Jo on [phone removed] or [email removed]'
    """
    return shareable(text)


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
