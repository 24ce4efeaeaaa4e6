"""The intermediate representation between format readers and template recognition.

A reader (``.docx``, ``.pdf``, ``.eml`` ...) turns bytes into one or more
:class:`Document` objects: an ordered list of :class:`Block` objects plus metadata.
The structure step (template recognition, sectioning, council, partners, contacts)
works only on Documents, never on file formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BLOCK_KINDS = ("heading", "para", "list_item", "row", "checkbox")


@dataclass
class Block:
    """One unit of a document, in reading order.

    Attributes
    ----------
    kind : str
        ``heading`` (a styled heading, or a bold/numbered paragraph the reader judged to
        be one), ``para`` (a body paragraph), ``list_item`` (a bullet or numbered item),
        ``row`` (a table row: ``cells`` holds its cell texts; ``text`` joins them with
        " | "), or ``checkbox`` (a tick-box item: ``checked`` says whether it is ticked).
    text : str
        Normalised text of the block.
    level : int
        Heading level (1 = top), or nesting depth for list items and nested table rows.
    cells : list of str
        For ``row`` blocks, the texts of the row's (de-duplicated merged) cells.
    checked : bool or None
        For ``checkbox`` blocks, True when really ticked, False when visibly unticked,
        None when the reader could not tell (e.g. text extracted from a PDF).
    """

    kind: str
    text: str
    level: int = 0
    cells: list[str] = field(default_factory=list)
    checked: bool | None = None


@dataclass
class Document:
    """One submission's content as read from a file (or one part of a file).

    Attributes
    ----------
    blocks : list of Block
        Content in reading order.
    meta : dict
        What the reader knows besides the content: ``format`` (docx, pdf, txt, md, html,
        rtf, odt, eml, csv, xlsx, doc), ``part`` (e.g. "row 3" or "attachment 2: x.docx"
        when one file yields several documents), ``title`` and ``author`` from document
        properties, ``date`` (ISO string) from e-mail headers or document properties,
        ``sender`` (an e-mail address), ``fields`` (for form exports: column header ->
        cell text), ``file_name``.
    warnings : list of str
        Problems the reader met but survived (e.g. "2 images ignored").
    """

    blocks: list[Block] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All block texts joined by blank lines."""
        return "\n\n".join(b.text for b in self.blocks if b.text)


# Ids for the 2010 template's checklist items ("This case study primarily demonstrates good practice or
# progress in addressing the following issues"). The first four are issues (three map to national
# priority ids); the rest are added-value themes (see soa_analysis/taxonomies/added_value.yaml).
CHECKLIST_IDS = (
    "economic_growth",       # Economic recovery
    "early_years",           # Children's early years
    "health_inequalities",   # Health inequalities
    "other_local_issues",    # Other key local issues
    "prevention",            # A shift to prevention and early intervention
    "resources",             # Better use of resources (budgets, staff, buildings, equipment, etc.)
    "business_processes",    # Improved business processes (service planning, staff engagement, ...)
    "partnership",           # Partnership working
    "localisation",          # Localisation of the SOA / local Community Planning
    "community_engagement",  # Community engagement and feedback
    "voluntary_sector",      # Engagement of the voluntary sector
    "business_sector",       # Engagement of the business sector
    "performance",           # Improved performance attributable to the SOA approach
    "cost_effectiveness",    # More cost effective performance attributable to the SOA approach
)


@dataclass
class Record:
    """One structured submission: what the structure step makes of a :class:`Document`.

    ``sections`` maps every name in :data:`soa_analysis.schema.SECTION_COLUMNS` to its text
    ("" when absent). ``contacts`` are dicts with keys raw, name, job_title, organisation,
    email, phone (restricted data). ``partners`` are dicts with keys name (as written),
    partner_type, canonical.
    """

    submission_type: str
    sections: dict[str, str]
    text: str
    council: str = ""
    council_code: str = ""
    council_source: str = ""
    checklist: list[str] = field(default_factory=list)
    outcomes_cited: list[str] = field(default_factory=list)
    date: str = ""
    year: int | None = None
    contacts: list[dict] = field(default_factory=list)
    partners: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
