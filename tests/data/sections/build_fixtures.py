"""Build the labelled section fixtures (``*.json``) from their hand-written sources (``src/*.txt``).

Every fixture is FICTIONAL: invented places, projects, people, e-mail addresses and figures,
written for testing. Source format, one block per line::

    !template case_study_2009          expected template id
    !meta {"format": "docx"}           Document.meta (JSON)
    !council Fife                      expected council ('' = cannot be decided)
    !checklist partnership,prevention  expected ticked checklist ids (2010 only; empty = none)
    H text @label                      heading block
    P text @label                      paragraph ("\\n" in text = line break)
    L text @label                      list item
    R cell || cell @label              table row (cells separated by "||"; empty left cell allowed)
    C+ / C- / C? text @label           checkbox ticked / unticked / unknown

``@label`` is the section the block's content belongs to (schema.SECTION_COLUMNS, or
contact, cpp, outcomes, checklist, template, preamble, narrative, other; ``heading`` for a pure
template heading, which the accuracy benchmark does not count).

``holdout/`` holds fixtures written after the matcher was tuned on the main set and scored
once before any change (the honest generalisation figure); the benchmark reports both.

Run: ``.venv/bin/python tests/data/sections/build_fixtures.py`` (rewrites the JSON files).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_LINE = re.compile(r"^(?P<kind>H|P|L|R|C[+\-?])\s(?P<body>.*?)\s*@(?P<label>[a-z_]+)\s*$")
_KINDS = {"H": "heading", "P": "para", "L": "list_item", "R": "row"}
_CHECKED = {"C+": True, "C-": False, "C?": None}


def parse_source(text: str, name: str) -> dict:
    """Parse one fixture source into a JSON-ready dict."""
    fixture = {"id": name, "fictional": True, "template": None, "council": None, "checklist": None,
               "meta": {}, "blocks": []}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("!"):
            key, _, value = line[1:].partition(" ")
            value = value.strip()
            if key == "meta":
                fixture["meta"] = json.loads(value)
            elif key == "checklist":
                fixture["checklist"] = [v.strip() for v in value.split(",") if v.strip()]
            elif key in ("template", "council"):
                fixture[key] = value
            else:
                raise ValueError(f"{name}:{n}: unknown directive {key!r}")
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"{name}:{n}: cannot parse {line!r}")
        kind, body, label = m.group("kind"), m.group("body").replace("\\n", "\n"), m.group("label")
        block = {"kind": _KINDS.get(kind, "checkbox"), "text": body.strip(), "cells": [], "checked": None,
                 "level": 1 if kind == "H" else 0, "label": label}
        if kind == "R":
            block["cells"] = [c.strip() for c in re.split(r"\s*\|\|\s*", " " + body + " ")]
            block["text"] = " | ".join(c for c in block["cells"] if c)
        elif kind.startswith("C"):
            block["checked"] = _CHECKED[kind]
        fixture["blocks"].append(block)
    fixture["meta"].setdefault("note", "FICTIONAL fixture")
    fixture["meta"].setdefault("file_name", f"{name}.{fixture['meta'].get('format', 'txt')}")
    if fixture["template"] is None:
        raise ValueError(f"{name}: missing !template")
    return fixture


def main() -> int:
    for out_dir in (HERE, HERE / "holdout"):
        sources = sorted((out_dir / "src").glob("*.txt"))
        for src in sources:
            fixture = parse_source(src.read_text(encoding="utf-8"), src.stem)
            (out_dir / f"{src.stem}.json").write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
        print(f"wrote {len(sources)} fixtures to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
