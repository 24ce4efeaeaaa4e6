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


def test_unknown_table():
    with pytest.raises(SchemaError, match="no table contract"):
        validate(pd.DataFrame(), "nope")


def test_contacts_table_is_marked_restricted():
    assert TABLES["contacts"].restricted and TABLES["contacts"].filename.startswith("restricted/")
