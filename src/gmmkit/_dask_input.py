"""Recognising Dask input without importing Dask.

gmmkit's estimators accept Dask arrays and DataFrames (the optional ``gmmkit[dask]`` extra);
the checks here look at the object's type and at ``sys.modules``, so that ``import gmmkit``
and every in-memory call leave Dask unimported: an object can only be a Dask collection if
Dask was imported to make it.
"""

from __future__ import annotations

import sys


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a Dask collection (array, DataFrame or Series)."""
    if "dask" not in sys.modules:
        return False
    module = type(X).__module__ or ""
    return module.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


def as_dask_array(X, name: str = "X"):
    """``(array, column names)``: a Dask array as it is (names None), a Dask DataFrame or
    Series as the Dask array of its values with known chunk sizes (one pass over the
    partitions to count their rows) and its column names when they are all strings, as
    scikit-learn records ``feature_names_in_``."""
    import dask.array as da

    if isinstance(X, da.Array):
        return X, None
    if not hasattr(X, "to_dask_array"):
        raise TypeError(f"{name} must be a dask array, DataFrame or Series, got {type(X).__name__}")
    names = None
    columns = getattr(X, "columns", None)
    if columns is not None:
        non_numeric = [str(c) for c, dtype in X.dtypes.items() if dtype.kind not in "biuf"]
        if non_numeric:
            raise ValueError(
                f"{name} has non-numeric columns {non_numeric}; gmmkit fits "
                "numeric features only: drop or encode them"
            )
        if len(columns) and all(isinstance(c, str) for c in columns):
            names = list(columns)
    return X.to_dask_array(lengths=True), names


def rows_to_predict(estimator, X):
    """Dask ``X`` (array or DataFrame) to predict on with a fitted ``estimator``, as rows
    (:func:`gmmkit.backends.dask.as_rows`), its width and column names checked against the
    fit's; its values are checked block by block when the outputs are computed."""
    from .backends.dask import as_rows

    X, names = as_dask_array(X)
    X = as_rows(X)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    fitted_names = getattr(estimator, "feature_names_in_", None)
    if names is not None and fitted_names is not None and list(names) != list(fitted_names):
        raise ValueError(
            f"The feature names should match those that were passed during "
            f"fit: got {names}, expected {list(fitted_names)}"
        )
    return X
