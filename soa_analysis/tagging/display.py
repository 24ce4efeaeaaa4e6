"""Show a submission in Jupyter with the words behind each tag highlighted.

All submission text is passed through :func:`html.escape` before any markup is added, so a
submission containing ``<script>`` is shown as text; highlighted words are wrapped in
``<mark>`` elements whose title says which category and phrase they stand for.
"""

from __future__ import annotations

import html

import pandas as pd

from .spans import evidence_char_spans, mark_up

__all__ = ["highlight_html", "show_submission", "PALETTE"]

PALETTE = {
    "economic_growth": "#ffe08a", "employment": "#b5e3a1", "early_years": "#f7c6d9",
    "safer_communities": "#b9d7f5", "health_inequalities": "#ffcf9e", "older_people": "#d8c6f0",
}
_DEFAULT_COLOUR = "#e6e6e6"


def _records(evidence_rows):
    if evidence_rows is None:
        return []
    if isinstance(evidence_rows, pd.DataFrame):
        return evidence_rows.to_dict("records")
    return list(evidence_rows)


def _mark(piece: str, payload: tuple[str, str]) -> str:
    cat, label = payload
    safe_cat = html.escape(cat, quote=True)
    return (f'<mark class="tag tag-{safe_cat}" data-tag="{safe_cat}" title="{html.escape(label, quote=True)}" '
            f'style="background:{PALETTE.get(cat, _DEFAULT_COLOUR)}">{piece}</mark>')


def highlight_html(text: str, evidence_rows, *, only_assigned=False) -> str:
    """HTML of ``text`` with the evidence phrases wrapped in ``<mark>``.

    Parameters
    ----------
    text : str
        The submission's text (any characters; it is escaped).
    evidence_rows : DataFrame or list of dict
        Rows of tag_evidence (columns sentence, phrases, priority; optionally ``spans``
        (character offsets in the sentence), ``token_spans`` (token positions, as the stage
        writes them) and assigned). Each row's sentence is located in ``text``; the stored
        spans, or else the phrases found by their stems, are highlighted.
    only_assigned : bool
        Skip evidence rows whose tag was not assigned.

    Returns
    -------
    str
        A ``<div>`` of escaped text with ``<mark class="tag tag-<category>">`` elements and
        line breaks as ``<br>``.

    Example
    -------
    >>> highlight_html("<b>Telecare</b> for older people.",
    ...                [{"sentence": "<b>Telecare</b> for older people.", "phrases": ["older people"],
    ...                  "priority": "older_people"}])  # doctest: +ELLIPSIS
    '<div class="soa-highlight">&lt;b&gt;Telecare&lt;/b&gt; for <mark ...>older people</mark>.</div>'
    """
    text = "" if text is None else str(text)
    marks: list[tuple[int, int, tuple[str, str]]] = []
    search_from: dict[str, int] = {}
    for r in _records(evidence_rows):
        if only_assigned and "assigned" in r and not bool(r["assigned"]):
            continue
        sentence = str(r.get("sentence") or "")
        if not sentence:
            continue
        pos = text.find(sentence, search_from.get(sentence, 0))
        if pos < 0:
            pos = text.find(sentence)
        if pos < 0:
            continue
        cat = str(r.get("priority") or r.get("category") or "")
        phrases = [str(p) for p in (r.get("phrases") if r.get("phrases") is not None else [])]
        local = evidence_char_spans(r)
        label = f"{cat}: {', '.join(phrases)}"
        for a, b in local:
            if 0 <= a < b <= len(sentence):
                marks.append((pos + a, pos + b, (cat, label)))
    body = mark_up(text, marks, escape=html.escape, mark=_mark)
    body = body.replace("\r\n", "\n").replace("\n", "<br>\n")
    return f'<div class="soa-highlight">{body}</div>'


def show_submission(processed_dir, submission_id: str, *, taxonomy="priorities", only_assigned=True):
    """Display one submission with its tags and highlighted evidence (for notebooks).

    Returns
    -------
    IPython.display.HTML
        A heading, a legend of the assigned tags with their scores, and the sections of
        the submission with the evidence words highlighted. All text is escaped.
    """
    from IPython.display import HTML

    from ..errors import InputError
    from ..io import read_table
    from ..schema import SECTION_COLUMNS, narrative_parts

    subs = read_table(processed_dir, "submissions")
    row = subs[subs["submission_id"] == submission_id]
    if row.empty:
        raise InputError(f"no submission {submission_id!r} in {processed_dir}")
    row = row.iloc[0]
    tags = read_table(processed_dir, "tags")
    ev = read_table(processed_dir, "tag_evidence")
    tags = tags[(tags["submission_id"] == submission_id) & (tags["taxonomy"] == taxonomy)]
    ev = ev[(ev["submission_id"] == submission_id) & (ev["taxonomy"] == taxonomy)]
    legend = []
    for t in tags.sort_values("score", ascending=False).itertuples():
        if only_assigned and not t.assigned:
            continue
        colour = PALETTE.get(t.priority, _DEFAULT_COLOUR)
        legend.append(f'<span style="background:{colour};padding:0 4px">{html.escape(str(t.priority))} '
                      f'{t.score:.2f}</span>')
    parts = [f"<h3>{html.escape(str(row.get('title') or submission_id))}</h3>",
             f"<p>{html.escape(str(row.get('council') or ''))} &middot; {html.escape(submission_id)}</p>",
             "<p>" + (" ".join(legend) or "no tags assigned") + "</p>"]
    for s, txt in narrative_parts({s: row.get(s) for s in SECTION_COLUMNS}, str(row.get("text") or "")):
        parts.append(f"<h4>{html.escape(s.replace('_', ' '))}</h4>")
        parts.append(highlight_html(txt, ev[ev["section"] == s], only_assigned=only_assigned))
    return HTML("\n".join(parts))
