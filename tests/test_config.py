from pathlib import Path

import pytest

from soa_analysis.config import DEFAULT_TAXONOMIES, load_run_file, make_options
from soa_analysis.errors import ConfigError


def test_defaults_match_the_readme():
    o = make_options()
    assert o.raw_dir == Path("data/raw")
    assert o.processed_dir == Path("data/processed")
    assert o.reports_dir == Path("reports")
    assert o.taxonomies == DEFAULT_TAXONOMIES
    assert o.council_reports is True
    assert o.keep_runs == 10


def test_run_file_then_overrides(tmp_path):
    f = tmp_path / "nightly.yaml"
    f.write_text("raw_dir: in\ntaxonomies: [priorities]\nworkers: 2\n")
    o = make_options(f, workers=1, processed_dir=None)
    assert o.raw_dir == Path("in")
    assert o.taxonomies == ("priorities",)
    assert o.workers == 1  # the flag wins
    assert o.processed_dir == Path("data/processed")  # unset flag ignored
    assert o.run_name == "nightly"


def test_comma_separated_taxonomies_from_the_cli():
    assert make_options(taxonomies="priorities, outcomes_2018").taxonomies == ("priorities", "outcomes_2018")


@pytest.mark.parametrize(
    "text, message",
    [
        ("raw_dirr: x\n", "unknown option(s) raw_dirr"),
        ("- a\n- b\n", "must be a mapping"),
        ("workers: -1\n", "workers must be a whole number"),
        ("workers: two\n", "workers must be a whole number"),
        ("max_file_mb: 0\n", "max_file_mb must be a positive number"),
        ("taxonomies: []\n", "taxonomies must be a non-empty list"),
        ("council_reports: maybe\n", "council_reports must be true or false"),
        ("keep_runs: -2\n", "keep_runs must be a whole number"),
        ("raw_dir: [\n", "not valid YAML"),
    ],
)
def test_bad_run_files_say_what_is_wrong(tmp_path, text, message):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_run_file(f)


def test_missing_run_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_run_file(tmp_path / "nope.yaml")


def test_bundled_run_file_is_valid():
    root = Path(__file__).resolve().parent.parent
    o = make_options(root / "config" / "runs" / "sample.yaml")
    assert o.raw_dir == Path("data/raw") and o.run_name == "sample"


def test_rubric_option_must_name_a_file(tmp_path):
    with pytest.raises(ConfigError, match="rubric file .* not found"):
        make_options(rubric=str(tmp_path / "nope.yaml"))
    f = tmp_path / "r.yaml"
    f.write_text("x: 1\n")
    assert make_options(rubric=str(f)).rubric == str(f)
