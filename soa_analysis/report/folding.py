"""Folded sections: a long section shown as its heading, opened from the contents or by a click.

The national summary leads with what a board needs in one screen; the long sections after
its contents list are folded (:func:`fold`): each ``<section>`` keeps its ``id`` and holds a
closed ``<details>`` whose ``<summary>`` is the section's ``<h2>``. A reader opens one by
clicking its heading, or by a link to it (the contents list, a link to a case-study card):
the small inline script :data:`OPEN_JS` opens every folded section on the way to the
link's target, at once on the click (before the browser follows the link, so the target is
there to scroll to) and again on ``hashchange`` for an address typed or opened with its
``#`` (Chromium also opens a closed ``<details>`` that holds the target of a link).
The page's Content-Security-Policy allows this script by its hash, as it does the card
filter (:func:`.page.csp`).

Printing shows every section open: the stylesheet's print rules show the content of a
closed ``<details>``, and the script opens them before printing and closes them after.
"""

from __future__ import annotations

import re

__all__ = ["OPEN_JS", "FOLD_CLASS", "fold"]

FOLD_CLASS = "fold"

OPEN_JS = """(function () {
  function openTo(el) {
    for (var p = el; p; p = p.parentElement) { if (p.tagName === "DETAILS") { p.open = true; } }
  }
  function openId(id) {
    var el = id ? document.getElementById(id) : null;
    if (!el) { return null; }
    var inner = el.querySelector(":scope > details.fold");
    if (inner) { inner.open = true; }
    openTo(el);
    return el;
  }
  function fromHash() {
    var el = openId(decodeURIComponent(window.location.hash.slice(1)));
    if (el) { el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", fromHash);
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[href^='#']") : null;
    if (!a) { return; }
    if (a.getAttribute("href") === window.location.hash) { fromHash(); return; }
    openId(decodeURIComponent(a.getAttribute("href").slice(1)));
  });
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.slice.call(document.querySelectorAll("details.fold:not([open])"));
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fromHash);
  } else {
    fromHash();
  }
})();"""

# What every section function returns (see .html.section_html): the section, then its <h2>.
_HEAD = re.compile(r'\A(<section id="[^"]*" class="soa-section)(">)(<h2>.*?</h2>)', re.S)


def fold(section: str) -> str:
    """``section``'s HTML with everything after its heading folded into a closed ``<details>``.

    Parameters
    ----------
    section : str
        One ``<section id="..." class="soa-section"><h2>...</h2>...</section>``, as every
        section function returns it.

    Returns
    -------
    str
        The same section, classed ``folded``, its ``<h2>`` the ``<summary>`` of a closed
        ``<details class="fold">`` that holds the rest.

    Raises
    ------
    ValueError
        If ``section`` does not have that shape.

    Example
    -------
    >>> fold('<section id="gaps" class="soa-section"><h2>Gaps</h2><p>Thin.</p></section>')
    '<section id="gaps" class="soa-section folded"><details class="fold"><summary><h2>Gaps</h2></summary><p>Thin.</p></details></section>'
    """
    m = _HEAD.match(section)
    if not m or not section.endswith("</section>"):
        raise ValueError("a section to fold must start <section id=... class=\"soa-section\"><h2> "
                         "and end </section>: " + section[:80])
    body = section[m.end():-len("</section>")]
    return (f'{m.group(1)} folded{m.group(2)}<details class="{FOLD_CLASS}"><summary>{m.group(3)}</summary>'
            f"{body}</details></section>")
