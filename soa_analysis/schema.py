"""Table contracts at the stage boundaries.

Each table that a stage writes to the processed folder has a :class:`TableSpec`: its file
name, the stage that writes it, and its required columns with their kind, whether they
may be null, and (for categorical columns) the allowed values. Extra columns are allowed;
missing or mistyped required columns are not. :func:`validate` is called when a stage
writes a table and when the next stage reads it, so a broken contract fails loudly at
the boundary instead of deep inside a chart.

The human-readable version of these contracts is ``docs/data_dictionary.md``; a test
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SchemaError

PRIORITY_IDS = (
    "economic_growth",
    "employment",
    "early_years",
    "safer_communities",
    "health_inequalities",
    "older_people",
)
SUBMISSION_TYPES = ("case_study_2009", "case_study_2010", "annual_report", "form_export", "unstructured")
INGEST_STATUSES = ("ingested", "duplicate", "quarantined")
GRADES = ("strong", "some", "planned", "none")

# The narrative sections a submission may have (all strings, "" when absent).
SECTION_COLUMNS = (
    "title",
    "need",
    "actions",
    "partners_text",
    "evidence",
    "added_value",
    "next_steps",
    "achievements",
    "challenges",
    "support_required",
    "outcome_progress",
)
# Sections that hold narrative (everything but the title).
NARRATIVE_SECTIONS = tuple(s for s in SECTION_COLUMNS if s != "title")


def narrative_parts(sections, text) -> list[tuple[str, str]]:
    """A submission as the ``(section, text)`` parts a reader of its narrative should read.

    Its template sections when any narrative section (anything but the title) has text;
    otherwise its title, if any, followed by the whole narrative ``text``: a submission that
    did not come on a template has at most a guessed title, and its narrative is in ``text``.

    Parameters
    ----------
    sections : mapping
        Section name -> text (missing, empty or non-string values count as absent).
    text : str
        The whole narrative.

    Example
    -------
    >>> narrative_parts({"title": "Town centre fund"}, "Shops reopened.")
    [('title', 'Town centre fund'), ('text', 'Shops reopened.')]
    >>> narrative_parts({"title": "T", "evidence": "Crime fell."}, "T Crime fell.")
    [('title', 'T'), ('evidence', 'Crime fell.')]
    """
    parts = [(s, sections.get(s)) for s in SECTION_COLUMNS]
    parts = [(s, t) for s, t in parts if isinstance(t, str) and t.strip()]
    if any(s != "title" for s, _ in parts):
        return parts
    body = text if isinstance(text, str) else ""
    if not body.strip():
        return parts
    title = parts[0][1].strip() if parts else ""
    if title and body.lstrip().startswith(title):
        body = body.lstrip()[len(title):]
    return parts + ([("text", body)] if body.strip() else [])


@dataclass(frozen=True)
class Column:
    """One required column: ``kind`` is str, int, float, bool, list or any."""

    name: str
    kind: str
    nullable: bool = False
    allowed: tuple | None = None
    unique: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """The contract of one processed table."""

    name: str
    filename: str
    written_by: str
    columns: tuple[Column, ...]
    description: str = ""
    restricted: bool = False
    optional: tuple[Column, ...] = ()

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Required then optional (documented, not enforced) columns."""
        return self.columns + self.optional

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name, kind, desc="", **kw) -> Column:
    return Column(name=name, kind=kind, description=desc, **kw)


CHANGE_ITEMS = ("submission", "grade", "tag", "theme", "taxonomy", "rubric", "model", "software")
FOLLOWUP_STATUSES = ("reported", "overdue", "not_yet_due", "no_date")
# Written by the change step of a run (soa_analysis/changes), between the evidence and report stages.
CHANGE_TABLES = {
    "changes": TableSpec(
        "changes", "changes.parquet", "soa-analysis run|report (change step)",
        (
            _c("change", "str", "added, changed, removed or moved (submissions); gained, lost or changed (results, versions)",
               allowed=("added", "changed", "removed", "moved", "gained", "lost")),
            _c("item", "str", "what changed", allowed=CHANGE_ITEMS),
            _c("submission_id", "str", "the submission's id in this run (in the previous run, for a removed one); '' for a version"),
            _c("council", "str"),
            _c("title", "str"),
            _c("source", "str", "the raw file (and '#part') the submission was read from: what runs are matched on"),
            _c("taxonomy", "str", "for a tag: its taxonomy (added_value for a theme)"),
            _c("category", "str", "the tag's category or theme; for a version change, the taxonomy, rubric or model name"),
            _c("before", "str", "value in the previous run (grade, category, content hash prefix or version)"),
            _c("after", "str", "value in this run"),
            _c("reason", "str", "why: text changed, file edited/quarantined, or the taxonomy, rubric, model or software versions before and after"),
            _c("previous_submission_id", "str", "the submission's id in the previous run when it differs ('' otherwise)"),
        ),
        "What changed since the last good run (or the run given with --compare-to); empty on a first run.",
    ),
    "followup_status": TableSpec(
        "followup_status", "followup_status.parquet", "soa-analysis run|report (change step)",
        (
            _c("submission_id", "str", "the submission that promised the next step"),
            _c("council", "str"),
            _c("title", "str"),
            _c("date", "str", "date of the promising submission ('' if unknown)"),
            _c("who", "str"),
            _c("what", "str", "the next step"),
            _c("by_when", "str", "the period as written"),
            _c("due", "str", "ISO due date, '' if the period does not resolve to one"),
            _c("status", "str", "on the run's date", allowed=FOLLOWUP_STATUSES),
            _c("fell_due_since_last_run", "bool", "due after the previous run's date and by this run's (first run: due by now)"),
            _c("since_last_run", "str", "new, fell due, now reported, no longer reported, or ''"),
            _c("reported_in", "str", "the later submission from the same council that reports on it, '' if none"),
            _c("reported_title", "str"),
            _c("reported_date", "str"),
            _c("reported_sentence", "str", "its sentence whose wording matches the next step"),
            _c("similarity", "float", "TF-IDF cosine of the best-matching later sentence (reported at 0.35 or more)"),
        ),
        "Next steps followed up: reported on by a later submission from the same council, overdue, or not yet due.",
    ),
}

TABLES: dict[str, TableSpec] = {
    "ingest_log": TableSpec(
        "ingest_log", "ingest_log.csv", "soa-analysis ingest",
        (
            _c("source_file", "str", "path of the raw file, relative to the raw folder (POSIX separators)", unique=True),
            _c("sha256", "str", "SHA-256 of the raw file's bytes"),
            _c("status", "str", "ingested, duplicate or quarantined", allowed=INGEST_STATUSES),
            _c("reason", "str", "why it was quarantined, or which file it duplicates and why that one was kept; "
               "'' when ingested"),
            _c("submission_id", "str", "id(s) of the submission(s) it produced, ';'-separated; for a duplicate, the id it duplicates"),
        ),
        "One row per file found under the raw folder: every file is accounted for.",
        optional=(_c("format", "str", "format detected from the content (docx, pdf, txt ...), '' if none"),
            _c("bytes", "int", "file size"),
            _c("n_submissions", "int", "submissions the file produced (several for form exports and e-mails)"),
            _c("warnings", "str", "reader warnings for the file, '; '-separated"),
            _c("seconds", "float", "how long reading and structuring the file took"),
            _c("chars_kept", "int", "characters of narrative text the file's new submissions hold (0 for a "
               "duplicate or a quarantined file)"),
            _c("cut", "str", "what the per-submission text limit (Limits.max_chars) dropped, '' when nothing")),
    ),
    "submissions": TableSpec(
        "submissions", "submissions.parquet", "soa-analysis ingest",
        (
            _c("submission_id", "str", "stable id: derived from the content hash and position in the file", unique=True),
            _c("source_file", "str", "raw file it came from (for an e-mail attachment: 'mail.eml!attachment.docx')"),
            _c("submission_type", "str", "template recognised", allowed=SUBMISSION_TYPES),
            _c("council", "str", "canonical council name, '' if it could not be decided"),
            _c("council_code", "str", "current GSS code (S12...), '' if unknown"),
            *(_c(s, "str", f"template section: {s} ('' when absent)") for s in SECTION_COLUMNS),
            _c("checklist", "list", "2010 template: ids of the really ticked checklist items (see added_value.yaml)"),
            _c("outcomes_cited", "list", "National/Local Outcomes the submission cites, as written"),
            _c("text", "str", "the whole narrative, contact details removed"),
            _c("format", "str", "file format read: docx, doc, pdf, txt, md, html, rtf, odt, eml, csv, xlsx"),
            _c("council_source", "str", "where the council was decided from: cpp_field, text, email_domain, file_name or ''"),
            _c("date", "str", "submission or document date, ISO YYYY-MM-DD, '' if unknown"),
            _c("year", "int", "year the submission refers to (from the date or text), null if unknown", nullable=True),
            _c("warnings", "list", "ingest warnings for this submission"),
        ),
        "One row per submission: its template sections and full narrative.",
        optional=(_c("part", "str", "which part of the file: 'row N' of a form export, 'body' or 'attachment N: name' of an e-mail, '' for a whole file"),
            _c("raw_file", "str", "the raw file itself (for an attachment, the e-mail it came in)"),
            _c("fictional", "bool", "the text carries the bundled fictional sample's mark (soa_analysis/fictional.py): "
               "a report with any such submission says on every page that it is built from fictional data")),
    ),
    "contacts": TableSpec(
        "contacts", "restricted/contacts.parquet", "soa-analysis ingest",
        (
            _c("submission_id", "str"),
            _c("raw", "str", "the contact-details text as written"),
        ),
        "Lead officers' contact details. Restricted: no shared report reads this table.",
        restricted=True,
        optional=(_c("name", "str"), _c("job_title", "str"), _c("organisation", "str"),
                  _c("email", "str", "the address as spelled out (a disguised 'jo [at] x dot org' as jo@x.org)"),
                  _c("phone", "str"),
                  _c("found_in", "str", "'contact section', or 'narrative' for details found elsewhere in the text "
                     "(there replaced by [email removed], [phone removed], [name removed])")),
    ),
    "partners": TableSpec(
        "partners", "partners.parquet", "soa-analysis ingest",
        (
            _c("submission_id", "str"),
            _c("name", "str", "organisation name as written"),
            _c("partner_type", "str", "partner type id (see soa_analysis/reference/partners.yaml)"),
        ),
        "One row per partner organisation named by a submission.",
        optional=(_c("canonical", "str", "the organisation's canonical name where it is a known body"),),
    ),
    "tags": TableSpec(
        "tags", "tags.parquet", "soa-analysis tag",
        (
            _c("submission_id", "str"),
            _c("taxonomy", "str", "taxonomy id, e.g. priorities, outcomes_soa, outcomes_2018"),
            _c("priority", "str", "category id within the taxonomy (for priorities: one of the six ids)"),
            _c("score", "float", "0-1 confidence"),
            _c("assigned", "bool", "score at or above the category's threshold"),
            _c("evidence", "str", "the phrases and sentences behind the score, human-readable"),
        ),
        "One row per submission x taxonomy x category.",
        optional=(_c("label", "str", "category label"),
            _c("threshold", "float", "the category's threshold, chosen by cross-validation"),
            _c("lexicon_score", "float", "the lexicon tagger's score"),
            _c("model_score", "float", "the supervised tagger's calibrated probability (null where no model applies)"),
            _c("method", "str", "how the score was made: combined, lexicon, citation"),
            _c("taxonomy_version", "str", "version of the taxonomy file used")),
    ),
    "tag_evidence": TableSpec(
        "tag_evidence", "tag_evidence.parquet", "soa-analysis tag",
        (
            _c("submission_id", "str"),
            _c("taxonomy", "str"),
            _c("priority", "str"),
            _c("section", "str", "template section the sentence is in"),
            _c("sentence", "str"),
            _c("phrases", "list", "taxonomy phrases matched in the sentence"),
        ),
        "Sentence-level evidence behind the tags.",
        optional=(_c("token_spans", "list", "[start, end) token positions of the matched phrases in the sentence's words"),
            _c("weight", "float", "summed phrase weights in the sentence"),
            _c("method", "str", "lexicon or citation"),
            _c("assigned", "bool", "the submission was assigned this category"),
            _c("sentence_index", "int", "position of the sentence in its section")),
    ),
    "evidence": TableSpec(
        "evidence", "evidence.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str", unique=True),
            _c("grade", "str", "strong, some, planned or none", allowed=GRADES),
            _c("reasons", "str", "why: the rubric rules that fired and the sentences they rest on"),
        ),
        "One row per submission: the grade of its evidence of benefit.",
        optional=(_c("score", "float", "0-1 strength of the best evidence"),
            _c("timeline", "str", "for planned benefits: the dates and periods given"),
            _c("rubric_version", "str"),
            _c("n_strong", "int", "sentences that alone support a strong grade"),
            _c("n_some", "int"), _c("n_planned", "int")),
    ),
    "evidence_sentences": TableSpec(
        "evidence_sentences", "evidence_sentences.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("section", "str", "template section the sentence is in"),
            _c("sentence", "str"),
            _c("features", "list", "rubric features found in the sentence (e.g. figure, baseline, source:survey, future)"),
            _c("strength", "str", "what the sentence alone would support: strong, some, planned or none", allowed=GRADES),
        ),
        "Sentence-level evidence features that the grades rest on.",
        optional=(_c("score", "float"), _c("rule", "str", "the rubric rule that fired"),
            _c("matches", "str", "the words each feature matched"),
            _c("due", "str", "ISO date of a timeline in the sentence, '' if none")),
    ),
    "added_value": TableSpec(
        "added_value", "added_value.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("theme", "str", "added-value theme id (soa_analysis/taxonomies/added_value.yaml)"),
            _c("score", "float", "0-1"),
            _c("assigned", "bool", "the added-value text evidences this theme"),
            _c("ticked", "bool", "the submission ticked this theme on the 2010 checklist"),
            _c("evidence", "str", "sentences behind the theme"),
        ),
        "One row per submission x added-value theme; a ticked theme that is not assigned is an unsupported claim.",
        optional=(_c("unsupported", "bool", "ticked on the checklist but not evidenced by the text"),
            _c("phrases", "list", "theme phrases matched"),
            _c("source_section", "str", "section the theme was read from")),
    ),
    "alignment": TableSpec(
        "alignment", "alignment.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("expectation", "str", "2012 guidance expectation id"),
            _c("present", "bool"),
            _c("sentences", "list"),
        ),
        "Alignment with the 2012 SOA guidance's expectations, per submission.",
    ),
    "followups": TableSpec(
        "followups", "followups.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("who", "str", "partner(s) named as acting, '' if none"),
            _c("what", "str", "the next-step sentence"),
            _c("by_when", "str", "the date or period as written"),
            _c("due", "str", "ISO date (YYYY-MM-DD) the period resolves to, '' if it cannot"),
        ),
        "Next steps with dates: the follow-up timeline.",
    ),
    "exemplars": TableSpec(
        "exemplars", "exemplars.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("kind", "str", "priority or theme", allowed=("priority", "theme")),
            _c("category", "str", "priority id or theme id"),
            _c("rank", "int"),
            _c("sentence", "str"),
            _c("score", "float"),
        ),
        "The strongest evidence sentences per priority and per added-value theme, for quoting.",
        optional=(_c("council", "str"), _c("title", "str"), _c("strength", "str")),
    ),
    "partner_pairs": TableSpec(
        "partner_pairs", "partner_pairs.parquet", "soa-analysis evidence",
        (
            _c("partner_type_a", "str", "partner type (alphabetically first of the pair)"),
            _c("partner_type_b", "str", "partner type (second of the pair)"),
            _c("priority", "str", "national priority the submissions were tagged with"),
            _c("n", "int", "submissions naming both partner types on that priority"),
            _c("submission_ids", "list"),
        ),
        "Which partner types work together, on which priorities.",
    ),
    "consistency": TableSpec(
        "consistency", "consistency.parquet", "soa-analysis evidence",
        (
            _c("submission_id", "str"),
            _c("priority", "str"),
            _c("raised_in_need", "bool", "the priority is raised in the local-need section"),
            _c("evidence_strength", "str", "strength of the evidence of benefit for that priority"),
            _c("consistent", "bool", "False when a need is raised but no evidence of benefit is given for it"),
            _c("need_sentences", "list", "the need section's sentences behind the priority (empty on the tags basis)"),
            _c("evidence_sentences", "list", "the sentences graded some or strong that give evidence for it"),
            _c("basis", "str", "tag_evidence (sentence level) or tags (submission level)"),
        ),
        "Consistency between the need raised and the evidence of benefit, per submission and priority.",
    ),
    **CHANGE_TABLES,
}

# Tables the report writes to tables/ (CSV) and report_tables.xlsx (one sheet each) behind its
# charts and lists. Documented here like the processed tables; tests check the exports against them.
_OUTCOME_READING = (
    _c("first_year", "str", "first year with both a council and a Scotland value (projections excluded); '' if none"),
    _c("latest_year", "str", "latest such year"),
    _c("change_pct", "float", "the council's change from the first to the latest year, % of the first-year value "
                              "(CPOP's improvement rate)", nullable=True),
    _c("scotland_change_pct", "float", "Scotland's change over the same years, %", nullable=True),
    _c("vs_scotland", "str", "better / worse / same than Scotland in the latest year, minding the indicator's "
                             "direction; '' if it cannot be read"),
)
_GRADE_COUNTS = tuple(_c(g, "int", f"of them, graded {g}") for g in GRADES)
_R = "soa-analysis report"
REPORT_TABLES: dict[str, TableSpec] = {
    "headline": TableSpec(
        "headline", "tables/headline.csv", _R,
        (_c("figure", "str", "the figure's name as the page shows it"),
         _c("value", "float", "a whole number for a count (written '37', never '37.0'), a share from 0 to 1 for a "
                              "share; empty when there is nothing to count", nullable=True),
         _c("kind", "str", "count or share", allowed=("count", "share")),
         _c("note", "str", "what the figure counts")),
        "The headline figures at the top of the page."),
    "council_summary": TableSpec(
        "council_summary", "tables/council_summary.csv", _R,
        (_c("council", "str", "each of the 32 council areas"), _c("code", "str", "current GSS code"),
         _c("submissions", "int"), _c("strong", "int", "of them, graded strong"),
         _c("share_strong", "float", "strong / graded submissions, 0 to 1; empty when none was graded", nullable=True)),
        "One row per council area, including those that sent nothing: the tile maps."),
    "coverage": TableSpec(
        "coverage", "tables/coverage.csv", _R,
        (_c("council", "str", "council with submissions ('(council unknown)' when it could not be decided)"),
         _c("priority", "str", allowed=PRIORITY_IDS),
         _c("submissions", "int", "the council's submissions tagged with the priority"), *_GRADE_COUNTS),
        "Councils x priorities: the coverage grid."),
    "priorities": TableSpec(
        "priorities", "tables/priorities.csv", _R,
        (_c("priority", "str", allowed=PRIORITY_IDS), _c("label", "str"),
         _c("submissions", "int", "submissions tagged with the priority"),
         _c("share", "float", "of all submissions, 0 to 1", nullable=True)),
        "Submissions per national priority."),
    "national_outcomes": TableSpec(
        "national_outcomes", "tables/national_outcomes.csv", _R,
        (_c("taxonomy", "str", "outcomes_soa or outcomes_2018"), _c("outcome", "str", "National Outcome id"),
         _c("label", "str"), _c("submissions", "int", "submissions tagged with the outcome")),
        "Submissions per National Outcome (the largest, as charted)."),
    "grade_by_priority": TableSpec(
        "grade_by_priority", "tables/grade_by_priority.csv", _R,
        (_c("priority", "str", allowed=PRIORITY_IDS), _c("label", "str"), *_GRADE_COUNTS),
        "Submissions tagged with each priority, by evidence grade."),
    "added_value": TableSpec(
        "added_value", "tables/added_value.csv", _R,
        (_c("theme", "str", "added-value theme id"), _c("label", "str"),
         _c("evidenced", "int", "submissions whose added-value answer evidences the theme"),
         _c("ticked", "int", "submissions that ticked it on the 2010 checklist"),
         _c("ticked_unsupported", "int", "ticked, but not evidenced by the text")),
        "Added-value themes: evidenced, ticked, and ticked but unsupported."),
    "partner_pairs": TableSpec(
        "partner_pairs", "tables/partner_pairs.csv", _R,
        (_c("partner_type", "str", "a partner type id (soa_analysis/reference/partners.yaml); then one int column "
                                   "per partner type named in the run: submissions naming both (on the diagonal, "
                                   "submissions naming the type)"),),
        "Partner type x partner type: the partners heatmap, a square matrix."),
    "followup_timeline": TableSpec(
        "followup_timeline", "tables/followup_timeline.csv", _R,
        (_c("period", "str", "half-year the next steps are due ('2013 H1'), or 'no date'"),
         _c("next_steps", "int")),
        "Next steps due per half-year."),
    "followups": TableSpec(
        "followups", "tables/followups.csv", _R,
        (_c("due", "str", "ISO due date, '' if the period does not resolve to one"),
         _c("by_when", "str", "the date or period as written"), _c("council", "str"),
         _c("who", "str", "partner(s) named as acting"), _c("what", "str", "the next step"),
         _c("submission_id", "str")),
        "Every next step with a date or period, earliest due first (text redacted)."),
    "exemplars": TableSpec(
        "exemplars", "tables/exemplars.csv", _R,
        (_c("kind", "str", allowed=("priority", "theme")), _c("category", "str", "priority or theme id"),
         _c("label", "str"), _c("rank", "int"), _c("sentence", "str", "the sentence quoted (contact details removed)"),
         _c("title", "str"), _c("council", "str"), _c("submission_id", "str"),
         _c("score", "float", "0-1 strength of its evidence")),
        "The best-evidenced sentences quoted, per priority and added-value theme."),
    "gaps": TableSpec(
        "gaps", "tables/gaps.csv", _R,
        (_c("priority", "str", allowed=PRIORITY_IDS), _c("label", "str"), _c("submissions", "int"),
         _c("strong", "int"), _c("councils_without", "int", "councils in the data with no submission on it"),
         _c("councils_in_data", "int"),
         _c("share_strong", "float", "strong / submissions, 0 to 1; empty when there are none", nullable=True)),
        "Where evidence is thin: per priority."),
    "ingest_summary": TableSpec(
        "ingest_summary", "tables/ingest_summary.csv", _R,
        (_c("status", "str", allowed=INGEST_STATUSES), _c("files", "int")),
        "Files found by the ingest stage, by status (the whole run)."),
    "files_not_read": TableSpec(
        "files_not_read", "tables/files_not_read.csv", _R,
        (_c("file", "str", "the raw file"), _c("what", "str", "cut, quarantined, skipped or duplicate"),
         _c("reason", "str")),
        "Every file not read in full, and why."),
    "case_studies": TableSpec(
        "case_studies", "tables/case_studies.csv", _R,
        (_c("submission_id", "str"), _c("council", "str"), _c("title", "str"), _c("date", "str"),
         _c("grade", "str", "evidence grade, '' if not graded"),
         _c("priorities", "str", "priority ids, '; '-separated")),
        "Every submission, including those whose card is on no page."),
    "outcome_series": TableSpec(
        "outcome_series", "tables/outcome_series.csv", "soa-analysis report",
        (
            _c("council", "str", "canonical council name"),
            _c("indicator", "str", "crosswalk indicator id (soa_analysis/outcomes/crosswalk.yaml)"),
            _c("label", "str", "indicator name as shown in the reports"),
            _c("year", "str", "year as written in the outcome data (2016/17, or a period such as 2014-2016)"),
            _c("period", "int", "first calendar year of `year`, for ordering"),
            _c("type", "str", "raw (published), imputed or projected, as CPOP marks it",
               allowed=("raw", "imputed", "projected")),
            _c("value", "float", "the council's value", nullable=True),
            _c("scotland_value", "float", "Scotland's value for the same indicator and year", nullable=True),
            _c("scotland_type", "str", "type of Scotland's value; '' when Scotland has none that year"),
        ),
        "Every value the outcome small multiples draw: each council beside Scotland, year by year.",
    ),
    "outcome_reading": TableSpec(
        "outcome_reading", "tables/outcome_reading.csv", "soa-analysis report",
        (
            _c("council", "str"), _c("council_code", "str", "current GSS code"),
            _c("indicator", "str"), _c("label", "str"),
            _c("higher_is_better", "bool", "the indicator's direction from the crosswalk"),
            *_OUTCOME_READING,
            _c("value_first", "float", nullable=True), _c("value_latest", "float", nullable=True),
            _c("scotland_first", "float", nullable=True), _c("scotland_latest", "float", nullable=True),
            _c("type_first", "str", "raw or imputed"), _c("type_latest", "str", "raw or imputed"),
            _c("pace_vs_scotland", "str", "faster / slower / same: the council's improvement since the first year "
                                          "against Scotland's; '' if it cannot be read"),
            _c("movement", "str", "improving / worsening / little change (under the crosswalk's little_change_pct) "
                                  "/ ''"),
            _c("projected_to", "str", "last projected year in the data, '' if none (projections are never read)"),
            _c("reading", "str", "the reading in one sentence"),
        ),
        "CPOP's reading of every indicator for every council in scope, against Scotland.",
    ),
    "outcome_priority_view": TableSpec(
        "outcome_priority_view", "tables/outcome_priority_view.csv", "soa-analysis report",
        (
            _c("council", "str"), _c("priority", "str", allowed=PRIORITY_IDS),
            _c("case_studies", "int", "the council's submissions tagged with the priority"),
            _c("strong", "int", "of those, graded strong"),
            _c("best_grade", "str", "best evidence grade among them; '' when there are none"),
            _c("indicators", "int", "the priority's indicators with a reading for the council"),
            _c("improving", "int"), _c("worsening", "int"), _c("little_change", "int"),
            _c("better_than_scotland", "int", "indicators better than Scotland in the latest year"),
            _c("worse_than_scotland", "int"),
            _c("movement", "str", "more improving / more worsening / mixed or little change / no indicator data"),
            _c("cited_by_name", "int", "the council's submissions citing one of the priority's indicators by name"),
        ),
        "Councils x priorities: the strength of the narrative evidence beside the movement of the matching indicators.",
    ),
    "outcome_strong_worsening": TableSpec(
        "outcome_strong_worsening", "tables/outcome_strong_worsening.csv", "soa-analysis report",
        (
            _c("council", "str"), _c("indicator", "str"), _c("label", "str"),
            _c("priorities", "str", "the indicator's priorities, ';'-separated"),
            *_OUTCOME_READING,
            _c("strong_case_studies", "int", "the council's case studies graded strong that address the indicator"),
            _c("titles", "str", "their titles, '; '-separated"),
            _c("submission_ids", "str", "their ids, ';'-separated"),
            _c("basis", "str", "how they address it: 'priority: <id>' and/or 'cited by name'"),
        ),
        "Gap list: strong narrative evidence beside an indicator that worsened since the first year.",
    ),
    "outcome_worsened_unaddressed": TableSpec(
        "outcome_worsened_unaddressed", "tables/outcome_worsened_unaddressed.csv", "soa-analysis report",
        (
            _c("council", "str"), _c("indicator", "str"), _c("label", "str"),
            _c("priorities", "str", "the indicator's priorities, ';'-separated ('' when none of the six)"),
            *_OUTCOME_READING,
            _c("case_studies_from_council", "int", "submissions from the council (at least one)"),
        ),
        "Gap list: indicators that worsened where no case study from the council addresses them.",
    ),
    "indicator_mentions": TableSpec(
        "indicator_mentions", "tables/indicator_mentions.csv", "soa-analysis report",
        (
            _c("submission_id", "str"), _c("council", "str"),
            _c("indicator", "str", "crosswalk indicator id"), _c("label", "str"),
            _c("priorities", "str", "the indicator's priorities, ';'-separated"),
            _c("phrase", "str", "the words as written in the submission"),
            _c("sentence", "str", "the sentence they stand in (contact details removed)"),
        ),
        "Outcome indicators that submissions cite by name, linked to the crosswalk.",
    ),
    "outcome_crosswalk": TableSpec(
        "outcome_crosswalk", "tables/outcome_crosswalk.csv", "soa-analysis report",
        (
            _c("indicator", "str"), _c("label", "str"), _c("higher_is_better", "bool"),
            _c("link", "str", "priority, outcomes_soa or outcomes_2018"),
            _c("target", "str", "the priority or National Outcome id"),
            _c("reason", "str", "one line on why the indicator speaks to the priority ('' for National Outcomes)"),
        ),
        "The crosswalk used for the run: each indicator's links to priorities and National Outcomes.",
    ),
}


def _kind_ok(series: pd.Series, kind: str) -> bool:
    values = series.dropna()
    if kind == "any" or values.empty:
        return True
    if kind == "str":
        return pd.api.types.is_string_dtype(series) or _all_of(values, str)
    if kind == "int":
        return pd.api.types.is_integer_dtype(series)
    if kind == "float":
        return pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series)
    if kind == "list":
        # an Arrow list column holds lists by its type: its values need not be turned into Python objects
        # one by one to be checked (a second for tag_evidence's 400,000 rows at 10,000 submissions)
        return _arrow_list(series.dtype) or _all_of(values, (list, tuple, np.ndarray))
    raise ValueError(f"unknown column kind {kind!r}")


def _distinct_text(series: pd.Series) -> set:
    """The distinct non-null values of ``series`` as text (``str`` of each, as ``astype(str)`` writes them),
    each value turned into text once, not once per row."""
    values = series.dropna()
    try:
        return set(values.drop_duplicates().astype(str))
    except (TypeError, NotImplementedError):  # values that cannot be told apart as they are (lists): each row
        return set(values.astype(str))


def _arrow_list(dtype) -> bool:
    """Whether ``dtype`` is an Arrow list type (list, large list or fixed-size list) held by pandas."""
    if not isinstance(dtype, pd.ArrowDtype):
        return False
    import pyarrow as pa

    t = dtype.pyarrow_dtype
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _all_of(values: pd.Series, kinds) -> bool:
    """Whether every value is an instance of ``kinds``: each distinct type checked once (a
    table's list column holds a hundred thousand lists of one type)."""
    return all(issubclass(t, kinds) for t in set(map(type, values.tolist())))


def validate(df: pd.DataFrame, table: str, *, present: Iterable[str] | None = None) -> pd.DataFrame:
    """Check ``df`` against the contract of ``table`` and return it unchanged.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    table : str
        Contract name, a key of :data:`TABLES`.
    present : iterable of str, optional
        For a table read in part (some of its columns): every column the file holds. A contract
        column that is among them but not in ``df`` is then not missing, only not checked here.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so the call can be chained.

    Raises
    ------
    SchemaError
        Listing every problem found: missing columns, wrong kinds, nulls where none are
        allowed, values outside the allowed set, duplicated unique keys.

    Example
    -------
    >>> validate(pd.DataFrame({"submission_id": ["a"], "grade": ["strong"], "reasons": [""]}), "evidence")
    ... # doctest: +ELLIPSIS
        submission_id   grade reasons
    0             a  strong
    """
    try:
        spec = TABLES[table] if table in TABLES else REPORT_TABLES[table]
    except KeyError:
        raise SchemaError(f"no table contract named {table!r}; known: {', '.join(TABLES)}") from None
    problems: list[str] = []
    elsewhere = set(present or ()) - set(df.columns)
    for col in spec.columns:
        if col.name not in df.columns:
            if col.name not in elsewhere:
                problems.append(f"missing column {col.name!r}")
            continue
        s = df[col.name]
        if not col.nullable and s.isna().any():
            problems.append(f"column {col.name!r} has {int(s.isna().sum())} null value(s)")
        if not _kind_ok(s, col.kind):
            problems.append(f"column {col.name!r} should hold {col.kind} values, has dtype {s.dtype}")
        if col.allowed is not None:
            bad = sorted(_distinct_text(s) - set(col.allowed))
            if bad:
                problems.append(f"column {col.name!r} has values outside {list(col.allowed)}: {bad[:5]}")
        if col.unique and s.duplicated().any():
            dups = s[s.duplicated()].astype(str).unique()[:5]
            problems.append(f"column {col.name!r} must be unique; repeated: {list(dups)}")
    if table == "tags" and "score" in df.columns and len(df):
        scores = df["score"].astype(float)
        if ((scores < 0) | (scores > 1)).any():
            problems.append("column 'score' must lie between 0 and 1")
    if problems:
        raise SchemaError(f"table {table!r} breaks its contract: " + "; ".join(problems))
    return df


_DICTIONARY_INTRO = """# Data dictionary: the processed tables

Generated from `soa_analysis/schema.py` by `python -m soa_analysis.schema > docs/data_dictionary.md`;
`tests/test_schema.py` fails when the two differ, and the end-to-end tests fail when a stage writes a
column that is not listed here.

The tables live in the processed folder (`data/processed/` by default). Every stage validates the
**required** columns of what it writes and of what it reads (`soa_analysis.schema.validate`), so a
broken contract fails at the stage boundary with a message naming the table and the columns.
**Optional** columns are written by the current stages and documented, but not enforced.
Kinds: `str` (text; `''` rather than null when absent), `int`, `float`, `bool`, `list` (a list of
strings or numbers, stored as a Parquet list).

Restricted tables hold personal data (lead officers' contact details); no shared report reads them.
"""


_REPORT_TABLES_INTRO = """# Report tables behind the charts

The report writes these to the run folder's `tables/` (one CSV each) and to `report_tables.xlsx`
(one sheet each, named like the CSV without `.csv`; a sheet name is cut to 31 characters). The
workbook's first sheet, `about`, has two columns, `item` and `value`: the report's scope, run id and
time, and each sheet's number of rows. `tables/changes.csv` and `tables/followup_status.csv` (and
their sheets) have the columns of the processed tables `changes.parquet` and
`followup_status.parquet` above. Counts are whole numbers; text is redacted and spreadsheet formulas
are defused on export. `tests/test_report_exports.py` fails when an exported table is not documented
here.
"""


def data_dictionary_markdown() -> str:
    """The data dictionary (docs/data_dictionary.md) as Markdown, from :data:`TABLES` and :data:`REPORT_TABLES`."""
    lines = [_DICTIONARY_INTRO]
    for spec in (*TABLES.values(), None, *REPORT_TABLES.values()):
        if spec is None:
            lines.append(_REPORT_TABLES_INTRO)
            continue
        lines.append(f"## `{spec.filename}`{' (restricted)' if spec.restricted else ''}\n")
        lines.append(f"{spec.description} Written by `{spec.written_by}`.\n")
        lines.append("| column | kind | required | description |")
        lines.append("| --- | --- | --- | --- |")
        for col, req in [(c, True) for c in spec.columns] + [(c, False) for c in spec.optional]:
            desc = col.description
            if col.allowed:
                desc = (desc + "; " if desc else "") + "one of " + ", ".join(f"`{a}`" for a in col.allowed)
            flags = []
            if col.unique:
                flags.append("unique")
            if col.nullable:
                flags.append("may be null")
            if flags:
                desc = (desc + " " if desc else "") + f"({', '.join(flags)})"
            lines.append(f"| `{col.name}` | {col.kind} | {'yes' if req else 'no'} | {desc.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write(data_dictionary_markdown())
