"""The tagging stage's corpus engine: every sentence of every submission as flat arrays.

:func:`analyse` and :meth:`LexiconTagger.match_sentence` work one sentence at a time, with
Python objects per sentence and per token; that is clear, and it is what the taggers use for
single documents and training. For a whole submissions table the stage uses this module
instead, which computes the same results with a few passes over numpy arrays:

* :class:`Corpus` splits the submissions into sentences (:func:`text.split_sentences`),
  joins all sentences with a separator and tokenises the lot with **one** ``findall`` of
  :data:`text.WORD_RE`; token types and stems become integer ids (``pandas.factorize``).
  Negation and hedge flags are computed, sentence by sentence, only for the few sentences
  holding a cue word.
* :func:`match_lexicon` finds every taxonomy phrase at once by walking a prefix trie of the
  phrases' stem ids level by level over candidate positions, then resolves overlaps
  (longest first, exclusions, negation, hedges) and scores with vectorised group
  operations. Sentences citing a National Outcome by name go through
  :meth:`LexiconTagger.match_sentence` itself (they are few).
* :func:`model_matrix` builds the supervised model's count matrix from stem ids (unigrams
  and bigrams, negation-marked) and hands it to the fitted vectoriser's own TF-IDF step, so
  the matrix is the one ``vectorizer_.transform(document_features(...))`` would give.

A test keeps these results equal to the per-sentence reference on hand-made documents.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..schema import narrative_parts
from .lexicon import LIST_DAMPING, LexiconTagger
from .text import (
    _ALL_CUES,
    _STEM_CACHE,
    FEATURE_STOP_WORDS,
    WORD_RE,
    AnalysedSentence,
    cites_outcome,
    cue_flags,
    split_sentences,
    stems,
)

__all__ = ["Corpus", "LexiconMatches", "match_lexicon", "model_matrix", "submission_pairs"]

_SEP = "\x1e"  # record separator: never part of a token
_TOKEN_OR_SEP_ANY_CASE = re.compile(WORD_RE.pattern.replace("[a-z]", "[A-Za-z]") + "|\x1e")


class Corpus:
    """All sentences of a submissions table, tokenised once.

    Attributes
    ----------
    n_docs : int
    doc_sent : numpy.ndarray
        Offsets: the sentences of document ``i`` are ``doc_sent[i]:doc_sent[i + 1]``
        (only sentences with at least one token, as :func:`analyse` keeps them).
    sentences, sections : list of str
        Per sentence.
    sent_doc : numpy.ndarray
        Document of each sentence.
    sent_tok : numpy.ndarray
        Offsets of each sentence's tokens in the flat token arrays.
    tok_type, tok_stem : numpy.ndarray
        Per token: type id (into ``types``) and stem id (into ``stems``).
    negated, hedged : numpy.ndarray of bool
        Per token: in a negation / hedge scope (see :func:`text.cue_flags`).
    """

    def __init__(self, docs: list[list[tuple[str, str]]]):
        sentences: list[str] = []
        sections: list[str] = []
        counts = np.zeros(len(docs), dtype=np.int64)
        for i, pairs in enumerate(docs):
            counts[i] = len(pairs)
            for sec, s in pairs:
                sections.append(sec)
                sentences.append(s)
        big = _SEP.join(sentences)
        if big.count(_SEP) != max(len(sentences) - 1, 0):  # a separator inside the text: blank it out
            big = _SEP.join(s.replace(_SEP, " ") for s in sentences)
        if "\u2019" in big or "\u2018" in big:
            big = big.replace("\u2019", "'").replace("\u2018", "'")
        # Tokens of the lower-cased text are the lower-cased tokens of the text (A-Z and a-z
        # pair up; no other character lower-cases into a token character, except two that
        # send the text down the slow road), so only the token types are lower-cased.
        if "\u0130" in big or "\u212a" in big:
            big = big.lower()
        toks = _TOKEN_OR_SEP_ANY_CASE.findall(big) if sentences else []
        codes, types = pd.factorize(np.array(toks, dtype=object)) if toks else (np.zeros(0, np.int64), np.array([], dtype=object))
        del toks, big
        lower_codes, types = pd.factorize(np.array([t.lower() for t in types], dtype=object))
        codes = lower_codes[codes] if len(codes) else codes
        types = np.asarray(types, dtype=object)
        sep_code = -1
        hits = np.flatnonzero(types == _SEP)
        if len(hits):
            sep_code = int(hits[0])
        is_sep = codes == sep_code
        # tokens per raw sentence: separators split the stream
        sep_pos = np.flatnonzero(is_sep)
        n_raw = len(sentences)
        bounds = np.concatenate(([0], sep_pos + 1, [len(codes) + 1])) if n_raw else np.zeros(1, np.int64)
        raw_len = (np.diff(bounds) - 1) if n_raw else np.zeros(0, np.int64)
        keep = raw_len > 0
        codes = codes[~is_sep]
        self.types = types
        self.tok_type = codes.astype(np.int64)
        kept_idx = np.flatnonzero(keep)
        all_kept = len(kept_idx) == n_raw
        self.sentences = sentences if all_kept else [sentences[j] for j in kept_idx]
        self.sections = sections if all_kept else [sections[j] for j in kept_idx]
        lens = raw_len[keep]
        self.sent_tok = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
        raw_doc = np.repeat(np.arange(len(docs)), counts)
        self.sent_doc = raw_doc[keep]
        self.n_docs = len(docs)
        self.doc_sent = np.searchsorted(self.sent_doc, np.arange(len(docs) + 1)).astype(np.int64)
        self.n_sent = len(self.sentences)
        n_tok = len(self.tok_type)
        self.tok_sent = np.repeat(np.arange(self.n_sent), lens)
        # stems per type, then stem ids
        cache = _STEM_CACHE
        type_list = types.tolist()
        for t in type_list:
            if t not in cache and t != _SEP:
                stems([t])
        type_stems = [cache.get(t, "") for t in type_list]
        scodes, suniq = pd.factorize(np.array(type_stems, dtype=object))
        self.type_stem = scodes.astype(np.int64)
        self.stems = list(suniq)
        self.stem_id = {s: i for i, s in enumerate(self.stems)}
        self.tok_stem = self.type_stem[self.tok_type] if n_tok else np.zeros(0, np.int64)
        self.type_content = np.array([t not in FEATURE_STOP_WORDS and t != _SEP and not t[0].isdigit()
                                      for t in type_list], dtype=bool)
        type_cue = np.array([t in _ALL_CUES or t.endswith("n't") for t in type_list], dtype=bool)
        self.negated = np.zeros(n_tok, dtype=bool)
        self.hedged = np.zeros(n_tok, dtype=bool)
        if n_tok and type_cue.any():
            for s in np.unique(self.tok_sent[type_cue[self.tok_type]]).tolist():
                flags = cue_flags(self.sentences[s], self.tokens(s))
                if flags is not None:
                    a, b = self.sent_tok[s], self.sent_tok[s + 1]
                    self.negated[a:b] = flags[0]
                    self.hedged[a:b] = flags[1]
        sec_codes, self.section_names = pd.factorize(np.array(self.sections, dtype=object)) \
            if self.n_sent else (np.zeros(0, np.int64), np.array([], dtype=object))
        self.sent_section = sec_codes.astype(np.int64)

    def tokens(self, s: int) -> list[str]:
        """The word tokens of sentence ``s`` (as :func:`text.words` gives them)."""
        return self.types[self.tok_type[self.sent_tok[s]:self.sent_tok[s + 1]]].tolist()

    def sentence(self, s: int) -> AnalysedSentence:
        """Sentence ``s`` as an :class:`AnalysedSentence` (for per-sentence code paths)."""
        st = [self.stems[j] for j in self.tok_stem[self.sent_tok[s]:self.sent_tok[s + 1]]]
        return AnalysedSentence(self.sections[s], self.sentences[s], self.tokens(s), st)

    def analysed(self, i: int) -> list[AnalysedSentence]:
        """Document ``i`` as :class:`AnalysedSentence` objects (for per-sentence code paths)."""
        return [self.sentence(s) for s in range(self.doc_sent[i], self.doc_sent[i + 1])]

    def section_weights(self, mapping: dict) -> np.ndarray:
        """Per sentence: the weight of its section in ``mapping`` (1.0 when absent)."""
        w = np.array([mapping.get(n, 1.0) for n in self.section_names], dtype=float)
        return w[self.sent_section] if self.n_sent else np.zeros(0)


class LexiconMatches:
    """Result of :func:`match_lexicon` for one taxonomy.

    Attributes
    ----------
    scores : numpy.ndarray (n_docs, k)
    hit_doc, hit_cat, hit_sent, hit_w : numpy.ndarray
        One entry per (sentence, category) with kept matches; ``hit_w`` is the capped,
        damped sentence weight. Sorted by document, category, weight descending, sentence.
    hit_lo, hit_hi : numpy.ndarray
        Each hit's matches are ``m_*[hit_lo[j]:hit_hi[j]]`` (in token order).
    m_a, m_b, m_w : numpy.ndarray
        Token span ``[m_a, m_b)`` of each match in its sentence, and its weight (halved in a
        hedge scope).
    m_phrase : list of str
        Phrase of each match.
    """


def _phrase_tables(lexicon: LexiconTagger, corpus: Corpus):
    """Flatten a fitted lexicon into a prefix trie over the corpus's stem ids."""
    sid = corpus.stem_id
    V = max(len(corpus.stems), 1)
    e_cat, e_w, e_excl, e_phrase, e_keyids = [], [], [], [], []
    for key, ci, w, phrase, excl in lexicon.phrases_.entries():
        ids = [sid.get(s, -1) for s in key]
        if -1 in ids:
            continue  # a stem the corpus never uses: the phrase cannot match
        e_cat.append(ci), e_w.append(w), e_excl.append(excl), e_phrase.append(phrase), e_keyids.append(tuple(ids))
    levels = []  # per level L (1-based): sorted keys (parent*V + stem), pid per key, complete -> entries
    prefix_pid: dict[tuple, int] = {}
    maxL = max((len(k) for k in e_keyids), default=0)
    for L in range(1, maxL + 1):
        pids: dict[tuple, int] = {}
        for k in e_keyids:
            if len(k) >= L:
                pids.setdefault(k[:L], len(pids))
        keys = np.array([(prefix_pid[p[:-1]] if L > 1 else 0) * V + p[-1] for p in pids], dtype=np.int64)
        pid_arr = np.arange(len(pids), dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        ents: list[list[int]] = [[] for _ in range(len(pids))]
        for e, k in enumerate(e_keyids):
            if len(k) == L:
                ents[pids[k]].append(e)
        cnt = np.array([len(x) for x in ents], dtype=np.int64)
        off = np.concatenate(([0], np.cumsum(cnt))).astype(np.int64)
        flat = np.array([e for x in ents for e in x], dtype=np.int64)
        levels.append((keys[order], pid_arr[order], cnt, off, flat))
        prefix_pid = pids
    return (np.array(e_cat, dtype=np.int64), np.array(e_w, dtype=float), np.array(e_excl, dtype=bool),
            e_phrase, levels, V)


def _find(corpus: Corpus, levels, V):
    """All (token position, length, entry) where a phrase's stems occur within one sentence."""
    S = corpus.tok_stem
    T = len(S)
    out_pos, out_len, out_ent = [], [], []
    if not levels or not T:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys1, pids1 = levels[0][0], levels[0][1]
    lut = np.full(V, -1, dtype=np.int64)
    lut[keys1] = pids1
    pid = lut[S]
    pos = np.flatnonzero(pid >= 0)
    pid = pid[pos]
    tok_sent = corpus.tok_sent
    for L, (keys, pids, cnt, off, flat) in enumerate(levels, start=1):
        if L > 1:
            nxt = pos + (L - 1)
            ok = nxt < T
            pos, pid, nxt = pos[ok], pid[ok], nxt[ok]
            ok = tok_sent[nxt] == tok_sent[pos]
            pos, pid, nxt = pos[ok], pid[ok], nxt[ok]
            key = pid * V + S[nxt]
            j = np.searchsorted(keys, key)
            j[j >= len(keys)] = 0
            ok = keys[j] == key if len(keys) else np.zeros(len(key), bool)
            pos, pid = pos[ok], pids[j[ok]]
        if not len(pos):
            break
        c = cnt[pid]
        has = c > 0
        if has.any():
            p, cc, start = pos[has], c[has], off[pid[has]]
            rep = np.repeat(np.arange(len(p)), cc)
            within = np.arange(len(rep)) - np.repeat(np.cumsum(cc) - cc, cc)
            out_pos.append(p[rep])
            out_len.append(np.full(len(rep), L, dtype=np.int64))
            out_ent.append(flat[start[rep] + within])
    if not out_pos:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_pos), np.concatenate(out_len), np.concatenate(out_ent)


def _first_of_group(g):
    first = np.ones(len(g), dtype=bool)
    first[1:] = g[1:] != g[:-1]
    return first


def match_lexicon(lexicon: LexiconTagger, corpus: Corpus) -> LexiconMatches:
    """Every phrase match of a fitted lexicon in the corpus, resolved and scored.

    Same matches, weights and scores as :meth:`LexiconTagger.score_many` over
    ``corpus.analysed(i)`` for every document: the occurrences of the lexicon's phrases
    (:func:`_occurrences`), resolved by the tagging rule of :mod:`~soa_analysis.tagging.phrases`
    on arrays (:func:`_resolve`), with the sentences that cite a National Outcome matched by
    the per-sentence tagger (:func:`_cited_matches`), then scored (:func:`_score`).
    """
    occ, e_phrase = _occurrences(lexicon, corpus)
    cited = [s for s, text in enumerate(corpus.sentences) if cites_outcome(text)] if lexicon.wordings_ else []
    if cited:  # the per-sentence tagger matches these sentences (wordings, spans)
        keep = ~np.isin(occ["sent"], np.array(cited, dtype=np.int64))
        occ = {name: x[keep] for name, x in occ.items()}
    kept = _resolve(occ, len(lexicon.categories_), corpus)
    matches = {"sent": occ["sent"][kept], "cat": occ["cat"][kept], "a": occ["a"][kept], "b": occ["b"][kept],
               "w": occ["w"][kept] * np.where(corpus.hedged[occ["pos"][kept]], 0.5, 1.0) if len(kept) else np.zeros(0)}
    phrases = [e_phrase[j] for j in occ["phrase"][kept].tolist()]
    if cited:
        matches, phrases = _cited_matches(lexicon, corpus, cited, matches, phrases)
    return _score(lexicon, corpus, matches, phrases)


def _occurrences(lexicon: LexiconTagger, corpus: Corpus) -> tuple[dict, list]:
    """Every occurrence of an entry of the lexicon's phrase index in the corpus, as arrays:
    ``pos`` (corpus token), ``sent``, ``a``/``b`` (token span in the sentence), ``cat``, ``w``,
    ``excl`` and ``phrase`` (entry index: entries are in (first stem, -len, phrase) order, a
    tie-break like the per-sentence tagger's); and each entry's phrase."""
    e_cat, e_w, e_excl, e_phrase, levels, V = _phrase_tables(lexicon, corpus)
    pos, L, ent = _find(corpus, levels, V)
    sent = corpus.tok_sent[pos] if len(pos) else np.zeros(0, np.int64)
    a = pos - corpus.sent_tok[sent] if len(pos) else np.zeros(0, np.int64)
    return {"pos": pos, "sent": sent, "a": a, "b": a + L, "cat": e_cat[ent], "w": e_w[ent], "excl": e_excl[ent],
            "phrase": ent}, e_phrase


def _resolve(occ: dict, k: int, corpus: Corpus) -> np.ndarray:
    """The tagging rule (:func:`soa_analysis.tagging.phrases.resolve`) on arrays: indices of the
    occurrences kept (hedges are weighed by the caller)."""
    sent, a, b, cat, excl = occ["sent"], occ["a"], occ["b"], occ["cat"], occ["excl"]
    g = sent * k + cat
    # exclusions: a match overlapping an exclusion of its category in its sentence does not count
    drop = excl.copy()
    if excl.any():
        ex_order = np.flatnonzero(excl)
        ex_order = ex_order[np.argsort(g[ex_order], kind="stable")]
        eg, ea, eb = g[ex_order], a[ex_order], b[ex_order]
        cand = np.flatnonzero(~excl & np.isin(g, eg))
        lo = np.searchsorted(eg, g[cand], "left")
        hi = np.searchsorted(eg, g[cand], "right")
        clash = np.zeros(len(cand), dtype=bool)
        for j in range(int((hi - lo).max()) if len(cand) else 0):
            idx = lo + j
            ok = idx < hi
            idx = np.where(ok, idx, 0)
            clash |= ok & (a[cand] < eb[idx]) & (ea[idx] < b[cand])
        drop[cand[clash]] = True
    # negation: a match whose first word is in a negation scope does not count
    drop |= corpus.negated[occ["pos"]] if len(occ["pos"]) else drop
    live = np.flatnonzero(~drop)
    # longest first, then leftmost, then phrase order; greedy: keep a match unless it overlaps one kept
    order = live[np.lexsort((occ["phrase"][live], a[live], -(b[live] - a[live]), g[live]))]
    kept_parts = []
    while len(order):
        first = _first_of_group(g[order])
        winners = order[first]
        kept_parts.append(winners)
        rest = order[~first]
        if not len(rest):
            break
        j = np.searchsorted(g[winners], g[rest])
        wa, wb = a[winners][j], b[winners][j]
        order = rest[~((a[rest] < wb) & (wa < b[rest]))]
    return np.concatenate(kept_parts) if kept_parts else np.zeros(0, np.int64)


def _cited_matches(lexicon: LexiconTagger, corpus: Corpus, cited: list[int], matches: dict,
                   phrases: list) -> tuple[dict, list]:
    """``matches`` and ``phrases`` with the per-sentence tagger's matches of the ``cited`` sentences added."""
    rows: list[tuple] = []
    for s in cited:
        for ci, ms in lexicon.match_sentence(corpus.sentence(s)).items():
            rows.extend((s, ci, m[0], m[1], m[2], m[3]) for m in ms)
    xs, xc, xa, xb, xw, xp = (list(col) for col in zip(*rows)) if rows else ([], [], [], [], [], [])
    out = {name: np.concatenate((matches[name], np.array(extra, dtype=np.int64)))
           for name, extra in (("sent", xs), ("cat", xc), ("a", xa), ("b", xb))}
    out["w"] = np.concatenate((matches["w"], np.array(xw, dtype=float)))
    return out, phrases + xp


def _score(lexicon: LexiconTagger, corpus: Corpus, matches: dict, phrases: list) -> LexiconMatches:
    """Sentence weights (summed, damped, capped), document scores and the evidence order of
    the kept matches: the scoring of :meth:`LexiconTagger.match_document`, on arrays."""
    k = len(lexicon.categories_)
    # matches of a (sentence, category) in token order
    mo = np.lexsort((matches["b"], matches["a"], matches["cat"], matches["sent"]))
    ks, kc, ka, kb, kw = (matches[name][mo] for name in ("sent", "cat", "a", "b", "w"))
    kphr = [phrases[j] for j in mo.tolist()]
    hg = ks * k + kc
    hfirst = _first_of_group(hg) if len(hg) else np.zeros(0, bool)
    h_start = np.flatnonzero(hfirst)
    h_off = np.concatenate((h_start, [len(hg)])).astype(np.int64)
    h_sent, h_cat = ks[h_start], kc[h_start]
    raw = np.add.reduceat(kw, h_start) if len(h_start) else np.zeros(0)
    # a sentence touching many categories is a list of topics: damp each category's share
    ncat = np.bincount(h_sent, minlength=corpus.n_sent)[h_sent] if len(h_sent) else np.zeros(0, np.int64)
    damp = np.where(ncat > LIST_DAMPING, LIST_DAMPING / np.maximum(ncat, 1), 1.0)
    hw = np.minimum(raw * damp, lexicon.scoring_["sentence_cap"])
    h_doc = corpus.sent_doc[h_sent] if len(h_sent) else np.zeros(0, np.int64)
    secw = corpus.section_weights(lexicon.section_weights_)
    n = corpus.n_docs
    total = np.zeros((n, k))
    nsent = np.zeros((n, k))
    if len(h_sent):
        np.add.at(total, (h_doc, h_cat), hw * secw[h_sent])
        np.add.at(nsent, (h_doc, h_cat), 1)
    lengths = np.maximum(np.diff(corpus.doc_sent), 1).astype(float)[:, None]
    res = LexiconMatches()
    res.scores = lexicon.to_scores(total, nsent, lengths) if n else np.zeros((0, k))
    # hits by document, category, weight descending, sentence (the evidence order)
    ho = np.lexsort((h_sent, -hw, h_cat, h_doc))
    res.hit_doc, res.hit_cat, res.hit_sent, res.hit_w = h_doc[ho], h_cat[ho], h_sent[ho], hw[ho]
    res.hit_lo, res.hit_hi = h_off[:-1][ho], h_off[1:][ho]
    res.m_a, res.m_b, res.m_w, res.m_phrase = ka, kb, kw, kphr
    return res


def model_matrix(vectorizer, corpus: Corpus):
    """The TF-IDF matrix ``vectorizer.transform`` gives for the corpus's document features.

    ``vectorizer`` is a fitted :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    over :func:`model.document_features` lists (stems, ``not_`` stems, and bigrams of
    consecutive content stems within a sentence).
    """
    vocab = vectorizer.vocabulary_
    sid = corpus.stem_id
    nS = max(len(corpus.stems), 1)
    # variant id = stem id * 2 + negated
    col_var = np.full(2 * nS, -1, dtype=np.int64)
    bkeys, bcols = [], []
    for feat, col in vocab.items():
        if " " in feat:
            x, y = feat.split(" ", 1)
            vx, vy = _variant(x, sid), _variant(y, sid)
            if vx >= 0 and vy >= 0:
                bkeys.append(vx * 2 * nS + vy)
                bcols.append(col)
        else:
            v = _variant(feat, sid)
            if v >= 0:
                col_var[v] = col
    bkeys = np.array(bkeys, dtype=np.int64)
    bcols = np.array(bcols, dtype=np.int64)
    o = np.argsort(bkeys)
    bkeys, bcols = bkeys[o], bcols[o]
    content = np.flatnonzero(corpus.type_content[corpus.tok_type]) if len(corpus.tok_type) else np.zeros(0, np.int64)
    var = corpus.tok_stem[content] * 2 + corpus.negated[content]
    doc = corpus.sent_doc[corpus.tok_sent[content]] if len(content) else np.zeros(0, np.int64)
    ucol = col_var[var]
    same = corpus.tok_sent[content[1:]] == corpus.tok_sent[content[:-1]] if len(content) > 1 else np.zeros(0, bool)
    pk = var[:-1][same] * 2 * nS + var[1:][same]
    j = np.searchsorted(bkeys, pk)
    j[j >= len(bkeys)] = 0
    bcol = np.where(bkeys[j] == pk, bcols[j], -1) if len(bkeys) else np.full(len(pk), -1)
    rows = np.concatenate((doc, doc[:-1][same]))
    cols = np.concatenate((ucol, bcol))
    ok = cols >= 0
    X = sp.csr_matrix((np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(corpus.n_docs, len(vocab)),
                      dtype=np.float64)
    X.sum_duplicates()
    X.sort_indices()
    return vectorizer._tfidf.transform(X, copy=False)


def _variant(feat: str, sid: dict) -> int:
    neg = feat.startswith("not_")
    s = sid.get(feat[4:] if neg else feat, -1)
    return -1 if s < 0 else s * 2 + int(neg)


def submission_pairs(columns: dict[str, list], cited: list, text: list, i: int) -> list[tuple[str, str]]:
    """Document ``i`` as (section, sentence) pairs (see :func:`stage.submission_document`)."""
    t = text[i]
    parts = narrative_parts({sec: vals[i] for sec, vals in columns.items()},
                            t if isinstance(t, str) else str(t or ""))
    pairs = []
    for sec, txt in parts:
        pairs += zip(itertools.repeat(sec), split_sentences(txt))
    c = cited[i]
    if c is not None and not isinstance(c, str):
        pairs.extend(("outcomes_cited", str(x)) for x in c if str(x).strip())
    return pairs
