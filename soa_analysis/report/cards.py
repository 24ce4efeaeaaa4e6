"""Case-study cards: one per submission, with the words behind each tag highlighted.

Each card carries ``data-council``, ``data-priorities`` and ``data-grade`` attributes; a
small inline script (:data:`FILTER_JS`, no external file) fills three drop-downs and hides
the cards that do not match. The drop-downs are ``hidden`` in the HTML and only shown by
the script, so with scripts off the page shows every card and no dead controls.
"""

from __future__ import annotations

import re

import pandas as pd

from ..schema import PRIORITY_IDS, SECTION_COLUMNS
from ..tagging.spans import evidence_char_spans
from .data import PRIORITY_TAXONOMY, SECTION_LABELS, ReportData, label
from .safe import esc, redaction_spans, slug

FILTER_JS = """(function () {
  var form = document.getElementById("card-filter");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
  var count = document.getElementById("card-count");
  function apply() {
    var c = form.elements["council"].value, p = form.elements["priority"].value, g = form.elements["grade"].value;
    var shown = 0;
    cards.forEach(function (card) {
      var ok = (!c || card.getAttribute("data-council") === c) &&
               (!p || (" " + card.getAttribute("data-priorities") + " ").indexOf(" " + p + " ") >= 0) &&
               (!g || card.getAttribute("data-grade") === g);
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + cards.length + " case studies shown";
  }
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();"""

_NARRATIVE = tuple(s for s in SECTION_COLUMNS if s not in ("title", "partners_text"))


def phrase_spans(text: str, phrases: dict[str, str]) -> list[tuple[int, int, str]]:
    """Spans of ``text`` where a phrase occurs (case-insensitive, whole words): (start, end, priority)."""
    ordered = sorted((p for p in phrases if p and p.strip()), key=len, reverse=True)
    if not ordered:
        return []
    lower = {p.casefold(): phrases[p] for p in ordered}
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)", re.IGNORECASE)
    return [(m.start(), m.end(), lower.get(m.group(0).casefold(), "")) for m in pattern.finditer(text)]


def mark_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Escape ``text`` and wrap each span in ``<mark>`` naming its priority.

    Spans that overlap an e-mail address or phone number are dropped (so a marked word
    cannot leave part of an address visible); of overlapping spans the earliest, then
    longest, wins. Every piece of text passes through :func:`.safe.esc`.
    """
    text = "" if text is None else str(text)
    hidden = redaction_spans(text)
    chosen: list[tuple[int, int, str]] = []
    for a, b, pri in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not (0 <= a < b <= len(text)):
            continue
        if any(a < hb and ha < b for ha, hb in hidden):
            continue
        if chosen and a < chosen[-1][1]:
            continue
        chosen.append((a, b, pri))
    out, pos = [], 0
    for a, b, pri in chosen:
        out.append(esc(text[pos:a]))
        out.append(f'<mark class="tag-{slug(pri)}" title="{esc(label(pri))}">{esc(text[a:b])}</mark>')
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def highlight(text: str, marks: dict[str, str]) -> str:
    """Escape ``text`` and wrap each tag phrase in ``<mark>`` naming its priority.

    Parameters
    ----------
    text : str
        Narrative text from the data (untrusted).
    marks : dict of str to str
        Phrase -> priority id. Longer phrases win over shorter overlapping ones; matching
        is case-insensitive on word boundaries.

    Returns
    -------
    str
        HTML: every piece of ``text`` passed through :func:`.safe.esc`.

    Example
    -------
    >>> highlight("More <b>jobs</b> here", {"jobs": "employment"})
    'More &lt;b&gt;<mark class="tag-employment" title="Employment">jobs</mark>&lt;/b&gt; here'
    """
    text = "" if text is None else str(text)
    return mark_spans(text, phrase_spans(text, marks))


def _evidence_by_submission(data: ReportData) -> dict[str, list[dict]]:
    """tag_evidence rows of the priority taxonomy (assigned tags only, when known), by submission."""
    te = data["tag_evidence"]
    if te.empty:
        return {}
    te = te[te["taxonomy"] == PRIORITY_TAXONOMY]
    if "assigned" in te.columns:
        te = te[te["assigned"].fillna(False).astype(bool)]
    out: dict[str, list[dict]] = {}
    cols = [c for c in ("submission_id", "priority", "section", "sentence", "phrases", "spans", "token_spans")
            if c in te.columns]
    for row in te[cols].to_dict("records"):
        out.setdefault(row["submission_id"], []).append(row)
    return out


def section_spans(text: str, section: str | None, rows: list[dict]) -> list[tuple[int, int, str]]:
    """Where, in one section's text, the words behind each tag are.

    Each tag_evidence row names a sentence and the phrases matched in it (and, when the
    tagger recorded them, their character ``spans`` in the sentence, which also covers
    stemmed matches such as "offending" for the phrase "offender"). Only words inside the
    tagged sentences are marked, not every occurrence of the phrase in the text.
    """
    spans: list[tuple[int, int, str]] = []
    for r in rows:
        if (section is not None and r.get("section") != section) or not r.get("sentence"):
            continue
        start = text.find(r["sentence"])
        if start < 0:
            continue
        spans += [(start + a, start + b, r["priority"]) for a, b in evidence_char_spans(r)]
    return spans


def card_html(row: pd.Series, priorities: list[str], grade: str, evidence: list[dict]) -> str:
    """One case-study card (an ``<article>``)."""
    council = row.get("council", "") or "(council unknown)"
    title = row.get("title", "") or f"Untitled submission {row['submission_id']}"
    pri_html = "".join(f'<li class="pill tag-{slug(p)}">{esc(label(p))}</li>' for p in priorities) or "<li>none tagged</li>"
    parts = []
    for s in _NARRATIVE:
        v = row.get(s, "")
        if isinstance(v, str) and v.strip():
            parts.append(f"<dt>{esc(SECTION_LABELS.get(s, label(s)))}</dt>"
                         f"<dd>{mark_spans(v, section_spans(v, s, evidence))}</dd>")
    if not parts:
        t = row.get("text", "") or ""
        parts.append(f"<dt>Text</dt><dd>{mark_spans(t, section_spans(t, None, evidence))}</dd>")
    partners = row.get("partners_text", "")
    if isinstance(partners, str) and partners.strip():
        parts.insert(0, f"<dt>Partners</dt><dd>{mark_spans(partners, section_spans(partners, 'partners_text', evidence))}</dd>")
    return (
        f'<article class="card" id="card-{slug(row["submission_id"])}" data-council="{esc(council)}" '
        f'data-priorities="{" ".join(esc(p) for p in priorities)}" data-grade="{esc(grade)}">'
        f'<h3>{esc(title)}</h3>'
        f'<p class="meta"><span>{esc(council)}</span> · <span class="grade grade-{slug(grade)}">'
        f'{esc(label(grade)) if grade else "Not graded"}</span> · <span class="sid">{esc(row["submission_id"])}</span></p>'
        f'<ul class="pills" aria-label="Priorities">{pri_html}</ul>'
        f'<dl>{"".join(parts)}</dl></article>'
    )


def cards_html(data: ReportData) -> str:
    """All case-study cards with their (script-enabled) filter form."""
    subs = data["submissions"]
    if subs.empty:
        return '<p class="empty">No submissions to show.</p>'
    tags = data["tags"]
    pri = {}
    if len(tags):
        t = tags[(tags["taxonomy"] == PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)]
        for sid, p in zip(t["submission_id"], t["priority"]):
            pri.setdefault(sid, []).append(p)
    order = {p: i for i, p in enumerate(PRIORITY_IDS)}
    ev = data["evidence"]
    grades = dict(zip(ev["submission_id"], ev["grade"])) if len(ev) else {}
    evidence = _evidence_by_submission(data)
    natural = subs["title"].fillna("").map(lambda t: tuple((0, int(x), "") if x.isdigit() else (1, 0, x.casefold())
                                                           for x in re.findall(r"\d+|\D+", t)))
    subs = subs.assign(_c=subs["council"].replace("", "~"), _t=natural).sort_values(["_c", "_t", "submission_id"])
    cards = [
        card_html(r, sorted(set(pri.get(r["submission_id"], [])), key=lambda p: order.get(p, 99)),
                  grades.get(r["submission_id"], ""), evidence.get(r["submission_id"], []))
        for _, r in subs.iterrows()
    ]
    councils = sorted(set(subs["council"].replace("", "(council unknown)")))
    opt = lambda v, t: f'<option value="{esc(v)}">{esc(t)}</option>'  # noqa: E731
    form = (
        '<form id="card-filter" class="filter" hidden aria-label="Filter case studies">'
        '<label>Council <select name="council"><option value="">All councils</option>'
        + "".join(opt(c, c) for c in councils) + "</select></label> "
        '<label>Priority <select name="priority"><option value="">All priorities</option>'
        + "".join(opt(p, label(p)) for p in PRIORITY_IDS) + "</select></label> "
        '<label>Evidence <select name="grade"><option value="">All grades</option>'
        + "".join(opt(g, label(g)) for g in ("strong", "some", "planned", "none")) + "</select></label> "
        '<button type="reset">Show all</button> <output id="card-count" aria-live="polite"></output></form>'
    )
    legend = ('<p class="legend">Highlighted words are the phrases behind each priority tag: '
              + " ".join(f'<mark class="tag-{slug(p)}">{esc(label(p))}</mark>' for p in PRIORITY_IDS) + "</p>")
    return (form + legend + f'<div class="cards">{"".join(cards)}</div>'
            f"<script>{FILTER_JS}</script>")
