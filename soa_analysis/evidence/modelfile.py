"""Where the grader's learned models come from, for both of them (the sentence model and the planned model).

A model is a JSON file of a known ``format``: shipped in the package (``soa_analysis/rubrics/``, parsed once per
process and shared) or read from a path. Each model's module parses the fields it needs (``parse(text, where)``).
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from importlib import resources
from typing import Callable

from ..errors import InputError, TaxonomyError

__all__ = ["PACKAGED", "load_model", "logistic", "read_json"]

PACKAGED = "soa_analysis/rubrics/"


def logistic(z: float) -> float:
    """The logistic function of a model's score (0 far below, where ``exp`` would overflow)."""
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def read_json(text: str, where: str, what: str, fmt: int) -> dict:
    """The model file's JSON object; ``TaxonomyError`` naming ``what`` and ``where`` if it is not one of format ``fmt``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"{what} {where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise TaxonomyError(f"{what} {where}: expected a JSON object with format {fmt}")
    return data


@lru_cache(maxsize=16)
def _packaged(name: str, parse: Callable, what: str):
    ref = resources.files("soa_analysis").joinpath("rubrics", name)
    if not ref.is_file():
        raise InputError(f"packaged {what} {name} not found")
    return parse(ref.read_text(encoding="utf-8"), PACKAGED + name)


def load_model(model, *, kind: type, default: str, parse: Callable, what: str):
    """``model`` itself when it is ``None`` or a ``kind``; else the model ``"packaged"`` (the file ``default``
    shipped in the package), a path beginning ``soa_analysis/rubrics/`` (a file shipped in the package) or a path.

    Raises
    ------
    InputError
        If the file does not exist.
    TaxonomyError
        If it is malformed (``parse``'s errors).
    """
    if model is None or isinstance(model, kind):
        return model
    if isinstance(model, str) and model == "packaged":
        return _packaged(default, parse, what)
    if isinstance(model, str) and model.startswith(PACKAGED):
        return _packaged(model[len(PACKAGED):], parse, what)
    if not os.path.isfile(model):
        raise InputError(f"{what} {model} not found")
    with open(model, encoding="utf-8") as fh:
        return parse(fh.read(), str(model))
