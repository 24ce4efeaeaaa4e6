"""The stage's corpus engine gives the same tokens, matches, scores and model matrix as the
per-sentence taggers (analyse, LexiconTagger.match_document, document_features), which the
other test files pin to the codebook. Documents are fictional, written for these tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.tagging import CombinedTagger, LexiconTagger, analyse
from soa_analysis.tagging.corpus import Corpus, match_lexicon, model_matrix, submission_pairs
from soa_analysis.tagging.model import document_features

DOCS = [
    [("title", "Falls prevention for older people in Glenbrae (fictional)"),
     ("actions", "Strength and balance classes, telecare and home safety checks helped older people stay at home."),
     ("actions", "The project had no impact on employment."),
     ("outcomes_cited", "National Outcome 15 - Our people are able to maintain their independence as they get older")],
    [("text", "Repairs to the older buildings on the estate were funded (fictional).")],
    [("need", "It might indirectly help jobs; modern apprenticeships helped young people into work.")],
    [("text", "Reports covered the economy, crime, nurseries, sport and older people.")],
    [],
    [("text", "- \u2022 ..."), ("text", "Rather than crime, it tackled smoking and alcohol misuse among young people.")],
    [("text", "Early learning and childcare for two year olds didn\u2019t reach families; parenting classes did.")],
    [("text", "Separator \x1e inside text: anti-social behaviour fell by 12% (fictional).")],
    [("text", "OLDER PEOPLE and Employment \u2018matter\u2019 (fictional)."), ("text", "\u0130nverglen \u212aIRK employment.")],
    [("need", "DON'T count employment here."), ("evidence", "Not only employment but also health improved.")],
]


@pytest.fixture(scope="module")
def combined():
    return CombinedTagger().fit_labels()


def _reference_hits(lexicon, analysed):
    out = set()
    for i, sents in enumerate(analysed):
        for ci, si, ms, w in lexicon.match_document(sents)[2]:
            out.add((i, ci, si, round(w, 9), tuple((a, b, round(x, 9), p) for a, b, x, p in ms)))
    return out


def _corpus_hits(corpus, lm):
    out = set()
    for j in range(len(lm.hit_doc)):
        i = int(lm.hit_doc[j])
        ms = tuple((int(lm.m_a[x]), int(lm.m_b[x]), round(float(lm.m_w[x]), 9), lm.m_phrase[x])
                   for x in range(lm.hit_lo[j], lm.hit_hi[j]))
        out.add((i, int(lm.hit_cat[j]), int(lm.hit_sent[j] - corpus.doc_sent[i]), round(float(lm.hit_w[j]), 9), ms))
    return out


def _check(docs, taxonomies=("priorities", "outcomes_soa")):
    corpus = Corpus(docs)
    analysed = [analyse(d) for d in docs]
    for i, ref in enumerate(analysed):
        got = corpus.analysed(i)
        assert [(s.section, s.sentence, s.tokens, s.stems) for s in got] == \
               [(s.section, s.sentence, s.tokens, s.stems) for s in ref]
        for s, r in zip(range(corpus.doc_sent[i], corpus.doc_sent[i + 1]), ref):
            neg, hed = r.cues()
            a, b = corpus.sent_tok[s], corpus.sent_tok[s + 1]
            assert corpus.negated[a:b].tolist() == (neg or [False] * (b - a))
            assert corpus.hedged[a:b].tolist() == (hed or [False] * (b - a))
    for tax in taxonomies:
        lexicon = LexiconTagger(taxonomy=tax).fit()
        lm = match_lexicon(lexicon, corpus)
        scores, _ = lexicon.score_many(analysed)
        np.testing.assert_allclose(lm.scores, scores, rtol=0, atol=1e-12)
        assert _corpus_hits(corpus, lm) == _reference_hits(lexicon, analysed)
    return corpus, analysed


def test_hand_made_documents_match_the_per_sentence_taggers():
    corpus, _ = _check(DOCS)
    _check([d for d in DOCS if "\u0130" not in str(d)])  # the corpus's case-insensitive road
    assert corpus.n_docs == len(DOCS)
    assert corpus.doc_sent[5] == corpus.doc_sent[4]  # the empty document has no sentences


def test_hand_made_documents_give_the_reference_model_matrix(combined):
    corpus, analysed = _check(DOCS, taxonomies=())
    got = model_matrix(combined.model_.vectorizer_, corpus)
    ref = combined.model_.transform([document_features(a) for a in analysed])
    assert (got != ref).nnz == 0
    np.testing.assert_array_equal(combined.model_.classifier_.predict_proba(got),
                                  combined.model_.classifier_.predict_proba(ref))


def test_score_corpus_gives_the_per_document_scores(combined):
    # the stage's public entry to the model (CombinedTagger.score_corpus) and the per-document
    # path (score_analysed) blend the same scores the same way
    corpus, analysed = _check(DOCS, taxonomies=())
    got = combined.score_corpus(corpus)
    lex, sup, mixed = combined.score_analysed(analysed)
    np.testing.assert_allclose(got.matches.scores, lex, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.model, sup, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.combined, mixed, rtol=0, atol=1e-12)
    assert (got.features != combined.model_.transform_corpus(corpus)).nnz == 0


def test_expected_matches_are_found():
    corpus = Corpus(DOCS)
    lexicon = LexiconTagger(taxonomy="priorities").fit()
    lm = match_lexicon(lexicon, corpus)
    cats = lexicon.categories_
    tagged = {(int(d), cats[int(c)]) for d, c in zip(lm.hit_doc, lm.hit_cat)}
    assert (0, "older_people") in tagged
    assert (1, "older_people") not in tagged  # "older buildings" is an exclusion
    assert (9, "employment") in tagged        # "not only employment" is not a negation


_WORDS = st.sampled_from(["older", "people", "employment", "jobs", "not", "no", "might", "indirectly", "crime",
                          "early", "years", "childcare", "telecare", "buildings", "National", "Outcome", "and",
                          "health", "young", "apprenticeships", "modern", "but", ",", ";", "(", ")", "12%", "e.g.",
                          "Dr.", "isn't", "rather", "than", "care", "at", "home", "stay", "."])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_WORDS, min_size=0, max_size=14).map(" ".join), min_size=1, max_size=4))
def test_random_documents_match_the_per_sentence_taggers(sentences):
    docs = [submission_pairs({"actions": ["  ".join(sentences)]}, [[]], [""], 0), [("text", s) for s in sentences]]
    _check(docs)


_PART = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["", "  ", "\xa0\n", "Title text", "Crime fell. Jobs rose.",
                                                                     "- An item\nAnother. Dr. Who came.", "T Crime fell."]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_PART, _PART, _PART, _PART,
                          st.one_of(st.none(), st.just([]), st.just(["National Outcome 6", " ", "3"]))), max_size=6))
def test_submission_sentences_by_arrow_equal_the_reference(rows):
    """Parts found by Arrow for a whole table give the sentences narrative_parts and split_sentences give
    document by document (missing, blank and white-space values; documents with a title only, and text)."""
    import pandas as pd

    from soa_analysis.tagging.corpus import _submission_sentences_by_document, submission_sentences

    title, need, evidence, text, cited = (list(col) for col in zip(*rows)) if rows else ([], [], [], [], [])
    lists = {"title": title, "need": need, "evidence": evidence}
    want = _submission_sentences_by_document(lists, cited, text)
    series = {k: pd.Series(v, dtype="str") for k, v in lists.items()}
    for columns, txt in ((lists, text), (series, pd.Series(text, dtype=object))):
        got = submission_sentences(columns, cited, txt)
        assert got[0] == want[0] and got[1] == want[1] and got[2].tolist() == want[2].tolist()


def test_submission_sentences_with_values_arrow_cannot_take_as_text():
    from soa_analysis.tagging.corpus import _submission_sentences_by_document, submission_sentences

    columns = {"title": ["A title", 5], "need": ["Crime fell. Jobs rose.", None]}
    cited, text = [None, ["National Outcome 6"]], ["", "Whole text. More."]
    got, want = submission_sentences(columns, cited, text), _submission_sentences_by_document(columns, cited, text)
    assert got[0] == want[0] and got[1] == want[1] and got[2].tolist() == want[2].tolist()
