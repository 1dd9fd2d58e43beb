"""What a sweep is asked to do (:class:`SweepSettings`) and what it will do on the given data
(:class:`Plan`): the checks of the arguments that depend on the data.

The constraints on each argument alone (types, ranges, names) are in :mod:`gmmkit._validation`
and are checked before anything here runs.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, check_cv
from sklearn.utils.validation import check_array

from .._config import Options
from .._core.covariances import swept_covariance_types
from .._core.prior import models_with_prior
from .._validation import reject_masked
from ..mixture import _check_sample_weight
from ..standardizing import Standardization, standardization
from .silhouette import silhouette_rows


@dataclass(frozen=True)
class SweepSettings:
    """The arguments of one sweep, as :func:`gmmkit.select` and
    :class:`gmmkit.GaussianMixtureSelector` take them (see :func:`gmmkit.select`), all but the
    data: built once per call and passed down whole."""

    n_components: object = range(1, 10)
    covariance_type: object = "sklearn"
    criterion: str = "bic"
    cv: object = None
    n_init: int = 1
    init_params: str = "hc+kmeans"
    random_state: object = None
    n_jobs: int | None = None
    tol: float = 1e-4
    reg_covar: float = 1e-6
    max_iter: int = 100
    silhouette_samples: int | None = 2000
    progress: bool = False
    accelerate: bool = False
    warm_start: bool = False
    standardize: bool = False
    prior: object = None

    def as_params(self) -> dict:
        """Name to value of every setting, the values themselves (not copies, as
        :func:`dataclasses.asdict` would make: a ``RandomState`` must be the caller's)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


@dataclass
class Plan:
    """A sweep's data and everything derived from it and the settings before any fit."""

    X: np.ndarray
    weight: np.ndarray | None
    ks: list[int]
    covariance_types: list[str]
    #: ``(train, test)`` row indices of each cross-validation fold, split once (None: no CV)
    folds: list[tuple[np.ndarray, np.ndarray]] | None
    seed: int
    #: the rows of the silhouette subsample (None: no silhouette)
    silhouette_rows: np.ndarray | None
    #: the configuration of the call, read once and handed to every worker and fit
    options: Options
    #: whether the initialisations are hard labels (every method but 'random')
    init_is_labels: bool = True
    #: the mean and scale ``X`` was standardized with (None: ``X`` is the caller's data)
    standardized: Standardization | None = None

    @property
    def total_weight(self) -> float:
        """The number of rows, or the sum of their weights."""
        return float(self.X.shape[0] if self.weight is None else self.weight.sum())

    def weights_of(self, rows):
        """The sample weights of ``rows`` (None when unweighted)."""
        return None if self.weight is None else self.weight[rows]


def make_plan(X, settings: SweepSettings, sample_weight, options: Options) -> Plan:
    """Check the data (standardized when ``settings.standardize``) and the arguments that
    depend on it; raises ``ValueError`` before any
    fit for a value of ``n_components`` above ``n_samples``, a criterion without what it
    needs, or more folds than samples."""
    reject_masked(X)
    X = check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=2, order="C")
    n_samples = X.shape[0]
    ks = _check_components(settings.n_components, n_samples)
    types = _check_covariance_types(settings.covariance_type, settings.prior)
    if settings.criterion == "cv" and settings.cv is None:
        raise ValueError("criterion='cv' needs cv (a number of folds or a splitter)")
    if settings.silhouette_samples is None and settings.criterion == "silhouette":
        raise ValueError("criterion='silhouette' needs silhouette_samples (got None)")
    splitter = _check_cv(settings.cv, n_samples, settings.random_state)
    weight = _check_sample_weight(sample_weight, n_samples)
    standardized = standardization(X, weight) if settings.standardize else None
    if standardized is not None:
        X = standardized.transform(X)
    seed = _base_seed(settings.random_state)
    rows = (
        None
        if settings.silhouette_samples is None
        else silhouette_rows(n_samples, int(settings.silhouette_samples), seed)
    )
    # split once: every k and every covariance type use the same folds (and their features)
    folds = None if splitter is None else list(splitter.split(X))
    return Plan(
        X,
        weight,
        ks,
        types,
        folds,
        seed,
        rows,
        options,
        init_is_labels=settings.init_params != "random",
        standardized=standardized,
    )


def _check_components(n_components, n_samples) -> list[int]:
    """The sorted distinct values of ``n_components`` (an int or a list of them, as the
    constraints checked), each at most ``n_samples``."""
    values = [n_components] if isinstance(n_components, numbers.Integral) else list(n_components)
    too_many = [int(v) for v in values if v > n_samples]
    if too_many:
        raise ValueError(
            f"n_components {too_many} exceed n_samples={n_samples}: a mixture needs at least "
            "one sample per component"
        )
    return sorted({int(v) for v in values})


def _check_covariance_types(covariance_type, prior=None) -> list[str]:
    """The distinct covariance types, in order, of a valid ``covariance_type`` ('all',
    'sklearn', a name, or a list of names). With a ``prior``, 'all' and 'sklearn' keep the
    models that have one (as mclust's ``Mclust(prior=)`` sweeps only those), and a named
    model without one is a ValueError before any fit."""
    types = swept_covariance_types(covariance_type)
    if prior is None:
        return types
    with_prior = models_with_prior()
    if isinstance(covariance_type, str) and len(types) > 1:
        return [name for name in types if name in with_prior]
    missing = [name for name in types if name not in with_prior]
    if missing:
        raise ValueError(
            f"prior={prior!r}: covariance_type {missing} has no conjugate prior "
            f"(mclust has none for these models either); sweep models that have "
            f"one: {list(with_prior)}"
        )
    return types


def _check_cv(cv, n_samples, random_state):
    if cv is None:
        return None
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv > n_samples:
            raise ValueError(f"cv={cv} folds exceed n_samples={n_samples}")
        return KFold(int(cv), shuffle=True, random_state=_base_seed(random_state))
    return check_cv(cv)


def _base_seed(random_state) -> int:
    """An int seed from ``random_state`` (drawn once from it when it is a generator or None)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    rng = random_state if isinstance(random_state, np.random.RandomState) else None
    if rng is None:
        rng = np.random.RandomState()
    return int(rng.randint(np.iinfo(np.int32).max))
