"""Measured accuracy of the grader and the theme tagger on the packaged labelled sets.

The labelled sets (``soa_analysis/labelled/evidence.csv`` and ``added_value.csv``) are
fictional passages in the register of council case studies, written and labelled by
hand, kept apart from the sample data. Each row has a ``split``: ``dev`` passages were
looked at while the rubric and taxonomy were written; ``test`` passages were held out and
are the figures to quote. Nothing is fitted to either split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from io import StringIO

import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    precision_recall_fscore_support,
)

from ..errors import InputError, TaxonomyError
from ..schema import GRADES
from .grader import EvidenceGrader
from .themes import ThemeTagger, load_added_value

__all__ = ["Evaluation", "evaluate_evidence", "load_labelled_grades", "load_labelled_themes"]

SPLITS = ("dev", "test", "all")


def _read_csv(path, default: str, required: tuple) -> pd.DataFrame:
    if path is None:
        text = resources.files("soa_analysis").joinpath("labelled", default).read_text(encoding="utf-8")
        df = pd.read_csv(StringIO(text), keep_default_na=False, dtype=str)
    else:
        if not os.path.isfile(path):
            raise InputError(f"labelled set {path} not found")
        df = pd.read_csv(path, keep_default_na=False, dtype=str)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise TaxonomyError(f"labelled set {path or default} lacks columns {missing}")
    if df["id"].duplicated().any():
        raise TaxonomyError(f"labelled set {path or default} repeats ids")
    bad_split = set(df["split"]) - {"dev", "test"}
    if bad_split:
        raise TaxonomyError(f"labelled set {path or default}: unknown split(s) {sorted(bad_split)}")
    return df


def load_labelled_grades(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The labelled grade passages: columns id, split, grade, text."""
    df = _read_csv(path, "evidence.csv", ("id", "split", "grade", "text"))
    bad = set(df["grade"]) - set(GRADES)
    if bad:
        raise TaxonomyError(f"labelled grades outside {list(GRADES)}: {sorted(bad)}")
    return df


def load_labelled_themes(path: str | os.PathLike | None = None, theme_ids=None) -> pd.DataFrame:
    """The labelled added-value passages: columns id, split, themes (';'-separated ids), text."""
    df = _read_csv(path, "added_value.csv", ("id", "split", "themes", "text"))
    df["themes"] = df["themes"].map(lambda s: [t.strip() for t in s.split(";") if t.strip()])
    if theme_ids is not None:
        bad = {t for ts in df["themes"] for t in ts} - set(theme_ids)
        if bad:
            raise TaxonomyError(f"labelled themes not in the taxonomy: {sorted(bad)}")
    return df


@dataclass
class Evaluation:
    """Accuracy figures for one split (dev, test or all).

    Attributes
    ----------
    split : str
    grade_accuracy, grade_kappa : float
        Exact-agreement accuracy and Cohen's kappa of the four grades.
    n_grades : int
    confusion : pandas.DataFrame
        Rows: labelled grade; columns: predicted grade.
    grade_report : pandas.DataFrame
        Per grade: precision, recall, f1, support.
    theme_report : pandas.DataFrame
        Per theme: precision, recall, f1, support.
    theme_macro_f1, theme_micro_f1 : float
    n_themes : int
    errors : pandas.DataFrame
        The misgraded passages (id, grade, predicted, text) for inspection.
    """

    split: str
    grade_accuracy: float
    grade_kappa: float
    n_grades: int
    confusion: pd.DataFrame
    grade_report: pd.DataFrame
    theme_report: pd.DataFrame
    theme_macro_f1: float
    theme_micro_f1: float
    n_themes: int
    errors: pd.DataFrame

    def summary(self) -> dict:
        """JSON-ready headline figures."""
        return {
            "split": self.split,
            "grade_accuracy": round(self.grade_accuracy, 4),
            "grade_kappa": round(self.grade_kappa, 4),
            "n_grade_passages": self.n_grades,
            "theme_macro_f1": round(self.theme_macro_f1, 4),
            "theme_micro_f1": round(self.theme_micro_f1, 4),
            "n_theme_passages": self.n_themes,
            "per_theme_f1": {k: round(float(v), 4) for k, v in self.theme_report["f1"].items()},
        }


def evaluate_evidence(*, rubric=None, taxonomy=None, grades=None, themes=None, split: str = "test",
                      model="rubric") -> Evaluation:
    """Grade accuracy, Cohen's kappa and per-theme precision/recall/F1 on labelled passages.

    Parameters
    ----------
    rubric : path-like, Rubric or None
        Rubric to evaluate (default: the packaged one).
    taxonomy : path-like, ThemeTaxonomy or None
        Added-value taxonomy to evaluate (default: the packaged one).
    grades, themes : path-like or None
        Labelled CSV files (default: the packaged ``labelled/evidence.csv`` and ``added_value.csv``).
    split : {"test", "dev", "all"}
        ``test`` (held out while the rubric was written) gives the figures to quote.
    model : "rubric", "packaged", path-like, SentenceModel or None
        The grader's sentence model (:mod:`soa_analysis.evidence.sentence_model`): by default
        the one the rubric names; ``None``: the rules only.

    Returns
    -------
    Evaluation

    Raises
    ------
    ConfigError
        If ``split`` is unknown.
    """
    if split not in SPLITS:
        from ..errors import ConfigError

        raise ConfigError(f"split must be one of {SPLITS}, not {split!r}")
    g = load_labelled_grades(grades)
    tax = load_added_value(taxonomy)
    t = load_labelled_themes(themes, tax.ids)
    if split != "all":
        g, t = g[g["split"] == split], t[t["split"] == split]
    grader = EvidenceGrader(rubric=rubric, model=model).fit()
    pred = grader.predict(g["text"])
    labels = list(GRADES)
    p, r, f, s = precision_recall_fscore_support(g["grade"], pred, labels=labels, zero_division=0)
    grade_report = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s}, index=labels)
    confusion = pd.DataFrame(confusion_matrix(g["grade"], pred, labels=labels), index=labels, columns=labels)
    errors = g.assign(predicted=pred)
    errors = errors[errors["grade"] != errors["predicted"]][["id", "grade", "predicted", "text"]]

    tagger = ThemeTagger(taxonomy=tax).fit()
    tpred = tagger.predict(t["text"])
    ids = list(tax.ids)
    y_true = [[int(th in row) for th in ids] for row in t["themes"]]
    y_pred = [[int(th in row) for th in ids] for row in tpred]
    if len(t):
        tp, tr, tf, ts = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
        micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)[2]
    else:
        tp = tr = tf = ts = [0.0] * len(ids)
        micro = 0.0
    theme_report = pd.DataFrame({"precision": tp, "recall": tr, "f1": tf, "support": ts}, index=ids)
    return Evaluation(
        split=split,
        grade_accuracy=float(accuracy_score(g["grade"], pred)) if len(g) else 0.0,
        grade_kappa=float(cohen_kappa_score(g["grade"], pred, labels=labels)) if len(g) else 0.0,
        n_grades=int(len(g)), confusion=confusion, grade_report=grade_report, theme_report=theme_report,
        theme_macro_f1=float(theme_report["f1"].mean()), theme_micro_f1=float(micro), n_themes=int(len(t)),
        errors=errors,
    )
