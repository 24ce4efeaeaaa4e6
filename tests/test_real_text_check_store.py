"""The grade check's store (benchmarks/real_text/check_model.py --features): what the check learns from, kept so that
a studied text need be in the gitignored cache once. It names only words met in at least MIN_DF texts, carries a
text's stored row over only while the grader still grades the cached texts as it did, and fitting from it is
fitting from the texts.

Every passage here is fictional, written for these tests.
"""

from __future__ import annotations

import json
import random
from collections import Counter

import numpy as np
import pytest

from scripts import load_script

cm = load_script("benchmarks/real_text/check_model.py")

WORDS = ("fictional", "families", "service", "support", "partners", "pupils", "visits", "fewer", "falls", "rose",
         "council", "volunteers", "sessions", "improved", "reported", "young", "people", "older", "homes", "safer")


def _texts(n=24, seed=3) -> dict:
    """n fictional word salads over a small vocabulary, and one rare made-up word in the first."""
    rng = random.Random(seed)
    out = {f"fx-{k:03d}": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 40))) + "." for k in range(n)}
    out["fx-000"] += " Zorblewick quangle."
    return out


def _fresh(texts: dict, part="dev", rules=None) -> dict:
    return {i: {"part": part, "sha256": f"sha-{i}", "rules": (rules or {}).get(i, "some"), "reads": [0.5, 0.25, 0.1],
                "applies": True, "counts": dict(cm.analyse(t))} for i, t in texts.items()}


def _studied(rows: dict) -> dict:
    return {i: (r["part"], r["sha256"]) for i, r in rows.items()}


def test_store_names_only_words_met_in_enough_texts(tmp_path):
    texts = _texts()
    fresh = _fresh(texts)
    rows, vocabulary, done = cm.build_store(fresh, {}, {}, _studied(fresh), same_stamp=True)
    assert done == {"recomputed": len(texts), "kept": 0, "checked": 0}
    assert "fictional" in vocabulary.values() and "zorblewick" not in vocabulary.values()
    assert set(vocabulary) == {k for k in vocabulary if sum(k in r["counts"] for r in rows.values()) >= cm.MIN_DF}
    assert rows["fx-000"]["counts"][cm.term_key("zorblewick")] == 1  # kept as its key only
    path = tmp_path / "store.jsonl"
    cm.write_store(rows, vocabulary, {"stamp": "s1"}, path)
    raw = path.read_text(encoding="utf-8")
    assert "zorblewick" not in raw and "quangle" not in raw
    head, back, terms = cm.load_store(path)
    assert head == {"stamp": "s1"} and back == rows and terms == vocabulary
    assert cm.store_head(path) == head
    assert cm.load_store(tmp_path / "absent.jsonl") == ({}, {}, {}) and cm.store_head(tmp_path / "absent.jsonl") == {}


def test_rows_of_uncached_texts_carry_over_only_while_cached_texts_grade_the_same():
    texts = _texts()
    first, vocabulary, _ = cm.build_store(_fresh(texts), {}, {}, _studied(_fresh(texts)), same_stamp=True)
    studied = _studied(first)
    cached = {i: t for i, t in texts.items() if i < "fx-012"}  # a new machine: half the texts in the cache
    rows, vocab2, done = cm.build_store(_fresh(cached), first, vocabulary, studied, same_stamp=False)
    assert rows == first and vocab2 == vocabulary
    assert done == {"recomputed": 12, "kept": 12, "checked": 12}
    # the grader now grades one cached text otherwise: the uncached texts' rows cannot be trusted
    with pytest.raises(ValueError, match="1 of the 12 cached texts with a stored row now grade differently"):
        cm.build_store(_fresh(cached, rules={"fx-003": "strong"}), first, vocabulary, studied, same_stamp=True)
    # a change in the last digit kept of what the sentence model made of it is not a change
    nudged = _fresh(cached)
    nudged["fx-001"]["reads"][0] += 4e-6
    assert cm.build_store(nudged, first, vocabulary, studied, same_stamp=True)[2]["kept"] == 12
    # no cached text with a stored row to show the grades held: only the same code and data will do
    new_part = {"fx-100": "Fictional families reported fewer falls."}
    with pytest.raises(ValueError, match="cannot be checked"):
        cm.build_store(_fresh(new_part, part="test99"), first, vocabulary, {**studied, "fx-100": ("test99", "sha-fx-100")},
                       same_stamp=False)
    rows, _, done = cm.build_store(_fresh(new_part, part="test99"), first, vocabulary,
                                   {**studied, "fx-100": ("test99", "sha-fx-100")}, same_stamp=True)
    assert done["kept"] == 24 and len(rows) == 25
    # a text whose listed text changed, or that is no longer studied, is not kept
    rows, _, done = cm.build_store({}, first, vocabulary, {**studied, "fx-005": ("dev", "another")}, same_stamp=True)
    assert "fx-005" not in rows and done["kept"] == 23


def test_an_intended_change_is_accepted_for_the_named_cached_texts_only():
    texts = _texts()
    cached, uncached = dict(list(texts.items())[:12]), dict(list(texts.items())[12:])
    studied = _studied(_fresh(texts))
    first, vocabulary, _ = cm.build_store(_fresh(texts), {}, {}, studied, same_stamp=True)
    # an ingest fix makes one cached text come out otherwise: named, its fresh row replaces the stored one and the
    # uncached texts' rows carry over (the stamp changed with the code)
    fixed = _fresh(cached, rules={"fx-003": "strong"})
    rows, _, done = cm.build_store(fixed, first, vocabulary, studied, same_stamp=False,
                                   accepted=frozenset({"fx-003"}))
    assert rows["fx-003"]["rules"] == "strong" and done == {"recomputed": 12, "kept": 12, "checked": 12, "accepted": 1}
    assert all(rows[i] == first[i] for i in uncached)
    # another cached text that changed unnamed still stops it, and so does a name that did not change
    both = _fresh(cached, rules={"fx-003": "strong", "fx-004": "none"})
    with pytest.raises(ValueError, match="1 of the 12 cached texts"):
        cm.build_store(both, first, vocabulary, studied, same_stamp=False, accepted=frozenset({"fx-003"}))
    with pytest.raises(ValueError, match="accepted as changed but not"):
        cm.build_store(fixed, first, vocabulary, studied, same_stamp=False, accepted=frozenset({"fx-003", "fx-005"}))


def test_fitting_from_the_store_is_fitting_from_the_texts(tmp_path, monkeypatch):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = _texts(40, seed=7)
    ids = sorted(texts)
    rng = random.Random(1)
    gold = {i: rng.choice(cm.CLASSES) for i in ids}
    rules = {i: rng.choice(cm.CLASSES) for i in ids}
    fresh = _fresh(texts, rules=rules)
    rows, vocabulary, _ = cm.build_store(fresh, {}, {}, _studied(fresh), same_stamp=True)
    path = tmp_path / "store.jsonl"
    cm.write_store(rows, vocabulary, {}, path)
    sources = [{"id": i, "split": "dev", "grade": gold[i]} for i in ids]
    monkeypatch.setattr(cm.rt, "load_sources", lambda *a, **k: sources)
    monkeypatch.setattr(cm, "MAX_TERMS", 30)  # the limit binds: ties broken the same way
    got_ids, docs, y, parts, got_rules, reads, applies = cm.dataset(path)
    assert got_ids == ids and list(y) == [gold[i] for i in ids] and list(got_rules) == [rules[i] for i in ids]
    assert applies.all() and set(parts) == {"dev"} and reads.shape == (40, 3)
    vec, model = cm.fit(docs, y, got_rules, reads)
    # the same fit from the texts, as the script fitted before the store
    want_vec = TfidfVectorizer(ngram_range=cm.NGRAM, min_df=cm.MIN_DF, sublinear_tf=True, max_features=30)
    x = want_vec.fit_transform([texts[i] for i in ids])
    assert vec.vocabulary_ == want_vec.vocabulary_ and np.allclose(vec.idf_, want_vec.idf_)
    n = len(vec.vocabulary_)
    assert abs(cm.features(vec, docs, got_rules, reads)[:, :n] - x).max() < 1e-12
    want = LogisticRegression(C=cm.C, max_iter=5000, class_weight=cm.CLASS_WEIGHT).fit(
        cm.features(want_vec, [texts[i] for i in ids], got_rules, reads), y)
    assert np.allclose(model.coef_, want.coef_, atol=1e-8) and np.allclose(model.intercept_, want.intercept_, atol=1e-8)
    out = json.loads(cm.to_json(vec, model, {}))
    assert set(out["terms"]) == set(want_vec.vocabulary_)  # the model file names words, never a key


def test_the_shipped_store_is_of_studied_texts_and_names_no_sentence():
    rt = load_script("benchmarks/real_text.py")
    head, rows, terms = cm.load_store()
    assert rows, "benchmarks/real_text/check_features.jsonl: run check_model.py --features"
    sources = {r["id"]: r for r in rt.load_sources()}
    assert all(i in sources and sources[i]["split"] == r["part"] and r["part"] in rt.STUDIED
               and sources[i]["sha256"] == r["sha256"] for i, r in rows.items())
    assert all(r["rules"] in cm.CLASSES and len(r["reads"]) == 3 and (r["applies"] or not r["counts"])
               for r in rows.values())
    assert head["ngram_range"] == list(cm.NGRAM) and head["min_df"] == cm.MIN_DF and head["n_texts"] == len(rows)
    assert all(cm.term_key(t) == k and 1 <= len(t.split()) <= 2 for k, t in terms.items())  # words and word pairs
    df = Counter(k for r in rows.values() for k in r["counts"])  # one pass over the rows, as build_store counts
    assert min(df[k] for k in terms) >= cm.MIN_DF


def test_the_scripts_margin_decides_as_the_packaged_check_does():
    """``with_margin`` (the figures the script reports and ships in the model's meta) and ``GradeCheck.decide`` (what
    the grader does) take the check's grade in the same cases: another grade, likelier by at least the margin."""
    from soa_analysis.evidence.check_model import CLASSES, GradeCheck

    rng = np.random.default_rng(5)
    probabilities = rng.dirichlet((1.0, 1.0, 1.0), size=300)
    rules = np.array([CLASSES[k] for k in rng.integers(0, 3, size=300)])
    probabilities[::7] = np.nan  # where the check does not apply: the rules' grade
    for margin in (0.0, 0.2, 0.45):
        got = cm.with_margin(probabilities, rules, margin)
        for p, r, g in zip(probabilities, rules, got):
            if np.isnan(p).any():
                assert g == r
                continue
            # a check whose intercept is the log of p and which gives the rules' grade no weight has probabilities p
            check = GradeCheck(intercept=tuple(np.log(p)), rules={c: (0.0, 0.0, 0.0) for c in CLASSES},
                               terms={"fictional": (1.0, (0.0, 0.0, 0.0))}, min_sentences=1, margin=margin)
            assert check.decide(r, "why", ["Fictional."])[0] == g
