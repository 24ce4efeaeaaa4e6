"""Checks a run's options before any work: every file and name it will need, read and validated now.

A run that starts ingesting and fails minutes later on a misspelt taxonomy name wastes the
researcher's time and leaves a failed run behind. :func:`check_options` reads everything the
chosen stages will use (folders, taxonomies, the rubric, extra labels, outcome data) and
raises a :class:`~soa_analysis.errors.ConfigError` naming the problem, with the nearest valid
name where one was misspelt; the CLI turns it into exit status 2 before anything runs.

Example
-------
>>> suggest("priorites", ["priorities", "outcomes_soa"])
' (did you mean priorities?)'
>>> suggest("zzz", ["priorities"])
''
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Iterable

from .config import STAGES, RunOptions
from .errors import ConfigError, SoaError

__all__ = ["check_options", "check_folder", "check_taxonomy", "suggest"]


def suggest(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean X?)"`` for the closest of ``choices`` to ``word``, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def check_folder(path: str | os.PathLike, what: str, *, must_exist: bool) -> None:
    """Refuse a folder option that names a file, or a missing folder that must exist.

    Raises
    ------
    ConfigError
        ``path`` is a file (or something else that is not a folder), or is missing when
        ``must_exist``.

    Example
    -------
    >>> check_folder("pyproject.toml", "raw folder", must_exist=True)
    Traceback (most recent call last):
    ...
    soa_analysis.errors.ConfigError: raw folder pyproject.toml is a file, not a folder: pass the folder that holds it
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{what} {p} is a file, not a folder: pass the folder that holds it")
    if must_exist and not p.exists():
        raise ConfigError(f"{what} {p} does not exist")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _looks_like_path(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml")) or os.sep in ref or (os.altsep or os.sep) in ref


def check_taxonomy(ref: str) -> None:
    """Load one taxonomy given by shipped name or YAML path, with a suggestion for a misspelt name.

    Raises
    ------
    ConfigError
        The name is not shipped, the file is missing, or its content is not a valid taxonomy.

    Example
    -------
    >>> check_taxonomy("priorites")
    Traceback (most recent call last):
    ...
    soa_analysis.errors.ConfigError: unknown taxonomy 'priorites' (did you mean priorities?); shipped: added_value, outcomes_2018, outcomes_soa, priorities (or the path of a YAML file)
    """
    from .taxonomies import list_taxonomies, load_taxonomy

    shipped = list_taxonomies()
    if not _looks_like_path(ref) and ref not in shipped:
        raise ConfigError(f"unknown taxonomy {ref!r}{suggest(ref, shipped)}; shipped: {', '.join(shipped)} "
                          "(or the path of a YAML file)")
    if _looks_like_path(ref):
        p = Path(ref)
        if p.is_dir():
            raise ConfigError(f"taxonomy {ref} is a folder, not a YAML file")
        if not p.is_file():
            raise ConfigError(f"taxonomy file {ref} not found")
    try:
        load_taxonomy(ref)
    except SoaError as exc:
        raise ConfigError(f"taxonomy {ref}: {_one_line(exc)}") from None


def _check_rubric(path: str) -> None:
    from .rubrics import load_rubric

    try:
        load_rubric(path)
    except UnicodeDecodeError:
        raise ConfigError(f"rubric file {path} is not UTF-8 text: is it the rubric YAML?") from None
    except SoaError as exc:
        raise ConfigError(f"rubric: {_one_line(exc)}") from None


def _check_extra_labels(path: str) -> None:
    from .labelled import load_labels
    from .taxonomies import load_taxonomy

    categories = [c.id for c in load_taxonomy("priorities").categories]
    try:
        load_labels(path, categories=categories)
    except SoaError as exc:
        raise ConfigError(f"extra labels: {_one_line(exc)}") from None


def check_options(opts: RunOptions, stages: Iterable[str] = STAGES) -> None:
    """Validate everything the ``stages`` of a run will read, before the run starts.

    Folders that are files are refused whatever the stage; the raw folder must exist when
    ingesting. Taxonomies and extra labels are loaded for the tag stage, the rubric for the
    evidence stage and the outcome data for the report stage. A value set explicitly (not a
    default) is checked whatever the stages, so a bad run file fails on any command.

    Parameters
    ----------
    opts : RunOptions
        The run's options (from :func:`soa_analysis.config.make_options`).
    stages : iterable of str
        The stages about to run.

    Raises
    ------
    ConfigError
        Naming the option, the value and what is wrong (exit status 2 from the CLI).
    """
    from .config import DEFAULT_TAXONOMIES

    stages = set(stages)
    check_folder(opts.raw_dir, "raw folder", must_exist="ingest" in stages)
    check_folder(opts.processed_dir, "processed folder", must_exist=False)
    check_folder(opts.reports_dir, "reports folder", must_exist=False)
    if "tag" in stages or tuple(opts.taxonomies) != DEFAULT_TAXONOMIES:
        for ref in opts.taxonomies:
            check_taxonomy(ref)
    if opts.extra_labels:
        _check_extra_labels(opts.extra_labels)
    if opts.rubric:
        _check_rubric(opts.rubric)
    if opts.outcome_data:
        from .outcomes import describe_outcome_file

        try:
            describe_outcome_file(opts.outcome_data)
        except SoaError as exc:
            raise ConfigError(_one_line(exc)) from None
