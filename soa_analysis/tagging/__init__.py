"""Tag submission narrative against the national priorities and National Outcomes.

Public API
----------
run_tagging(processed_dir, *, taxonomies=("priorities", "outcomes_soa"), progress=False) -> TaggingResult
evaluate(labels_path=None, *, folds=5, seed=0) -> EvaluationReport
LexiconTagger, SupervisedTagger, CombinedTagger, load_model
export_review(processed_dir, dest), import_review(paths), labels_from_review(review, processed_dir), cohens_kappa
highlight_html(text, evidence_rows), show_submission(processed_dir, submission_id)
"""

from .lexicon import LexiconTagger, analyse, as_document
from .model import CombinedTagger, SupervisedTagger, choose_thresholds, load_model
from .stage import TaggingResult, run_tagging, submission_document

__all__ = [
    "run_tagging", "TaggingResult", "submission_document",
    "LexiconTagger", "SupervisedTagger", "CombinedTagger", "load_model", "choose_thresholds",
    "analyse", "as_document",
    "evaluate", "EvaluationReport",
    "export_review", "import_review", "labels_from_review", "cohens_kappa", "agreement_summary",
    "highlight_html", "show_submission",
]


def __getattr__(name):
    # Lazy imports keep `import soa_analysis.tagging` light for the stage.
    if name in ("evaluate", "EvaluationReport"):
        from . import evaluation
        return getattr(evaluation, name)
    if name in ("export_review", "import_review", "labels_from_review", "cohens_kappa", "agreement_summary"):
        from . import review
        return getattr(review, name)
    if name in ("highlight_html", "show_submission"):
        from . import display
        return getattr(display, name)
    raise AttributeError(name)
