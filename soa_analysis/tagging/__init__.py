"""Tag submission narrative against the national priorities and National Outcomes.

Public API
----------
run_tagging(processed_dir, *, taxonomies=("priorities", "outcomes_soa"), progress=False) -> TaggingResult
evaluate(labels_path=None, *, folds=5, seed=0) -> EvaluationReport
LexiconTagger, SupervisedTagger, CombinedTagger, load_model
export_review(processed_dir, dest), import_review(paths), labels_from_review(review, processed_dir), cohens_kappa
highlight_html(text, evidence_rows), show_submission(processed_dir, submission_id)
"""

_LAZY = {
    "lexicon": ("LexiconTagger",),
    "text": ("analyse", "as_document"),
    "model": ("CombinedTagger", "SupervisedTagger", "choose_thresholds", "load_model"),
    "stage": ("TaggingResult", "run_tagging", "submission_document"),
    "evaluation": ("evaluate", "EvaluationReport"),
    "review": ("export_review", "import_review", "labels_from_review", "cohens_kappa", "agreement_summary"),
    "display": ("highlight_html", "show_submission"),
}

__all__ = [
    "run_tagging", "TaggingResult", "submission_document",
    "LexiconTagger", "SupervisedTagger", "CombinedTagger", "load_model", "choose_thresholds",
    "analyse", "as_document",
    "evaluate", "EvaluationReport",
    "export_review", "import_review", "labels_from_review", "cohens_kappa", "agreement_summary",
    "highlight_html", "show_submission",
]


def __getattr__(name):
    # Everything is imported on first use, so that `soa_analysis.tagging.spans` (used by the
    # shared report) can be imported without nltk and scikit-learn.
    import importlib

    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
