"""The reviewers' workbook: the review sheet with a drop-down for the decision, and an instructions sheet.

:func:`write_review_workbook` is what ``soa-analysis review export`` writes as XLSX. The
``review`` sheet comes first (``soa-analysis review import`` and pandas read it by default);
its ``decision`` column offers yes / no in a drop-down (an openpyxl ``DataValidation`` that
refuses anything else typed in Excel or LibreOffice); the ``instructions`` sheet says what each
column means, what to write and how the file comes back. Every cell is plain text: no formula.
"""

from __future__ import annotations

import os

import pandas as pd

__all__ = ["write_review_workbook", "DECISIONS", "INSTRUCTIONS"]

DECISIONS = ("yes", "no")
"""The values the drop-down offers (import also accepts y/n, 1/0, true/false, agree/disagree)."""

INSTRUCTIONS = (
    ("What this is", "Tags the soa-analysis tagger gave each submission (or nearly gave: 'assigned' is FALSE), "
                     "with the words and sentences behind them. Check each row against the submission."),
    ("decision", "Choose yes (the category fits the submission) or no (it does not) from the drop-down. "
                 "Leave it blank for a row you did not review; blank rows are ignored."),
    ("comment", "Optional: why, in a few words."),
    ("reviewer", "Your name or initials, so that two reviewers' decisions can be compared (Cohen's kappa). "
                 "When blank, the file's name is used."),
    ("Do not change", "review_id, submission_id, taxonomy and priority: they tie your decision to the tag."),
    ("assigned", "TRUE when the tagger assigned the category; FALSE for a near miss shown for checking."),
    ("score", "The tagger's score; the category is assigned at or above its threshold."),
    ("evidence, sentences", "The phrases and up to three sentences behind the tag (contact details removed)."),
    ("When done", "Save the file as it is (XLSX or CSV) and return it. It is read back with: "
                  "soa-analysis review import FILE [FILE ...] --out labels.csv"),
)

_WIDTHS = (9, 14, 16, 30, 12, 18, 24, 7, 8, 60, 60, 12, 10, 30)


def write_review_workbook(review: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the review table as an XLSX workbook for reviewers.

    Parameters
    ----------
    review : pandas.DataFrame
        The review rows (:data:`soa_analysis.tagging.review.REVIEW_COLUMNS`), already made fit
        to share.
    path : path-like
        The file to write (the caller makes the write atomic).
    """
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        review.to_excel(xw, index=False, sheet_name="review")
        ws = xw.sheets["review"]
        for i, width in enumerate(_WIDTHS[: review.shape[1]], 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "B2"
        col = get_column_letter(list(review.columns).index("decision") + 1)
        last = max(len(review) + 1, 2)
        dv = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True,
                            showDropDown=False, showErrorMessage=True, errorStyle="stop",
                            errorTitle="decision", error="Choose yes or no (or leave blank if not reviewed).",
                            showInputMessage=True, promptTitle="decision",
                            prompt="yes: the category fits; no: it does not; blank: not reviewed.")
        dv.add(f"{col}2:{col}{last}")
        ws.add_data_validation(dv)
        ws[f"{col}1"].comment = Comment("Choose yes or no from the drop-down; see the instructions sheet.",
                                        "soa-analysis")
        notes = xw.book.create_sheet("instructions")
        notes.append(["column or step", "what to do"])
        for row in INSTRUCTIONS:
            notes.append(list(row))
        notes.column_dimensions["A"].width = 22
        notes.column_dimensions["B"].width = 110
        xw.book.active = 0
