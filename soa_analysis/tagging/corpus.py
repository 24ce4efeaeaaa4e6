"""The tagging stage's corpus engine: every sentence of every submission as flat arrays.

:func:`analyse` and :meth:`LexiconTagger.match_sentence` work one sentence at a time, with
Python objects per sentence and per token; that is clear, and it is what the taggers use for
single documents and training. For a whole submissions table the stage uses this module
instead, which computes the same results with a few passes over numpy arrays:

* :func:`submission_sentences` splits the submissions into sentences (:func:`text.split_sentences`),
  flat; :class:`Corpus` tokenises them (:func:`tokenise`): Arrow splits the sentences at
  spaces, each distinct piece is tokenised once by :data:`text.WORD_RE` and the tokens are
  gathered by array indexing (one ``findall`` over all sentences joined by a separator, the
  reference, when Arrow cannot hold the text); token types and stems become integer ids.
  Negation and hedge flags are computed only for the sentences holding a cue word, once per
  distinct sentence.
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

import contextlib
import functools
import itertools
import re
import weakref

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from ..nlp import _RE2_WS, split_sentences_flat, split_sentences_many
from ..schema import narrative_parts
from .lexicon import LIST_DAMPING, LexiconTagger
from .text import (
    _ALL_CUES,
    _STEM_CACHE,
    CITATION_HINTS,
    FEATURE_STOP_WORDS,
    WORD_RE,
    AnalysedSentence,
    cites_outcome,
    cue_flags,
    split_sentences,
    stems,
)

__all__ = ["Corpus", "LexiconMatches", "large_text", "lexsort_ints", "match_lexicon", "model_matrix",
           "submission_pairs", "submission_sentences", "tokenise", "vocabulary_parts"]

_SEP = "\x1e"  # record separator: never part of a token
_TOKEN_ANY_CASE = re.compile(WORD_RE.pattern.replace("[a-z]", "[A-Za-z]"))
_TOKEN_OR_SEP_ANY_CASE = re.compile(_TOKEN_ANY_CASE.pattern + "|\x1e")


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
        self._build(sentences, sections, counts)

    @classmethod
    def from_sentences(cls, sentences: list[str], sections: list[str], counts) -> "Corpus":
        """The corpus of documents given flat: every document's sentences in order, each
        sentence's section, and the number of sentences of each document
        (``Corpus(docs)`` of the same documents)."""
        corpus = cls.__new__(cls)
        corpus._build(sentences, sections, np.asarray(counts, dtype=np.int64))
        return corpus

    def _build(self, sentences: list[str], sections: list[str], counts: np.ndarray) -> None:
        try:  # the sentences as Arrow text once: tokenised by it, searched for citations by it
            arrow = pa.array(sentences, type=pa.large_string())
        except (UnicodeError, pa.ArrowException):  # text Arrow cannot hold
            arrow = None
        codes, types, raw_len = tokenise(sentences, arrow=arrow)
        n_raw = len(sentences)
        n_docs = len(counts)
        keep = raw_len > 0
        self.types = types
        self.tok_type = codes
        kept_idx = np.flatnonzero(keep)
        all_kept = len(kept_idx) == n_raw
        self.sentences = sentences if all_kept else [sentences[j] for j in kept_idx]
        self.sections = sections if all_kept else [sections[j] for j in kept_idx]
        self._arrow = arrow if all_kept or arrow is None else arrow.take(pa.array(kept_idx))
        lens = raw_len[keep]
        self.sent_tok = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
        raw_doc = np.repeat(np.arange(n_docs), counts)
        self.sent_doc = raw_doc[keep]
        self.n_docs = n_docs
        self.doc_sent = np.searchsorted(self.sent_doc, np.arange(n_docs + 1)).astype(np.int64)
        self.n_sent = len(self.sentences)
        self._citing: list[int] | None = None
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
            self._cues(np.unique(self.tok_sent[type_cue[self.tok_type]]))
        sec_codes, self.section_names = pd.factorize(np.array(self.sections, dtype=object)) \
            if self.n_sent else (np.zeros(0, np.int64), np.array([], dtype=object))
        self.sent_section = sec_codes.astype(np.int64)

    def _cues(self, cued: np.ndarray) -> None:
        """Set :attr:`negated` and :attr:`hedged` for the sentences ``cued`` (those holding a
        cue word), by :func:`text.cue_flags`, once per distinct sentence text."""
        start, end = self.sent_tok[cued], self.sent_tok[cued + 1]
        lens = end - start
        at = np.repeat(start - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()), dtype=np.int64)
        toks = self.types[self.tok_type[at]].tolist()
        negated: list[bool] = []
        hedged: list[bool] = []
        seen: dict[str, tuple | None] = {}
        pos = 0
        for s, n in zip(cued.tolist(), lens.tolist()):
            sentence = self.sentences[s]
            if sentence in seen:  # the same text: the same tokens and flags
                flags = seen[sentence]
            else:
                flags = seen[sentence] = cue_flags(sentence, toks[pos:pos + n])
            pos += n
            if flags is None:
                negated += [False] * n
                hedged += [False] * n
            else:
                negated += flags[0]
                hedged += flags[1]
        self.negated[at] = negated
        self.hedged[at] = hedged

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

    def citing(self) -> list[int]:
        """The sentences that cite a National Outcome by name (:func:`text.cites_outcome`), worked out
        once: Arrow finds the sentences holding the words' telltale letters, ``cites_outcome`` decides."""
        if self._citing is None:
            self._citing = _citing(self.sentences, getattr(self, "_arrow", None))
        return self._citing

    def section_weights(self, mapping: dict) -> np.ndarray:
        """Per sentence: the weight of its section in ``mapping`` (1.0 when absent)."""
        w = np.array([mapping.get(n, 1.0) for n in self.section_names], dtype=float)
        return w[self.sent_section] if self.n_sent else np.zeros(0)


def _citing(sentences: list[str], arrow=None) -> list[int]:
    """Indices of the ``sentences`` (``arrow``: the same as Arrow text, if at hand) that :func:`text.cites_outcome`."""
    try:
        arr = pa.array(sentences, type=pa.large_string()) if arrow is None else arrow
        # each hint in any case, one pass a distinct hint (a superset of the sentences holding a hint as written:
        # cites_outcome decides); Arrow's case-blind search is also about twice as fast as its exact one
        maybe = functools.reduce(pc.or_, (pc.match_substring(arr, h, ignore_case=True)
                                          for h in dict.fromkeys(h.lower() for h in CITATION_HINTS)))
        candidates = np.flatnonzero(maybe.to_numpy(zero_copy_only=False)).tolist()
    except (UnicodeError, pa.ArrowException):  # text Arrow cannot hold: every sentence asked
        candidates = range(len(sentences))
    return [s for s in candidates if cites_outcome(sentences[s])]


def tokenise(sentences: list[str], arrow=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The word tokens of ``sentences`` (:func:`text.words` of each) as type ids.

    Returns the type id of every token, sentence after sentence (``int64``); the types
    (lower case, first seen first; with the separator ``"\\x1e"`` after the types of the first
    sentence when there are several sentences, where :func:`_tokenise_joined` meets it); and
    the number of tokens of each sentence.

    The sentences are split at spaces (no token holds one) by Arrow and each distinct
    piece is tokenised once (:func:`_tokenise_pieces`): a corpus repeats its pieces, words with
    their punctuation, many times. Text Arrow cannot hold (lone surrogates) is tokenised by
    one regular expression pass over all sentences joined (:func:`_tokenise_joined`), which
    gives the same arrays (a test holds the two equal). ``arrow`` may pass the sentences already
    as an Arrow ``large_string`` array.
    """
    try:
        return _tokenise_pieces(sentences, arrow)
    except (UnicodeError, pa.ArrowException):
        return _tokenise_joined(sentences)


def _tokenise_joined(sentences: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tokenise` by one ``findall`` of :data:`text.WORD_RE` over all sentences joined by a separator."""
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
    return codes[~is_sep].astype(np.int64), types, raw_len.astype(np.int64)


def _tokenise_pieces(sentences: list[str], arrow=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`tokenise` by pieces between spaces: Arrow splits the sentences and finds
    the distinct pieces; each distinct piece is tokenised once, and every sentence's tokens
    are gathered from its pieces' by array indexing."""
    n_raw = len(sentences)
    if not n_raw:
        return np.zeros(0, np.int64), np.array([], dtype=object), np.zeros(0, np.int64)
    # pieces between spaces (any other white space stays in a piece, where it parts tokens as before)
    lists = pc.split_pattern(pa.array(sentences, type=pa.large_string()) if arrow is None else arrow, pattern=" ")
    sent_piece = lists.offsets.to_numpy().astype(np.int64)  # pieces of sentence j: sent_piece[j]:sent_piece[j + 1]
    sent_piece -= sent_piece[0]
    encoded = pc.dictionary_encode(lists.flatten())
    piece_code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    distinct = encoded.dictionary.to_pylist()
    lower = any("\u0130" in p or "\u212a" in p for p in distinct)  # the slow road of _tokenise_joined
    findall = _TOKEN_ANY_CASE.findall
    toks: list[str] = []
    n_toks = np.zeros(len(distinct), dtype=np.int64)
    for j, p in enumerate(distinct):
        if "\u2019" in p or "\u2018" in p:
            p = p.replace("\u2019", "'").replace("\u2018", "'")
        got = findall(p.lower() if lower else p)
        n_toks[j] = len(got)
        toks += got
    type_of, types = pd.factorize(np.array([t.lower() for t in toks], dtype=object)) if toks \
        else (np.zeros(0, np.int64), np.array([], dtype=object))
    types = np.asarray(types, dtype=object)
    first = np.concatenate(([0], np.cumsum(n_toks)))  # tokens of distinct piece j: first[j]:first[j + 1]
    per_piece = n_toks[piece_code]
    at = np.concatenate(([0], np.cumsum(per_piece)))  # tokens of piece k in the stream: at[k]:at[k + 1]
    idx = np.repeat(first[piece_code] - at[:-1], per_piece) + np.arange(at[-1], dtype=np.int64)
    codes = type_of[idx].astype(np.int64)
    raw_len = at[sent_piece[1:]] - at[sent_piece[:-1]]
    if n_raw > 1:  # where the joined stream meets its first separator: after the first sentence's types
        p = int(codes[:raw_len[0]].max()) + 1 if raw_len[0] else 0
        types = np.insert(types, p, _SEP)
        codes[codes >= p] += 1
    return codes, types, raw_len


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
    m_code : numpy.ndarray
        Phrase of each match, as its position in ``phrases``.
    phrases : numpy.ndarray of str (object)
        The phrases the matches' codes point at (a phrase may have several codes).
    m_phrase : list of str
        Phrase of each match (``phrases[m_code]``, made when first read).
    """

    @property
    def m_phrase(self) -> list[str]:
        return self.phrases[self.m_code].tolist()


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


def lexsort_ints(keys) -> np.ndarray:
    """``np.lexsort(keys)`` of integer arrays (the last the primary key), by one stable sort of the keys packed
    into one ``int64`` (each less its least value, times the ranges of the keys after it) when their ranges'
    product fits in 63 bits; by ``np.lexsort`` otherwise.

    Example
    -------
    >>> lexsort_ints((np.array([2, 1, 0]), np.array([1, 0, 1]))).tolist()
    [1, 2, 0]
    """
    keys = [np.asarray(x) for x in keys]
    if not keys or not len(keys[0]) or any(x.dtype.kind != "i" and not (x.dtype.kind == "u" and x.dtype.itemsize < 8)
                                           for x in keys):
        return np.lexsort(keys)
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    span = 1
    for x in reversed(keys):  # the primary key first
        lo, hi = int(x.min()), int(x.max())
        r = hi - lo + 1
        span *= r
        if span >= 1 << 63:
            return np.lexsort(keys)
        packed = packed * r + (x.astype(np.int64) - lo)
    return np.argsort(packed, kind="stable")


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
    cited = corpus.citing() if lexicon.wordings_ else []
    if cited:  # the per-sentence tagger matches these sentences (wordings, spans)
        keep = ~np.isin(occ["sent"], np.array(cited, dtype=np.int64))
        occ = {name: x[keep] for name, x in occ.items()}
    kept = _resolve(occ, len(lexicon.categories_), corpus)
    matches = {"sent": occ["sent"][kept], "cat": occ["cat"][kept], "a": occ["a"][kept], "b": occ["b"][kept],
               "w": occ["w"][kept] * np.where(corpus.hedged[occ["pos"][kept]], 0.5, 1.0) if len(kept) else np.zeros(0)}
    matches["phrase"] = occ["phrase"][kept]  # each match's phrase as its entry's position in e_phrase
    if cited:
        matches, e_phrase = _cited_matches(lexicon, corpus, cited, matches, e_phrase)
    return _score(lexicon, corpus, matches, e_phrase)


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
    order = live[lexsort_ints((occ["phrase"][live], a[live], -(b[live] - a[live]), g[live]))]
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
    """``matches`` and ``phrases`` with the per-sentence tagger's matches of the ``cited`` sentences added (each
    added match's phrase appended to ``phrases``, its code the position)."""
    rows: list[tuple] = []
    for s in cited:
        for ci, ms in lexicon.match_sentence(corpus.sentence(s)).items():
            rows.extend((s, ci, m[0], m[1], m[2], m[3]) for m in ms)
    xs, xc, xa, xb, xw, xp = (list(col) for col in zip(*rows)) if rows else ([], [], [], [], [], [])
    out = {name: np.concatenate((matches[name], np.array(extra, dtype=np.int64)))
           for name, extra in (("sent", xs), ("cat", xc), ("a", xa), ("b", xb))}
    out["w"] = np.concatenate((matches["w"], np.array(xw, dtype=float)))
    out["phrase"] = np.concatenate((matches["phrase"], len(phrases) + np.arange(len(xp), dtype=np.int64)))
    return out, list(phrases) + xp


def _score(lexicon: LexiconTagger, corpus: Corpus, matches: dict, phrases: list) -> LexiconMatches:
    """Sentence weights (summed, damped, capped), document scores and the evidence order of
    the kept matches (``matches["phrase"]``: each one's phrase as its position in ``phrases``): the scoring of
    :meth:`LexiconTagger.match_document`, on arrays."""
    k = len(lexicon.categories_)
    # matches of a (sentence, category) in token order
    mo = lexsort_ints((matches["b"], matches["a"], matches["cat"], matches["sent"]))
    ks, kc, ka, kb, kw, kcode = (matches[name][mo] for name in ("sent", "cat", "a", "b", "w", "phrase"))
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
    # each cell's sum, added up in the hits' order (as np.add.at adds)
    cell = h_doc * k + h_cat
    total = np.bincount(cell, weights=hw * secw[h_sent], minlength=n * k).reshape(n, k) if len(h_sent) else np.zeros((n, k))
    nsent = np.bincount(cell, minlength=n * k).astype(float).reshape(n, k) if len(h_sent) else np.zeros((n, k))
    lengths = np.maximum(np.diff(corpus.doc_sent), 1).astype(float)[:, None]
    res = LexiconMatches()
    res.scores = lexicon.to_scores(total, nsent, lengths) if n else np.zeros((0, k))
    # hits by document, category, weight descending, sentence (the evidence order)
    ho = np.lexsort((h_sent, -hw, cell))  # (h_doc, h_cat) as one key
    res.hit_doc, res.hit_cat, res.hit_sent, res.hit_w = h_doc[ho], h_cat[ho], h_sent[ho], hw[ho]
    res.hit_lo, res.hit_hi = h_off[:-1][ho], h_off[1:][ho]
    res.m_a, res.m_b, res.m_w, res.m_code = ka, kb, kw, kcode.astype(np.int64)
    res.phrases = np.array(phrases, dtype=object)  # strings: a 1-d array
    return res


def model_matrix(vectorizer, corpus: Corpus, parts=None):
    """The TF-IDF matrix ``vectorizer.transform`` gives for the corpus's document features.

    ``vectorizer`` is a fitted :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    over :func:`model.document_features` lists (stems, ``not_`` stems, and bigrams of
    consecutive content stems within a sentence). ``parts`` may give its :func:`vocabulary_parts`
    (worked out when the model was fitted and kept with it): the vectoriser's vocabulary is then not read.
    """
    nS = max(len(corpus.stems), 1)
    # variant id = stem id * 2 + negated
    uni_neg, uni_stem, uni_col, bi_neg, bi_stem, bcols = parts if parts is not None else vocabulary_parts(vectorizer)
    n_features = len(uni_col) + len(bcols)  # every feature is a unigram or a bigram (the vocabulary's size)
    stems = pa.array(corpus.stems, type=pa.large_string())

    def stem_ids(values):  # each value's position in corpus.stems (unique), -1 when absent
        return pc.index_in(values, value_set=stems).fill_null(-1).to_numpy().astype(np.int64)

    col_var = np.full(2 * nS, -1, dtype=np.int64)
    v = stem_ids(uni_stem)
    ok = v >= 0
    col_var[v[ok] * 2 + uni_neg[ok]] = uni_col[ok]
    vx, vy = stem_ids(bi_stem[0]), stem_ids(bi_stem[1])
    ok = (vx >= 0) & (vy >= 0)
    bkeys = (vx[ok] * 2 + bi_neg[0][ok]) * 2 * nS + vy[ok] * 2 + bi_neg[1][ok]
    bcols = bcols[ok]
    content = np.flatnonzero(corpus.type_content[corpus.tok_type]) if len(corpus.tok_type) else np.zeros(0, np.int64)
    var = corpus.tok_stem[content] * 2 + corpus.negated[content]
    doc = corpus.sent_doc[corpus.tok_sent[content]] if len(content) else np.zeros(0, np.int64)
    ucol = col_var[var]
    same = corpus.tok_sent[content[1:]] == corpus.tok_sent[content[:-1]] if len(content) > 1 else np.zeros(0, bool)
    pk = var[:-1][same] * 2 * nS + var[1:][same]
    if len(bkeys):  # each pair's bigram column, by a hash table of the bigrams (distinct features: distinct keys)
        bcol = np.append(bcols, -1)[pd.Index(bkeys).get_indexer(pk)]  # -1 (not a feature) takes the -1 appended
    else:
        bcol = np.full(len(pk), -1, dtype=np.int64)
    # each content token's unigram, then the bigram it starts: the entries in document order
    cols = np.full(2 * len(content), -1, dtype=np.int64)
    cols[0::2] = ucol
    cols[1:-1:2][same] = bcol
    ok = np.flatnonzero(cols >= 0)
    rows, cols = doc[ok >> 1], cols[ok]  # entry 2t or 2t + 1: content token t's
    # By columns first: within a column the rows are in order, so the duplicates are summed in one pass and
    # the turn to rows gives each row's columns in order (no per-row sort).
    X = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(corpus.n_docs, n_features), dtype=np.float64)
    X.sum_duplicates()
    X = X.tocsr()
    X.sort_indices()
    return vectorizer._tfidf.transform(X, copy=False)


# A fitted vectoriser's vocabulary split into its parts, once per vocabulary (the stage builds
# the matrix of every part of the submissions with the same vectoriser).
_VOCABULARY_PARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vocabulary_parts(vectorizer):
    """The vectoriser's features as arrays: unigrams (negated flag, stem, column) and bigrams
    (negated flags and stems of both words, column). A feature ``not_<stem>`` is the negated
    variant of ``<stem>``; a bigram is ``"<x> <y>"`` (split at its first space). The flags are ``int8``, the
    columns ``int32`` (small to keep with a saved model), the stems Arrow text."""
    vocab = vectorizer.vocabulary_
    try:
        kept = _VOCABULARY_PARTS.get(vectorizer)
    except TypeError:  # not weakly referenceable: worked out every time
        kept = None
    if kept is not None and kept[0] is vocab and kept[1] == len(vocab):
        return kept[2]
    feats = pa.array(list(vocab), type=pa.large_string())
    cols = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))
    cols = cols.astype(np.int32) if len(cols) < 1 << 31 else cols
    bigram = pc.match_substring(feats, " ").to_numpy(zero_copy_only=False)

    def split(words):  # negated flags (int) and stems of "not_<stem>" / "<stem>" words
        neg = pc.starts_with(words, "not_")
        return (neg.to_numpy(zero_copy_only=False).astype(np.int8),
                pc.if_else(neg, pc.utf8_slice_codeunits(words, 4), words))

    uni_neg, uni_stem = split(feats.filter(pa.array(~bigram)))
    pairs = pc.split_pattern(feats.filter(pa.array(bigram)), " ", max_splits=1)  # "<x> <y>" at its first space
    (xn, xs), (yn, ys) = split(pc.list_element(pairs, 0)), split(pc.list_element(pairs, 1))
    parts = (uni_neg, uni_stem, cols[~bigram], (xn, yn), (xs, ys), cols[bigram])
    with contextlib.suppress(TypeError):
        _VOCABULARY_PARTS[vectorizer] = (vocab, len(vocab), parts)
    return parts


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


def submission_sentences(columns: dict, cited: list, text) -> tuple[list[str], list[str], np.ndarray]:
    """Every document's (section, sentence) pairs (:func:`submission_pairs` of each), flat: the
    sentences, their sections and the number of sentences of each document, as
    :meth:`Corpus.from_sentences` takes them.

    ``columns`` maps section names, in :data:`schema.SECTION_COLUMNS` order, to their values (lists,
    or pandas Series); ``text`` is the whole narrative of each document. Every document's parts
    (:func:`schema.narrative_parts`) are found by Arrow for the documents with a narrative section
    (the others, by ``narrative_parts`` itself) and split at once (:func:`nlp.split_sentences_flat`);
    values Arrow cannot take as text go document by document (:func:`_submission_sentences_by_document`,
    the reference: a test holds the two equal).
    """
    try:
        part_doc, part_sec, part_text = _part_texts(columns, text)
    except (UnicodeError, TypeError, pa.ArrowException):
        return _submission_sentences_by_document(columns, cited, text)
    n = len(text)
    got, per_part = split_sentences_flat(part_text)
    doc = np.repeat(part_doc, per_part)
    sec = np.repeat(part_sec, per_part)
    extra_doc: list[int] = []
    extra: list[str] = []
    for i, c in enumerate(cited):
        if c is not None and not isinstance(c, str):
            more = [str(x) for x in c if str(x).strip()]
            extra += more
            extra_doc += [i] * len(more)
    if extra:  # each document's cited outcomes after its parts' sentences
        every = np.empty(len(got) + len(extra), dtype=object)
        every[:len(got)] = got
        every[len(got):] = extra
        doc = np.concatenate((doc, np.array(extra_doc, dtype=np.int64)))
        order = np.argsort(doc, kind="stable")
        got, doc = every[order].tolist(), doc[order]
        sec = np.concatenate((sec, np.full(len(extra), "outcomes_cited", dtype=object)))[order]
    return got, sec.tolist(), np.bincount(doc, minlength=n).astype(np.int64)


# Text holding something but white space (Python's: what str.strip leaves something of), for RE2.
_HAS_TEXT = "[^" + _RE2_WS[1:]


def large_text(arr) -> pa.Array:
    """Arrow text (an array, or a chunked array) as one Arrow ``large_string`` array."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def _arrow_text(values) -> pa.Array:
    """``values`` (a list, or a pandas Series) as one Arrow ``large_string`` array (missing values null)."""
    arr = getattr(values, "array", None)
    if isinstance(arr, pd.arrays.ArrowStringArray):
        return large_text(arr.__arrow_array__())
    return pa.array(list(values), type=pa.large_string(), from_pandas=True)


def _part_texts(columns: dict, text) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Every document's :func:`schema.narrative_parts` flat, in document order: each part's document, section
    and text (Arrow). A document with a narrative section has its sections with text (any character but white
    space) as parts, found by Arrow; the others' parts are ``narrative_parts``' own."""
    n = len(text)
    names = list(columns)
    has = {}
    for sec in names:
        col = _arrow_text(columns[sec])
        if len(col) != n:
            raise TypeError("columns of different lengths")
        has[sec] = (col, pc.fill_null(pc.match_substring_regex(col, _HAS_TEXT), False).to_numpy(zero_copy_only=False))
    narrative = np.zeros(n, dtype=bool)
    for sec in names:
        if sec != "title":
            narrative |= has[sec][1]
    rank = {sec: r for r, sec in enumerate(names)}
    keys, texts, secs = [], [], []
    for sec in names:
        at = np.flatnonzero(has[sec][1] & narrative)
        if len(at):
            keys.append(at * (len(names) + 1) + rank[sec])
            texts.append(has[sec][0].take(pa.array(at)))
            secs.append(np.full(len(at), sec, dtype=object))
    others = np.flatnonzero(~narrative)
    if len(others):  # no narrative section: the title and the whole text, as narrative_parts makes them
        titles = has["title"][0].take(pa.array(others)).to_pylist() if "title" in has else [None] * len(others)
        bodies = text.iloc[others].tolist() if isinstance(text, pd.Series) else [text[i] for i in others.tolist()]
        k, t, s = [], [], []
        for i, title, body in zip(others.tolist(), titles, bodies):
            for sec, part in narrative_parts({"title": title}, body if isinstance(body, str) else str(body or "")):
                k.append(i * (len(names) + 1) + (rank[sec] if sec in rank else len(names)))
                t.append(part)
                s.append(sec)
        keys.append(np.array(k, dtype=np.int64))
        texts.append(pa.array(t, type=pa.large_string()))
        secs.append(np.array(s, dtype=object))
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object), pa.array([], type=pa.large_string())
    key = np.concatenate(keys)
    order = np.argsort(key, kind="stable")
    return key[order] // (len(names) + 1), np.concatenate(secs)[order], pa.concat_arrays(texts).take(pa.array(order))


def _submission_sentences_by_document(columns: dict, cited: list, text) -> tuple[list[str], list[str], np.ndarray]:
    """:func:`submission_sentences` document by document (the reference)."""
    text, cited = list(text), list(cited)
    n = len(text)
    named = [(sec, vals if isinstance(vals, list) else list(vals)) for sec, vals in columns.items()]
    doc_parts = []
    for i in range(n):
        t = text[i]
        doc_parts.append(narrative_parts({sec: vals[i] for sec, vals in named}, t if isinstance(t, str) else str(t or "")))
    split = iter(split_sentences_many([txt for parts in doc_parts for _, txt in parts]))
    sentences: list[str] = []
    sections: list[str] = []
    counts = np.zeros(n, dtype=np.int64)
    for i, parts in enumerate(doc_parts):
        before = len(sentences)
        for sec, _ in parts:
            got = next(split)
            sentences += got
            sections += [sec] * len(got)
        c = cited[i]
        if c is not None and not isinstance(c, str):
            got = [str(x) for x in c if str(x).strip()]
            sentences += got
            sections += ["outcomes_cited"] * len(got)
        counts[i] = len(sentences) - before
    return sentences, sections, counts
