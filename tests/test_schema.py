import pandas as pd
import pytest

from soa_analysis.errors import SchemaError
from soa_analysis.schema import PRIORITY_IDS, TABLES, validate


def _tags(**kw):
    base = {"submission_id": ["s1"], "taxonomy": ["priorities"], "priority": ["employment"],
            "score": [0.7], "assigned": [True], "evidence": ["'apprenticeships' in: ..."]}
    base.update(kw)
    return pd.DataFrame(base)


def test_priority_ids_are_the_six_of_the_2012_guidance():
    assert PRIORITY_IDS == ("economic_growth", "employment", "early_years", "safer_communities",
                            "health_inequalities", "older_people")


def test_valid_table_passes_and_extra_columns_are_allowed():
    df = _tags(method=["combined"])
    assert validate(df, "tags") is df


@pytest.mark.parametrize(
    "df, message",
    [
        (_tags().drop(columns="score"), "missing column 'score'"),
        (_tags(score=[1.5]), "between 0 and 1"),
        (_tags(assigned=["yes"]), "'assigned' should hold bool"),
        (_tags(submission_id=[None]), "null value"),
    ],
)
def test_broken_tables_are_refused_with_the_problem(df, message):
    with pytest.raises(SchemaError, match=message):
        validate(df, "tags")


def test_unique_and_allowed_values():
    df = pd.DataFrame({"submission_id": ["a", "a"], "grade": ["strong", "great"], "reasons": ["", ""]})
    with pytest.raises(SchemaError) as err:
        validate(df, "evidence")
    assert "unique" in str(err.value) and "great" in str(err.value)


def _arrow(df):
    """``df`` with Arrow-backed columns, as ``pyarrow.Table.to_pandas`` makes them with pandas' Arrow types."""
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)


def _tag_evidence(phrases):
    return pd.DataFrame({"submission_id": ["s1", "s2"], "taxonomy": ["priorities"] * 2, "priority": ["employment"] * 2,
                         "section": ["evidence"] * 2, "sentence": ["one", "two"], "phrases": phrases})


def test_arrow_backed_tables_are_checked_as_numpy_backed_ones():
    """Tables read with Arrow-backed columns (the report's loader, the kept tables) meet the same checks:
    an Arrow list column passes by its type, a text column in a list column's place does not, and a value
    outside a column's allowed ones is named."""
    arrow = _arrow(_tag_evidence([["apprenticeships"], []]))
    assert isinstance(arrow["phrases"].dtype, pd.ArrowDtype)
    assert validate(arrow, "tag_evidence") is arrow
    text = _arrow(_tag_evidence(["apprenticeships", "jobs"]))
    with pytest.raises(SchemaError, match="'phrases' should hold list"):
        validate(text, "tag_evidence")
    graded = pd.DataFrame({"submission_id": ["a", "b", "c"], "grade": ["strong", "great", "great"],
                           "reasons": ["", "", ""]})
    graded = _arrow(graded)
    with pytest.raises(SchemaError, match=r"values outside .*\['great'\]"):
        validate(graded, "evidence")
    listed = _arrow(pd.DataFrame({"submission_id": ["a"], "grade": [["strong"]], "reasons": [""]}))
    with pytest.raises(SchemaError, match="'grade' should hold str"):  # lists where text belongs: named, not a crash
        validate(listed, "evidence")


def test_unknown_table():
    with pytest.raises(SchemaError, match="no table contract"):
        validate(pd.DataFrame(), "nope")


def test_contacts_table_is_marked_restricted():
    assert TABLES["contacts"].restricted and TABLES["contacts"].filename.startswith("restricted/")


def test_data_dictionary_is_in_step_with_the_contracts():
    from pathlib import Path

    from soa_analysis.schema import data_dictionary_markdown

    doc = Path(__file__).resolve().parent.parent / "docs" / "data_dictionary.md"
    assert doc.read_text(encoding="utf-8") == data_dictionary_markdown(), (
        "docs/data_dictionary.md is stale: python -m soa_analysis.schema > docs/data_dictionary.md"
    )


def test_every_contract_column_is_in_the_dictionary():
    from soa_analysis.schema import data_dictionary_markdown

    doc = data_dictionary_markdown()
    for spec in TABLES.values():
        assert f"`{spec.filename}`" in doc
        section = doc.split(f"`{spec.filename}`", 1)[1].split("\n## ", 1)[0]
        for col in spec.all_columns:
            assert f"| `{col.name}` |" in section
