"""A per-user store of trained taggers, so a fresh processed folder need not train again.

A supervised tagger is trained on the packaged labelled passages (and the real-text
features); the same fingerprint (taxonomy, labels, parameters, package, scikit-learn and
numpy versions, the tagger's code and data: ``tagging.stage._fingerprint``) always gives
the same model. A processed folder keeps its own copy under ``models/``; this store keeps
one more per fingerprint, so a run into a new folder (a scheduled run into a fresh
checkout, ``soa-analysis run --processed-dir NEW``, the test of a notebook) copies it
instead of spending the training time again.

Where: ``$SOA_ANALYSIS_MODEL_STORE`` when set (``off`` turns the store off), else
``$XDG_CACHE_HOME/soa-analysis/models``, else ``~/.cache/soa-analysis/models``. Each
entry is a folder named by the fingerprint holding the ``.joblib`` and ``.json`` files
:meth:`CombinedTagger.save` writes. The files are pickles: the store is only ever read
from a folder of the user's own (as with ``models/`` in a processed folder), and a copy
is loaded only when its JSON's SHA-256 matches the pickle (:func:`load_model`). The store
is a cache: any failure to read or write it is ignored and the model trained as before.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..io import atomic_path

ENV = "SOA_ANALYSIS_MODEL_STORE"


def store_dir(environ=None) -> Path | None:
    """The store's folder, or ``None`` when ``$SOA_ANALYSIS_MODEL_STORE`` is ``off`` (or empty).

    ``environ`` defaults to :data:`os.environ`.

    Example
    -------
    >>> store_dir({ENV: "off"}) is None
    True
    >>> str(store_dir({ENV: "/srv/soa/models"}))
    '/srv/soa/models'
    >>> str(store_dir({"XDG_CACHE_HOME": "/var/cache/me"}))
    '/var/cache/me/soa-analysis/models'
    """
    environ = os.environ if environ is None else environ
    value = environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "off", "0", "no", "false") else Path(value).expanduser()
    base = environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "soa-analysis" / "models"


def _copy(src_dir: Path, dst_dir: Path, name: str) -> bool:
    """Copy ``name``'s pickle, then its JSON, each atomically; ``False`` when either is missing or fails."""
    try:
        for suffix in (".joblib", ".json"):
            src, dst = src_dir / f"{name}{suffix}", dst_dir / f"{name}{suffix}"
            with atomic_path(dst, suffix) as tmp:
                shutil.copyfile(src, tmp)
    except OSError:
        return False
    return True


def fetch(fingerprint: str, name: str, model_dir: Path) -> bool:
    """Copy the stored model of ``fingerprint`` into ``model_dir``; ``True`` when there was one.

    The JSON is copied last: a reader takes a model only when its JSON is there and matches
    the pickle.
    """
    root = store_dir()
    return root is not None and (root / fingerprint / f"{name}.json").is_file() and \
        _copy(root / fingerprint, Path(model_dir), name)


def keep(fingerprint: str, name: str, model_dir: Path) -> bool:
    """Copy the model just saved in ``model_dir`` into the store; ``True`` when it was kept."""
    root = store_dir()
    return root is not None and _copy(Path(model_dir), root / fingerprint, name)
