"""Benchmark the ingest stage on generated (FICTIONAL) submissions.

Generates, in a temporary folder, per-format corpora (docx, pdf, txt) and a mixed corpus
of ``--n`` files (docx, pdf, txt, md, html, eml with a docx attachment, a few xlsx form
exports and some exact duplicates), then runs :func:`soa_analysis.ingest.ingest` with
workers=2 and workers=1 and prints submissions/s per format and for the mixed corpus, the
readers alone (no structure step), peak memory, and a short profile of what bounds it.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py            # --n 1000 mixed files
    .venv/bin/python benchmarks/bench_ingest.py --n 200 --per-format 40
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from soa_analysis.ingest import ingest  # noqa: E402
from soa_analysis.ingest.readers import read_file  # noqa: E402

PLACES = ["Glenbrae", "Westmuir", "Kilcaddie", "Strathorran", "Inverlochty", "Balnacraig"]
PARTNERS = ["NHS Glenbrae", "Police Scotland", "Skills Development Scotland", "the Third Sector Interface",
            "Scottish Fire and Rescue Service", "Glenbrae College", "Jobcentre Plus"]
TOPICS = ["young parents", "older people living alone", "long-term unemployed adults", "school leavers",
          "families in temporary housing", "people with dementia", "town centre businesses"]
RESULTS = ["reduced emergency admissions by {p}%", "helped {n} people into work", "cut antisocial behaviour "
           "incidents by {p}%", "raised breastfeeding rates from {a}% to {b}%", "engaged {n} households"]
QUESTIONS = [
    "1 Name of SOA case study",
    "2 What was the local need addressed by this SOA case study?",
    "3 What was done - and by which partners?",
    "4 What is the evidence of the benefits for communities?",
    "5 What added value has the SOA process brought to the delivery of these benefits?",
    "6 What next steps are you taking to meet this local need?",
]


def _sentence(rng: random.Random) -> str:
    r = rng.choice(RESULTS).format(p=rng.randint(3, 40), n=rng.randint(10, 900), a=rng.randint(10, 40),
                                   b=rng.randint(41, 70))
    return (f"In {rng.choice(PLACES)}, {rng.choice(PARTNERS)} worked with {rng.choice(PARTNERS)} "
            f"to support {rng.choice(TOPICS)} and {r} between {rng.randint(2008, 2012)} and "
            f"{rng.randint(2013, 2016)}.")


def _answers(rng: random.Random, i: int) -> list[str]:
    title = f"FICTIONAL case study {i}: {rng.choice(PLACES)} {rng.choice(['Hub', 'Pathway', 'Network'])}"
    return [title] + [" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) for _ in QUESTIONS[1:]]


def make_docx(rng, i) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("FICTIONAL benchmark document - not a real submission.")
    t = d.add_table(rows=len(QUESTIONS), cols=2)
    for r, (q, a) in enumerate(zip(QUESTIONS, _answers(rng, i))):
        t.cell(r, 0).text = q
        t.cell(r, 1).text = a
    d.add_paragraph("Contact details of lead officer")
    d.add_paragraph(f"Officer {i}, Community Planning Manager, officer{i}@glenbrae.example")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_pdf(rng, i) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    lines = ["FICTIONAL benchmark document - not a real submission."]
    for q, a in zip(QUESTIONS, _answers(rng, i)):
        lines.append(q)
        words = a.split()
        while words:
            lines.append(" ".join(words[:14]))
            words = words[14:]
    for line in lines:
        if y < 60:
            c.showPage()
            y = 800
        c.drawString(50, y, line)
        y -= 15
    c.showPage()
    c.save()
    return buf.getvalue()


def make_text(rng, i, md: bool = False) -> bytes:
    parts = ["FICTIONAL benchmark document - not a real submission.", ""]
    for q, a in zip(QUESTIONS, _answers(rng, i)):
        parts += [("## " if md else "") + q, a, ""]
    return "\n".join(parts).encode("utf-8")


def make_html(rng, i) -> bytes:
    rows = "".join(f"<tr><td>{q}</td><td>{a}</td></tr>" for q, a in zip(QUESTIONS, _answers(rng, i)))
    return f"<html><body><p>FICTIONAL benchmark page.</p><table>{rows}</table></body></html>".encode()


def make_eml(rng, i) -> bytes:
    m = EmailMessage()
    m["From"] = f"officer{i}@glenbrae.example"
    m["To"] = "soa@example.org"
    m["Subject"] = f"FICTIONAL case study {i}"
    m["Date"] = "Tue, 09 Mar 2010 10:15:00 +0000"
    m.set_content(f"FICTIONAL e-mail {i}. " + _sentence(rng))
    m.add_attachment(make_docx(rng, i + 100000), maintype="application", subtype="octet-stream",
                     filename=f"case{i}.docx")
    return m.as_bytes()


def make_xlsx(rng, i, rows: int = 10) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name of CPP", "Name of case study", "Brief outline of case study", "Description of activity"])
    for r in range(rows):
        a = _answers(rng, i * 100 + r)
        ws.append([f"{rng.choice(PLACES)} Partnership", a[0], a[1], a[2]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


MAKERS = {"docx": make_docx, "pdf": make_pdf, "txt": make_text}
MIX = [("docx", make_docx, 35), ("pdf", make_pdf, 20), ("txt", make_text, 20),
       ("md", lambda r, i: make_text(r, i, md=True), 8), ("html", make_html, 8), ("eml", make_eml, 6),
       ("xlsx", make_xlsx, 1)]


def generate(folder: Path, n: int, fmt: str | None, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt:
        for i in range(n):
            (folder / f"sub{i:05d}.{fmt}").write_bytes(MAKERS[fmt](rng, i))
        return
    weights = [w for _, _, w in MIX]
    written: list[Path] = []
    for i in range(n):
        if written and i % 50 == 49:  # 2% exact duplicates
            src = rng.choice(written)
            (folder / f"dup{i:05d}{src.suffix}").write_bytes(src.read_bytes())
            continue
        ext, maker, _ = rng.choices(MIX, weights=weights)[0]
        p = folder / f"sub{i:05d}.{ext}"
        p.write_bytes(maker(rng, i))
        written.append(p)


def peak_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, child_kb / 1024


def _cpu() -> float:
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def bench(folder: Path, label: str, workers_list=(2, 1)) -> None:
    """Print throughput; CPU seconds are printed too, since wall time on a shared machine is noisy."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    c0 = _cpu()
    t = time.perf_counter()
    n_docs = 0
    for p in files:
        try:
            n_docs += len(read_file(p))
        except Exception:  # noqa: BLE001 - quarantined files count as read
            pass
    dt = time.perf_counter() - t
    cpu = _cpu() - c0
    print(f"  {label:6s} readers only, 1 process : {len(files) / dt:7.1f} files/s  {n_docs / dt:7.1f} docs/s"
          f"   (CPU {1000 * cpu / max(n_docs, 1):.1f} ms/doc)")
    for w in workers_list:
        c0 = _cpu()
        t = time.perf_counter()
        res = ingest(folder, workers=w)
        dt = time.perf_counter() - t
        cpu = _cpu() - c0
        n = len(res.submissions)
        counts = res.ingest_log.status.value_counts().to_dict()
        print(f"  {label:6s} ingest workers={w}        : {n / dt:7.1f} submissions/s  ({n} submissions from "
              f"{len(files)} files in {dt:.1f} s; {counts}; CPU {1000 * cpu / max(n, 1):.1f} ms/submission"
              f" = {n / max(cpu, 1e-9):.1f}/s per busy core; load avg {os.getloadavg()[0]:.1f})")


def profile(folder: Path, k: int = 40) -> None:
    sample = folder / "_profile"
    sample.mkdir()
    for p in sorted(folder.glob("sub*"))[:k]:
        (sample / p.name).write_bytes(p.read_bytes())
    pr = cProfile.Profile()
    pr.enable()
    ingest(sample, workers=1)
    pr.disable()
    st = pstats.Stats(pr)
    total = sum(v[3] for k_, v in st.stats.items() if k_[2] == "_process_file") or 1e-9
    groups = {"readers (read_bytes)": "read_bytes", "structure (build_record)": "build_record"}
    print(f"  profile of {k} mixed files, workers=1 ({total:.2f} s in _process_file):")
    for label, fn in groups.items():
        cum = sum(v[3] for k_, v in st.stats.items() if k_[2] == fn and "soa_analysis" in k_[0])
        print(f"    {label:28s} {cum:6.2f} s  ({100 * cum / total:4.1f}%)")
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(6)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip() and ln.strip()[0].isdigit()]
    print("    top functions by own time:")
    for ln in lines[:6]:
        print("     ", ln.strip()[:150])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="files in the mixed corpus")
    ap.add_argument("--per-format", type=int, default=100, help="files per single-format corpus")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        for fmt in MAKERS:
            generate(tmp / fmt, args.per_format, fmt)
        generate(tmp / "mixed", args.n, None)
        print(f"generated {3 * args.per_format} single-format + {args.n} mixed FICTIONAL files "
              f"in {time.perf_counter() - t:.1f} s")
        warm = tmp / "warm"
        generate(warm, 3, "txt")
        t = time.perf_counter()
        ingest(warm, workers=1)  # one-time imports and reference data of the structure step
        print(f"  one-time start-up (imports, reference data): {time.perf_counter() - t:.1f} s")
        for fmt in MAKERS:
            bench(tmp / fmt, fmt, workers_list=(2,))
        bench(tmp / "mixed", "mixed")
        main_mb, child_mb = peak_mb()
        print(f"  peak RSS: this process {main_mb:.0f} MB, largest worker {child_mb:.0f} MB")
        profile(tmp / "mixed")


if __name__ == "__main__":
    main()
