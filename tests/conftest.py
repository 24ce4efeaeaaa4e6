"""Shared test settings and fixtures.

Hypothesis runs with no per-example deadline everywhere: tests must pass on a loaded
2-core machine, so no test depends on how long something takes.

Fixtures: one model store of trained taggers for the whole run (off for the tests about
training), a tenth of the real-text features for tests of how the tagger uses them, small
stand-in notebooks for the pipeline's mechanics (all data fictional), a processed folder of one
narrative with a copy of the packaged rubric (for the grader's learned models), and HTML page checks.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from hypothesis import settings
from nbformat.v4 import new_code_cell, new_notebook
from threadpoolctl import threadpool_limits

from soa_analysis.execute import NOTEBOOKS
from soa_analysis.procs import THREAD_VARIABLES

settings.register_profile("soa", deadline=None)
settings.load_profile("soa")

# One thread per BLAS and OpenMP pool, in this process and (through the environment) in the kernels and
# subprocesses the tests start: ``make test`` already runs two xdist workers on two cores, and a pool of two
# threads in each of them (OpenBLAS's default here) oversubscribes the cores. The tagger's evaluation took
# 3 min 1 s with two threads (4 min 49 s of CPU) and 3 min 8 s with one (3 min 7 s of CPU) on an idle machine,
# and far longer beside another worker. What the tests compute does not depend on the number of threads.
# (A run does the same through soa_analysis.procs.one_thread_each, unless the user sized the pools.)
for _name in THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")
threadpool_limits(1)  # numpy may already be imported, its pools sized, before this file is read


# The per-user store of trained taggers (soa_analysis.tagging.store): in the tests, one store
# for the whole run in its temporary folder, shared by the xdist workers (and the notebook
# kernels and subprocesses they start, through the environment), so a tagger with a given
# fingerprint is trained once a run instead of once per test that builds it. It is off until
# the session starts, and in the tests about training itself (the ``model_store_off``
# fixture); tests/test_tagging_store.py turns it on in a folder of its own.
MODEL_STORE = "SOA_ANALYSIS_MODEL_STORE"  # soa_analysis.tagging.store.ENV
os.environ[MODEL_STORE] = "off"


@pytest.fixture(scope="session", autouse=True)
def shared_model_store(tmp_path_factory):
    """The run's model store: under the run's temporary folder (the parent of each xdist
    worker's own), so every worker takes a model another one trained."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "model-store"
    os.environ[MODEL_STORE] = str(folder)
    yield folder
    os.environ[MODEL_STORE] = "off"


@pytest.fixture
def model_store_off(monkeypatch):
    """The model store off for one test: it trains what it trains (tests about training)."""
    monkeypatch.setenv(MODEL_STORE, "off")


@pytest.fixture
def few_real_texts(monkeypatch):
    """The shipped real-text features cut to every tenth text (both kinds: texts every classifier learns from
    and texts only the document classifier learns from) for the tagger and its evaluation, for tests of how
    the tagger uses them rather than of what the whole file teaches it; returns the cut. A tenth keeps every
    priority's examples and fits in a few seconds instead of a minute."""
    import soa_analysis.tagging.evaluation as evaluation
    import soa_analysis.tagging.model as model

    shipped = model.load_real_features
    cut = {}

    def tenth(taxonomy_sha256, categories):
        real = shipped(taxonomy_sha256, categories)
        if real is None:
            return None
        cut["real"] = model.take_real(real, list(range(0, real["n"], 10)))
        return cut["real"]

    monkeypatch.setattr(model, "load_real_features", tenth)
    monkeypatch.setattr(evaluation, "load_real_features", tenth)
    monkeypatch.setenv(MODEL_STORE, "off")  # a tagger fitted on the cut is never stored for other tests
    return cut


ROOT = Path(__file__).resolve().parent.parent


def _write_notebook(path: Path, params: str, body: str) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell(body)]
    nbformat.write(nb, str(path))
    return path


def _stand_in_notebooks(folder: Path, body_of: Callable[[str], str]) -> Path:
    folder.mkdir()
    for stage, name in NOTEBOOKS.items():
        real = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
        params = next(c.source for c in real.cells if "parameters" in c.metadata.get("tags", []))
        _write_notebook(folder / name, params, body_of(stage))
    return folder


@pytest.fixture
def write_notebook():
    """``write_notebook(path, params, body)``: a two-cell notebook, the first tagged ``parameters``."""
    return _write_notebook


@pytest.fixture
def stand_in_notebooks():
    """``stand_in_notebooks(folder, body_of)``: stage notebooks with the real parameter cells and
    ``body_of(stage)`` as their code."""
    return _stand_in_notebooks


@pytest.fixture
def fake_notebooks(tmp_path):
    """Stand-in stage notebooks with the real parameter cells; 02_tag raises."""
    def body(stage: str) -> str:
        code = "from pathlib import Path\nPath(processed_dir).mkdir(parents=True, exist_ok=True)\n"
        code += f"(Path(processed_dir) / '{stage}.done').write_text('ok')\n"
        if stage == "tag":
            code += "raise RuntimeError('planted failure in the tag stage')\n"
        return code

    return _stand_in_notebooks(tmp_path / "nbs", body)


class HtmlPage(HTMLParser):
    """Tags, attributes, text and headings of an HTML page or fragment."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.attrs, self.text, self.headings, self._h = [], [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if re.fullmatch(r"h[1-6]", tag):
            self._h = [int(tag[1]), ""]

    def handle_endtag(self, tag):
        if self._h and tag == f"h{self._h[0]}":
            self.headings.append((self._h[0], self._h[1].strip()))
            self._h = None

    def handle_data(self, data):
        self.text.append(data)
        if self._h:
            self._h[1] += data


@pytest.fixture
def html_page():
    """``html_page(html)``: its tags, attributes (tag, name, value), text pieces and headings."""
    return HtmlPage


def assert_safe_page(html: str) -> None:
    """What every shared page must be: only the report's own inline scripts (the card filter, the
    opener of folded sections), each at most once, no address anywhere but in escaped text,
    images only from data: URIs, links only within the report."""
    from soa_analysis.report.cards import FILTER_JS
    from soa_analysis.report.folding import OPEN_JS

    page = HtmlPage(html)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all(s in (("", FILTER_JS), ("", OPEN_JS)) for s in scripts) and len(set(scripts)) == len(scripts)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for tag, k, v in page.attrs:
        assert not k.startswith("on"), (tag, k)
        if k == "src":
            assert re.match(r"data:image/(png|svg\+xml);base64,", v), v[:40]
        elif k == "href":
            assert re.fullmatch(r"#[\w-]+|(\.\./|councils/)?[a-z0-9-]+\.html(#[\w-]+)?", v), v
        else:
            assert not re.search(r"https?:|javascript:|//", v, re.I), (tag, k, v)


@pytest.fixture
def safe_page():
    """``safe_page(html)`` asserts the rules every shared page keeps (see :func:`assert_safe_page`)."""
    return assert_safe_page


def _one_narrative(folder: Path, text: str, **rubric_keys) -> tuple[Path, Path]:
    """``folder/processed`` holding one fictional unstructured submission of ``text``, and ``folder/my_rubric.yaml``:
    the packaged rubric with ``rubric_keys`` set (e.g. a model file of the test's own beside it)."""
    import pandas as pd
    import yaml

    from soa_analysis.io import write_table
    from soa_analysis.schema import SECTION_COLUMNS

    row = {"submission_id": "s1", "source_file": "s1.txt", "submission_type": "unstructured",
           "council": "Fictional Council", "council_code": "", **{s: "" for s in SECTION_COLUMNS},
           "checklist": [], "outcomes_cited": [], "text": text, "format": "txt", "council_source": "",
           "date": "2011-06-01", "year": 2011, "warnings": []}
    subs = pd.DataFrame([row])
    subs["year"] = subs["year"].astype("Int64")
    processed = folder / "processed"
    processed.mkdir()
    write_table(subs, processed / "submissions.parquet", table="submissions")
    root = Path(__file__).resolve().parents[1]
    data = yaml.safe_load((root / "soa_analysis" / "rubrics" / "evidence_rubric.yaml").read_text(encoding="utf-8"))
    data.update(rubric_keys)
    rubric = folder / "my_rubric.yaml"
    rubric.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return processed, rubric


@pytest.fixture
def one_narrative(tmp_path):
    """``one_narrative(text, **rubric_keys)`` -> (processed folder, rubric path) in the test's folder."""
    return lambda text, **keys: _one_narrative(tmp_path, text, **keys)


@pytest.fixture
def sklearn_tfidf():
    """``sklearn_tfidf(model)`` -> (vectoriser, terms in column order): scikit-learn's own ``TfidfVectorizer`` made
    from a text model's file values (its terms' idf, ``sublinear_tf``), to check the model's arithmetic against."""
    def make(model):
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        names = sorted(model.terms)
        vec = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(names)}, ngram_range=tuple(model.ngram_range),
                              sublinear_tf=True)
        vec.idf_ = np.array([model.terms[t][0] for t in names])
        return vec, names
    return make
