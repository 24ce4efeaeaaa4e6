"""A council page's comparison: its evidence beside Scotland's and similar councils'.

"Similar councils" are the councils in the same CPOP family group: the Improvement
Service's Community Planning Outcomes Profile groups the 32 areas into four families of
similar circumstances, per indicator; the packaged outcome file (``outcomes/data/cpop_cpp.csv``,
column ``FG``) carries it, and a council's family here is the group CPOP puts it in most
often (ties: the lower group). The comparison reads the whole run's submissions
(:attr:`.data.ReportData.national`), so a council page needs no second read.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd
from IPython.display import HTML

from ..schema import PRIORITY_IDS
from .data import ReportData
from .html import html_table, section_html
from .labels import label
from .memo import per_frame
from .safe import esc
from .tiles import council_tiles

__all__ = ["family_groups", "similar_councils", "comparison_table", "compare"]


@lru_cache(maxsize=1)
def family_groups() -> dict[str, int]:
    """Council -> its CPOP family group (1-4), from the packaged outcome file; ``{}`` if it has none."""
    from ..ingest.councils import resolve_council

    path = resources.files("soa_analysis.outcomes") / "data" / "cpop_cpp.csv"
    if not path.is_file():
        return {}
    df = pd.read_csv(path.open("rb"), usecols=lambda c: c.lower() in ("cpp", "fg"))
    df.columns = [c.lower() for c in df.columns]
    if "fg" not in df.columns:
        return {}
    df = df.dropna(subset=["fg"])
    modal = df.groupby("cpp")["fg"].agg(lambda s: int(s.astype(int).value_counts().sort_index()
                                                      .sort_values(ascending=False, kind="stable").index[0]))
    known = {t.council for t in council_tiles()}
    out = {}
    for name, group in modal.items():
        council = resolve_council(str(name))[0]
        if council in known:
            out[council] = int(group)
    return out


def similar_councils(council: str) -> list[str]:
    """The other councils of ``council``'s CPOP family group, sorted (``[]`` if unknown).

    Example
    -------
    >>> "Dundee City" in similar_councils("Glasgow City")
    True
    """
    groups = family_groups()
    g = groups.get(council)
    return sorted(c for c, h in groups.items() if h == g and c != council) if g else []


@per_frame
def _tallies(nat: pd.DataFrame) -> dict:
    """(council, priority or None) -> [case studies, strong ones], counted once per national frame
    (every council page of a run compares against the same ``national``)."""
    counts: dict = {}
    ps = nat["priorities"] if "priorities" in nat.columns else [()] * len(nat)
    for council, grade, pri in zip(nat["council"].tolist(), (nat["grade"] == "strong").tolist(), ps):
        for key in (None, *set(pri)):
            tally = counts.setdefault((council, key), [0, 0])
            tally[0] += 1
            tally[1] += bool(grade)
    return counts


def _figures(nat: pd.DataFrame, councils: list[str], priority: str | None) -> tuple[int, int, int]:
    """(case studies, strong ones, councils) for ``councils`` on ``priority`` (None: all priorities)."""
    counts = _tallies(nat)
    n = strong = 0
    for c in set(councils):
        a, b = counts.get((c, priority or None), (0, 0))
        n, strong = n + a, strong + b
    return n, strong, len(councils)


def _cell(n: int, strong: int, councils: int, per_council: bool) -> str:
    if per_council:
        avg = n / councils if councils else 0
        return f"{avg:.1f} per council, {strong / n:.0%} strong" if n else "none"
    return f"{n} ({strong} strong)" if n else "none"


def comparison_table(data: ReportData) -> pd.DataFrame:
    """Per priority (and all together): the council's case studies beside similar councils' and Scotland's."""
    nat = data.national
    similar = similar_councils(data.council)
    everyone = [t.council for t in council_tiles()]
    rows = []
    for p in (*PRIORITY_IDS, None):
        rows.append({
            "priority": label(p) if p else "All priorities",
            "council": _cell(*_figures(nat, [data.council], p), per_council=False),
            "similar": _cell(*_figures(nat, similar, p), per_council=True) if similar else "–",
            "scotland": _cell(*_figures(nat, everyone, p), per_council=True),
        })
    return pd.DataFrame(rows)


def compare(data: ReportData) -> HTML:
    """A council page's section: how its evidence compares with Scotland and similar councils."""
    lede = ("The council's case studies on each national priority, and how many of them have strong evidence, "
            "beside the average council of its CPOP family group and of Scotland (all 32 areas, counting those "
            "that sent nothing).")
    if not data.council:
        return HTML(section_html("compare", "How the evidence compares", lede,
                                 '<p class="empty">Council pages only.</p>'))
    similar = similar_councils(data.council)
    who = (f"<p>Similar councils (CPOP family group {family_groups()[data.council]}): "
           f"{esc(', '.join(similar))}.</p>") if similar else \
        '<p class="empty">No CPOP family group is known for this council.</p>'
    t = comparison_table(data)
    table = html_table(t, f"{data.council}'s case studies beside similar councils and Scotland",
                       {"priority": "Priority", "council": data.council, "similar": "Similar councils",
                        "scotland": "Scotland"})
    return HTML(section_html("compare", "How the evidence compares with Scotland and similar councils", lede,
                             who, table))
