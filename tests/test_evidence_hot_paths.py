"""The evidence grade's hot paths give what the plain code gives.

The grader's inner loops (the rubric patterns' plan and prefilters, dates searched in lower
case, the sentence model's explanation with one weight look-up a term) are checked here against
the plain versions: the logistic formula and the explanation written out, every pattern searched,
the date expressions with IGNORECASE. The whole tables are compared on a corpus made from the bundled
sample's FICTIONAL case studies (tests/test_evidence_pool.make_corpus).
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_evidence_pool import make_corpus

from soa_analysis.evidence import grader, prefilter, timeline
from soa_analysis.evidence.grader import EvidenceGrader
from soa_analysis.evidence.sentence_model import text_terms
from soa_analysis.evidence.stage import evidence_frames
from soa_analysis.evidence.themes import ThemeTagger
from soa_analysis.io import read_table
from soa_analysis.rubrics import load_guidance
from soa_analysis.schema import SECTION_COLUMNS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus(folder, n=60, seed=9)
    return {name: read_table(folder, name) for name in ("submissions", "tags", "tag_evidence", "partners")}


def _frames(corpus) -> dict[str, pd.DataFrame]:
    return evidence_frames(corpus["submissions"], grader=EvidenceGrader().fit(), tagger=ThemeTagger().fit(),
                           guidance=load_guidance(), partners=corpus["partners"], tags=corpus["tags"],
                           tag_evidence=corpus["tag_evidence"])


def _plain_probability(model, ts) -> float:
    import math
    z = model.intercept + sum(model.weights[t] for t in set(ts) if t in model.weights)
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def _plain_explain(model, ts, p: float, k: int = 3) -> str:
    def top(sign):
        present = [(t, model.weights[t]) for t in set(ts) if t in model.weights and model.weights[t] * sign > 0]
        return sorted(present, key=lambda tw: (-abs(tw[1]), tw[0]))[:k]
    up = ", ".join(f"+ {t}" for t, _ in top(1))
    down = ", ".join(f"- {t}" for t, _ in top(-1))
    inner = "; ".join(x for x in (up, down) if x)
    return f"sentence model p={p:.2f}" + (f" ({inner})" if inner else "")


def test_the_model_readings_are_the_plain_formula(corpus):
    g = EvidenceGrader().fit()
    model = g.model_
    assert model is not None
    n = 0
    for row in corpus["submissions"].to_dict("records"):
        sections = {s: row.get(s) or "" for s in SECTION_COLUMNS}
        graded = [g.grade_sentence(s, sec) for sec, text in g.sections_to_grade(sections)
                  for s in grader.split_sentences(text)]
        terms = text_terms([(s.sentence, s.features, s.strength, s.rule, s.section) for s in graded])
        for ts in terms:
            p = model.probability(ts)
            assert p == pytest.approx(_plain_probability(model, ts), rel=1e-12, abs=1e-15)
            assert model.explain(ts, p) == _plain_explain(model, ts, p)
            weighed = model.weighed(ts)  # as the grader passes it: the same readings
            assert model.probability(ts, weighed) == p
            assert model.explain(ts, p, weighed=weighed) == model.explain(ts, p)
            n += 1
    assert n > 150


def test_the_tables_are_those_of_the_plain_code(corpus, monkeypatch):
    fast = _frames(corpus)
    assert len(fast["evidence_sentences"]) > 150 and fast["evidence"]["grade"].nunique() >= 3
    monkeypatch.setattr(prefilter, "required_literals", lambda compiled: None)
    monkeypatch.setattr(prefilter, "requires_digit", lambda compiled: False)
    monkeypatch.setattr(grader, "_MASK_NEEDS_DIGIT", False)
    monkeypatch.setattr(grader, "_PLANS", {})
    monkeypatch.setattr(timeline, "_LOWER_ORDER", timeline._ORDER)
    monkeypatch.setattr(timeline, "_LOWER_HINT", timeline.DATE_HINT)
    monkeypatch.setattr(timeline, "extract_dates", lambda text, reference=None: timeline._find_dates(
        text or "", text or "", timeline._ORDER, timeline.DATE_HINT, reference) if text else [])
    monkeypatch.setattr(grader, "extract_dates", timeline.extract_dates)
    plain = _frames(corpus)
    assert set(fast) == set(plain)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], plain[name], obj=name)


def test_guidance_alignment_is_that_of_the_plain_search(corpus):
    """align_guidance searches lower-cased ASCII sentences with the lower-case forms, only the patterns whose
    words they hold, where a match can start: the sentences of searching every pattern case-insensitively."""
    from soa_analysis.evidence.themes import _guidance_matchers, align_guidance
    from soa_analysis.tagging.phrases import first_longest
    from soa_analysis.tagging.text import analyse

    guidance = load_guidance()
    index, regexes, _lower, _words = _guidance_matchers(guidance)

    def plain(text):
        out = {e.id: [] for e in guidance.expectations}
        for sent in analyse(text):
            matched = first_longest(index.find(sent.stems))
            for ci, e in enumerate(guidance.expectations):
                if ci in matched or any(r.search(sent.sentence) for r in regexes[ci]):
                    out[e.id].append(sent.sentence)
        return out

    texts = corpus["submissions"]["text"].tolist()
    texts += [t.upper() for t in texts[:20]] + ["Broken DOWN by AGE and ward; we WILL REDUCE falls by 20% by 2014.",
                                                "Targets of 5\u2019s were met \u2013 by gender."]
    found = 0
    for text in texts:
        got = align_guidance(text, guidance)
        assert got == plain(text), text[:80]
        found += sum(map(len, got.values()))
    assert found > 50
