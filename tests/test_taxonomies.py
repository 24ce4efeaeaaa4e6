"""Tests of the taxonomy files and their loader (expected values from the domain reference)."""

import pytest

from soa_analysis.errors import TaxonomyError
from soa_analysis.schema import PRIORITY_IDS
from soa_analysis.taxonomies import Taxonomy, list_taxonomies, load_taxonomy


def test_shipped_taxonomies_are_listed():
    assert {"priorities", "outcomes_soa", "outcomes_2018"} <= set(list_taxonomies())


def test_priorities_are_the_six_national_priorities():
    tax = load_taxonomy("priorities")
    assert tax.ids == PRIORITY_IDS
    assert isinstance(tax.version, str) and tax.version
    assert all(c.phrases for c in tax.categories)


def test_outcomes_soa_has_sixteen_outcomes_with_wording():
    tax = load_taxonomy("outcomes_soa")
    assert tax.ids == tuple(f"no{i:02d}" for i in range(1, 17))
    assert all(c.wording for c in tax.categories)


@pytest.mark.parametrize("cid, fragment", [
    ("no01", "most attractive place for doing business in Europe"),
    ("no05", "best start in life"),
    ("no06", "live longer, healthier lives"),
    ("no09", "safe from crime, disorder and danger"),
    ("no15", "maintain their independence as they get older"),
    ("no16", "responsive to local people's needs"),
])
def test_outcome_wording(cid, fragment):
    assert fragment in load_taxonomy("outcomes_soa").get(cid).wording


def test_outcomes_2018_has_eleven():
    tax = load_taxonomy("outcomes_2018")
    labels = {c.label for c in tax.categories}
    assert len(tax.ids) == 11
    assert {"Children", "Communities", "Culture", "Economy", "Education", "Environment",
            "Fair Work and Business", "Health", "Human Rights", "International", "Poverty"} == labels


def test_provenance_records_version_and_hash():
    prov = load_taxonomy("priorities").provenance()
    assert prov["name"] == "priorities" and len(prov["sha256"]) == 64 and prov["source"].startswith("package:")


def test_load_from_path_and_passthrough(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text('name: mine\nversion: "0.1"\ncategories:\n  - id: parks\n    label: Parks\n'
                 '    phrases: {green space: 1.0, park: 0.5}\n    exclusions: [car park]\n', encoding="utf-8")
    tax = load_taxonomy(p)
    assert isinstance(tax, Taxonomy) and tax.ids == ("parks",) and tax.source == str(p)
    assert tax.get("parks").phrases == (("green space", 1.0), ("park", 0.5))
    assert tax.get("parks").exclusions == ("car park",)
    assert load_taxonomy(tax) is tax


_OK_CAT = "  - id: a\n    label: A\n    phrases: [alpha]\n"


@pytest.mark.parametrize("text, message", [
    ("name: t\nversion: 1.0\ncategories:\n" + _OK_CAT, "version"),
    ("name: t\ncategories:\n" + _OK_CAT, "version"),
    ('name: t\nversion: "1"\ncategories: []\n', "categories"),
    ('name: t\nversion: "1"\ncategories:\n' + _OK_CAT + _OK_CAT, "repeated"),
    ('name: t\nversion: "1"\ncategories:\n  - id: a\n    label: A\n    phrases: {alpha: 3}\n', "weight"),
    ('name: t\nversion: "1"\ncategories:\n  - id: a\n    label: A\n    phrase: [alpha]\n', "unknown key"),
    ('name: t\nversion: "1"\ncategories:\n  - id: A b\n    label: A\n    phrases: [alpha]\n', "'id'"),
    ('name: t\nversion: "1"\ncategories:\n  - id: a\n    label: A\n', "at least one phrase"),
    ('name: t\nversion: "1"\ncategories:\n  - id: a\n    label: A\n    phrases: ["--"]\n', "at least one word"),
    ('name: t\nversion: "1"\nextra: 1\ncategories:\n' + _OK_CAT, "top-level"),
    ("name: t\nversion: [unclosed\n", "YAML"),
    ("- just\n- a list\n", "mapping"),
])
def test_invalid_taxonomy_files_raise_clear_errors(tmp_path, text, message):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as info:
        load_taxonomy(p)
    assert str(p) in str(info.value)


def test_unknown_name_and_missing_file():
    with pytest.raises(TaxonomyError, match="unknown taxonomy"):
        load_taxonomy("no_such_taxonomy")
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy("/nonexistent/dir/t.yaml")


def test_unknown_category_id():
    with pytest.raises(TaxonomyError, match="no category"):
        load_taxonomy("priorities").get("fishing")
