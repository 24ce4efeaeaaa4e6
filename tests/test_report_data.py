"""Loading a report's data: its tables by contract, a council's share, what is missing.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from soa_analysis.errors import ConfigError, InputError
from soa_analysis.report.data import REPORT_TABLES, load_report_data
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.report.tiles import council_tiles


def test_tiles_cover_all_32_councils_once():
    tiles = council_tiles()
    assert len(tiles) == 32
    assert len({t.council for t in tiles}) == 32
    assert len({(t.row, t.col) for t in tiles}) == 32
    assert len({t.abbrev for t in tiles}) == 32
    assert all(re.fullmatch(r"S12\d{6}", t.code) for t in tiles)


def test_council_report_filters_and_matches_case_insensitively(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray"])
    data = load_report_data(p, council="fife")
    assert data.council == "Fife"
    assert set(data["submissions"]["council"]) == {"Fife"}
    assert set(data["tags"]["submission_id"]) <= set(data["submissions"]["submission_id"])
    assert len(data.national) == 6  # the tile map still shows Scotland
    assert load_report_data(p, council="S12000047").council == "Fife"


def test_for_council_equals_loading_the_council(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray", "Angus"])
    national = load_report_data(p)
    derived, loaded = national.for_council("Moray"), load_report_data(p, council="Moray")
    for name in REPORT_TABLES:
        pd.testing.assert_frame_equal(derived[name], loaded[name])
    assert national.councils() == ["Angus", "Fife", "Moray"]


def test_each_councils_rows_are_the_rows_of_its_submissions(tmp_path):
    # for_council groups each table by council once (report.data._split_by_council); the rows must be
    # exactly what filtering the table by the council's submission ids gives, page after page
    p = make_synthetic_processed(tmp_path / "p", n=15, councils=["Fife", "Moray", "Angus"])
    national = load_report_data(p)
    subs = national["submissions"]
    for council in ["Moray", "Fife", "Angus", "Moray", "Highland"]:
        data = national.for_council(council)
        keep = set(subs.loc[subs["council"] == council, "submission_id"])
        for name, df in national.tables.items():
            if "submission_id" in df.columns and name != "ingest_log":
                want = df[df["submission_id"].isin(keep)].reset_index(drop=True)
                pd.testing.assert_frame_equal(data[name], want)
        assert (len(data["submissions"]) == 0) == (council == "Highland")


def test_each_council_gets_exactly_the_rows_filtering_gives_of_every_table(tmp_path):
    """for_council's rows of every table (partner pairs, whose submissions are narrowed to the council's,
    included) are those data._only gives, filtering the table by the council's submissions."""
    from soa_analysis.report.data import _only

    p = make_synthetic_processed(tmp_path / "p", n=18, councils=["Fife", "Moray", "Angus"])
    national = load_report_data(p)
    subs = national["submissions"]
    assert len(national["partner_pairs"])
    for council in ["Angus", "Fife", "Moray", "Highland"]:
        keep = set(subs.loc[subs["council"] == council, "submission_id"])
        mine = national.for_council(council)
        for name, df in national.tables.items():
            pd.testing.assert_frame_equal(mine[name], _only(name, df, keep))


def test_the_quoted_tables_are_read_as_the_cards_keep_them(tmp_path):
    """Only the rows and columns the cards can quote are read of tag_evidence and evidence_sentences: the
    frames are those the whole tables give when kept to what the cards quote."""
    from soa_analysis.io import read_table, write_table
    from soa_analysis.report.quotes import quoted_grade_rows, quoted_tag_rows
    from soa_analysis.schema import TABLES

    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray"])
    te = read_table(p, "tag_evidence")  # rows of another taxonomy and sentences of no grade between the others
    te = pd.concat([te, te.assign(taxonomy="outcomes_soa")]).sort_index(kind="stable").reset_index(drop=True)
    write_table(te, p / TABLES["tag_evidence"].filename, table="tag_evidence")
    es = read_table(p, "evidence_sentences")
    es = pd.concat([es, es.assign(strength="none")]).sort_index(kind="stable").reset_index(drop=True)
    write_table(es, p / TABLES["evidence_sentences"].filename, table="evidence_sentences")
    data = load_report_data(p)
    assert len(data["tag_evidence"]) and len(data["evidence_sentences"])
    pd.testing.assert_frame_equal(data["tag_evidence"], quoted_tag_rows(te))
    grades = read_table(p, "evidence").set_index("submission_id")["grade"].to_dict()
    pd.testing.assert_frame_equal(data["evidence_sentences"], quoted_grade_rows(es, grades))


def test_a_lazy_councils_tables_are_made_when_read_and_equal_the_eager_ones(tmp_path):
    """for_council(lazy=True) makes a table only when it is first read, once, and it is the table
    for_council gives at once; a lazy council's national priorities are those of its submissions' tags."""
    from soa_analysis.report.data import LazyTables

    p = make_synthetic_processed(tmp_path / "p", n=18, councils=["Fife", "Moray", "Angus"])
    national = load_report_data(p)
    for council in ["Angus", "fife", "Highland"]:
        eager, lazy = national.for_council(council), national.for_council(council, lazy=True)
        assert isinstance(lazy.tables, LazyTables) and lazy.tables.made() == [] and lazy.council == eager.council
        assert list(lazy.tables) == list(eager.tables) and len(lazy.tables) == len(eager.tables)
        assert lazy["tags"] is lazy["tags"] and lazy.tables.made() == ["tags"]
        for name in reversed(list(eager.tables)):
            pd.testing.assert_frame_equal(lazy[name], eager[name])
        assert sorted(lazy.tables.made()) == sorted(eager.tables)


def test_the_national_priorities_are_each_submissions_assigned_priorities(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=18, councils=["Fife", "Moray", "Angus"])
    data = load_report_data(p)
    tags = data["tags"]
    on = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
    assert len(on)  # (a submission with none gets (): the doctest of data.priorities_of)
    want = {sid: tuple(sorted(set(g["priority"]))) for sid, g in on.groupby("submission_id")}
    assert data.national["priorities"].tolist() == [want.get(s, ()) for s in data.national["submission_id"]]
    assert data.national["priorities"].dtype == object


def test_a_council_keeps_only_its_partner_pairs(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray"])
    data = load_report_data(p, council="Fife")
    fife = set(data["submissions"]["submission_id"])
    pairs = data["partner_pairs"]
    assert len(pairs) and all(set(ids) <= fife for ids in pairs["submission_ids"])
    assert (pairs["n"] == pairs["submission_ids"].map(len)).all()


def test_unknown_council_and_missing_folder_fail_clearly(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=2)
    with pytest.raises(ConfigError, match="not a known council"):
        load_report_data(p, council="Atlantis")
    with pytest.raises(InputError):
        load_report_data(tmp_path / "nowhere")


def test_missing_optional_tables_are_listed_and_contacts_never_read(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=4, drop=("followups", "partners", "exemplars"))
    data = load_report_data(p)
    assert {"followups", "partners", "exemplars"} == data.missing
    assert "contacts" not in REPORT_TABLES and "contacts" not in data.tables


def test_report_kernel_stays_light():
    """The report notebook's kernel must not drag in scikit-learn, nltk, nbconvert or matplotlib's pyplot."""
    code = ("import sys, soa_analysis.report as r, soa_analysis.changes.sections; "
            "print(sorted(m for m in ('sklearn', 'nltk', 'nbconvert', 'papermill', 'matplotlib.pyplot') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_each_tables_rows_go_to_the_council_a_dict_of_the_submissions_gives():
    """_split_by_council matches a table's ids to councils in one vectorised lookup: the same rows per
    council as looking each id up in a dict of the submissions (the last row of a repeated id wins), rows
    whose id is not a submission's going to no council, a pair's submissions narrowed the same way."""
    from soa_analysis.report.data import _InCouncilOrder, _only, _split_by_council

    subs = pd.DataFrame({"submission_id": ["a", "b", "c", "b"], "council": ["Fife", "Moray", "Fife", "Angus"]})
    tags = pd.DataFrame({"submission_id": pd.Series(["c", "zz", "b", "a", "b", "c"], dtype="string"),
                         "priority": list("pqrstu")})
    pairs = pd.DataFrame({"partner_type_a": ["x", "y"], "submission_ids": [["a", "zz", "c"], ["b"]]})
    split = _split_by_council({"submissions": subs, "tags": tags, "partner_pairs": pairs})
    council_of = dict(zip(subs["submission_id"], subs["council"]))
    by_dict = _InCouncilOrder(tags, [council_of.get(i) for i in tags["submission_id"].tolist()])
    for council in ["Fife", "Moray", "Angus", "Highland"]:
        assert split["tags"].positions(council).tolist() == by_dict.positions(council).tolist()
        pd.testing.assert_frame_equal(split["tags"](council), tags.iloc[by_dict.positions(council)].reset_index(drop=True))
        keep = {i for i, c in council_of.items() if c == council}
        pd.testing.assert_frame_equal(split["partner_pairs"](council), _only("partner_pairs", pairs, keep))
    assert split["tags"].positions("Fife").tolist() == [0, 3, 5]
    assert split["tags"].positions("Angus").tolist() == [2, 4]  # b's last row says Angus
    assert split["tags"].positions("Moray").tolist() == []
    empty = _split_by_council({"submissions": subs.iloc[:0], "tags": tags})
    assert empty["tags"].positions("Fife").tolist() == []


def _quoted_by_the_definition(te: pd.DataFrame) -> pd.DataFrame:
    """quoted_tag_rows as its docstring defines it, filter after filter on the whole frame."""
    from soa_analysis.report.quotes import PRIORITY_TAXONOMY, SENTENCES_PER_PRIORITY, TAG_COLUMNS

    cols = [c for c in TAG_COLUMNS if c in te.columns]
    te = te[te["taxonomy"] == PRIORITY_TAXONOMY]
    if "assigned" in te.columns:
        te = te[te["assigned"].fillna(False).astype(bool)]
    first = te.groupby(["submission_id", "priority"], sort=False, dropna=False).cumcount() < SENTENCES_PER_PRIORITY
    return te.loc[first, cols].reset_index(drop=True)


@pytest.mark.parametrize("arrow", [False, True])
def test_quoted_tag_rows_are_the_first_sentences_of_each_assigned_priority(arrow):
    """Hand-made rows: other taxonomies and unassigned rows left out, at most two sentences a submission and
    priority in table order, a missing priority a group of its own; the same rows whichever way the columns
    are held (numpy objects, or Arrow in several chunks)."""
    import pyarrow as pa

    from soa_analysis.report.quotes import quoted_tag_rows

    rows = [("a", "priorities", "p", "s1", True), ("a", "outcomes_soa", "p", "x", True),
            ("a", "priorities", "p", "s2", True), ("b", "priorities", "q", "t1", False),
            ("a", "priorities", "p", "s3", True), ("b", "priorities", "q", "t2", True),
            ("a", "priorities", None, "n1", True), ("a", "priorities", None, "n2", True),
            ("a", "priorities", None, "n3", True), ("b", "priorities", "p", "u1", True)]
    te = pd.DataFrame(rows, columns=["submission_id", "taxonomy", "priority", "sentence", "assigned"])
    if arrow:
        for c in ["submission_id", "taxonomy", "priority", "sentence"]:
            values = [None if pd.isna(v) else v for v in te[c].tolist()]
            te[c] = pd.arrays.ArrowStringArray(pa.chunked_array([values[:3], values[3:7], values[7:]]))
    got = quoted_tag_rows(te)
    assert [str(x) for x in got["sentence"]] == ["s1", "s2", "t2", "n1", "n2", "u1"]
    pd.testing.assert_frame_equal(got, _quoted_by_the_definition(te))
    pd.testing.assert_frame_equal(quoted_tag_rows(got), got)  # taking them again changes nothing


def test_loaded_tables_hold_each_arrow_column_in_one_chunk_with_the_same_values(tmp_path):
    """A table written in several row groups is read with columns of several chunks; the report holds each in
    one (its takes per council then need no join), with the dtypes and values read_table gives."""
    import pyarrow as pa

    from soa_analysis.io import read_table, write_table
    from soa_analysis.report.data import NARROW
    from soa_analysis.schema import TABLES

    p = make_synthetic_processed(tmp_path / "p", n=18, councils=["Fife", "Moray", "Angus"])
    tags = read_table(p, "tags")
    write_table(tags, p / TABLES["tags"].filename, table="tags")
    path = p / TABLES["tags"].filename
    pa_table = pa.Table.from_pandas(tags, preserve_index=False)
    import pyarrow.parquet as pq

    pq.write_table(pa_table, path, row_group_size=max(1, len(tags) // 3))  # several row groups
    raw = read_table(p, "tags", columns=NARROW["tags"])  # the columns the report reads
    chunked = [c for c in raw.columns if getattr(raw[c].array, "_pa_array", None) is not None
               and raw[c].array._pa_array.num_chunks > 1]
    data = load_report_data(p)
    if not chunked:
        pytest.skip("this pandas reads the table's text columns as numpy objects")
    for c in chunked:
        assert data["tags"][c].array._pa_array.num_chunks == 1
    pd.testing.assert_frame_equal(data["tags"], raw)


@pytest.mark.parametrize("row_groups", [1, 3])
def test_the_quoted_tag_rows_chosen_in_arrow_are_those_of_the_whole_frame(tmp_path, row_groups):
    """read_quoted_tag_rows chooses the rows before turning them into a frame: the same frame (values, dtypes,
    order) as the quoted rows of the table read whole, with rows of another taxonomy, unassigned ones and an
    assigned missing in between, the file in one row group or several; no quoted row, an empty frame of the
    same columns; no file, InputError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from soa_analysis.io import read_table
    from soa_analysis.report.data import read_quoted_tag_rows
    from soa_analysis.report.quotes import QUOTED_READS, quoted_tag_rows
    from soa_analysis.schema import TABLES

    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray"])
    te = read_table(p, "tag_evidence")
    other = te.assign(taxonomy="outcomes_soa")
    unassigned = te.assign(assigned=False)
    unknown = te.assign(assigned=pd.array([None] * len(te), dtype="boolean"))
    te = pd.concat([te, other, unassigned, te, unknown]).sort_index(kind="stable").reset_index(drop=True)
    path = p / TABLES["tag_evidence"].filename
    table = pa.Table.from_pandas(te, preserve_index=False)
    pq.write_table(table, path, row_group_size=max(1, len(te) // row_groups))
    columns, filters = QUOTED_READS["tag_evidence"]
    expected = quoted_tag_rows(read_table(p, "tag_evidence", columns=columns, filters=filters))
    got = read_quoted_tag_rows(p)
    assert 0 < len(got) < len(te)
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got, quoted_tag_rows(te.drop(columns=[c for c in te.columns if c not in columns])))
    pq.write_table(pa.Table.from_pandas(other, preserve_index=False), path)
    none = read_quoted_tag_rows(p)
    assert len(none) == 0
    pd.testing.assert_frame_equal(none, quoted_tag_rows(read_table(p, "tag_evidence", columns=columns,
                                                                   filters=filters)))
    path.unlink()
    with pytest.raises(InputError):
        read_quoted_tag_rows(p)


def test_the_report_reads_of_tags_only_the_columns_it_shows(tmp_path):
    """Of tags, the report reads which tag was assigned to what, its label and score, not the phrases behind it
    (tag_evidence has the quoted ones) nor how the tagger scored it; the other tables are read whole."""
    from soa_analysis.io import read_table

    p = make_synthetic_processed(tmp_path / "p", n=12)
    data = load_report_data(p)
    whole = read_table(p, "tags")
    assert "evidence" in whole.columns and "evidence" not in data["tags"].columns
    assert list(data["tags"].columns) == [c for c in whole.columns if c in
                                          ("submission_id", "taxonomy", "priority", "label", "score", "assigned")]
    pd.testing.assert_frame_equal(data["tags"], whole[list(data["tags"].columns)])
