"""The small steps of a held-out part's cycle that are not the workbench's: briefs, disputes, gold labels, grades.

A part is gathered, checked, labelled twice blind, adjudicated, scored once and opened for study by helpers
following the briefs in ``BRIEFS.md``. The scratch scripts that did the steps between them lived outside the
repository and were lost with each new machine; they are here so that every part is made the same way.

    .venv/bin/python benchmarks/real_text/cycle.py brief gather CODE=nw PART=test113 FOCUS="..." LOOKUPS=58 STOP=04:48 NOTES=/tmp/n
    .venv/bin/python benchmarks/real_text/cycle.py brief label PART=test113 G1=nw G2=nx CODER=A N=80 NOTES=/tmp/n
    .venv/bin/python benchmarks/real_text/cycle.py disputes test113 /tmp/n/labels_a_test113.csv /tmp/n/labels_b_test113.csv \\
        /tmp/n/disputes_test113.csv
    .venv/bin/python benchmarks/real_text/cycle.py brief adjudicate PART=test113 NOTES=/tmp/n
    .venv/bin/python benchmarks/real_text/cycle.py gold test113        # labels_adjudicated_/labels_a_ -> sources.csv
    .venv/bin/python benchmarks/real_text/cycle.py grades test113 ship.json --against nocheck.json

``brief`` prints a template of ``briefs/`` with its ``{FIELDS}`` filled (``REPO`` defaults to this repository; the
label brief works out ``ORDER`` and ``LC`` from ``G1``, ``G2`` and ``CODER``, the ids in the order from the
gatherers' part files, a dropped text named; the adjudicate brief takes ``N`` from ``NOTES/disputes_PART.csv``)
and refuses to leave one unfilled.
``disputes`` writes the ids where two labelling passes differ on the set of priorities or on the grade (four
grades), both passes' labels side by side, for the adjudicator. ``gold`` puts a part's gold labels into
``sources.csv``: the adjudicated ones where there are any, else pass A's. ``grades`` reads the per-text predictions
``real_text.py --predictions`` writes and prints the four-grade confusion and, with ``--against`` (the same part
scored another way, e.g. without the grade check), which texts changed grade and whether each change was right.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

import real_text as rt  # noqa: E402  (one reading of a labels cell, of the grades and of a CSV file)

GRADES = ("strong", "some", "planned", "none")
LABEL_FIELDS = ("priorities", "grade", "rationale")
three = rt.three  # the three grades the figures count: planned is none


def _read(path: Path) -> list[dict]:
    return rt.load_sources(Path(path))


def _write(path: Path, rows: list[dict], fields: list[str]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def priorities(cell: str) -> frozenset[str]:
    """A labels file's priorities as a set, read as ``real_text.py`` reads them (unknown codes refused)."""
    try:
        return rt._labels(cell)
    except SystemExit as exc:  # real_text's command line stops there; here it is the caller's error
        raise ValueError(str(exc)) from None


def numbers(gatherer: str, parts: Path | None = None, default: int = 40) -> list[int]:
    """The numbers of a gatherer's ids, from its part file ``parts/sources_<gatherer>.csv`` (a text dropped before
    labelling leaves a gap; a gatherer who saved fewer stops early); ``1`` to ``default`` when there is no such file."""
    path = (parts or HERE / "parts") / f"sources_{gatherer}.csv"
    found = sorted(int(r["id"].rsplit("-", 1)[1]) for r in _read(path)
                   if r["id"].startswith(f"{gatherer}-")) if path.exists() else []
    return found or list(range(1, default + 1))


def _run_of(gatherer: str, found: list[int], downwards: bool) -> str:
    """``found``'s ids as the label brief names them: first to last, with any id not among them named."""
    lo, hi = found[0], found[-1]
    gaps = sorted(set(range(lo, hi + 1)) - set(found))
    ends = (hi, lo) if downwards else (lo, hi)
    run = f"`{gatherer}-{ends[0]:03d}` {'down' if downwards else 'up'} to `{gatherer}-{ends[1]:03d}`"
    return run + (f" (there is no {', '.join(f'`{gatherer}-{g:03d}`' for g in gaps)})" if gaps else "")


def render(name: str, fields: dict[str, str], briefs: Path | None = None, parts: Path | None = None) -> str:
    """The brief ``briefs/<name>.md`` with its ``{FIELDS}`` filled; every field must be given. The label brief's
    reading order comes from the two gatherers' part files in ``parts`` (default ``parts/``)."""
    text = ((briefs or HERE / "briefs") / f"{name}.md").read_text(encoding="utf-8")
    fields = {"REPO": str(REPO), **fields}
    if name == "label" and "CODER" in fields:
        g1, g2 = fields.get("G1", ""), fields.get("G2", "")
        half = int(fields.get("N", "80")) // 2
        down = lambda g: _run_of(g, numbers(g, parts, half), True)  # noqa: E731
        up = lambda g: _run_of(g, numbers(g, parts, half), False)  # noqa: E731
        a = fields["CODER"].upper() == "A"
        fields.setdefault("ORDER", f"{down(g2)}, then {down(g1)}." if a else f"{up(g1)}, then {up(g2)}.")
        fields.setdefault("LC", fields["CODER"].lower())
    if name == "adjudicate" and "NOTES" in fields and "PART" in fields:
        # the adjudicator writes one row per disputed id: N is the disputes file's count, not the part's size
        path = Path(fields["NOTES"]) / f"disputes_{fields['PART']}.csv"
        if path.exists():
            n = str(len(_read(path)))
            if fields.get("N", n) != n:
                raise ValueError(f"N={fields['N']} but {path} lists {n} disputed ids (leave N out)")
            fields["N"] = n
    missing = sorted(set(re.findall(r"\{([A-Z][A-Z0-9]*)\}", text)) - set(fields))
    if missing:
        raise ValueError(f"brief {name!r} needs {', '.join(missing)}")
    return re.sub(r"\{([A-Z][A-Z0-9]*)\}", lambda m: fields[m.group(1)], text)


def disputes(pass_a: Path, pass_b: Path) -> list[dict]:
    """The ids where the two passes differ on priorities (as sets) or on the grade (four grades)."""
    a = {r["id"]: r for r in _read(pass_a)}
    b = {r["id"]: r for r in _read(pass_b)}
    if set(a) != set(b):
        raise ValueError(f"the passes label different texts: {', '.join(sorted(set(a) ^ set(b)))}")
    out = []
    for i in sorted(a):
        for r in (a[i], b[i]):
            if r["grade"] not in GRADES:
                raise ValueError(f"{i}: unknown grade {r['grade']!r}")
        on = [f for f, differ in (("priorities", priorities(a[i]["priorities"]) != priorities(b[i]["priorities"])),
                                  ("grade", a[i]["grade"] != b[i]["grade"])) if differ]
        if on:
            out.append({"id": i, "field": "+".join(on),
                        **{f"a_{k}": a[i][k] for k in LABEL_FIELDS}, **{f"b_{k}": b[i][k] for k in LABEL_FIELDS}})
    return out


DISPUTE_FIELDS = ["id", "field"] + [f"{p}_{k}" for p in "ab" for k in LABEL_FIELDS]


def gold(part: str, sources: Path, labels: Path) -> tuple[int, int]:
    """Put ``part``'s gold labels into ``sources``: ``labels_adjudicated_<part>.csv`` where it has the id, else
    ``labels_a_<part>.csv``. Returns (rows labelled, of them adjudicated). Every row of the part must be labelled."""
    a = {r["id"]: r for r in _read(labels / f"labels_a_{part}.csv")}
    adj_path = labels / f"labels_adjudicated_{part}.csv"
    adj = {r["id"]: r for r in _read(adj_path)} if adj_path.exists() else {}
    rows = _read(sources)
    fields = list(rows[0]) if rows else []
    n = m = 0
    for r in rows:
        if r["split"] != part:
            continue
        src = adj.get(r["id"]) or a.get(r["id"])
        if src is None:
            raise ValueError(f"{r['id']} of {part} has no label in labels_a_{part}.csv")
        priorities(src["priorities"])
        if src["grade"] not in GRADES:
            raise ValueError(f"{r['id']}: unknown grade {src['grade']!r}")
        for k in LABEL_FIELDS:
            r[k] = src[k]
        n += 1
        m += r["id"] in adj
    if not n:
        raise ValueError(f"sources.csv has no row of {part}")
    _write(sources, rows, fields)
    return n, m


def grade_changes(gold_grades: dict, pred: dict, against: dict | None = None) -> dict:
    """Four-grade confusion of ``pred`` (id -> grade) against the gold grades, three-grade accuracy, and, with
    ``against``, the texts whose three-grade grade differs between the two: right (``pred`` agrees with the readers),
    wrong (``against`` did) or neither."""
    ids = sorted(gold_grades)
    missing = [i for i in ids if i not in pred or (against is not None and i not in against)]
    if missing:
        raise ValueError(f"no prediction for {', '.join(missing[:5])}")
    conf = Counter((gold_grades[i], pred[i]) for i in ids)
    res = {"n": len(ids), "confusion": {g: {h: conf[(g, h)] for h in GRADES} for g in GRADES},
           "accuracy": sum(three(gold_grades[i]) == three(pred[i]) for i in ids) / len(ids) if ids else 0.0}
    if against is not None:
        changed = [i for i in ids if three(pred[i]) != three(against[i])]
        res["right"] = [i for i in changed if three(pred[i]) == three(gold_grades[i])]
        res["wrong"] = [i for i in changed if three(against[i]) == three(gold_grades[i])]
        res["neither"] = [i for i in changed if i not in res["right"] and i not in res["wrong"]]
        res["net"] = len(res["right"]) - len(res["wrong"])
    return res


def _predictions(path: Path) -> dict:
    return {i: v["grade"] for i, v in json.loads(Path(path).read_text(encoding="utf-8")).items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("brief", help="print a brief of briefs/ with its fields filled")
    b.add_argument("name", choices=sorted(p.stem for p in (HERE / "briefs").glob("*.md")))
    b.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    d = sub.add_parser("disputes", help="the ids two labelling passes disagree on, for the adjudicator")
    d.add_argument("part")
    d.add_argument("pass_a", type=Path)
    d.add_argument("pass_b", type=Path)
    d.add_argument("out", type=Path)
    g = sub.add_parser("gold", help="put a part's gold labels into sources.csv")
    g.add_argument("part")
    g.add_argument("--sources", type=Path, default=HERE / "sources.csv")
    g.add_argument("--labels", type=Path, default=HERE, help="the folder of the part's labels files")
    r = sub.add_parser("grades", help="four-grade confusion and grade changes from real_text.py --predictions")
    r.add_argument("part")
    r.add_argument("predictions", type=Path)
    r.add_argument("--against", type=Path, help="the same part's predictions scored another way")
    r.add_argument("--sources", type=Path, default=HERE / "sources.csv")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "brief":
            bad = [f for f in a.fields if "=" not in f]
            if bad:
                ap.error(f"give fields as FIELD=VALUE, not {bad[0]!r}")
            print(render(a.name, dict(f.split("=", 1) for f in a.fields)), end="")
        elif a.cmd == "disputes":
            rows = disputes(a.pass_a, a.pass_b)
            _write(a.out, rows, DISPUTE_FIELDS)
            print(f"{a.part}: {len(rows)} disputed ({sum('priorities' in r['field'] for r in rows)} on priorities, "
                  f"{sum('grade' in r['field'] for r in rows)} on grade) -> {a.out}")
        elif a.cmd == "gold":
            n, m = gold(a.part, a.sources, a.labels)
            print(f"{a.part}: {n} rows labelled in {a.sources.name}, {m} of them adjudicated")
        else:
            gold_grades = {row["id"]: row["grade"] for row in _read(a.sources) if row["split"] == a.part}
            pred = _predictions(a.predictions)
            against = _predictions(a.against) if a.against else None
            res = grade_changes(gold_grades, pred, against)
            print(f"{a.part}: {res['n']} texts, three-grade accuracy {res['accuracy']:.3f}")
            print("four-grade confusion (rows: the readers' strong/some/planned/none; columns: the workbench's):")
            for gr in GRADES:
                print(f"  {gr:<8}" + "/".join(str(res['confusion'][gr][h]) for h in GRADES))
            if a.against:
                print(f"changed against {a.against.name}: right {len(res['right'])}, wrong {len(res['wrong'])}, "
                      f"neither {len(res['neither'])}, net {res['net']:+d}")
                for kind in ("right", "wrong", "neither"):
                    for i in res[kind]:
                        print(f"  {kind} {i}: readers {gold_grades[i]}; {against[i]} -> {pred[i]}")
    except (ValueError, OSError) as exc:
        print(f"cycle.py {a.cmd}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
