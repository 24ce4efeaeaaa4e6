"""Case-study cards: one per submission, of bounded size, with the words behind each tag marked.

A card shows a submission's title, council, grade and priorities, then what a board asks of a
case study: what was done (an excerpt of its actions, else of its narrative), by whom (the
partner organisations it names), what the grade rests on (its evidence sentences), why it has
its priorities (the sentences behind its tags, each cut to a window around the marked words) and
what comes next (its next steps with when and who, when it has them). Never the whole text, so
a card stays a few kilobytes whatever the submission's length (:mod:`.excerpt`); every value
passes through :func:`.safe.esc` (contact details removed, markup shown as text).

Pages hold cards up to a byte budget. The national summary shows a selection (the
exemplars' case studies first, then the best evidenced, taking councils in turn) and says
where the rest are; a council page shows all of its council's cards, and when they do not
fit, the rest go on further pages of cards (``<slug>-cards-2.html`` ...).

Each card carries ``data-council``, ``data-priorities`` and ``data-grade`` attributes; a
small inline script (:data:`FILTER_JS`, no external file) fills three drop-downs and hides
the cards that do not match. The drop-downs are ``hidden`` in the HTML and only shown by
the script, so with scripts off the page shows every card and no dead controls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

import pandas as pd

from ..schema import GRADES, PRIORITY_IDS, SECTION_COLUMNS, narrative_parts
from ..tagging.spans import evidence_char_spans, mark_up
from .carry import carry_of, digest
from .data import PRIORITY_TAXONOMY, ReportData
from .excerpt import shorten, window
from .labels import SECTION_LABELS, label
from .quotes import quoted_grade_rows, quoted_tag_rows
from .safe import esc, redaction_spans, slug

__all__ = ["FILTER_JS", "CardPage", "card_pages", "card_location", "cards_html", "marked_sentence",
           "council_page_name", "quoted_tag_rows", "quoted_grade_rows"]

FILTER_JS = """(function () {
  var form = document.getElementById("card-filter");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
  var count = document.getElementById("card-count");
  function apply() {
    var el = form.elements["council"], c = el ? el.value : "";
    var p = form.elements["priority"].value, g = form.elements["grade"].value;
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

# What a card quotes, at most.
TITLE_CHARS = 160
SENTENCE_CHARS = 300
EXCERPT_CHARS = 400
NAME_CHARS = 80  # a partner's name, a next step's date or actors
PARTNERS_SHOWN = 8
NEXT_STEPS_SHOWN = 3
# Sentences longer than this are read only this far to find their marks (a window is shown anyway).
_READ_CHARS = 4000
# Bytes of cards a page may hold.
NATIONAL_BUDGET = 1_400_000
COUNCIL_BUDGET = 400_000  # the council page itself, beside its charts and tables
CARDS_PAGE_BUDGET = 800_000  # each further page of a council's cards


def council_page_name(council: str, page: int = 1) -> str:
    """File name of a council's page (``fife.html``) or of its n-th page of cards (``fife-cards-2.html``)."""
    return f"{slug(council)}.html" if page == 1 else f"{slug(council)}-cards-{page}.html"


def _mark(piece: str, priority: str) -> str:
    return f'<mark class="tag-{slug(priority)}" title="{esc(label(priority))}">{piece}</mark>'


def marked_sentence(sentence: str, spans: list[tuple[int, int, str]], limit: int = SENTENCE_CHARS) -> str:
    """A sentence as HTML, cut to a window around its first marked words, the marked words in ``<mark>``.

    Marks that overlap an e-mail address or phone number are dropped (a marked word must not
    leave part of an address visible); every piece of text passes through :func:`.safe.esc`.

    Example
    -------
    >>> marked_sentence("More <b>jobs</b> here", [(8, 12, "employment")])
    'More &lt;b&gt;<mark class="tag-employment" title="Employment">jobs</mark>&lt;/b&gt; here'
    """
    piece, inside = window("" if sentence is None else str(sentence), spans, limit)
    hidden = redaction_spans(piece)
    keep = [s for s in inside if not any(s[0] < hb and ha < s[1] for ha, hb in hidden)]
    return mark_up(piece, keep, escape=esc, mark=_mark)


def _row_spans(row: dict) -> list[tuple[int, int, str]]:
    sentence = str(row.get("sentence") or "")
    if len(sentence) > _READ_CHARS:
        row = {**row, "sentence": sentence[:_READ_CHARS]}
    return [(a, b, row["priority"]) for a, b in evidence_char_spans(row)]


@dataclass
class _Facts:
    """What the cards of one report need, grouped by submission once."""

    priorities: dict
    grades: dict
    tag_rows: dict
    grade_rows: dict
    partners: dict = field(default_factory=dict)
    next_steps: dict = field(default_factory=dict)


def _facts(data: ReportData) -> _Facts:
    key = ("cards._facts",)
    if key in data.derived:
        return data.derived[key]
    tags = data["tags"]
    order = {p: i for i, p in enumerate(PRIORITY_IDS)}
    pri: dict[str, list[str]] = {}
    if len(tags):
        t = tags[(tags["taxonomy"] == PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)]
        for sid, p in zip(t["submission_id"].tolist(), t["priority"].tolist()):
            pri.setdefault(sid, []).append(p)
    pri = {k: sorted(set(v), key=lambda p: order.get(p, 99)) for k, v in pri.items()}
    ev = data["evidence"]
    grades = dict(zip(ev["submission_id"].tolist(), ev["grade"].tolist())) if len(ev) else {}
    te = quoted_tag_rows(data["tag_evidence"])
    tag_rows: dict[str, list[dict]] = {}
    names = te.columns.tolist()  # once: iterating the columns' Index (Arrow-backed text) cost 10 us a row
    for values in zip(*(te[c].tolist() for c in names)):
        row = dict(zip(names, values))
        tag_rows.setdefault(row["submission_id"], []).append(row)
    es = quoted_grade_rows(data["evidence_sentences"], grades)
    grade_rows: dict[str, list[str]] = {}
    if "score" in es.columns:
        es = es.sort_values("score", ascending=False, kind="stable")
    for sid, sentence in zip(es["submission_id"].tolist(), es["sentence"].tolist()):
        grade_rows.setdefault(sid, []).append(sentence)
    data.derived[key] = facts = _Facts(pri, grades, tag_rows, grade_rows, _partners(data), _next_steps(data))
    return facts


def _partners(data: ReportData) -> dict[str, list[str]]:
    """Submission id -> the partner organisations it names (canonical name where known), in order, once each."""
    pt = data["partners"]
    out: dict[str, list[str]] = {}
    if len(pt):
        canonical = pt["canonical"].tolist() if "canonical" in pt.columns else [None] * len(pt)
        for sid, name, canon in zip(pt["submission_id"].tolist(), pt["name"].tolist(), canonical):
            shown = canon if isinstance(canon, str) and canon.strip() else name
            if isinstance(shown, str) and shown.strip():
                names = out.setdefault(sid, [])
                if shown not in names:
                    names.append(shown)
    return out


def _next_steps(data: ReportData) -> dict[str, list[tuple[str, str, str]]]:
    """Submission id -> its next steps as ``(what, by when, who)``, the earliest due first."""
    fu = data["followups"]
    out: dict[str, list[tuple[str, str, str]]] = {}
    if len(fu):
        fu = fu.assign(_due=fu["due"].fillna("").replace("", "9999")).sort_values("_due", kind="stable")
        for sid, what, when, who in zip(*(fu[c].fillna("").tolist() for c in ("submission_id", "what", "by_when", "who"))):
            if str(what).strip():
                out.setdefault(sid, []).append((str(what), str(when), str(who)))
    return out


def _who_html(names: list[str], partners_text: str) -> str:
    """The partners a card names: the partner table's organisations, else the partners section's excerpt."""
    if names:
        more = f" and {len(names) - PARTNERS_SHOWN} more" if len(names) > PARTNERS_SHOWN else ""
        return ", ".join(esc(shorten(n, NAME_CHARS)) for n in names[:PARTNERS_SHOWN]) + more
    return esc(shorten(partners_text, EXCERPT_CHARS))


def _next_html(steps: list[tuple[str, str, str]], next_text: str) -> str:
    """A card's next steps: the follow-up table's steps (with when and who), else the next-steps excerpt."""
    if not steps:
        return esc(shorten(next_text, EXCERPT_CHARS))
    items = []
    for what, when, who in steps[:NEXT_STEPS_SHOWN]:
        detail = "; ".join(x for x in (f"by {shorten(when, NAME_CHARS)}" if when.strip() else "",
                                       shorten(who, NAME_CHARS)) if x.strip())
        items.append(f"<li>{esc(shorten(what, SENTENCE_CHARS))}"
                     + (f' <span class="when">({esc(detail)})</span>' if detail else "") + "</li>")
    if len(steps) > NEXT_STEPS_SHOWN:
        items.append(f"<li>and {len(steps) - NEXT_STEPS_SHOWN} more</li>")
    return f'<ul class="quotes">{"".join(items)}</ul>'


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    return value if isinstance(value, str) else ""


def card_html(row: dict, facts: _Facts) -> str:
    """One case-study card (an ``<article>``) for one submissions row."""
    sid = row["submission_id"]
    council = row.get("council", "") or "(council unknown)"
    title = shorten(row.get("title", "") or "", TITLE_CHARS) or f"Untitled submission {sid}"
    priorities = facts.priorities.get(sid, [])
    grade = facts.grades.get(sid, "")
    pri_html = "".join(f'<li class="pill tag-{slug(p)}">{esc(label(p))}</li>' for p in priorities) or "<li>none tagged</li>"
    parts = []
    # what was done: the actions when the submission has them, else its first narrative part
    narrative = [(s, t) for s, t in narrative_parts(row, row.get("text", ""))
                 if s not in ("title", "partners_text", "next_steps")]
    narrative.sort(key=lambda part: part[0] != "actions")
    if narrative:
        section, text = narrative[0]
        parts.append(f"<dt>{esc(SECTION_LABELS.get(section, label(section)))} (excerpt)</dt>"
                     f"<dd>{esc(shorten(text, EXCERPT_CHARS))}</dd>")
    who = _who_html(facts.partners.get(sid, []), _text(row, "partners_text"))
    if who:
        parts.append(f'<dt>By whom</dt><dd class="by-whom">{who}</dd>')
    shown = facts.grade_rows.get(sid, [])
    if shown:
        items = "".join(f"<li>{esc(shorten(s, SENTENCE_CHARS))}</li>" for s in shown)
        parts.append(f'<dt>What the grade rests on</dt><dd><ul class="quotes">{items}</ul></dd>')
    by_sentence: dict[str, list] = {}  # a sentence behind two priorities is quoted once, with both marks
    for r in facts.tag_rows.get(sid, []):
        by_sentence.setdefault(str(r.get("sentence") or ""), []).extend(_row_spans(r))
    why = [f"<li>{marked_sentence(text, spans)}</li>" for text, spans in by_sentence.items() if text]
    if why:
        parts.append(f'<dt>Why these priorities</dt><dd><ul class="quotes">{"".join(why)}</ul></dd>')
    nxt = _next_html(facts.next_steps.get(sid, []), _text(row, "next_steps"))
    if nxt:
        parts.append(f'<dt>What comes next</dt><dd class="next-steps">{nxt}</dd>')
    return (
        f'<article class="card" id="card-{slug(sid)}" data-council="{esc(council)}" '
        f'data-priorities="{" ".join(esc(p) for p in priorities)}" data-grade="{esc(grade)}">'
        f'<h3>{esc(title)}</h3>'
        f'<p class="meta"><span>{esc(council)}</span> · <span class="grade grade-{slug(grade)}">'
        f'{esc(label(grade)) if grade else "Not graded"}</span> · <span class="sid">{esc(sid)}</span></p>'
        f'<ul class="pills" aria-label="Priorities">{pri_html}</ul>'
        f'<dl>{"".join(parts)}</dl></article>'
    )


@dataclass
class CardPage:
    """One page's cards: their submission ids, councils and HTML, and the page's file name (council pages)."""

    name: str = ""
    ids: list = field(default_factory=list)
    councils: list = field(default_factory=list)
    html: list = field(default_factory=list)

    def add(self, sid: str, council: str, html: str) -> None:
        self.ids.append(sid)
        self.councils.append(council)
        self.html.append(html)


def _natural(title: str) -> tuple:
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x.casefold()) for x in re.findall(r"\d+|\D+", title or ""))


def _in_display_order(data: ReportData) -> pd.DataFrame:
    """Submission id and council of every submission, by council, then title (numbers in order)."""
    key = ("cards._in_display_order",)
    if key not in data.derived:
        subs = data["submissions"]
        keyed = pd.DataFrame({"submission_id": subs["submission_id"], "council": subs["council"],
                              "_c": subs["council"].replace("", "~"),
                              "_t": [_natural(t) for t in subs["title"].fillna("").tolist()]})
        data.derived[key] = keyed.sort_values(["_c", "_t", "submission_id"])[["submission_id", "council"]]
    return data.derived[key]


def _national_choice(data: ReportData, facts: _Facts) -> list[str]:
    """Submission ids in the order the summary takes them: exemplars, then best evidenced, councils in turn."""
    subs = data["submissions"]
    first = list(dict.fromkeys(data["exemplars"]["submission_id"].tolist())) if len(data["exemplars"]) else []
    rank = {g: i for i, g in enumerate(GRADES)}
    ordered = _in_display_order(data)
    ordered = ordered.assign(_g=[rank.get(facts.grades.get(s, ""), 9) for s in ordered["submission_id"].tolist()])
    ordered = ordered.assign(_k=ordered.groupby(["council", "_g"]).cumcount())
    # round-robin across councils within each grade: the k-th best of every council before the (k+1)-th
    rest = ordered.sort_values(["_g", "_k"], kind="stable")["submission_id"].tolist()
    known = set(subs["submission_id"].tolist())
    return list(dict.fromkeys([s for s in first if s in known] + rest))


def card_pages(data: ReportData) -> list[CardPage]:
    """The pages of cards of ``data``'s report, each within its byte budget.

    National: one page, a selection (see the module docstring). Council: all the council's
    cards, on its page and as many further pages as needed. Computed once per data.
    """
    key = ("cards.card_pages",)
    if key in data.derived:
        return data.derived[key]
    facts = _facts(data)
    subs = data["submissions"]
    columns = {c: subs[c].tolist() for c in ("submission_id", "council", "text", *SECTION_COLUMNS) if c in subs.columns}
    at = {sid: i for i, sid in enumerate(columns["submission_id"])}

    carry = carry_of(data)

    def card(sid: str) -> str:  # a row becomes a dict only when its card is built
        i = at[sid]
        row = {c: values[i] for c, values in columns.items()}
        if carry is None:
            return card_html(row, facts)
        key = digest(row, *(getattr(facts, f.name).get(sid) for f in fields(facts)))
        return carry.get("card", key, lambda: card_html(row, facts))

    order = _in_display_order(data)
    pages: list[CardPage]
    if not data.council:
        chosen: dict[str, str] = {}
        used = 0
        for sid in _national_choice(data, facts):
            html = card(sid)
            used += len(html.encode("utf-8"))
            if used > NATIONAL_BUDGET:
                break
            chosen[sid] = html
        page = CardPage()
        for sid, council in zip(order["submission_id"].tolist(), order["council"].tolist()):
            if sid in chosen:
                page.add(sid, council, chosen[sid])
        pages = [page]
        if carry is not None:
            carry.save()
    else:
        pages = [CardPage(council_page_name(data.council, 1))]
        used, budget = 0, COUNCIL_BUDGET
        for sid, council in zip(order["submission_id"].tolist(), order["council"].tolist()):
            html = card(sid)
            size = len(html.encode("utf-8"))
            if used + size > budget and pages[-1].ids:
                pages.append(CardPage(council_page_name(data.council, len(pages) + 1)))
                used, budget = 0, CARDS_PAGE_BUDGET
            pages[-1].add(sid, council, html)
            used += size
    data.derived[key] = pages
    return pages


def card_location(data: ReportData, submission_id: str) -> str | None:
    """Where the card of ``submission_id`` is, as a link from ``data``'s page (``None``: on no page).

    ``"#card-<id>"`` on the page itself; on a council page whose card went on a further page of
    cards, that page's file name with the anchor.
    """
    anchor = f"#card-{slug(submission_id)}"
    for i, page in enumerate(card_pages(data)):
        if submission_id in page.ids:
            return anchor if i == 0 else page.name + anchor
    return None


def _filter_form(councils: list[str]) -> str:
    opt = lambda v, t: f'<option value="{esc(v)}">{esc(t)}</option>'  # noqa: E731
    council = ('<label>Council <select name="council"><option value="">All councils</option>'
               + "".join(opt(c, c) for c in councils) + "</select></label> ") if len(councils) > 1 else ""
    return (
        '<form id="card-filter" class="filter" hidden aria-label="Filter case studies">'
        + council +
        '<label>Priority <select name="priority"><option value="">All priorities</option>'
        + "".join(opt(p, label(p)) for p in PRIORITY_IDS) + "</select></label> "
        '<label>Evidence <select name="grade"><option value="">All grades</option>'
        + "".join(opt(g, label(g)) for g in GRADES) + "</select></label> "
        '<button type="reset">Show all</button> <output id="card-count" aria-live="polite"></output></form>'
    )


def _legend() -> str:
    return ('<p class="legend">Highlighted words are the phrases behind each priority tag: '
            + " ".join(f'<mark class="tag-{slug(p)}">{esc(label(p))}</mark>' for p in PRIORITY_IDS) + "</p>")


def cards_block(page: CardPage) -> str:
    """A page's cards with their (script-enabled) filter form, legend and script."""
    councils = sorted({c or "(council unknown)" for c in page.councils})
    return (_filter_form(councils) + _legend()
            + f'<div class="cards">{"".join(page.html)}</div><script>{FILTER_JS}</script>')


def _where_the_rest_are(data: ReportData, pages: list[CardPage], total: int) -> str:
    shown = len(pages[0].ids)
    if data.council:
        if len(pages) == 1:
            return ""
        links = ", ".join(f'<a href="{esc(p.name)}">page {i}</a>' for i, p in enumerate(pages[1:], 2))
        return (f'<p class="note">This page shows {shown:,} of the council\'s {total:,} case studies; '
                f"the others are on further pages of cards: {links}.</p>")
    if shown == total:
        return ""
    where = "every one is listed in the exported tables (case_studies.csv)"
    if data.council_pages:
        where = "each council's page has all of its case studies (listed under Contents), and " + where
    return (f'<p class="note">This summary shows {shown:,} of {total:,} case studies: those quoted as exemplars, '
            f"then the best evidenced, from every council in turn; {esc(where)}.</p>")


def council_index(data: ReportData) -> str:
    """Links to every council's page with its number of submissions (the summary, with council pages)."""
    if data.council or not data.council_pages:
        return ""
    counts = data["submissions"]["council"].value_counts()
    items = "".join(f'<li><a href="councils/{esc(council_page_name(c))}">{esc(c)}</a> ({int(counts[c]):,})</li>'
                    for c in data.councils())
    return f'<nav aria-label="Council pages" class="council-index"><h3>Council pages</h3><ul>{items}</ul></nav>' if items else ""


def cards_html(data: ReportData) -> str:
    """The case-study cards of ``data``'s page, with where the others are."""
    subs = data["submissions"]
    if subs.empty:
        return '<p class="empty">No submissions to show.</p>'
    pages = card_pages(data)
    return _where_the_rest_are(data, pages, len(subs)) + cards_block(pages[0])
