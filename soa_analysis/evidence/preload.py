"""What the evidence stage's grading workers start from: imported once by the pool's fork server
(:data:`.pool.PRELOAD`), or called in the stage's process before it forks its workers.

Grading a first sentence builds the packaged rubric's search plan (every pattern parsed, and its
alternatives analysed: :func:`.grader._feature_plan`; each alternative is compiled when first
searched, :class:`.prefilter.Finder`) and loads the sentence and planned models and the themes, about half a
second of CPU. Done here once, before the workers are forked, each worker inherits the plan and the
patterns compiled so far (``re``'s cache and the pattern caches, keyed by the pattern text, which
the rubric a worker receives shares) instead of building them again.
"""

from __future__ import annotations

__all__ = ["warm"]


def warm() -> None:
    """Grade a fictional passage with the packaged rubric, themes and guidance (errors are ignored:
    this only saves time, and the stage reports its own errors)."""
    try:
        from ..rubrics import load_guidance
        from .grader import EvidenceGrader
        from .themes import ThemeTagger, align_guidance

        passage = {"evidence": "FICTIONAL: Falls fell from 120 to 90 between 2009 and 2011 (25%).",
                   "added_value": "Partners pooled budgets.", "text": "FICTIONAL warm-up passage."}
        grader = EvidenceGrader().fit()
        grader.grade(passage, reference="2011-06-01")
        if grader.planned_ is not None:  # its vocabulary's vectoriser is built on first use
            grader.planned_.probability(passage["text"])
        if grader.check_ is not None:  # likewise
            grader.check_.probabilities(passage["text"], "none")
        ThemeTagger().fit().score(passage["added_value"])
        align_guidance(passage["evidence"], load_guidance(None))
    except Exception:  # noqa: BLE001 - only an optimisation
        pass


warm()  # on import: the fork server imports this module once for all its workers
