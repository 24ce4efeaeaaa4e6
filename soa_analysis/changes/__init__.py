"""Between runs: what changed since the last run, and which promises were followed up.

- :mod:`.snapshot`: what each run keeps (``snapshot.json``) and how the run to compare with
  is found;
- :mod:`.compare`: the change report between two snapshots, with reasons;
- :mod:`.followups`: next steps whose due date has passed, and whether a later submission
  from the same council reports on them;
- :mod:`.stage`: the pipeline's change step, writing the ``changes`` and
  ``followup_status`` tables;
- :mod:`.sections`: the report's "Since the last run" and "Promises followed up" sections.
"""

from .compare import CHANGE_COLUMNS, compare_snapshots, summarise, summary_line, version_changes
from .followups import FOLLOWUP_COLUMNS, MATCH_THRESHOLD, match_tokens, track_followups
from .snapshot import (
    SNAPSHOT_FILE,
    SnapshotError,
    build_snapshot,
    load_snapshot,
    previous_run,
    resolve_run,
    submission_key,
    text_sha256,
    write_snapshot,
)
from .stage import ChangeReport, compare_runs, load_changes_meta, load_followups, update_changes

__all__ = [
    "CHANGE_COLUMNS", "FOLLOWUP_COLUMNS", "MATCH_THRESHOLD", "SNAPSHOT_FILE", "ChangeReport", "SnapshotError",
    "build_snapshot", "compare_snapshots", "load_changes_meta", "load_snapshot", "match_tokens", "previous_run",
    "resolve_run", "submission_key", "summarise", "summary_line", "text_sha256", "track_followups",
    "update_changes", "version_changes", "compare_runs", "load_followups", "write_snapshot",
]

