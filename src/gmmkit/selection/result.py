"""What a sweep returns: its table's rows, the best of them, and :class:`SelectionResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..criteria import CRITERIA
from ..mixture import GaussianMixture

#: The columns of :attr:`SelectionResult.table`, one row per configuration of a sweep, in the
#: order ``gmmkit select`` writes them to ``table.csv``.
TABLE_COLUMNS = (
    "n_components",
    "covariance_type",
    "bic",
    "aic",
    "icl",
    "log_likelihood",
    "n_parameters",
    "converged",
    "ill_posed",
    "n_iter",
    "fit_seconds",
    "silhouette",
    "cv_mean",
    "cv_std",
    "start",
    "error",
    "ill_posed_reason",
)


class AllIllPosedError(ValueError):
    """Every configuration a sweep could score is ill-posed, so no criterion may choose one."""


class SelectionRangeWarning(UserWarning):
    """The model chosen by a sweep is at the edge of the range of ``n_components`` searched."""


@dataclass
class SelectionResult:
    """What :func:`select` found.

    Attributes
    ----------
    table : pandas.DataFrame or list of dict
        One row per configuration, columns :data:`TABLE_COLUMNS` (a DataFrame when pandas is
        installed). ``error`` says why a score is missing: when the fit itself failed, every
        score of the row is NaN (``converged`` False, ``n_iter`` 0); when only a
        cross-validation fold could not be fitted (a training fold smaller than ``k``), only
        ``cv_mean`` and ``cv_std`` are NaN and the full-data scores stand. ``ill_posed``
        marks a fit whose likelihood is an artefact of its regularisation (see
        :attr:`gmmkit.GaussianMixture.ill_posed_`), and ``ill_posed_reason`` says why; its
        scores are shown, but no criterion chooses it.
    criterion : str
        The criterion that chose ``best_params_``.
    best_params_ : dict
        ``{"n_components": k, "covariance_type": name}`` of the best configuration.
    best_estimator_ : GaussianMixture
        That configuration, fitted on all the data.
    best_index_ : int
        Its row in ``table``.
    """

    rows: list[dict]
    criterion: str
    best_index_: int
    best_estimator_: GaussianMixture
    table: object = field(init=False)

    def __post_init__(self):
        self.table = _as_table(self.rows)

    @property
    def best_params_(self) -> dict:
        row = self.rows[self.best_index_]
        return {"n_components": row["n_components"], "covariance_type": row["covariance_type"]}

    @property
    def range_edge(self) -> str | None:
        """'largest' or 'smallest' when the best ``n_components`` is the largest searched, or
        the smallest searched above 1 (a wider range may then find a better model); None
        otherwise, or when only one value was searched."""
        ks = sorted({row["n_components"] for row in self.rows})
        best = self.rows[self.best_index_]["n_components"]
        if len(ks) < 2:
            return None
        if best == ks[-1]:
            return "largest"
        if best == ks[0] and best > 1:
            return "smallest"
        return None

    @property
    def unconverged(self) -> list[tuple[int, str]]:
        """``(n_components, covariance_type)`` of the fitted configurations whose EM stopped
        at ``max_iter`` before converging."""
        return [
            (row["n_components"], row["covariance_type"])
            for row in self.rows
            if row["error"] is None and np.isfinite(row["bic"]) and not row["converged"]
        ]

    def range_edge_advice(self) -> tuple[dict, str, str] | None:
        """``(best row, searched range 'A..B', 'larger' or 'smaller')`` when the best
        configuration is at an edge of the range (see :attr:`range_edge`), else None."""
        edge = self.range_edge
        if edge is None:
            return None
        ks = sorted({row["n_components"] for row in self.rows})
        return (
            self.rows[self.best_index_],
            f"{ks[0]}..{ks[-1]}",
            "larger" if edge == "largest" else "smaller",
        )

    def warn_about_range_and_convergence(self) -> None:
        """Warn once when the best model sits at the edge of the searched range
        (:class:`SelectionRangeWarning`) and once naming the configurations that did not
        converge (``ConvergenceWarning``)."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        from ..mixture import _user_stacklevel

        advice = self.range_edge_advice()
        if advice is not None:
            best, searched, wider = advice
            warnings.warn(
                f"the best configuration by {self.criterion} ({best['covariance_type']}, "
                f"n_components={best['n_components']}) is the {self.range_edge} n_components "
                f"searched ({searched}): a range with {wider} values may find a better model",
                SelectionRangeWarning,
                stacklevel=_user_stacklevel(),
            )
        unconverged = self.unconverged
        if unconverged:
            names = ", ".join(f"{kind} k={k}" for k, kind in unconverged)
            warnings.warn(
                f"{len(unconverged)} of {len(self.rows)} configurations did not converge "
                f"within max_iter ({names}); their scores are those of the last iterate "
                "(the table's converged column); consider a larger max_iter",
                ConvergenceWarning,
                stacklevel=_user_stacklevel(),
            )

    def records(self) -> list[dict]:
        """The table as a list of dicts (a copy), whether or not pandas is installed."""
        return [dict(row) for row in self.rows]

    def to_mclust(self, criterion: str = "bic"):
        """The sweep as mclust tabulates its BIC: one row per number of components, one
        column per model (mclust's names where the model has one: ``full`` is ``VVV``), the
        values in mclust's convention :math:`2\\log L - p\\log n` (higher is better, the
        negated scikit-learn value), NaN (mclust's NA) for a failed or ill-posed fit.

        Parameters
        ----------
        criterion : {'bic', 'icl'}, default='bic'

        Returns
        -------
        pandas.DataFrame, or dict of str to list of float
            Indexed by ``n_components``; without pandas, ``{model: values}`` plus
            ``"n_components"``.
        """
        if criterion not in ("bic", "icl"):
            raise ValueError(f"criterion must be 'bic' or 'icl', got {criterion!r}")
        from .._mclust_plots import bic_table

        ks, table = bic_table(self, criterion)
        try:
            import pandas as pd
        except ImportError:
            return {"n_components": ks, **table}
        return pd.DataFrame(table, index=pd.Index(ks, name="n_components"))


def new_row(k: int, covariance_type: str, start: str) -> dict:
    """A row of the table with every score missing (NaN), as a failed fit leaves it."""
    row = {"n_components": k, "covariance_type": covariance_type}
    row.update(empty_scores(), start=start)
    return row


def empty_scores() -> dict:
    return {
        "bic": np.nan,
        "aic": np.nan,
        "icl": np.nan,
        "log_likelihood": np.nan,
        "n_parameters": np.nan,
        "converged": False,
        "n_iter": 0,
        "fit_seconds": np.nan,
        "silhouette": np.nan,
        "cv_mean": np.nan,
        "cv_std": np.nan,
        "start": None,
        "error": None,
        "ill_posed": False,
        "ill_posed_reason": None,
    }


def fit_columns(model: GaussianMixture) -> dict:
    """The columns of a row that describe its fitted ``model`` itself."""
    return {
        "n_parameters": int(model.n_parameters_),
        "converged": bool(model.converged_),
        "n_iter": int(model.n_iter_),
        "ill_posed": model.ill_posed_ is not None,
        "ill_posed_reason": model.ill_posed_,
    }


def eligible(row: dict, criterion: str) -> bool:
    """Whether ``criterion`` may choose the configuration of ``row``: it has a value, and the
    fit is not ill-posed."""
    return bool(np.isfinite(row[CRITERIA[criterion].column])) and not row["ill_posed"]


def error_text(exc: BaseException) -> str:
    """``exc`` as the ``error`` column says it: its type and its message on one line."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def rank(criterion: str, covariance_types: list[str], row: dict) -> tuple:
    """Sort key of a row for ``criterion``: best first, ties broken by table order (covariance
    type, then ``k``), the same order :func:`best_index` uses."""
    value = row[CRITERIA[criterion].column]
    return (
        -value if CRITERIA[criterion].higher_is_better else value,
        covariance_types.index(row["covariance_type"]),
        row["n_components"],
    )


def best_index(rows: list[dict], criterion: str) -> int:
    """The row of the table (in table order) that ``criterion`` ranks first among the
    :func:`eligible` ones.

    Raises
    ------
    ValueError
        When no row is eligible, naming why: the errors, or the fits' ill-posedness.
    """
    column = CRITERIA[criterion].column
    values = np.array([row[column] for row in rows], dtype=float)
    if not np.isfinite(values).any():
        reasons = sorted({row["error"] for row in rows if row["error"]})
        raise ValueError(f"no configuration could be scored by {criterion!r}; reasons: {reasons}")
    ok = np.array([eligible(row, criterion) for row in rows])
    if not ok.any():
        example = next(row for row in rows if row["ill_posed"])
        raise AllIllPosedError(
            f"every configuration scored by {criterion!r} is ill-posed (e.g. "
            f"{example['covariance_type']} k={example['n_components']}: "
            f"{example['ill_posed_reason']}); use fewer components, a more constrained "
            f"covariance type or more data"
        )
    values[~ok] = -np.inf if CRITERIA[criterion].higher_is_better else np.inf
    return int(np.argmax(values) if CRITERIA[criterion].higher_is_better else np.argmin(values))


def _as_table(rows):
    try:
        import pandas as pd
    except ImportError:
        return [dict(row) for row in rows]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
