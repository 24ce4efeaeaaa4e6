"""The tagging stage's fast paths against the straightforward ones they replace.

* :func:`corpus.tokenise` (Arrow pieces between spaces, each distinct piece tokenised once) against
  :func:`corpus._tokenise_joined` (one regular expression pass over all sentences joined);
* :func:`corpus.submission_sentences` (flat lists) against :func:`corpus.submission_pairs` per document;
* the corpus's cue flags (once per distinct sentence) against :func:`text.cue_flags` per sentence;
* :func:`corpus.model_matrix` (vocabulary split by Arrow) against ``vectorizer.transform``.
* ``stage._EvidenceText.of_hits`` (tags.evidence by Arrow's string kernels) against its object-array build;
* :func:`corpus.lexsort_ints` (one sort of packed keys) against ``np.lexsort``;
* a saved model's kept vocabulary parts against the vectoriser's transform.

All text is FICTIONAL, made up for these tests.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from soa_analysis.tagging import analyse
from soa_analysis.tagging.corpus import (
    Corpus,
    _tokenise_joined,
    _tokenise_pieces,
    lexsort_ints,
    model_matrix,
    submission_pairs,
    submission_sentences,
    tokenise,
)
from soa_analysis.tagging.model import document_features
from soa_analysis.tagging.text import cue_flags, words

# characters and words that take the tokenisers down their every road: curly quotes, the joined
# tokeniser's separator, the two letters that lower-case into ASCII, white space other than a space,
# digits of other scripts, apostrophes and number punctuation, cue words and clause breaks
_PIECES = st.sampled_from(list("abcXYZ '.,%-;:()\t\n\u00a0\u2019\u2018\x1e\u0130\u212a\u0663\u00a312") +
                          ["don't", "isn\u2019t", "1,200.5%", "  ", "older", "People's", "not", "no", "might",
                           "but", "rather than", "employment", "Glenbrae", "anti-social", "\u2013", "e.g."])
_SENTENCES = st.lists(st.lists(_PIECES, max_size=25).map("".join), max_size=12)


def _same(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@settings(max_examples=300, deadline=None)
@given(_SENTENCES)
def test_tokenise_by_pieces_equals_the_joined_pass(sentences):
    _same(_tokenise_pieces(sentences), _tokenise_joined(sentences))
    codes, types, lens = tokenise(sentences)
    assert [types[codes[a:b]].tolist() for a, b in zip(np.r_[0, np.cumsum(lens)[:-1]], np.cumsum(lens))] == \
           [words(s.replace("\x1e", " ")) for s in sentences]


def test_tokenise_falls_back_on_text_arrow_cannot_hold():
    sentences = ["Older people (fictional) \udcff fell.", "Employment rose \u2019s."]
    _same(tokenise(sentences), _tokenise_joined(sentences))


_CELL = st.one_of(st.none(), st.just(""), st.just("  \n"), st.lists(_PIECES, max_size=30).map("".join),
                  st.just("Falls fell. Dr. Brown (fictional) agreed.\n- An item\n\nOlder people e.g. in Glenbrae."),
                  st.just("Jobs (fictional).\r\n\u2022 Apprentices. Older people.\n2)  "), st.just("\x01 A. B.\n- "))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL, _CELL, _CELL,
                          st.one_of(st.none(), st.just("x"), st.lists(st.sampled_from(["", " ", "National Outcome 6"]),
                                                                      max_size=3))),
                min_size=1, max_size=6))
def test_submission_sentences_equal_the_pairs_of_each_submission(rows):
    columns = {"title": [r[0] for r in rows], "need": [r[1] for r in rows], "evidence": [r[2] for r in rows]}
    text = [r[3] for r in rows]
    cited = [r[4] for r in rows]
    sentences, sections, counts = submission_sentences(columns, cited, text)
    pairs = [submission_pairs(columns, cited, text, i) for i in range(len(rows))]
    assert counts.tolist() == [len(p) for p in pairs]
    assert list(zip(sections, sentences)) == [p for doc in pairs for p in doc]


def test_repeated_sentences_keep_their_own_cue_flags():
    cued = "It did not help employment, but helped older people (fictional)."
    docs = [[("text", cued), ("text", "Jobs might possibly grow.")], [("need", cued)], [("text", cued), ("text", "None.")]]
    corpus = Corpus(docs)
    for s in range(corpus.n_sent):
        toks = corpus.tokens(s)
        flags = cue_flags(corpus.sentences[s], toks) or ([False] * len(toks), [False] * len(toks))
        a, b = corpus.sent_tok[s], corpus.sent_tok[s + 1]
        assert corpus.negated[a:b].tolist() == flags[0]
        assert corpus.hedged[a:b].tolist() == flags[1]


@pytest.mark.parametrize("extra", [[], ["not_"], ["not_older  peopl", "peopl not_older"], ["older"]])
@settings(max_examples=40, deadline=None)
@given(sentences=st.lists(st.lists(_PIECES, max_size=25).map("".join), min_size=1, max_size=8))
def test_model_matrix_equals_the_vectoriser_transform(sentences, extra):
    docs = [[("text", s) for s in sentences[: len(sentences) // 2]], [("text", s) for s in sentences[len(sentences) // 2:]]]
    features = [document_features(analyse(d)) for d in docs]
    vectorizer = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True).fit(features + [extra + ["glen"]])
    got = model_matrix(vectorizer, Corpus(docs))
    assert (got != vectorizer.transform(features)).nnz == 0
    assert (model_matrix(vectorizer, Corpus(docs)) != got).nnz == 0  # again, from the kept vocabulary parts


_CUED = st.sampled_from(["Older people (fictional) were supported.", "Employment and jobs rose in Glenbrae.",
                         "Falls prevention for older people at home, e.g. telecare.", "The school \u00e9l\u00e8ves agreed.",
                         "Modern apprenticeships and employability for young people " + "(fictional) " * 30 + "rose.",
                         "Antisocial behaviour and crime fell; community safety improved.", "None.",
                         "Early years, nursery and parenting support grew \u2019s.", "National Outcome 6 (fictional)."])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["title", "need", "evidence"]), st.one_of(_CUED, st.lists(
    _PIECES, max_size=20).map("".join))), max_size=8), min_size=1, max_size=6))
def test_evidence_strings_by_arrow_equal_those_by_object_arrays(docs):
    """tags.evidence built by Arrow's string kernels equals the numpy object-array build (phrases, sections,
    clipped sentences, parts joined per cell) on FICTIONAL documents, for a lexicon and a model's taxonomy."""
    from soa_analysis.tagging import LexiconTagger
    from soa_analysis.tagging.corpus import match_lexicon
    from soa_analysis.tagging.stage import _evidence_strings_by_objects, _EvidenceText

    corpus = Corpus(docs)
    sentences, sections = np.array(corpus.sentences, dtype=object), np.array(corpus.sections, dtype=object)
    for taxonomy in ("priorities", "outcomes_soa"):
        lexicon = LexiconTagger(taxonomy=taxonomy).fit()
        lm = match_lexicon(lexicon, corpus)
        k = len(lexicon.categories_)
        cell, size = lm.hit_doc * k + lm.hit_cat, len(docs) * k
        if not len(cell):
            continue
        got = _EvidenceText.of_hits(lm, cell, sections, sentences.copy(), size).strings()
        want = _evidence_strings_by_objects(lm, cell, sections, sentences.copy(), size)
        assert got.dtype == want.dtype and got.tolist() == want.tolist()
        # the stage's inputs: the sentences as the corpus's Arrow text (only the long ones clipped in Python),
        # the sections as a Categorical of the corpus's codes
        codes = pd.Categorical.from_codes(corpus.sent_section, categories=pd.Index(corpus.section_names, dtype=object))
        by_arrow = _EvidenceText.of_hits(lm, cell, codes, corpus._arrow, size).strings()
        assert by_arrow.dtype == want.dtype and by_arrow.tolist() == want.tolist()


@pytest.mark.parametrize("surrogate", ["", "\udcff"])
def test_corpus_citing_equals_cites_outcome_of_each_sentence(surrogate):
    """The sentences found citing a National Outcome (Arrow's prefilter, then cites_outcome) are those
    cites_outcome accepts, counted among the kept sentences (a sentence without tokens is dropped first)."""
    from soa_analysis.tagging.text import cites_outcome

    texts = ["...", "This supports National Outcome 6 (fictional).", "- \u2022", "NATIONAL OUTCOMES were met.",
             "Our national   outcome work" + surrogate, "OutCome of National OutCome review.", "Outcomes improved.",
             "\u2014", "national outcomes, again (fictional)."]
    corpus = Corpus([[("text", t) for t in texts[:4]], [("need", t) for t in texts[4:]]])
    assert corpus.citing() == [s for s, text in enumerate(corpus.sentences) if cites_outcome(text)]
    assert len(corpus.citing()) == 4 and corpus.n_sent < len(texts)


_INTS = st.lists(st.integers(-3, 6), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(_INTS, min_size=1, max_size=4), st.sampled_from([1, 1 << 20, 1 << 40]))
def test_lexsort_ints_equals_np_lexsort(columns, scale):
    """One stable sort of the keys packed into one int64 orders as np.lexsort (wide keys: np.lexsort itself)."""
    n = min(map(len, columns))
    keys = [np.array(c[:n], dtype=np.int64) * scale for c in columns]
    keys += [np.array(columns[0][:n], dtype=np.int32)]  # a narrower integer type as the primary key
    np.testing.assert_array_equal(lexsort_ints(keys), np.lexsort(keys))


def test_saved_model_transforms_the_corpus_with_its_kept_vocabulary_parts(monkeypatch):
    """A fitted SupervisedTagger keeps its vocabulary's parts (pickled with it): transform_corpus after loading
    does not split the vocabulary again, and gives the vectoriser's transform."""
    from soa_analysis.tagging import corpus as corpus_module
    from soa_analysis.tagging.model import SupervisedTagger

    docs = [[("text", "Older people (fictional) were not supported at home.")], [("text", "Jobs and employment rose.")],
            [("need", "Crime fell; young people did not offend.")], [("text", "Older people and jobs in Glenbrae.")]]
    features = [document_features(analyse(d)) for d in docs]
    model = pickle.loads(pickle.dumps(SupervisedTagger().fit(features, np.array([[1, 0], [0, 1], [0, 1], [1, 1]]))))
    calls = []
    monkeypatch.setattr(corpus_module, "vocabulary_parts", lambda v: calls.append(v))
    got = model.transform_corpus(Corpus(docs))
    assert calls == [] and (got != model.transform(features)).nnz == 0


def test_saved_model_keeps_its_feature_names_once_as_arrow_text():
    """A SupervisedTagger pickles its features' names as Arrow text instead of the vectoriser's vocabulary and an
    object array of names; loaded, both are made again when first asked for (the fitted ones), and transform_corpus
    does not make them. A model pickled with the vocabulary (an earlier layout) still loads."""
    import pyarrow as pa

    from soa_analysis.tagging.model import SupervisedTagger

    docs = [[("text", "Older people (fictional) were not supported at home.")], [("text", "Jobs and employment rose.")],
            [("need", "Crime fell; young people did not offend.")], [("text", "Older people and jobs in Glenbrae.")]]
    features = [document_features(analyse(d)) for d in docs]
    fitted = SupervisedTagger().fit(features, np.array([[1, 0], [0, 1], [0, 1], [1, 1]]))
    vocab, names = dict(fitted.vectorizer_.vocabulary_), fitted.feature_names_.copy()
    state = fitted.__getstate__()
    assert isinstance(state["_names"], pa.Array) and not hasattr(state["_vectorizer"], "vocabulary_")
    assert hasattr(fitted.vectorizer_, "vocabulary_")  # the fitted model itself is left as it was
    loaded = pickle.loads(pickle.dumps(fitted))
    loaded.transform_corpus(Corpus(docs))
    assert not hasattr(loaded.__dict__["_vectorizer"], "vocabulary_") and "_feature_names" not in loaded.__dict__
    assert loaded.vectorizer_.vocabulary_ == vocab and list(loaded.feature_names_) == list(names)
    assert (loaded.transform(features) != fitted.transform(features)).nnz == 0
    old = SupervisedTagger.__new__(SupervisedTagger)
    old.__setstate__({k: v for k, v in vars(fitted).items() if not k.startswith("_")}
                     | {"vectorizer_": fitted.vectorizer_, "feature_names_": names})
    assert old.vectorizer_.vocabulary_ == vocab and list(old.feature_names_) == list(names)
    assert (old.transform_corpus(Corpus(docs)) != fitted.transform(features)).nnz == 0
