"""Parameter constraints of every public estimator and of :func:`gmmkit.select`.

One constraint per parameter name, in scikit-learn's form (:mod:`sklearn.utils._param_validation`),
shared by every estimator that has the parameter: the same bad value gets the same
:class:`~sklearn.utils._param_validation.InvalidParameterError` (a ``ValueError`` and a
``TypeError``) with the same message everywhere, "The 'tol' parameter of GaussianMixture must be a
float in the range [0.0, inf). Got -1 instead.", the message scikit-learn's own estimators give.
Estimators list theirs in ``_parameter_constraints`` and check them with
``BaseEstimator._validate_params`` at the start of ``fit``; ``select`` checks its arguments with
:func:`validate_params` before it fits anything.

Where scikit-learn has its own message for a mistake that is not a constructor parameter
(``sample(n_samples=0)``, the shapes of ``weights_init`` and ``means_init``), the checks here use
its wording, so code and tests written against ``sklearn.mixture.GaussianMixture`` keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    _Constraint,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_array
from sklearn.utils.validation import validate_data as _sklearn_validate_data

from ._core import covariances, init
from ._core.prior import ConjugatePrior

__all__ = [
    "InvalidParameterError",
    "check_means",
    "check_n_samples",
    "check_weights",
    "parameter_constraints",
    "reject_masked",
    "reject_text_columns",
    "validate_data",
    "validate_params",
]


# ---------------------------------------------------------------------- constraint types
class _NumbersNotBool(Interval):
    """scikit-learn's :class:`Interval` that also refuses ``True`` and ``False`` (a bool is an
    ``Integral``, so ``Interval`` takes ``n_components=True`` as 1); same message."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class Choices(StrOptions):
    """scikit-learn's :class:`StrOptions` with the choices read at every check, from a sequence
    or a zero-argument callable returning one (a registry that can grow after import), and
    listed in their order in the message (``StrOptions`` lists a set in hash order).

    A subclass of ``StrOptions``, not of ``_Constraint``: ``make_constraint`` accepts only its
    own constraint classes.
    """

    def __init__(self, choices, *, extra=()):
        _Constraint.__init__(self)
        self.type = str
        self.deprecated = set()
        self._choices = choices
        self._extra = tuple(extra)

    @property
    def options(self) -> dict:
        choices = self._choices() if callable(self._choices) else self._choices
        return dict.fromkeys([*self._extra, *choices])


class ListsOf(Options):
    """A non-empty list (tuple, range, array...) whose every item satisfies ``item``; a string
    is not a list, and an iterator is refused, since checking one would consume it.

    A subclass of ``Options`` for the reason given in :class:`Choices`.
    """

    def __init__(self, item):
        _Constraint.__init__(self)
        self.type = Iterable
        self.deprecated = set()
        self.item = item

    @property
    def options(self):
        return getattr(self.item, "options", ())

    def is_satisfied_by(self, val):
        if isinstance(val, (str, Iterator)) or not isinstance(val, Iterable):
            return False
        values = list(val)
        return bool(values) and all(self.item.is_satisfied_by(value) for value in values)

    def __str__(self):
        return f"a non-empty list (each item {self.item})"


def _ints(left):
    return _NumbersNotBool(Integral, left, None, closed="left")


def _non_negative_reals():
    return _NumbersNotBool(Real, 0.0, None, closed="left")


#: Any registered covariance model, read from the registry at every check (it can grow).
COVARIANCE_TYPE = Choices(covariances.covariance_types)
CRITERION = Choices(("bic", "aic", "icl"))

# ---------------------------------------------------------------------- shared constraints
#: One constraint list per parameter name; an estimator whose parameter takes more (such as
#: ``n_components='auto'``) adds to the shared list and never replaces it.
PARAMETERS: dict[str, list[Any] | str] = {
    "n_components": [_ints(1)],
    "covariance_type": [COVARIANCE_TYPE],
    "tol": [_non_negative_reals()],
    "reg_covar": [_non_negative_reals()],
    "max_iter": [_ints(0)],
    "n_init": [_ints(1)],
    "init_params": [Choices(lambda: init.INIT_METHODS)],
    "weights_init": ["array-like", None],
    "means_init": ["array-like", None],
    "precisions_init": ["array-like", None],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "verbose_interval": [_ints(1)],
    "accelerate": ["boolean"],
    "criterion": [CRITERION],
    "max_components": [_ints(1)],
    "mapping": [Choices(("soft", "majority", "hungarian"))],
    "smoothing": [_non_negative_reals()],
    "unlabeled": "no_validation",  # any label
    "priors": [Choices(("empirical", "uniform")), "array-like", dict],
    "n_latent": [_ints(1), _NumbersNotBool(RealNotInt, 0.0, 1.0, closed="neither")],
    "whiten": ["boolean"],
    "clip": ["boolean"],
    "class_conditional": ["boolean", Choices(("per_class", "component_map"))],
    "cv": ["cv_object"],
    "n_jobs": [Integral, None],
    "silhouette_samples": [_ints(2), None],
    "progress": ["boolean"],
    "standardize": ["boolean"],
    "prior": [None, StrOptions({"default"}), ConjugatePrior],
    "n_bootstrap": [_ints(1)],
    "level": [_NumbersNotBool(RealNotInt, 0.0, 1.0, closed="neither")],
    "mode": [Choices(("mixture", "edda"))],
}

#: The parameters passed on to every mixture a classifier, generator or regressor fits.
_MIXTURE = (
    "covariance_type",
    "tol",
    "reg_covar",
    "max_iter",
    "n_init",
    "init_params",
    "random_state",
)
_SELECTION = (
    "n_components",
    "covariance_type",
    "criterion",
    "cv",
    "n_init",
    "init_params",
    "random_state",
    "n_jobs",
    "tol",
    "reg_covar",
    "max_iter",
    "silhouette_samples",
    "progress",
    "accelerate",
    "warm_start",
    "standardize",
    "prior",
)
_AUTO = StrOptions({"auto"})
_SELECTION_EXTRA: dict[str, list[Any]] = {
    "n_components": [ListsOf(PARAMETERS["n_components"][0])],
    "covariance_type": [Choices(covariances.SWEEPS), ListsOf(COVARIANCE_TYPE)],
    "criterion": [Choices(("cv", "silhouette"))],
    "init_params": [Choices(("hc+kmeans",))],
}
#: Every public estimator's parameters (and those of ``select`` and ``bootstrap_lrt``, but
#: for the data ``X`` and ``sample_weight``), with what each takes beyond the shared
#: constraint.
ESTIMATORS: dict[str, tuple[tuple, dict]] = {
    "GaussianMixture": (
        (
            "n_components",
            *_MIXTURE,
            "weights_init",
            "means_init",
            "precisions_init",
            "warm_start",
            "verbose",
            "verbose_interval",
            "accelerate",
            "prior",
        ),
        {},
    ),
    "MixtureClassifier": (
        (
            "n_components",
            "mode",
            "priors",
            "criterion",
            "max_components",
            *_MIXTURE,
            "standardize",
            "prior",
            "unlabeled",
        ),
        {
            "n_components": [_AUTO, dict],
            "covariance_type": [*_SELECTION_EXTRA["covariance_type"], dict],
            "init_params": _SELECTION_EXTRA["init_params"],
        },
    ),
    "ComponentClassifier": (
        (
            "n_components",
            "mapping",
            "smoothing",
            "unlabeled",
            "criterion",
            "max_components",
            *_MIXTURE,
        ),
        {"n_components": [_AUTO]},
    ),
    "LatentMixture": (
        (
            "n_components",
            "n_latent",
            "whiten",
            "clip",
            "class_conditional",
            "mapping",
            "smoothing",
            "criterion",
            "max_components",
            *_MIXTURE,
        ),
        {"n_components": [_AUTO]},
    ),
    "GaussianMixtureRegressor": (("n_components", *_MIXTURE), {}),
    "GaussianMixtureSelector": (_SELECTION, _SELECTION_EXTRA),
    "select": (_SELECTION, _SELECTION_EXTRA),
    "bootstrap_lrt": (
        (
            "covariance_type",
            "max_components",
            "n_bootstrap",
            "level",
            "random_state",
            "n_jobs",
            "n_init",
            "tol",
            "reg_covar",
            "max_iter",
        ),
        {},
    ),
}


def parameter_constraints(estimator: str) -> dict:
    """The ``_parameter_constraints`` of ``estimator`` (a class name, or ``"select"``): for
    each of its parameters the shared constraint, then what this estimator adds."""
    names, extra = ESTIMATORS[estimator]
    return {
        name: (
            PARAMETERS[name]
            if PARAMETERS[name] == "no_validation"
            else [*PARAMETERS[name], *extra.get(name, ())]
        )
        for name in names
    }


def validate_params(caller_name: str, params: dict) -> None:
    """Check ``params`` of ``caller_name`` (a key of :data:`ESTIMATORS`) against its
    constraints, as ``BaseEstimator._validate_params`` does for an estimator: an
    :class:`InvalidParameterError` names the first bad parameter, its value and what it must
    be."""
    validate_parameter_constraints(
        parameter_constraints(caller_name), params, caller_name=caller_name
    )


# ---------------------------------------------------------------------- scikit-learn's wording
def check_n_samples(n_samples, caller_name: str) -> None:
    """``sample``'s number of rows: an int >= 1. One below 1 gets scikit-learn's message (with
    the value of ``n_samples``, where scikit-learn's shows ``n_components`` by mistake)."""
    if (
        isinstance(n_samples, Integral)
        and not isinstance(n_samples, (bool, np.bool_))
        and n_samples < 1
    ):
        raise InvalidParameterError(
            f"Invalid value for 'n_samples': {int(n_samples)} . The sampling requires at least "
            "one sample."
        )
    validate_parameter_constraints(
        {"n_samples": [_ints(1)]}, {"n_samples": n_samples}, caller_name=caller_name
    )


def _check_shape(array, shape, name):
    if array.shape != shape:
        raise ValueError(
            f"The parameter '{name}' should have the shape of {shape}, but got {array.shape}"
        )


def check_weights(weights, n_components) -> np.ndarray:
    """``weights_init`` as float64 ``(n_components,)``, in [0, 1] and summing to 1, with
    scikit-learn's messages (its range message swaps the max and min values; these don't)."""
    weights = check_array(weights, dtype=np.float64, ensure_2d=False, input_name="weights_init")
    _check_shape(weights, (n_components,), "weights")
    if (weights < 0.0).any() or (weights > 1.0).any():
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max value "
            f"{weights.max():.5f}, min value {weights.min():.5f}"
        )
    if not np.isclose(weights.sum(), 1.0):
        raise ValueError(
            "The parameter 'weights' should be normalized, but got sum(weights) = "
            f"{weights.sum():.5f}"
        )
    return weights


def check_means(means, n_components, n_features) -> np.ndarray:
    """``means_init`` as float64 ``(n_components, n_features)``, with scikit-learn's message."""
    means = check_array(means, dtype=np.float64, ensure_2d=False, input_name="means_init")
    _check_shape(means, (n_components, n_features), "means")
    return means


# ---------------------------------------------------------------------- data
def reject_masked(array, name: str = "X") -> None:
    """Refuse a NumPy masked array with masked entries: converting it to an array (what
    scikit-learn's checks do) silently drops the mask, so a masked 1e6 would still pull a
    component to 1e6. gmmkit does not handle missing values."""
    if isinstance(array, np.ma.MaskedArray):
        masked = int(np.count_nonzero(np.ma.getmaskarray(array)))
        if masked:
            raise ValueError(
                f"{name} is a masked array with {masked} masked entries; gmmkit does not handle "
                "missing values: drop or fill them first (for example with "
                f"{name}.filled(value), or by keeping only the rows without masked entries)"
            )


def reject_text_columns(frame, name: str = "X") -> None:
    """Refuse a DataFrame with a column that does not hold numbers (``category``, ``object``,
    string, datetime dtypes), naming the columns: scikit-learn converts a category of numbers
    to its values without a word, and its message for text does not say which column it is."""
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is None or not hasattr(frame, "columns") or not hasattr(dtypes, "items"):
        return
    bad = [
        f"{column!r} ({dtype})"
        for column, dtype in dtypes.items()
        if getattr(dtype, "kind", "O") not in "biuf"
    ]
    if bad:
        shown = ", ".join(bad[:12]) + (f", ... ({len(bad)} in all)" if len(bad) > 12 else "")
        raise ValueError(
            f"{name} has {'a column' if len(bad) == 1 else 'columns'} that "
            f"{'does' if len(bad) == 1 else 'do'} not hold numbers: {shown}; gmmkit fits "
            f"numeric features only: drop {'it' if len(bad) == 1 else 'them'} (for example "
            f"{name}.select_dtypes('number')) or encode {'it' if len(bad) == 1 else 'them'} "
            "as numbers first"
        )


def validate_data(estimator, X="no_validation", y="no_validation", **check_params):
    """scikit-learn's ``validate_data``, refusing masked arrays (:func:`reject_masked`) and
    DataFrames with non-numeric columns (:func:`reject_text_columns`) first."""
    if not isinstance(X, str):
        reject_masked(X, "X")
        reject_text_columns(X, "X")
    if not isinstance(y, str):
        reject_masked(y, "y")
    return _sklearn_validate_data(estimator, X, y, **check_params)
