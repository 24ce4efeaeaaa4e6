"""Lexicon tagger: weighted taxonomy phrases matched on stem sequences.

Each phrase of a taxonomy is reduced to its stem sequence and indexed by its first stem,
so a sentence costs one dictionary look-up per token plus a comparison for the few
tokens that start a phrase. Within a category the longest phrase wins where matches
overlap, words covered by one of the category's ``exclusions`` ("older buildings") do not
count, a phrase inside a negation scope ("no impact on older people") does not count, and
one inside a hedge scope ("might indirectly help jobs") counts half.

Scores. A sentence's weight for a category is the sum of its phrases' weights (capped);
a document's is the sum over sentences, times a per-section weight (a title counts more
than a list of partners). The 0-1 score is ``1 - exp(-S / saturation)``, scaled down when
only a small share of the document's sentences carry the category (a passing mention in a
long report), per the taxonomy's ``scoring`` block.
"""

from __future__ import annotations

import math
import numpy as np

from ..errors import TaxonomyError
from ..taxonomies import Taxonomy, load_taxonomy
from .text import _STEM_CACHE, WORD_RE, CITATION_RE, FEATURE_STOP_WORDS, cue_flags, phrase_stems, split_sentences, stems, token_spans, words

__all__ = ["LexiconTagger", "SECTION_WEIGHTS", "as_document", "AnalysedSentence", "analyse"]

# Sentences matching more than this many categories have each category's weight scaled
# by LIST_DAMPING / n_categories.
LIST_DAMPING = 2

SECTION_WEIGHTS = {
    "title": 1.5, "need": 1.0, "actions": 1.0, "partners_text": 0.3, "evidence": 1.0,
    "added_value": 0.6, "next_steps": 0.8, "achievements": 1.0, "challenges": 0.7,
    "support_required": 0.5, "outcome_progress": 1.0, "outcomes_cited": 1.0, "text": 1.0,
}


class AnalysedSentence:
    """One sentence, analysed once and shared by both taggers.

    Attributes: ``section``, ``sentence``, ``tokens`` (:func:`words`), ``stems``; negation
    and hedge flags and character spans are computed on first use (:meth:`cues`, :meth:`spans`).
    """

    __slots__ = ("section", "sentence", "tokens", "stems", "negated", "hedged", "_cues_done", "_spans")

    def __init__(self, section, sentence, tokens, stems):
        self.section = section
        self.sentence = sentence
        self.tokens = tokens
        self.stems = stems
        self.negated = None
        self.hedged = None
        self._cues_done = False
        self._spans = None

    def __repr__(self):
        return f"AnalysedSentence({self.section!r}, {self.sentence!r})"

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state):
        for k, v in state.items():
            setattr(self, k, v)

    def spans(self):
        """Character spans of the tokens (computed on first use)."""
        if self._spans is None:
            self._spans = token_spans(self.sentence, self.tokens)
        return self._spans

    def cues(self):
        """Negation and hedge flags (computed on first use; None lists when no cue)."""
        if not self._cues_done:
            flags = cue_flags(self.sentence, self.tokens)
            if flags is not None:
                self.negated, self.hedged = flags
            self._cues_done = True
        return self.negated, self.hedged


def as_document(doc) -> list[tuple[str, str]]:
    """Normalise a document to a list of (section, sentence).

    Accepts a string (split into sentences, section ``"text"``), a mapping of section name
    to text, or an iterable of (section, sentence) pairs.
    """
    if isinstance(doc, str):
        return [("text", s) for s in split_sentences(doc)]
    if isinstance(doc, dict):
        return [(sec, s) for sec, txt in doc.items() if isinstance(txt, str) and txt for s in split_sentences(txt)]
    if isinstance(doc, list) and all(type(p) is tuple and len(p) == 2 for p in doc):
        return doc
    return [(str(sec), str(s)) for sec, s in doc]


def analyse(doc) -> list[AnalysedSentence]:
    """Analyse a document (see :func:`as_document`) into :class:`AnalysedSentence` objects.

    Same tokens and stems as :func:`words` and :func:`stems`, inlined: this loop runs once
    per sentence of every submission.
    """
    if isinstance(doc, list) and doc and isinstance(doc[0], AnalysedSentence):
        return doc
    findall = WORD_RE.findall
    getstem = _STEM_CACHE.__getitem__
    out = []
    append = out.append
    for sec, s in as_document(doc):
        low = s.lower()
        if "\u2019" in low or "\u2018" in low:
            low = low.replace("\u2019", "'").replace("\u2018", "'")
        toks = findall(low)
        if not toks:
            continue
        try:
            st = list(map(getstem, toks))
        except KeyError:
            st = stems(toks)
        append(AnalysedSentence(sec, s, toks, st))
    return out


def _longest_first(f):
    return (f[1] - f[2], f[1])


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
    index_ : dict
        First stem -> list of (stem tuple, category index, weight, phrase, is_exclusion).

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
        index: dict[str, list] = {}
        index1: dict[str, list] = {}
        index2: dict[tuple, list] = {}
        wordings = []
        for ci, cat in enumerate(tax.categories):
            entries = list(cat.phrases)
            if cat.wording and all(p.lower() != cat.wording.lower() for p, _ in entries):
                entries.append((cat.wording, 1.0))
            for phrase, weight in entries:
                key = phrase_stems(phrase)
                if not key:
                    raise TaxonomyError(f"{tax.source}: phrase {phrase!r} of {cat.id!r} has no words")
                index.setdefault(key[0], []).append((key, ci, float(weight), phrase, False))
            for phrase in cat.exclusions:
                key = phrase_stems(phrase)
                index.setdefault(key[0], []).append((key, ci, 0.0, phrase, True))
            if cat.wording:
                toks = [t for t in words(cat.wording) if t not in FEATURE_STOP_WORDS and t not in ("we", "our")]
                wordings.append((ci, frozenset(stems(toks)), cat.wording))
        for v in index.values():
            v.sort(key=lambda e: (-len(e[0]), e[3]))
            for e in v:
                if len(e[0]) == 1:
                    index1.setdefault(e[0][0], []).append(e)
                else:
                    index2.setdefault(e[0][:2], []).append(e)
        self.index1_ = index1
        self.index2_ = index2
        self.first_stems_ = frozenset(index)
        self.taxonomy_ = tax
        self.categories_ = tax.ids
        self.index_ = index
        self.wordings_ = wordings
        self.scoring_ = dict(tax.scoring)
        self.section_weights_ = dict(SECTION_WEIGHTS if self.section_weights is None else self.section_weights)
        return self

    def _check(self):
        if not hasattr(self, "index_"):
            raise TaxonomyError("LexiconTagger is not fitted: call fit() first")

    # ----------------------------------------------------------------- matching
    def match_sentence(self, sent: AnalysedSentence) -> dict[int, list[tuple]]:
        """Phrase matches in one sentence, by category index.

        Returns
        -------
        dict
            category index -> list of (start token, end token, weight, phrase); matches
            that are negated or covered by an exclusion are left out.
        """
        firsts = self.first_stems_
        st = sent.stems
        text = sent.sentence
        cited = bool(self.wordings_) and ("utcome" in text or "UTCOME" in text) and \
            CITATION_RE.search(text) is not None
        if not cited and firsts.isdisjoint(st):
            return {}
        index1 = self.index1_
        index2 = self.index2_
        found: list[tuple] = []
        n = len(st)
        hit = firsts.intersection(st)
        if len(hit) * 4 < n:
            positions = []
            for s in hit:
                i = st.index(s)
                positions.append(i)
                for _ in range(st.count(s) - 1):
                    i = st.index(s, i + 1)
                    positions.append(i)
            positions.sort()
        else:
            positions = [i for i, s in enumerate(st) if s in hit]
        for i in positions:
            s = st[i]
            entries = index1.get(s)
            if entries is not None:
                for key, ci, w, phrase, excl in entries:
                    found.append((ci, i, i + 1, w, phrase, excl))
            if i + 1 < n:
                entries = index2.get((s, st[i + 1]))
                if entries is not None:
                    for key, ci, w, phrase, excl in entries:
                        L = len(key)
                        if L == 2 or (i + L <= n and tuple(st[i:i + L]) == key):
                            found.append((ci, i, i + L, w, phrase, excl))
        if cited:
            present = set(st)
            for ci, wset, wording in self.wordings_:
                if wset and len(wset & present) / len(wset) >= self.citation_overlap:
                    pos = [j for j, s in enumerate(st) if s in wset]
                    found.append((ci, pos[0], pos[-1] + 1, 1.5, wording, False))
        if not found:
            return {}
        negated, hedged = sent.cues()
        by_cat: dict[int, list[tuple]] = {}
        for f in found:
            by_cat.setdefault(f[0], []).append(f)
        out: dict[int, list[tuple]] = {}
        for ci, fs in by_cat.items():
            if len(fs) == 1:  # the common case: one match, nothing to resolve
                _, a, b, w, phrase, excl = fs[0]
                if excl or (negated is not None and negated[a]):
                    continue
                if hedged is not None and hedged[a]:
                    w *= 0.5
                out[ci] = [(a, b, w, phrase)]
                continue
            excluded = [(a, b) for _, a, b, _, _, excl in fs if excl]
            fs.sort(key=_longest_first)
            taken: list[tuple[int, int]] = []
            kept = []
            for _, a, b, w, phrase, excl in fs:
                if excl or (negated is not None and negated[a]):
                    continue
                clash = False
                for ea, eb in excluded:
                    if a < eb and ea < b:
                        clash = True
                        break
                if not clash:
                    for ta, tb in taken:
                        if a < tb and ta < b:
                            clash = True
                            break
                if clash:
                    continue
                if hedged is not None and hedged[a]:
                    w *= 0.5
                taken.append((a, b))
                kept.append((a, b, w, phrase))
            if kept:
                kept.sort()
                out[ci] = kept
        return out

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
        scores = self._to_scores(np.array(totals, dtype=float), np.array(nsents, dtype=float),
                                 np.array(lengths, dtype=float)[:, None])
        return scores, hits

    def score_document(self, doc, *, evidence=True):
        """Scores (0-1, one per category) and sentence evidence for one document.

        Parameters
        ----------
        doc : str, dict or list
            See :func:`as_document`; or a list of :class:`AnalysedSentence`.
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
        scores = self._to_scores(np.array(total, dtype=float), np.array(nsent, dtype=float), max(len(sents), 1))
        if not evidence:
            return scores
        return scores, [self.evidence_row(sents, h) for h in hits]

    def _to_scores(self, total, nsent, n):
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
