"""soa-analysis: an analysis workbench for Scottish community planning evidence.

The package ingests Single Outcome Agreement (SOA) submissions, tags their narrative
against the national priorities and National Outcomes, grades the evidence of benefit
and of the SOA's added value, and publishes self-contained HTML reports.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
