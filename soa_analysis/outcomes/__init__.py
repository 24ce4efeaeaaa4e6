"""Outcome data beside the narrative: CPOP's indicators, the crosswalk and their reading.

- :mod:`.load`: the Improvement Service's Community Planning Outcomes Profile (CPOP) data
  at CPP level, shipped in ``data/cpop_cpp.csv`` (source and attribution in
  ``data/README.md``), or a newer download given with ``--outcome-data FILE``, validated.
- :mod:`.crosswalk`: which indicator speaks to which national priority and National
  Outcome (``crosswalk.yaml``, versioned), which way is better, and the phrases by which a
  submission cites it.
"""

from .crosswalk import Crosswalk, Indicator, load_crosswalk
from .load import PACKAGED, SCOTLAND, OutcomeData, describe_outcome_file, load_outcome_data, parse_outcome_csv

__all__ = [
    "Crosswalk", "Indicator", "OutcomeData", "PACKAGED", "SCOTLAND", "describe_outcome_file", "load_crosswalk",
    "load_outcome_data", "parse_outcome_csv",
]
