"""The stated limit on the text kept per submission.

A submission's Document keeps at most ``Limits.max_chars`` characters of block text; the
rest is dropped with a warning in the Document (and so in the ``warnings`` of its
submission and of its file's ``ingest_log`` row) and a note in ``Document.meta["cut"]``
that the ingest log's ``cut`` column and the report's provenance section show. Readers of
plain text, PDF and Word stop early once well past the limit, so a 30 MB text costs about
what its first half-million characters cost.
"""

from __future__ import annotations

from .document import Block, Document

__all__ = ["cap_document", "cut_note", "READ_AHEAD"]

READ_AHEAD = 2  # readers stop once they hold this many times the limit (normalising shrinks text)


def cut_note(kept: int, total: int | None, max_chars: int, unread: str = "") -> str:
    """The words recorded for a cut submission.

    Example
    -------
    >>> cut_note(200, 1000, 200)
    'text cut to the first 200 of 1,000 characters (limit 200 per submission); the rest was not read'
    """
    of = f" of {total:,}" if total else ""
    rest = unread or "the rest was not read"
    return f"text cut to the first {kept:,}{of} characters (limit {max_chars:,} per submission); {rest}"


def _cut_block(block: Block, budget: int) -> Block | None:
    """The block's text cut at the last space within ``budget`` characters (None if nothing is left)."""
    if budget <= 0:
        return None
    text = block.text[:budget]
    space = text.rfind(" ")
    if space > budget // 2:
        text = text[:space]
    text = text.rstrip()
    if not text:
        return None
    return Block("para" if block.kind == "row" else block.kind, text, level=block.level, checked=block.checked)


def cap_document(doc: Document, max_chars: int) -> int:
    """Cut ``doc`` to ``max_chars`` characters of block text, in place; return the characters dropped.

    A reader that stopped early records what it read from in ``meta["source_chars"]`` (the
    characters it was given) or ``meta["unread"]`` (what it did not read, in words); the
    note then says so.

    Example
    -------
    >>> d = Document([Block("para", "one two three"), Block("para", "four")])
    >>> cap_document(d, 9), [b.text for b in d.blocks], d.warnings[0][:25]
    (10, ['one two'], 'text cut to the first 7 o')
    """
    total = sum(len(b.text) for b in doc.blocks)
    source = int(doc.meta.get("source_chars") or 0)
    unread = str(doc.meta.get("unread") or "")
    if total <= max_chars and (not (source or unread) or doc.meta.get("cut")):
        return 0  # within the limit, or already cut (an attachment, read by a nested reader)
    kept_blocks: list[Block] = []
    used = 0
    for b in doc.blocks:
        if used + len(b.text) <= max_chars:
            kept_blocks.append(b)
            used += len(b.text)
            continue
        last = _cut_block(b, max_chars - used)
        if last is not None:
            kept_blocks.append(last)
            used += len(last.text)
        break
    doc.blocks[:] = kept_blocks
    whole = max(total, source)
    note = cut_note(used, whole if not unread else None, max_chars, unread)
    doc.meta["cut"] = note
    doc.warnings.append(note)
    return whole - used
