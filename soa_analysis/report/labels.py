"""Human labels of the ids the tables use: priorities, grades, sections, partner types.

Example
-------
>>> label("early_years"), label("nhs_board"), label("strong")
('Early years', 'NHS board', 'Strong evidence')
"""

from __future__ import annotations

__all__ = ["PRIORITY_LABELS", "GRADE_LABELS", "SECTION_LABELS", "label"]

PRIORITY_LABELS = {
    "economic_growth": "Economic recovery and growth",
    "employment": "Employment",
    "early_years": "Early years",
    "safer_communities": "Safer and stronger communities",
    "health_inequalities": "Health inequalities and physical activity",
    "older_people": "Outcomes for older people",
}
GRADE_LABELS = {
    "strong": "Strong evidence",
    "some": "Some evidence",
    "planned": "Benefits still to come",
    "none": "No evidence given",
}
SECTION_LABELS = {
    "need": "Local need",
    "actions": "What was done",
    "partners_text": "Partners",
    "evidence": "Evidence of benefit",
    "added_value": "Added value of the SOA",
    "next_steps": "Next steps",
    "achievements": "Achievements",
    "challenges": "Challenges",
    "support_required": "Support required",
    "outcome_progress": "Progress on outcomes",
    "text": "Text",
}
_ACRONYMS = {w.casefold(): w for w in (
    "NHS", "TSI", "DWP", "SDS", "CPP", "SOA", "SIMD", "HIE", "SPT", "UK", "CVS", "ADP", "CHP", "CHCP", "SFRS", "IS", "F1", "CV")}


def label(category: object) -> str:
    """Human label of a category id: the priority's or grade's name, else the id made readable."""
    c = "" if category is None else str(category)
    if c in PRIORITY_LABELS:
        return PRIORITY_LABELS[c]
    if c in GRADE_LABELS:
        return GRADE_LABELS[c]
    words = [_ACRONYMS.get(w.casefold(), w) for w in c.replace("_", " ").replace("-", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else "(none)"
