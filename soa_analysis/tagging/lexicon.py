"""Lexicon tagger: weighted taxonomy phrases matched on stem sequences.

Phrases are found by the one phrase index (:class:`~soa_analysis.tagging.phrases.PhraseIndex`,
whose module says what a match is: stems of the one tokeniser, exclusions, the longest match
of a category, negation and hedges). A sentence that cites a "National Outcome" by name also
matches the outcomes whose wording it carries.

Scores. A sentence's weight for a category is the sum of its phrases' weights (capped);
a document's is the sum over sentences, times a per-section weight (a title counts more
than a list of partners). The 0-1 score is ``1 - exp(-S / saturation)``, scaled down when
only a small share of the document's sentences carry the category (a passing mention in a
long report), per the taxonomy's ``scoring`` block.
"""

from __future__ import annotations

import numpy as np

from ..errors import TaxonomyError
from ..taxonomies import load_taxonomy
from .phrases import PhraseIndex, resolve
from .text import FEATURE_STOP_WORDS, AnalysedSentence, analyse, cites_outcome, stems, words

__all__ = ["LexiconTagger", "SECTION_WEIGHTS", "LIST_DAMPING"]

# Sentences matching more than this many categories have each category's weight scaled
# by LIST_DAMPING / n_categories.
LIST_DAMPING = 2

SECTION_WEIGHTS = {
    "title": 1.5, "need": 1.0, "actions": 1.0, "partners_text": 0.3, "evidence": 1.0,
    "added_value": 0.6, "next_steps": 0.8, "achievements": 1.0, "challenges": 0.7,
    "support_required": 0.5, "outcome_progress": 1.0, "outcomes_cited": 1.0, "text": 1.0,
}


class LexiconTagger:
    """Tag documents with a taxonomy's weighted phrases.

    Parameters
    ----------
    taxonomy : str, path-like or Taxonomy
        Shipped name or YAML path, see :func:`soa_analysis.taxonomies.load_taxonomy`.
    section_weights : dict, optional
        Weight of a sentence by template section; defaults to :data:`SECTION_WEIGHTS`.
    citation_overlap : float
        For sentences that cite a "National Outcome", the share of an outcome wording's
        content words that must appear for the citation to count (wording paraphrased or
        cut short). Numbers are never used: numbering shifted between editions.

    Attributes
    ----------
    taxonomy_ : Taxonomy
    categories_ : tuple of str
    phrases_ : PhraseIndex
        The taxonomy's phrases and exclusions (and each National Outcome's wording as a
        phrase), indexed by their stems: :mod:`soa_analysis.tagging.phrases` says what a
        match is.
    wordings_ : list
        (category index, content stems, wording) of the categories with a wording, for
        sentences that cite a National Outcome.

    Example
    -------
    >>> tagger = LexiconTagger(taxonomy="priorities").fit()
    >>> scores, evidence = tagger.score_document("Reablement helped older people stay at home.")
    >>> evidence[0]["category"], evidence[0]["phrases"]
    ('older_people', ['reablement', 'older people', 'stay at home'])
    """

    def __init__(self, *, taxonomy="priorities", section_weights=None, citation_overlap=0.75):
        self.taxonomy = taxonomy
        self.section_weights = section_weights
        self.citation_overlap = citation_overlap

    # ------------------------------------------------------------------ fitting
    def fit(self, X=None, y=None):
        """Load and compile the taxonomy (X and y are ignored); returns self.

        Raises
        ------
        TaxonomyError
            If the taxonomy is invalid or a phrase has no words.
        """
        tax = load_taxonomy(self.taxonomy)
        if not 0 < float(self.citation_overlap) <= 1:
            raise TaxonomyError("citation_overlap must lie in (0, 1]")
        entries, wordings = [], []
        for ci, cat in enumerate(tax.categories):
            phrases = list(cat.phrases)
            if cat.wording and all(p.lower() != cat.wording.lower() for p, _ in phrases):
                phrases.append((cat.wording, 1.0))
            entries += [(ci, phrase, weight, False) for phrase, weight in phrases]
            entries += [(ci, phrase, 0.0, True) for phrase in cat.exclusions]
            if cat.wording:
                toks = [t for t in words(cat.wording) if t not in FEATURE_STOP_WORDS and t not in ("we", "our")]
                wordings.append((ci, frozenset(stems(toks)), cat.wording))
        self.taxonomy_ = tax
        self.categories_ = tax.ids
        self.phrases_ = PhraseIndex(entries, names=tax.ids, source=tax.source)
        self.wordings_ = wordings
        self.scoring_ = dict(tax.scoring)
        self.section_weights_ = dict(SECTION_WEIGHTS if self.section_weights is None else self.section_weights)
        return self

    def _check(self):
        if not hasattr(self, "phrases_"):
            raise TaxonomyError("LexiconTagger is not fitted: call fit() first")

    # ----------------------------------------------------------------- matching
    def match_sentence(self, sent: AnalysedSentence) -> dict[int, list[tuple]]:
        """Phrase matches in one sentence, by category index.

        Returns
        -------
        dict
            category index -> list of (start token, end token, weight, phrase): the
            matches as :mod:`soa_analysis.tagging.phrases` defines them, plus the National
            Outcomes a citing sentence names by their wording.
        """
        st = sent.stems
        found = self.phrases_.find(st)
        if self.wordings_ and cites_outcome(sent.sentence):
            found += self._citations(st)
        if not found:
            return {}
        return resolve(found, *sent.cues())

    def _citations(self, st: list[str]) -> list[tuple]:
        """National Outcomes whose wording a citing sentence carries (in part: ``citation_overlap``),
        as matches in :meth:`PhraseIndex.find`'s form, of weight 1.5."""
        present = set(st)
        found = []
        for ci, wset, wording in self.wordings_:
            if wset and len(wset & present) / len(wset) >= self.citation_overlap:
                pos = [j for j, s in enumerate(st) if s in wset]
                found.append((ci, pos[0], pos[-1] + 1, 1.5, wording, False))
        return found

    # ------------------------------------------------------------------ scoring
    def match_document(self, sents: list[AnalysedSentence]):
        """Raw matches of an analysed document (no scores, no evidence formatting).

        Returns
        -------
        total : list of float
            Per category: sum over sentences of the capped sentence weight times the
            section weight.
        nsent : list of int
            Per category: number of sentences with a match.
        hits : list of tuple
            (category index, sentence index, matches, capped weight) per matched pair;
            matches are (start token, end token, weight, phrase).
        """
        k = len(self.categories_)
        total = [0.0] * k
        nsent = [0] * k
        hits = []
        cap = self.scoring_["sentence_cap"]
        sw = self.section_weights_
        match = self.match_sentence
        for si, sent in enumerate(sents):
            matches = match(sent)
            if not matches:
                continue
            secw = sw.get(sent.section, 1.0)
            # A sentence touching many categories is usually a list of topics (a passing
            # mention of each): damp each category's share.
            damp = LIST_DAMPING / len(matches) if len(matches) > LIST_DAMPING else 1.0
            for ci, ms in matches.items():
                w = sum(m[2] for m in ms) * damp
                if w > cap:
                    w = cap
                total[ci] += w * secw
                nsent[ci] += 1
                hits.append((ci, si, ms, w))
        return total, nsent, hits

    def evidence_row(self, sents: list[AnalysedSentence], hit, *, char_spans=True) -> dict:
        """An evidence dict for one hit of :meth:`match_document`.

        ``token_spans`` are [start, end) token positions of the phrases in the sentence's
        :func:`words`; ``spans`` (only when ``char_spans``) the character offsets.
        """
        ci, si, ms, w = hit
        sent = sents[si]
        row = {"category": self.categories_[ci], "section": sent.section, "sentence": sent.sentence,
               "sentence_index": si, "phrases": [m[3] for m in ms],
               "token_spans": [[m[0], m[1]] for m in ms], "weight": round(w, 4)}
        if char_spans:
            spans = sent.spans()
            row["spans"] = [[spans[m[0]][0], spans[m[1] - 1][1]] for m in ms]
        return row

    def score_many(self, analysed: list[list[AnalysedSentence]]):
        """Scores of many analysed documents at once, with their raw hits.

        Returns
        -------
        scores : numpy.ndarray of shape (n_documents, n_categories)
        hits : list
            Per document, the ``hits`` of :meth:`match_document`.
        """
        self._check()
        k = len(self.categories_)
        totals, nsents, hits, lengths = [], [], [], []
        for sents in analysed:
            t, c, h = self.match_document(sents)
            totals.append(t)
            nsents.append(c)
            hits.append(h)
            lengths.append(max(len(sents), 1))
        if not analysed:
            return np.zeros((0, k)), []
        scores = self.to_scores(np.array(totals, dtype=float), np.array(nsents, dtype=float),
                                 np.array(lengths, dtype=float)[:, None])
        return scores, hits

    def score_document(self, doc, *, evidence=True):
        """Scores (0-1, one per category) and sentence evidence for one document.

        Parameters
        ----------
        doc : str, dict or list
            See :func:`~soa_analysis.tagging.text.as_document`; or a list of :class:`AnalysedSentence`.
        evidence : bool
            Also return the evidence rows.

        Returns
        -------
        scores : numpy.ndarray of shape (n_categories,)
        evidence : list of dict
            One per (category, sentence) with matches: category, section, sentence,
            sentence_index, phrases, spans (character offsets in the sentence), weight.
        """
        self._check()
        sents = analyse(doc)
        total, nsent, hits = self.match_document(sents)
        scores = self.to_scores(np.array(total, dtype=float), np.array(nsent, dtype=float), max(len(sents), 1))
        if not evidence:
            return scores
        return scores, [self.evidence_row(sents, h) for h in hits]

    def to_scores(self, total, nsent, n):
        """Document scores (0-1) from summed sentence weights ``total``, the number of matched
        sentences ``nsent`` and the number of sentences ``n``, per the taxonomy's ``scoring``."""
        sc = self.scoring_
        strength = 1.0 - np.exp(-total / sc["saturation"])
        cw = sc["coverage_weight"]
        if cw:
            share = np.minimum(1.0, (nsent / n) / max(sc["coverage_target"], 1e-9))
            strength = strength * ((1.0 - cw) + cw * share)
        return np.clip(strength, 0.0, 1.0)

    def predict_scores(self, docs) -> np.ndarray:
        """Score many documents: array of shape (n_docs, n_categories), values in 0-1."""
        return self.score_many([analyse(d) for d in docs])[0]

    def predict(self, docs, threshold=None) -> np.ndarray:
        """Binary tags: score at or above ``threshold`` (the taxonomy's by default)."""
        t = self.scoring_["threshold"] if threshold is None else threshold
        return (self.predict_scores(docs) >= t).astype(int)
