"""REFI-QDA exchange: export-qdpx, reading a project back, and coders' codings as reviewed labels.

Every submission text here is fictional, written for these tests.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from lxml import etree
from test_changes import FALLS, JOBS, NURSERY, case_study

from soa_analysis.cli import main
from soa_analysis.errors import InputError
from soa_analysis.evidence import run_evidence
from soa_analysis.ingest import run_ingest
from soa_analysis.io import read_table
from soa_analysis.labelled import load_labels
from soa_analysis.refi import GUID_RE, NS, build_project, export_qdpx, guid, qdpx_review, read_qdpx
from soa_analysis.refi.common import code_key
from soa_analysis.report.safe import redact
from soa_analysis.tagging import cohens_kappa, labels_from_review, run_tagging

XSD = Path(__file__).parent / "data" / "refi" / "project_subset.xsd"
Q = "{%s}" % NS
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

# Contact details in the narrative and after it, accents, a pound sign and a character outside the
# Basic Multilingual Plane, so positions are checked as code points.
CAFE = case_study(
    "Community café for carers in Renfrewshire", "12 May 2010",
    "Carers of people with dementia in Renfrewshire said they felt isolated 🙂 and unsupported.",
    "Renfrewshire Council and a carers' charity opened a café in the town centre; call 0141 496 0999 or e-mail "
    "cafe.fictional@example.org to book.",
    "Carers' isolation scores fell from 62% to 41% over the year, and 85 carers used the café, which cost £12,000.",
    "The SOA helped partners pool resources for prevention.",
    "Open a second café by March 2011.",
).replace("Fictional case study", "Contact details of lead officer\n\nAlex Example, Carers Lead. E-mail: "
          "alex.example@renfrewshire.example.org. Tel: 0141 496 0123\n\nFictional case study")


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    base = tmp_path_factory.mktemp("refi")
    raw, p = base / "raw", base / "processed"
    raw.mkdir()
    for name, text in (("moray_falls.txt", FALLS), ("fife_work_clubs.txt", JOBS),
                       ("highland_outreach.txt", NURSERY), ("renfrewshire_cafe.txt", CAFE)):
        (raw / name).write_text(text, encoding="utf-8")
    run_ingest(raw, p, workers=1)
    run_tagging(p, taxonomies=("priorities", "outcomes_soa"))
    run_evidence(p, evaluate=False)
    return p


@pytest.fixture(scope="module")
def exported(processed, tmp_path_factory):
    out = tmp_path_factory.mktemp("qdpx") / "coding.qdpx"
    result = export_qdpx(processed, out, created=WHEN)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        root = ET.fromstring(zf.read("project.qde"))
        texts = {n.split("/", 1)[1]: zf.read(n).decode("utf-8") for n in names if n.startswith("sources/")}
        raw_xml = zf.read("project.qde")
    return {"result": result, "path": out, "names": names, "root": root, "texts": texts, "xml": raw_xml}


def _source_texts(exported) -> dict[str, str]:
    """TextSource guid -> its text, through plainTextPath."""
    out = {}
    for s in exported["root"].iter(Q + "TextSource"):
        path = s.get("plainTextPath")
        assert path.startswith("internal://")
        out[s.get("guid")] = exported["texts"][path[len("internal://"):]]
    return out


def test_zip_layout_namespace_and_well_formed_xml(exported):
    names = exported["names"]
    assert "project.qde" in names
    assert all(n == "project.qde" or re.fullmatch(r"sources/[0-9a-f-]{36}\.txt", n) for n in names), names
    assert exported["root"].tag == Q + "Project"
    assert exported["xml"].startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert exported["root"].get("origin").startswith("soa-analysis ")
    assert len(exported["texts"]) == exported["result"].n_sources == 4


def test_validates_against_the_schema_written_from_the_standard(exported):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(exported["xml"])
    assert schema.validate(doc), schema.error_log


def test_every_guid_is_unique_well_formed_and_every_reference_resolves(exported):
    root = exported["root"]
    guids = [el.get("guid") for el in root.iter() if el.get("guid") is not None]
    assert len(guids) == len(set(guids)) and len(guids) > 100
    assert all(GUID_RE.match(g) for g in guids)
    kinds = {el.get("guid"): el.tag.replace(Q, "") for el in root.iter() if el.get("guid")}
    codable = {c.get("guid") for c in root.iter(Q + "Code") if c.get("isCodable") == "true"}
    for el in root.iter(Q + "CodeRef"):
        assert el.get("targetGUID") in codable
    for el in root.iter(Q + "SourceRef"):
        assert kinds[el.get("targetGUID")] == "TextSource"
    for el in root.iter(Q + "VariableRef"):
        assert kinds[el.get("targetGUID")] == "Variable"
    user = root.find(f"{Q}Users/{Q}User").get("guid")
    assert root.get("creatingUserGUID") == user
    assert {c.get("creatingUser") for c in root.iter(Q + "Coding")} == {user}


def test_every_selection_lies_in_its_source_and_equals_the_sentence_it_codes(processed, exported):
    texts = _source_texts(exported)
    subs = read_table(processed, "submissions")
    sid_of = {guid(f"source:{s}"): s for s in subs["submission_id"]}
    tags = read_table(processed, "tags")
    te = read_table(processed, "tag_evidence").merge(
        tags[tags["assigned"]][["submission_id", "taxonomy", "priority"]], on=["submission_id", "taxonomy", "priority"])
    es = read_table(processed, "evidence_sentences")
    expected = {(r.submission_id, guid(code_key(r.taxonomy, r.priority)), redact(r.sentence)) for r in te.itertuples()}
    expected |= {(r.submission_id, guid(code_key("grade", r.strength)), redact(r.sentence))
                 for r in es[es["strength"].isin(["strong", "some", "planned"])].itertuples()}
    theme_codes = {guid(code_key("added_value", t)) for t in read_table(processed, "added_value")["theme"]}
    found, themes = set(), 0
    for s in exported["root"].iter(Q + "TextSource"):
        text = texts[s.get("guid")]
        for sel in s.iter(Q + "PlainTextSelection"):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert 0 <= start < end <= len(text)
            for c in sel.iter(Q + "Coding"):
                code = c.find(Q + "CodeRef").get("targetGUID")
                if code in theme_codes:
                    themes += 1
                    assert text[start:end] in redact(subs.set_index("submission_id").at[sid_of[s.get("guid")],
                                                                                         "added_value"])
                    continue
                found.add((sid_of[s.get("guid")], code, text[start:end]))
    assert found == expected and len(found) > 10
    assert themes >= 3  # the added-value themes are coded too
    assert exported["result"].unplaced == []


def test_positions_count_code_points(processed, exported):
    """A sentence after a character outside the BMP starts where Python's str index says (not UTF-16 units)."""
    text = next(t for t in _source_texts(exported).values() if "🙂" in t)
    sel = [(int(x.get("startPosition")), int(x.get("endPosition")))
           for s in exported["root"].iter(Q + "TextSource") if "🙂" in _source_texts(exported)[s.get("guid")]
           for x in s.iter(Q + "PlainTextSelection")]
    after = [(a, b) for a, b in sel if a > text.index("🙂")]
    assert after and all(text[a:b].strip() == text[a:b] and text[a:b] for a, b in after)
    assert any("£12,000" in text[a:b] for a, b in after)


def test_sources_hold_the_narrative_never_the_contact_details(processed, exported):
    texts = list(exported["texts"].values())
    joined = "\n".join(texts)
    assert "alex.example" not in joined and "0141 496 0123" not in joined and "Contact details" not in joined
    assert "cafe.fictional@example.org" not in joined and "0141 496 0999" not in joined
    assert "[email removed]" in joined and "[phone removed]" in joined
    contacts = read_table(processed, "contacts")
    for raw in contacts["raw"]:
        assert raw.strip() and raw.strip() not in joined
    assert b"alex.example" not in exported["xml"] and b"0141 496" not in exported["xml"]


def test_codebook_attributes_and_cases(processed, exported):
    root = exported["root"]
    folders = [c.get("name") for c in root.find(f"{Q}CodeBook/{Q}Codes").findall(Q + "Code")]
    assert folders == ["National priorities", "National Outcomes (SOA era, 2007-2016)",
                       "Added value of the SOA process", "Evidence of benefit"]
    pri = root.find(f"{Q}CodeBook/{Q}Codes").findall(Q + "Code")[0]
    assert pri.get("isCodable") == "false"
    assert len(pri.findall(Q + "Code")) == 6 and all(c.find(Q + "Description").text for c in pri.findall(Q + "Code"))
    grades = [c.get("name") for c in root.find(f"{Q}CodeBook/{Q}Codes").findall(Q + "Code")[3].findall(Q + "Code")]
    assert grades == ["Strong evidence", "Some evidence", "Benefits still to come", "No evidence given"]
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iter(Q + "Variable")}
    assert sorted(variables.values()) == sorted([("Council", "Text"), ("Submission type", "Text"), ("Year", "Integer"),
                                                 ("Date", "Date"), ("Evidence grade", "Text"),
                                                 ("Submission id", "Text")])
    ev = read_table(processed, "evidence").set_index("submission_id")["grade"]
    subs = read_table(processed, "submissions").set_index("submission_id")
    for s in root.iter(Q + "TextSource"):
        vals = {variables[vv.find(Q + "VariableRef").get("targetGUID")][0]: vv[1].text
                for vv in s.findall(Q + "VariableValue")}
        sid = vals["Submission id"]
        assert vals["Council"] == subs.at[sid, "council"] and vals["Evidence grade"] == ev[sid]
        assert vals["Year"] == str(subs.at[sid, "year"]) and vals["Submission type"] == subs.at[sid, "submission_type"]
    cases = {c.get("name") for c in root.iter(Q + "Case")}
    assert cases == set(subs["council"])


def test_same_data_same_file(processed, tmp_path, exported):
    again = build_project(processed, created=WHEN)
    assert again.xml == exported["xml"]


def test_round_trip_reads_back_every_coding_on_its_sentence(processed, exported):
    proj = read_qdpx(exported["path"])
    assert proj.warnings == []
    subs = read_table(processed, "submissions")
    assert sorted(proj.sources["text"]) == sorted(redact(t) for t in subs["text"])
    assert len(proj.codings) == exported["result"].n_codings
    xml_sel = {(s.get("guid"), int(x.get("startPosition")), int(x.get("endPosition")))
               for s in exported["root"].iter(Q + "TextSource") for x in s.iter(Q + "PlainTextSelection")}
    assert set(zip(proj.codings["source_guid"], proj.codings["start"], proj.codings["end"])) == xml_sel
    text = dict(zip(proj.sources["guid"], proj.sources["text"]))
    assert all(text[g][a:b] == t for g, a, b, t in
               zip(proj.codings["source_guid"], proj.codings["start"], proj.codings["end"], proj.codings["text"]))
    untouched = qdpx_review(exported["path"], processed)
    assert untouched.review.empty and untouched.n_tool == len(proj.codings) and untouched.coders == []


# --------------------------------------------------------------------------- a project coded in a CAQDAS tool

CODER_A, CODER_B = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa"


def _code(root, name):
    return next(c.get("guid") for c in root.iter(Q + "Code") if c.get("name") == name)


def _add_selection(source, start, end, code, user, n):
    sel = ET.SubElement(source, Q + "PlainTextSelection", {"guid": f"{n:08d}-0000-4000-8000-000000000000",
                                                          "startPosition": str(start), "endPosition": str(end),
                                                          "creatingUser": user})
    c = ET.SubElement(sel, Q + "Coding", {"guid": f"{n:08d}-1111-4000-8000-000000000000", "creatingUser": user})
    ET.SubElement(c, Q + "CodeRef", {"targetGUID": code})
    # The schema wants selections before a source's variables: move it up.
    source.remove(sel)
    at = [i for i, el in enumerate(source) if el.tag == Q + "VariableValue"]
    source.insert(at[0] if at else len(source), sel)


def coded_project(exported, tmp_path: Path, *, crlf=False, new_ids=False) -> Path:
    """The export as a CAQDAS tool gives it back: two coders, their codings, a code of their own.

    ``crlf``: the tool wrote the texts with Windows line ends (positions count them);
    ``new_ids``: the tool gave every source and code a new GUID and dropped the variables.
    """
    ET.register_namespace("", NS)
    root = ET.fromstring(exported["xml"])
    users = root.find(Q + "Users")
    ET.SubElement(users, Q + "User", {"guid": CODER_A, "name": "Coder A (fictional)"})
    ET.SubElement(users, Q + "User", {"guid": CODER_B, "name": "Coder B (fictional)"})
    own = ET.SubElement(root.find(f"{Q}CodeBook/{Q}Codes"), Q + "Code",
                        {"guid": "abcdefab-cdef-4abc-8def-abcdefabcdef", "name": "Coder's own idea", "isCodable": "true"})
    assert own is not None
    texts = dict(exported["texts"])
    n = 1
    for s in root.iter(Q + "TextSource"):
        fname = s.get("plainTextPath")[len("internal://"):]
        text = texts[fname]

        def span(phrase):
            i = text.index(phrase)
            return i, i + len(phrase)

        if "work clubs" in text:
            for user in (CODER_A, CODER_B):
                _add_selection(s, *span("people into jobs from the clubs"), _code(root, "Employment"), user, n)
                n += 1
            _add_selection(s, *span("Fife Council and Jobcentre Plus"), "abcdefab-cdef-4abc-8def-abcdefabcdef",
                           CODER_A, n)
            n += 1
        if "falls" in text.lower():
            _add_selection(s, *span("Emergency admissions after a fall"), _code(root, "Outcomes for older people"),
                           CODER_A, n)
            _add_selection(s, *span("pool budgets for prevention"),
                           _code(root, "A shift to prevention and early intervention"), CODER_A, n + 1)
            n += 2
        if crlf:  # a tool that writes Windows line ends: positions count the extra characters
            texts[fname] = text.replace("\n", "\r\n")
            for sel in s.iter(Q + "PlainTextSelection"):
                for attr in ("startPosition", "endPosition"):
                    pos = int(sel.get(attr))
                    sel.set(attr, str(pos + text[:pos].count("\n")))
    if new_ids:
        renamed = {}
        for i, el in enumerate(list(root.iter(Q + "TextSource")) + list(root.iter(Q + "Code"))):
            renamed[el.get("guid")] = f"{{{i:08X}-ABCD-4EF0-8123-456789ABCDEF}}"  # braces and capitals: allowed
            el.set("guid", renamed[el.get("guid")])
            for vv in el.findall(Q + "VariableValue"):
                el.remove(vv)
        for ref in root.iter():
            if ref.get("targetGUID") in renamed:
                ref.set("targetGUID", renamed[ref.get("targetGUID")])
    out = tmp_path / f"coded_{int(crlf)}{int(new_ids)}.qdpx"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("project.qde", ET.tostring(root, encoding="utf-8", xml_declaration=True))
        for fname, text in texts.items():
            zf.writestr(f"Sources/{fname}", text.encode("utf-8"))  # the capitalised folder some tools write
    return out


@pytest.mark.parametrize("crlf, new_ids", [(False, False), (True, False), (True, True)])
def test_coders_codings_become_reviewed_labels(processed, exported, tmp_path, crlf, new_ids):
    path = coded_project(exported, tmp_path, crlf=crlf, new_ids=new_ids)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    with zipfile.ZipFile(path) as zf:
        assert schema.validate(etree.fromstring(zf.read("project.qde"))), schema.error_log
    got = qdpx_review(path, processed)
    assert got.coders == ["Coder A (fictional)", "Coder B (fictional)"]
    assert got.n_tool == exported["result"].n_codings
    assert got.n_other_codes == 1 and got.n_unmatched_codes == 1 and got.n_used == 3
    r = got.review
    subs = read_table(processed, "submissions").set_index("submission_id")
    jobs = subs.index[subs["source_file"] == "fife_work_clubs.txt"][0]
    falls = subs.index[subs["source_file"] == "moray_falls.txt"][0]
    # Only priorities were coded, so only priorities were reviewed: 6 decisions per coder and submission.
    assert set(r["taxonomy"]) == {"priorities"}
    assert sorted(r.groupby(["reviewer", "submission_id"]).size().to_dict().items()) == sorted([
        (("Coder A (fictional)", falls), 6), (("Coder A (fictional)", jobs), 6), (("Coder B (fictional)", jobs), 6)])
    yes = r[r["label"] == 1.0]
    assert sorted(zip(yes["reviewer"], yes["submission_id"], yes["priority"])) == sorted([
        ("Coder A (fictional)", jobs, "employment"), ("Coder B (fictional)", jobs, "employment"),
        ("Coder A (fictional)", falls, "older_people")])
    assert set(r["decision"]) == {"yes", "no"}
    assert r.loc[r["label"] == 1.0, "sentences"].str.contains("people into jobs|Emergency admissions").all()
    tags = read_table(processed, "tags")
    assigned = set(zip(tags.loc[tags["assigned"], "submission_id"], tags.loc[tags["assigned"], "priority"]))
    assert list(r["assigned"]) == [(s, p) in assigned for s, p in zip(r["submission_id"], r["priority"])]
    kappa = cohens_kappa(r)
    assert kappa.set_index("priority").at["all", "n"] == 18
    labels = labels_from_review(r, processed)
    assert sorted(zip(labels["passage_id"], labels["labels"])) == sorted([
        (f"review:{jobs}", "employment"), (f"review:{falls}", "older_people")])


def test_review_import_command_prints_agreement_and_writes_training_labels(processed, exported, tmp_path, capsys):
    path = coded_project(exported, tmp_path)
    out = tmp_path / "labels.csv"
    assert main(["review", "import", str(path), "--processed-dir", str(processed), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{path}: 3 of {exported['result'].n_codings + 5} coding(s) by 2 coder(s)" in text
    assert "18 decisions from 2 reviewer(s)" in text
    assert "Coder A (fictional) vs tagger: n=12" in text and "Coder A (fictional) vs Coder B (fictional): n=6" in text
    assert "2 reviewed submission(s) written as training labels" in text
    labels = load_labels(out)
    assert len(labels) == 2 and set(labels["kind"]) == {"review"}


def test_export_command(processed, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["export-qdpx", "--processed-dir", str(processed), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(tmp_path / "cli.qdpx")
    assert re.search(r"^4 sources, \d+ codes, \d+ coded selections \(\d+ codings\) by soa-analysis$", captured.err, re.M)
    assert main(["export-qdpx", "--processed-dir", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "submissions.parquet not found" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad files

def _zip(tmp_path, members: dict) -> Path:
    p = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(p, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return p


@pytest.mark.parametrize("members, message", [
    (None, "not a valid zip"),
    ({"notes.txt": "x"}, "no project.qde inside"),
    ({"project.qde": "<Project"}, "not well-formed XML"),
    ({"project.qde": '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                     f'<Project xmlns="{NS}" name="&b;"/>'}, "not well-formed XML"),
    ({"project.qde": '<Project xmlns="urn:other" name="x"/>'}, "not a Project in the urn:QDA-XML:project:1.0"),
])
def test_bad_files_are_refused_clearly(tmp_path, members, message):
    if members is None:
        p = tmp_path / "bad.qdpx"
        p.write_bytes(b"PK\x03\x04 this is not a zip")
    else:
        p = _zip(tmp_path, members)
    with pytest.raises(InputError, match=message):
        read_qdpx(p)


def test_selections_outside_their_source_are_skipped_with_a_warning(tmp_path):
    xml = (f'<Project xmlns="{NS}" name="x"><Sources><TextSource guid="{CODER_A}" name="S">'
           f'<PlainTextContent>Short text.</PlainTextContent>'
           f'<PlainTextSelection guid="{CODER_B}" startPosition="3" endPosition="99"/></TextSource></Sources></Project>')
    proj = read_qdpx(_zip(tmp_path, {"project.qde": xml}))
    assert proj.sources["text"].tolist() == ["Short text."] and proj.codings.empty
    assert proj.warnings == ["source 'S': selection 3-99 lies outside its text (11 characters) and was skipped"]

