"""The package's exception hierarchy.

Every error raised on purpose by soa_analysis derives from :class:`SoaError`, so a caller
(the CLI, a notebook, a scheduler) can catch one root and print a one-line reason.
"""

from __future__ import annotations


class SoaError(Exception):
    """Root of every error soa_analysis raises on purpose."""


class ConfigError(SoaError):
    """Raised when run options, a config file or notebook parameters are invalid."""


class SchemaError(SoaError):
    """Raised when a table at a stage boundary does not match its documented contract."""


class InputError(SoaError):
    """Raised when an input file or folder cannot be used at all (missing, unreadable)."""


class QuarantineError(SoaError):
    """Raised by a reader when one submission file cannot be ingested.

    The message is the quarantine reason written to ``ingest_log.csv``; it must say
    what is wrong with the file and, where possible, what to do about it.
    """


class OutcomeDataError(InputError):
    """Raised when an outcome data file (a CPOP download) is missing, of an unknown layout or malformed."""


class TaxonomyError(SoaError):
    """Raised when a taxonomy, rubric or other reference data file is malformed."""


class GuardError(SoaError):
    """Raised when a run would publish less than it should: no submissions at all (unless
    ``--allow-empty``), or far fewer than the last published report (beyond ``--max-drop``)."""


class PublishError(SoaError):
    """Raised when the finished report cannot be put in place (a full or read-only disk);
    the last good report is kept and the half-copied folder removed."""


class StageError(SoaError):
    """Raised when a pipeline stage (an executed notebook) fails.

    Attributes
    ----------
    stage : str
        The stage name (``ingest``, ``tag``, ``evidence`` or ``report``).
    notebook : str or None
        Path of the executed notebook kept as the run's log, if one was written.
    """

    def __init__(self, message: str, *, stage: str, notebook: str | None = None):
        super().__init__(message)
        self.stage = stage
        self.notebook = notebook
