"""Run options: defaults, YAML run files, and validation.

A run is described by :class:`RunOptions`. The CLI builds one from its flags, optionally on
top of a YAML run file (``soa-analysis run --config config/runs/NAME.yaml``) so that a
scheduler calls one command. Relative paths in a run file are resolved against the
current working directory, like the CLI's own flags.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .datafiles import parse_yaml
from .errors import ConfigError

STAGES = ("ingest", "tag", "evidence", "report")
DEFAULT_TAXONOMIES = ("priorities", "outcomes_soa")
ENGINES = ("local", "dask")


@dataclass
class RunOptions:
    """Everything a pipeline run needs to know.

    Attributes
    ----------
    raw_dir, processed_dir, reports_dir : Path
        Input submissions (read-only), processed tables, and published reports.
    taxonomies : tuple of str
        Taxonomies to tag against (names of packaged taxonomies or paths to YAML files).
    workers : int
        Processes for ingesting files and parallel council reports; 0 = one per core.
    max_file_mb : float
        Files larger than this are quarantined.
    council_reports : bool
        Also publish one report per council present in the data.
    keep_runs : int
        Run folders to keep under ``reports/runs/`` (the newest; the run ``latest/`` came
        from is always kept too); 0 keeps them all.
    rubric : str
        Path of an evidence rubric YAML to grade with; "" for the packaged rubric.
    extra_labels : str
        Path of a labels CSV (e.g. from ``soa-analysis review import --out``) added to the
        packaged corpus when training the supervised tagger; "" for none.
    run_name : str
        Optional label recorded in the manifest (e.g. the run file's name).
    compare_to : str
        Run id (or unique prefix) whose results the change report compares with; "" for the
        last good run.
    outcome_data : str
        Path of a CPOP CPP-level outcome data CSV (a newer download) to set beside the
        narrative; "" for the CPOP data shipped in the package.
    allow_empty : bool
        Publish a report of no submissions on purpose (otherwise such a run fails and the
        last good report is kept).
    max_drop : float or None
        Refuse to publish when the submissions fall by more than this share (0-1) against the
        last published report; None only warns (beyond a fifth).
    full : bool
        Recompute every raw file's results, ignoring those the last run cached (by default a
        file whose bytes and versions are unchanged is reused: :mod:`soa_analysis.partition`).
    engine : str
        Where ingest, tag and evidence run: ``local`` (this machine's processes) or ``dask``
        (partitioned over a Dask cluster; needs the ``dask`` extra).
    scheduler : str
        Address of a running Dask scheduler (``tcp://host:8786``) for ``engine: dask``;
        "" starts a LocalCluster on this machine for the run.
    """

    raw_dir: Path = Path("data/raw")
    processed_dir: Path = Path("data/processed")
    reports_dir: Path = Path("reports")
    taxonomies: tuple[str, ...] = DEFAULT_TAXONOMIES
    workers: int = 0
    max_file_mb: float = 50.0
    council_reports: bool = True
    keep_runs: int = 10
    rubric: str = ""
    extra_labels: str = ""
    run_name: str = ""
    compare_to: str = ""
    outcome_data: str = ""
    allow_empty: bool = False
    max_drop: float | None = None
    full: bool = False
    engine: str = "local"
    scheduler: str = ""
    notebooks_dir: Path | None = None
    extra: dict = field(default_factory=dict)

    def absolute(self) -> "RunOptions":
        """A copy with every folder and file path made absolute against today's working folder.

        A run resolves its paths once, before it starts anything: papermill changes the working
        folder while a notebook executes, so a relative path read later (from another thread)
        could be taken against the notebooks' folder instead of the user's.

        >>> RunOptions(processed_dir=Path("p")).absolute().processed_dir.is_absolute()
        True
        >>> RunOptions().absolute().rubric
        ''
        """
        changes: dict = {}
        for name in ("raw_dir", "processed_dir", "reports_dir", "notebooks_dir"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = Path(value).absolute()
        for name in ("rubric", "extra_labels", "outcome_data"):
            value = getattr(self, name)
            if value:
                changes[name] = str(Path(value).absolute())
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain, JSON-ready dict of the options (paths as strings)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Path):
                v = str(v)
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


_FIELDS = {f.name: f for f in dataclasses.fields(RunOptions)}


def _coerce(name: str, value, source: str):
    if name in ("raw_dir", "processed_dir", "reports_dir", "notebooks_dir"):
        if value is None and name == "notebooks_dir":
            return None
        if not isinstance(value, (str, Path)) or str(value) == "":
            raise ConfigError(f"{source}: {name} must be a folder path, got {value!r}")
        return Path(value)
    if name == "taxonomies":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: taxonomies must be a non-empty list of names, got {value!r}")
        return tuple(value)
    if name in ("workers", "keep_runs"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{source}: {name} must be a whole number >= 0, got {value!r}")
        return value
    if name == "max_file_mb":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{source}: max_file_mb must be a positive number, got {value!r}")
        return float(value)
    if name == "engine":
        if value not in ENGINES:
            raise ConfigError(f"{source}: engine must be one of {', '.join(ENGINES)}, got {value!r}")
        return value
    if name == "scheduler":
        if not isinstance(value, str):
            raise ConfigError(f"{source}: scheduler must be an address such as tcp://host:8786, got {value!r}")
        return value
    if name in ("council_reports", "allow_empty", "full"):
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: {name} must be true or false, got {value!r}")
        return value
    if name == "max_drop":
        if value is None:
            return None
        if isinstance(value, bool):
            raise ConfigError(f"{source}: max_drop must be a share such as 0.25 or 25%, got {value!r}")
        from .guards import parse_share

        try:
            return parse_share(value)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    if name in ("run_name", "compare_to"):
        return str(value)
    if name in ("rubric", "extra_labels", "outcome_data"):
        if not isinstance(value, (str, Path)):
            raise ConfigError(f"{source}: {name} must be a file path, got {value!r}")
        if str(value) and Path(value).is_dir():
            raise ConfigError(f"{source}: {name} {value} is a folder, not a file")
        if str(value) and not Path(value).is_file():
            raise ConfigError(f"{source}: {name} file {value} not found")
        return str(value)
    if name == "extra":
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: extra must be a mapping")
        return value
    raise ConfigError(f"{source}: unknown option {name!r}")  # pragma: no cover


def load_run_file(path: str | Path) -> dict:
    """Read a YAML run file into a dict of validated option values.

    Parameters
    ----------
    path : path-like
        A YAML mapping whose keys are :class:`RunOptions` fields.

    Returns
    -------
    dict
        Option name -> coerced value.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, is not a mapping, or has unknown keys or bad values.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"run file {path} not found")
    data = parse_yaml(path.read_bytes(), f"run file {path}", error=ConfigError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"run file {path} must be a mapping of option: value")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"run file {path}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}"
        )
    out = {k: _coerce(k, v, f"run file {path}") for k, v in data.items()}
    out.setdefault("run_name", path.stem)
    return out


def make_options(config: str | Path | None = None, **overrides) -> RunOptions:
    """Build :class:`RunOptions` from defaults, an optional run file, then overrides.

    Overrides whose value is ``None`` are ignored (an unset CLI flag).

    Example
    -------
    >>> make_options(raw_dir="tests/fixtures/mini_raw").raw_dir
    PosixPath('tests/fixtures/mini_raw')
    """
    values: dict = {}
    if config is not None:
        values.update(load_run_file(config))
    for k, v in overrides.items():
        if v is None:
            continue
        if k not in _FIELDS:
            raise ConfigError(f"unknown option {k!r}")
        values[k] = _coerce(k, v, "option")
    return RunOptions(**values)
