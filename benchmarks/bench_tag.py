"""Benchmark of the tagging stage against scikit-learn's TfidfVectorizer on the same text.

Generates N fictional submissions (default 10,000; every sentence is made up from the
fragments below), writes them as submissions.parquet in a temporary folder, then times,
in the same process:

* ``TfidfVectorizer().fit_transform`` on the submissions' text (the yardstick);
* the whole tagging stage, ``run_tagging`` (read, split, tokenise, lexicon for the priorities
  and the SOA-era outcomes, model scores, evidence rows, write three outputs), with the model
  already trained (training is timed separately: it happens once per labelled corpus).
  Both run in this one process on one core: the stage starts no threads or processes.

Prints tokens per second of each, the ratio (target: tagging <= 2x the TF-IDF time), the
same ratio of CPU seconds (steadier on a shared machine) and the peak resident memory.
Run: ``.venv/bin/python benchmarks/bench_tag.py [N [REPEATS]]`` (best of REPEATS=3 interleaved
runs of each, since the machine is shared).
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from soa_analysis.io import write_table
from soa_analysis.schema import SECTION_COLUMNS
from soa_analysis.tagging import run_tagging
from soa_analysis.tagging.text import words

SUBJECTS = ["The partnership", "Council officers", "The health board", "Police Scotland and the council",
            "Local employers", "The third sector interface", "Community groups", "The college",
            "Housing associations", "Skills Development Scotland", "The alcohol and drug partnership",
            "Health visitors", "The fire and rescue service", "Volunteers", "The locality team"]
VERBS = ["supported", "expanded", "introduced", "reviewed", "funded", "delivered", "redesigned", "piloted",
         "extended", "evaluated", "coordinated", "targeted"]
OBJECTS = ["reablement and telecare for older people", "modern apprenticeships for school leavers",
           "home fire safety visits", "early learning and childcare for two year olds",
           "walking groups and free swimming", "a town centre regeneration fund", "business support for start-ups",
           "employability pathways for lone parents", "diversionary activities for young people",
           "parenting programmes for families with babies", "falls prevention classes",
           "smoking cessation services in pharmacies", "the community payback scheme",
           "tourism marketing for the region", "befriending for isolated residents", "job clubs in libraries",
           "the governance review", "the data sharing protocol", "the performance framework",
           "the older buildings on the estate", "the employment of a consultant", "shared office accommodation"]
TAILS = ["in {place}", "across {n} wards", "with {n} participants", "since {year}", "at a cost of £{n},000",
         "reaching {n}% of the target group", "following consultation in {place}", "", ""]
FILLER = ["The board agreed the report and asked for an update in {year}.",
          "Progress was reported to the {place} locality forum.",
          "Further work is planned with partners in {place} during {year}.",
          "This did not affect employment or the care of older people.",
          "Figures for {year} show a change of {n}% against the baseline."]
SYLL = ["glen", "brae", "kil", "ach", "dun", "inver", "strath", "bal", "lochan", "mor", "beg", "carn", "auch", "tor"]


def _place(rng):
    return "".join(rng.choice(SYLL) for _ in range(rng.randint(2, 3))).capitalize()


def _sentence(rng):
    if rng.random() < 0.25:
        s = rng.choice(FILLER)
    else:
        s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}".strip() + "."
    return s.format(place=_place(rng), n=rng.randint(2, 400), year=rng.randint(2009, 2017))


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """N fictional submissions with a title and four narrative sections."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        r = {s: "" for s in SECTION_COLUMNS}
        r["title"] = f"{rng.choice(OBJECTS).capitalize()} in {_place(rng)} (fictional)"
        for sec in ("need", "actions", "evidence", "next_steps"):
            r[sec] = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        r.update({"submission_id": f"bench{i:06d}", "source_file": f"bench/{i}.txt", "submission_type": "case_study_2009",
                  "council": "", "council_code": "", "checklist": [], "outcomes_cited": [], "format": "txt",
                  "council_source": "", "date": "", "year": None, "warnings": []})
        r["text"] = "\n".join(r[s] for s in SECTION_COLUMNS if r[s])
        rows.append(r)
    df = pd.DataFrame(rows)
    df["year"] = df["year"].astype("Int64")
    return df


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phases(d: Path) -> dict:
    """Time the stage's engine phase by phase on the written submissions (where the time goes)."""
    from soa_analysis.io import read_table
    from soa_analysis.tagging import LexiconTagger, load_model
    from soa_analysis.tagging.corpus import Corpus, match_lexicon, submission_sentences

    t = {}
    subs = read_table(d, "submissions")
    cols = {s: subs[s].tolist() for s in SECTION_COLUMNS}
    cited, text = subs["outcomes_cited"].tolist(), subs["text"].tolist()
    t0 = time.perf_counter()
    flat = submission_sentences(cols, cited, text)
    t["split"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    corpus = Corpus.from_sentences(*flat)
    t["tokens+stems+cues"] = time.perf_counter() - t0
    model = load_model(d / "models" / "priorities.joblib")
    t0 = time.perf_counter()
    match_lexicon(model.lexicon_, corpus)
    t["lexicon priorities"] = time.perf_counter() - t0
    outcomes = LexiconTagger(taxonomy="outcomes_soa").fit()
    t0 = time.perf_counter()
    match_lexicon(outcomes, corpus)
    t["lexicon outcomes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    X = model.model_.transform_corpus(corpus)
    t["model tf-idf"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.model_.predict_proba_matrix(X)
    t["model predict"] = time.perf_counter() - t0
    return t


def main(n: int = 10_000, repeats: int = 3) -> dict:
    df = generate(n)
    texts = df["text"].tolist()
    n_tokens = sum(len(words(t)) for t in texts)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_table(df, d / "submissions.parquet", table="submissions")
        t0 = time.perf_counter()
        # train once on the labelled corpus (cached in processed_dir/models for later runs)
        write_table(df.iloc[:5], d / "train" / "submissions.parquet", table="submissions")
        run_tagging(d / "train", taxonomies=("priorities",))
        train_s = time.perf_counter() - t0
        (d / "models").mkdir()
        for f in (d / "train" / "models").iterdir():
            f.rename(d / "models" / f.name)
        rss0 = _rss_mb()

        tfidf_runs, tag_runs, tfidf_cpu, tag_cpu = [], [], [], []
        for _ in range(repeats):  # interleaved, best of `repeats` (the machine is shared)
            t0, c0 = time.perf_counter(), time.process_time()
            TfidfVectorizer().fit_transform(texts)
            tfidf_runs.append(time.perf_counter() - t0)
            tfidf_cpu.append(time.process_time() - c0)
            rss1 = _rss_mb()
            t0, c0 = time.perf_counter(), time.process_time()
            res = run_tagging(d, full=True)  # every run tags every submission (no rows reused from the last)
            tag_runs.append(time.perf_counter() - t0)
            tag_cpu.append(time.process_time() - c0)
            rss2 = _rss_mb()
        tfidf_s, tag_s = min(tfidf_runs), min(tag_runs)
        assert res.meta["models"]["priorities"]["how"] == "loaded"
        phases = _phases(d)
    out = {"submissions": n, "phases": phases, "tokens": n_tokens, "tfidf_s": tfidf_s, "tag_s": tag_s, "train_s": train_s,
           "ratio": tag_s / tfidf_s, "tfidf_tok_s": n_tokens / tfidf_s, "tag_tok_s": n_tokens / tag_s,
           "peak_rss_mb": rss2, "rss_before_mb": rss0, "rss_after_tfidf_mb": rss1,
           "tags": len(res.tags), "evidence_rows": len(res.evidence),
           "tfidf_cpu_s": min(tfidf_cpu), "tag_cpu_s": min(tag_cpu), "cpu_ratio": min(tag_cpu) / min(tfidf_cpu)}
    print(f"submissions: {n:,}  tokens: {n_tokens:,}")
    print(f"best of {repeats} interleaved runs each")
    print(f"TfidfVectorizer.fit_transform: {tfidf_s:6.2f} s  {out['tfidf_tok_s']:,.0f} tokens/s")
    print(f"run_tagging (priorities + outcomes_soa, model loaded; one process, no worker threads): "
          f"{tag_s:6.2f} s  {out['tag_tok_s']:,.0f} tokens/s")
    print(f"ratio tagging / tfidf: {out['ratio']:.2f}x (target <= 2x)")
    print(f"CPU seconds (best of each; on a busy machine the steadier figure): tfidf {out['tfidf_cpu_s']:.2f} s, "
          f"tagging {out['tag_cpu_s']:.2f} s, ratio {out['cpu_ratio']:.2f}x")
    print(f"model training on the labelled corpus (once): {train_s:.2f} s")
    print(f"peak RSS of the process: {rss2:,.0f} MB (before the timed runs: {rss0:,.0f} MB, "
          f"after tfidf: {rss1:,.0f} MB)")
    print(f"rows written: tags {out['tags']:,}, tag_evidence {out['evidence_rows']:,}")
    print("stage phases (tagging_meta.json timings_s): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in res.meta["timings_s"].items()))
    print("phases (separate pass, same data): " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
