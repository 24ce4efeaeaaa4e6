"""The evidence stage's exemplars: the candidates picked per submission (with its other rows, in a
grading task) and the choice among them (soa_analysis.evidence.stage._exemplars), against the
same rules written as loops over the rows. All data here is FICTIONAL.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pandas as pd
import pytest

from soa_analysis.evidence.stage import N_EXEMPLARS, PICK_COLUMNS, _exemplars

COLS = ["submission_id", "kind", "category", "rank", "sentence", "score", "council", "title", "strength"]


def _by_loops(picks: list[tuple], subs: pd.DataFrame) -> pd.DataFrame:
    """The choice as the stage made it before it was worked out over columns: each sentence under the
    category it scores highest in (ties: fewer candidates, then name), then per category by score,
    submission and sentence, each sentence once, the first N_EXEMPLARS."""
    meta = subs.set_index("submission_id")[["council", "title"]].to_dict("index")
    by_cat: dict[tuple, list] = defaultdict(list)
    for p in picks:
        by_cat[(p[0], p[1])].append(p)
    best: dict[tuple, tuple] = {}
    for (kind, cat), items in by_cat.items():
        for p in items:
            key = (kind, p[3])
            rank_key = (-p[4], len(items), cat)
            if key not in best or rank_key < best[key][0]:
                best[key] = (rank_key, cat)
    rows = []
    for (kind, cat), items in sorted(by_cat.items()):
        items = sorted((p for p in items if best[(kind, p[3])][1] == cat), key=lambda p: (-p[4], p[2], p[3]))
        seen, rank = set(), 0
        for _, _, sid, sent, score, strength in items:
            if sent in seen:
                continue
            seen.add(sent)
            rank += 1
            m = meta.get(sid, {})
            rows.append({"submission_id": sid, "kind": kind, "category": cat, "rank": rank, "sentence": sent,
                         "score": float(score), "council": m.get("council", "") or "",
                         "title": m.get("title", "") or "", "strength": strength})
            if rank >= N_EXEMPLARS:
                break
    out = pd.DataFrame(rows, columns=COLS)
    out["rank"] = out["rank"].astype("int64")
    out["score"] = out["score"].astype(float)
    return out.sort_values(["kind", "category", "rank"], kind="stable").reset_index(drop=True)


def _random_picks(rng: random.Random, n: int) -> list[tuple]:
    cats = {"priority": ["older_people", "safer", "early_years", "employability"],
            "theme": ["prevention", "partnership", "resources", "Zeta", "älter"]}
    sents = [f"FICTIONAL sentence {i} about the project's results here." for i in range(rng.randint(1, 12))]
    sents.append("FICTIONAL Ünïcode sentence, quoted by code point order.")
    strength: dict[tuple, str] = {}  # a sentence of a submission has one grade, whatever it is picked for
    out = []
    for _ in range(n):
        kind = rng.choice(["priority", "theme"])
        sid, sent = f"sub{rng.randint(0, 9)}", rng.choice(sents)
        grade = strength.setdefault((sid, sent), rng.choice(["strong", "some", "none"]))
        out.append((kind, rng.choice(cats[kind]), sid, sent,
                    rng.choice([0.25, 0.5, 0.5625, 0.75, 1.0, round(rng.random(), 4)]), grade))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_the_choice_over_columns_is_the_choice_by_loops(seed):
    rng = random.Random(seed)
    picks = _random_picks(rng, rng.choice([0, 1, 3, 20, 80, 300]))
    subs = pd.DataFrame({"submission_id": [f"sub{i}" for i in range(10)],
                         "council": [f"FICTIONAL council {i % 3}" for i in range(10)],
                         "title": [f"FICTIONAL case {i}" if i % 4 else "" for i in range(10)]})
    frame = pd.DataFrame(picks, columns=PICK_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    want = _by_loops(picks, subs)
    got = _exemplars(frame, subs)
    if not len(want):
        assert not len(got) and list(got.columns) == COLS
        return
    pd.testing.assert_frame_equal(got, want)
    # the picks' order does not matter (tasks return them partition by partition)
    rng.shuffle(picks)
    pd.testing.assert_frame_equal(_exemplars(pd.DataFrame(picks, columns=PICK_COLUMNS).astype({"score": float}), subs),
                                  want)
