"""Metrics as strict JSON: NumPy values become Python ones, NaN and infinities become null."""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping

import numpy as np


def jsonable(value):
    """``value`` with every NumPy scalar and array turned into JSON-ready Python values.

    Parameters
    ----------
    value : None, bool, str, number, mapping, sequence, ndarray or path
        Nested to any depth; mapping keys become strings.

    Returns
    -------
    object
        Built from dict, list, str, int, float, bool and None only; non-finite floats are None.

    Raises
    ------
    TypeError
        For a value of any other type (a fitted model, say), naming its type.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(
        f"metrics hold numbers, strings, lists and dicts; got a "
        f"{type(value).__name__}: {value!r:.80}"
    )


def dumps(metrics):
    """Strict JSON text of ``metrics`` (see :func:`jsonable`), indented, with a final newline."""
    return json.dumps(jsonable(metrics), indent=2, allow_nan=False) + "\n"


def flatten(metrics, prefix=""):
    """Every leaf of nested metrics with its dotted path.

    Parameters
    ----------
    metrics : dict or list
        JSON-ready (see :func:`jsonable`).
    prefix : str, default=""
        Path of ``metrics`` itself.

    Returns
    -------
    list of (str, object)
        ``("sweep.0.bic", 2413.8)``-style pairs, in the order of the metrics; list items are
        numbered from 0.
    """
    if isinstance(metrics, Mapping):
        items = metrics.items()
    elif isinstance(metrics, list):
        items = enumerate(metrics)
    else:
        return [(prefix, metrics)]
    pairs = []
    for key, value in items:
        pairs.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return pairs
