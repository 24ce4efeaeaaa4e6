"""The evidence stage: grading the evidence of benefit and of the SOA's added value.

Public API
----------
run_evidence(processed_dir, *, rubric=None, progress=False) -> EvidenceResult
    The stage entry point: reads the processed tables, writes the evidence tables.
EvidenceGrader, ThemeTagger
    Estimator-shaped grader (rubric) and added-value tagger (themes taxonomy).
sentence_features, extract_dates, align_guidance
    The sentence-level pieces, each returning its evidence.
evaluate_evidence
    Accuracy, Cohen's kappa and per-theme F1 on the packaged labelled sets.
rubric_markdown, rubric_table
    The rubric for a report's methodology section.
"""

from ..rubrics import load_guidance, load_rubric, rubric_markdown, rubric_table
from .evaluate import Evaluation, evaluate_evidence, load_labelled_grades, load_labelled_themes
from .grader import EvidenceGrader, GradeResult, SentenceEvidence, sentence_features
from .stage import EXTRA_CONTRACTS, EvidenceResult, run_evidence
from .themes import THEME_IDS, ThemeTagger, align_guidance, load_added_value
from .timeline import DateMention, extract_dates

__all__ = [
    "run_evidence",
    "EvidenceResult",
    "EXTRA_CONTRACTS",
    "EvidenceGrader",
    "GradeResult",
    "SentenceEvidence",
    "sentence_features",
    "ThemeTagger",
    "THEME_IDS",
    "align_guidance",
    "load_added_value",
    "extract_dates",
    "DateMention",
    "evaluate_evidence",
    "Evaluation",
    "load_labelled_grades",
    "load_labelled_themes",
    "load_rubric",
    "load_guidance",
    "rubric_markdown",
    "rubric_table",
]
