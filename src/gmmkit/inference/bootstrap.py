r"""Bootstrap standard errors and percentile intervals for the parameters of a fitted mixture
(mclust's ``MclustBootstrap``).

Every replicate draws a new data set of the same size from one of three schemes, refits the
same model to it (same ``n_components``, ``covariance_type``, ``reg_covar``, ``prior``,
``max_iter``; a tolerance at least as tight as :data:`REFIT_TOL`) starting from the fitted
parameters, and relabels its components to match the original fit. The spread of the
aligned replicates estimates the sampling variability of :math:`\hat\pi_k`, :math:`\hat\mu_k`
and :math:`\hat\Sigma_k`:

* ``"nonparametric"``: :math:`n` rows of ``X`` drawn with replacement (Efron's bootstrap);
* ``"weighted"``: every row of ``X`` kept, with a random weight
  :math:`w_i = n\,e_i / \sum_j e_j`, :math:`e_i \sim \mathrm{Exp}(1)`, a flat Dirichlet
  scaled to sum to :math:`n` (Newton & Raftery's weighted likelihood bootstrap). mclust
  draws the same Gamma(1) variates and divides by their maximum; the maximum-likelihood
  estimate does not depend on the weights' scale, and a total of :math:`n` keeps the
  prior's strength and the posedness counts of :attr:`GaussianMixture.ill_posed_` those of
  the original fit;
* ``"parametric"``: :math:`n` rows drawn from the fitted mixture.

Label switching
---------------
A replicate's component :math:`j` is matched to the original component :math:`k` by the
permutation :math:`\sigma` maximising :math:`\sum_k A_{k\sigma(k)}`, where

.. math:: A_{kj} = \sum_i \hat r_{ik}\, r^{(b)}_{ij}

is the expected number of rows of ``X`` that the original fit assigns to :math:`k` and the
replicate to :math:`j` (responsibilities :math:`\hat r` and :math:`r^{(b)}`), solved exactly by
:func:`scipy.optimize.linear_sum_assignment`. This posterior overlap compares components
through everything that tells them apart to a user, weights, means and covariances at once,
in no particular units: a distance between means alone cannot separate components that share a
centre and differ in spread, and a distance in parameter space would need a choice of how to
weigh means against covariances.

Reproducibility
---------------
One independent seed per replicate is spawned up front from ``random_state``
(:meth:`numpy.random.SeedSequence.spawn`), the replicates are collected in order and BLAS is
held to one thread throughout, so the result is the same for any ``n_jobs``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._config import Options, current_options, using_options
from .._core.covariances import DegenerateComponentWarning, covariance_model
from .._core.threads import one_blas_thread, one_openmp_thread
from .._validation import validate_data
from ..mixture import GaussianMixture, mixture_rows
from ._seeds import seed_sequence

__all__ = [
    "KINDS",
    "REFIT_TOL",
    "BootstrapResult",
    "BootstrapWarning",
    "align_components",
    "bootstrap",
]

#: The resampling schemes, as ``kind`` names them.
KINDS = ("nonparametric", "weighted", "parametric")
#: The loosest EM tolerance of a refit by default: EM starts each refit at the original fit,
#: so a loose tolerance stops it near there and shrinks the spread (scikit-learn's default
#: 1e-3 understates the standard errors of two overlapping components about threefold).
REFIT_TOL = 1e-6
#: What :meth:`BootstrapResult.plot` can draw.
PLOTTED = ("weights", "means", "variances")


class BootstrapWarning(UserWarning):
    """Some bootstrap replicates failed or were ill-posed and were dropped."""


@dataclass
class BootstrapResult:
    r"""The aligned replicates of :func:`bootstrap` and what they say about the fit.

    Attributes
    ----------
    weights_ : ndarray of shape (n_replicates, n_components)
    means_ : ndarray of shape (n_replicates, n_components, n_features)
    covariances_ : ndarray of shape (n_replicates, n_components, n_features, n_features)
        The parameters of every kept replicate, components in the order of the original fit;
        covariances as full matrices whatever the covariance structure.
    weights, means, covariances : ndarray
        The original fit's parameters in the same shapes, without the replicate axis.
    kind : str
        The resampling scheme, one of :data:`KINDS`.
    n_bootstrap : int
        Replicates asked for; ``n_replicates`` of them were kept.
    n_failed : int
        Replicates dropped because their refit raised or came out ill-posed.
    failures : dict of str to int
        Why they were dropped (the first line of the error, or the ill-posedness reason) and
        how many times.
    n_unconverged : int
        Kept replicates whose EM stopped at ``max_iter`` before converging.
    covariance_type : str
    feature_names : list of str
    """

    weights_: np.ndarray
    means_: np.ndarray
    covariances_: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    kind: str
    n_bootstrap: int
    covariance_type: str
    feature_names: list
    n_failed: int = 0
    failures: dict = field(default_factory=dict)
    n_unconverged: int = 0

    @property
    def n_replicates(self) -> int:
        """Number of replicates kept."""
        return self.weights_.shape[0]

    def _arrays(self) -> dict:
        return {"weights": self.weights_, "means": self.means_, "covariances": self.covariances_}

    def standard_errors(self) -> dict:
        r"""Bootstrap standard errors: the standard deviation of every parameter over the
        replicates, :math:`\sqrt{\sum_b (\theta_b - \bar\theta)^2 / (B - 1)}` (as mclust's
        ``summary(..., what = "se")``).

        Returns
        -------
        dict
            ``"weights"`` ``(K,)``, ``"means"`` ``(K, d)``, ``"covariances"`` ``(K, d, d)``;
            NaN with fewer than two replicates.
        """
        if self.n_replicates < 2:
            return {
                name: np.full(array.shape[1:], np.nan) for name, array in self._arrays().items()
            }
        return {name: array.std(axis=0, ddof=1) for name, array in self._arrays().items()}

    def intervals(self, level: float = 0.95) -> dict:
        r"""Percentile intervals: the :math:`(1 - \ell)/2` and :math:`(1 + \ell)/2` quantiles
        of every parameter over the replicates (linear interpolation, R's default type 7, as
        mclust's ``summary(..., what = "ci")``).

        Parameters
        ----------
        level : float, default=0.95
            Coverage :math:`\ell`, strictly between 0 and 1.

        Returns
        -------
        dict of str to (ndarray, ndarray)
            ``(lower, upper)`` for ``"weights"`` ``(K,)``, ``"means"`` ``(K, d)`` and
            ``"covariances"`` ``(K, d, d)``.
        """
        level = _check_level(level)
        probabilities = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
        out = {}
        for name, array in self._arrays().items():
            lower, upper = np.quantile(array, probabilities, axis=0)
            out[name] = (lower, upper)
        return out

    def averages(self) -> dict:
        """The mean of every parameter over the replicates, in the shapes of
        :meth:`standard_errors`."""
        return {name: array.mean(axis=0) for name, array in self._arrays().items()}

    def summary(self, level: float = 0.95) -> str:
        """A table of every weight, mean, variance and covariance: fitted value, standard
        error and percentile interval at ``level``."""
        level = _check_level(level)
        errors, bounds = self.standard_errors(), self.intervals(level)
        K, d = self.means.shape
        percent = [f"{100 * (1 - level) / 2:g}%", f"{100 * (1 + level) / 2:g}%"]
        header = f"{'parameter':<28} {'fitted':>11} {'SE':>11} {percent[0]:>11} {percent[1]:>11}"
        names = self.feature_names

        def row(label, name, index):
            values = (
                getattr(self, name)[index],
                errors[name][index],
                bounds[name][0][index],
                bounds[name][1][index],
            )
            return f"{label:<28} " + " ".join(f"{value:>11.5g}" for value in values)

        lines = [
            (
                f"{self.kind} bootstrap of a {K}-component {self.covariance_type} mixture over "
                f"{d} feature{'s' if d != 1 else ''}"
            ),
            f"replicates: {self.n_replicates} kept of {self.n_bootstrap}"
            + (f"; {self.n_failed} dropped ({_reasons(self.failures)})" if self.n_failed else "")
            + (f"; {self.n_unconverged} did not converge" if self.n_unconverged else ""),
            "",
            "weights",
            header,
        ]
        lines += [row(f"component {k}", "weights", (k,)) for k in range(K)]
        lines += ["", "means", header]
        lines += [
            row(f"component {k}: {names[j]}", "means", (k, j)) for k in range(K) for j in range(d)
        ]
        lines += ["", "covariances", header]
        lines += [
            row(f"component {k}: {_entry(names, j, i)}", "covariances", (k, j, i))
            for k in range(K)
            for j in range(d)
            for i in range(j + 1)
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, what: str = "means", ax=None, level: float = 0.95):
        """Histograms of the bootstrap distributions, one panel per parameter, with the
        fitted value (dashed) and the percentile interval at ``level`` (a bar under the
        histogram), as mclust's ``plot.MclustBootstrap``.

        Parameters
        ----------
        what : {'weights', 'means', 'variances'}, default='means'
            The parameters drawn: one panel per component for the weights; one per component
            (columns) and feature (rows) for the means and the variances (the diagonals of
            the covariances).
        ax : matplotlib Axes or array-like of Axes, default=None
            The panels to draw on, as many as there are parameters (in row-major order); a
            new Figure when None.
        level : float, default=0.95

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting import _require_matplotlib

        if what not in PLOTTED:
            raise ValueError(f"what must be one of {list(PLOTTED)}, got {what!r}")
        level = _check_level(level)
        _require_matplotlib()
        K, d = self.means.shape
        values, fitted, (lower, upper), labels = self._panels(what, level)
        n_rows, n_cols = (1, K) if what == "weights" else (d, K)
        if ax is None:
            from matplotlib.figure import Figure

            figure = Figure(figsize=(2.6 * n_cols + 0.6, 2.1 * n_rows + 0.4), layout="constrained")
            axes = np.atleast_1d(figure.subplots(n_rows, n_cols, squeeze=False)).ravel()
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if axes.size != len(labels):
                raise ValueError(
                    f"ax must hold {len(labels)} Axes for what={what!r}, one per "
                    f"parameter, got {axes.size}"
                )
            figure = axes[0].figure
        for panel, series, value, low, high, label in zip(
            axes, values, fitted, lower, upper, labels
        ):
            panel.hist(series, bins="auto", color="0.75", edgecolor="0.9")
            panel.axvline(value, color="forestgreen", linestyle="--", linewidth=1.5, label="fitted")
            bottom = -0.04 * panel.get_ylim()[1]
            panel.plot(
                [low, high],
                [bottom, bottom],
                color="forestgreen",
                linewidth=3,
                solid_capstyle="butt",
                label=f"{100 * level:g}% interval",
            )
            panel.set_xlabel(label)
            panel.set_yticks([])
        axes[0].legend(loc="best", fontsize="small")
        figure.suptitle(f"{self.kind} bootstrap, {self.n_replicates} replicates")
        return figure

    def _panels(self, what, level):
        """Per panel, in row-major order (features down, components across): the replicate
        values, the fitted value, the interval and the axis label."""
        bounds = self.intervals(level)
        K, d = self.means.shape
        if what == "weights":
            return (
                self.weights_.T,
                self.weights,
                bounds["weights"],
                [f"weight of component {k}" for k in range(K)],
            )
        names = self.feature_names
        if what == "means":
            series, fitted = self.means_, self.means
            lower, upper = bounds["means"]
        else:
            series = np.diagonal(self.covariances_, axis1=2, axis2=3)
            fitted = np.diagonal(self.covariances, axis1=1, axis2=2)
            lower, upper = (np.diagonal(bound, axis1=1, axis2=2) for bound in bounds["covariances"])
        word = "mean" if what == "means" else "variance"
        # (B, K, d) -> one row per panel, ordered by feature, then component
        series = np.transpose(series, (2, 1, 0)).reshape(d * K, -1)
        return (
            series,
            fitted.T.ravel(),
            (lower.T.ravel(), upper.T.ravel()),
            [f"{word} of {names[j]}, component {k}" for j in range(d) for k in range(K)],
        )


def bootstrap(
    model, X, n_bootstrap=999, *, kind="nonparametric", random_state=None, n_jobs=None, tol=None
) -> BootstrapResult:
    r"""Bootstrap the weights, means and covariances of a fitted Gaussian mixture.

    Each of ``n_bootstrap`` replicates resamples the data by ``kind`` (see
    :mod:`gmmkit.inference.bootstrap`), refits ``model``'s configuration from its fitted
    parameters and aligns the components to the original fit by their posterior overlap on
    ``X``. Replicates whose refit raised or came out ill-posed
    (:attr:`GaussianMixture.ill_posed_`) are dropped, with a :class:`BootstrapWarning`
    saying how many.

    Every refit has ``model``'s settings (``n_components``, ``covariance_type``,
    ``reg_covar``, ``prior``, ``max_iter``, ...) but its tolerance ``tol``: EM starts it at
    the original fit, so a loose tolerance on slowly converging data would stop it there and
    understate the spread. Replicates that reach ``max_iter`` are kept and counted
    (``n_unconverged``). For fitted values that are themselves converged, fit ``model`` with
    a ``tol`` as tight.

    Parameters
    ----------
    model : GaussianMixture
        Fitted, with any registered ``covariance_type``.
    X : array-like of shape (n_samples, n_features)
        The data ``model`` was fitted on (``n_features_in_`` columns). The parametric
        bootstrap uses only its number of rows and, for the alignment, the rows themselves.
    n_bootstrap : int, default=999
        Number of replicates, at least 1 (mclust's default).
    kind : {'nonparametric', 'weighted', 'parametric'}, default='nonparametric'
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the replicates: one child of a :class:`numpy.random.SeedSequence` each. None
        draws fresh entropy.
    n_jobs : int or None, default=None
        Worker threads for the replicates (``-1``: all cores, as in joblib); the result does
        not depend on it.
    tol : float or None, default=None
        EM tolerance of the refits (change of the mean log-likelihood per sample); None
        takes the tighter of ``model.tol`` and :data:`REFIT_TOL` (1e-6).

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> import numpy as np
    >>> from gmmkit import GaussianMixture
    >>> from gmmkit.inference.bootstrap import bootstrap
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (200, 2)), rng.normal(6, 1, (200, 2))]
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> result = bootstrap(gm, X, n_bootstrap=49, random_state=0)
    >>> result.standard_errors()["means"].shape
    (2, 2)
    """
    if not isinstance(model, GaussianMixture):
        raise TypeError(
            f"model must be a fitted gmmkit.GaussianMixture, got {type(model).__name__}"
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise NotFittedError(
            "model must be fitted before it is bootstrapped: call model.fit(X) first"
        ) from None
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, numbers.Integral):
        raise TypeError(
            f"n_bootstrap must be a positive integer, got {n_bootstrap!r} of type "
            f"{type(n_bootstrap).__name__}"
        )
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0
    ):
        raise ValueError(f"n_jobs must be None or a non-zero integer, got {n_jobs!r}")
    if tol is None:
        tol = min(float(model.tol), REFIT_TOL)
    elif (
        isinstance(tol, bool)
        or not isinstance(tol, numbers.Real)
        # typeshed gives numbers.Real no comparison operators; every Real compares with 0
        or not 0 <= tol < math.inf  # type: ignore[operator]
    ):
        raise ValueError(f"tol must be None or a finite number >= 0, got {tol!r}")
    X = validate_data(model, X, dtype=[np.float64, np.float32], reset=False, ensure_min_samples=2)
    seeds = seed_sequence(random_state).spawn(int(n_bootstrap))
    task = _Replicates(model, X, kind, float(tol), current_options())

    from joblib import Parallel, delayed, effective_n_jobs

    workers = min(effective_n_jobs(n_jobs), len(seeds))
    # One BLAS thread whatever n_jobs, so every replicate runs the same arithmetic. The
    # refits' warnings are summarised in the result instead: they are filtered once here,
    # never entered and left by the workers, whose exits would restore filters out of order.
    with one_blas_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DegenerateComponentWarning)
        outcomes = Parallel(n_jobs=workers, prefer="threads")(delayed(task)(seed) for seed in seeds)
    return _collect(model, outcomes, kind, int(n_bootstrap))


@dataclass(frozen=True)
class _Outcome:
    """One replicate: aligned parameters and whether EM converged, or why it was dropped."""

    weights: np.ndarray | None = None
    means: np.ndarray | None = None
    covariances: np.ndarray | None = None
    converged: bool = True
    dropped: str | None = None


class _Replicates:
    """Draws, refits and aligns one replicate from its seed; shared by the worker threads,
    and read-only once built."""

    def __init__(
        self, model: GaussianMixture, X: np.ndarray, kind: str, tol: float, options: Options
    ):
        self.model, self.X, self.kind, self.options = model, X, kind, options
        # Every refit starts from the fitted parameters, so it draws nothing and one
        # initialisation is all there is.
        self.template = clone(model).set_params(
            weights_init=np.asarray(model.weights_, dtype=np.float64),
            means_init=np.asarray(model.means_, dtype=np.float64),
            precisions_init=np.asarray(model.precisions_, dtype=np.float64),
            n_init=1,
            warm_start=False,
            verbose=0,
            tol=tol,
        )
        self.resp = mixture_rows(model, X, "resp")
        self.covariance = covariance_model(model.covariance_type, X.shape[1])

    def __call__(self, seed: np.random.SeedSequence) -> _Outcome:
        with using_options(self.options), one_openmp_thread():
            return self._replicate(seed)

    def _replicate(self, seed) -> _Outcome:
        rng = np.random.default_rng(seed)
        n: int = self.X.shape[0]
        data, weight = self.X, None
        if self.kind == "nonparametric":
            data = self.X[rng.integers(0, n, size=n)]
        elif self.kind == "weighted":
            draws = rng.standard_exponential(n)
            weight = n * draws / draws.sum()
        else:
            data, _ = self.model.sample(n, random_state=np.random.RandomState(rng.bit_generator))
        refit = clone(self.template)
        try:
            refit.fit(data, sample_weight=weight)
        except (ValueError, ArithmeticError) as exc:
            return _Outcome(dropped=_first_line(exc))
        if refit.ill_posed_ is not None:
            return _Outcome(dropped=f"ill-posed: {refit.ill_posed_}")
        K = refit.n_components
        covariances = np.array(
            self.covariance.marginal_covariances(
                np.asarray(refit.covariances_, dtype=np.float64), K, np.arange(self.covariance.d)
            )
        )
        weights = np.asarray(refit.weights_, dtype=np.float64)
        means = np.asarray(refit.means_, dtype=np.float64)
        if not (
            np.isfinite(weights).all()
            and np.isfinite(means).all()
            and np.isfinite(covariances).all()
        ):
            return _Outcome(dropped="non-finite parameters")
        order = align_components(self.resp, mixture_rows(refit, self.X, "resp"))
        return _Outcome(
            weights[order], means[order], covariances[order], converged=bool(refit.converged_)
        )


def align_components(reference_resp: np.ndarray, resp: np.ndarray) -> np.ndarray:
    r"""The order of a replicate's components that matches them to the reference's.

    Maximises the posterior overlap :math:`\sum_k A_{k\sigma(k)}`,
    :math:`A = \hat R^T R` (``(K, K)``, the expected number of rows assigned to reference
    component :math:`k` and replicate component :math:`j`), over permutations :math:`\sigma`.

    Parameters
    ----------
    reference_resp, resp : ndarray of shape (n_samples, n_components)
        Responsibilities of the same rows under the reference fit and the replicate.

    Returns
    -------
    ndarray of shape (n_components,)
        ``order[k]`` is the replicate's component matched to reference component ``k``, so
        ``params[order]`` puts a replicate's parameters in the reference's order.
    """
    overlap = reference_resp.T @ resp
    _, order = linear_sum_assignment(overlap, maximize=True)
    return order


def _collect(model, outcomes, kind, n_bootstrap) -> BootstrapResult:
    kept = [outcome for outcome in outcomes if outcome.dropped is None]
    failures: dict = {}
    for outcome in outcomes:
        if outcome.dropped is not None:
            failures[outcome.dropped] = failures.get(outcome.dropped, 0) + 1
    n_failed = len(outcomes) - len(kept)
    if not kept:
        raise ValueError(
            f"every one of the {n_bootstrap} bootstrap replicates failed or was "
            f"ill-posed ({_reasons(failures)}); the fit cannot be bootstrapped"
        )
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_bootstrap} bootstrap replicates failed or were "
            f"ill-posed and were dropped ({_reasons(failures)})",
            BootstrapWarning,
            stacklevel=3,
        )
    K, d = model.means_.shape
    covariance = covariance_model(model.covariance_type, d)
    names = getattr(model, "feature_names_in_", None)
    return BootstrapResult(
        weights_=np.stack([outcome.weights for outcome in kept]),
        means_=np.stack([outcome.means for outcome in kept]),
        covariances_=np.stack([outcome.covariances for outcome in kept]),
        weights=np.asarray(model.weights_, dtype=np.float64),
        means=np.asarray(model.means_, dtype=np.float64),
        covariances=np.array(
            covariance.marginal_covariances(
                np.asarray(model.covariances_, dtype=np.float64), K, np.arange(d)
            )
        ),
        kind=kind,
        n_bootstrap=n_bootstrap,
        covariance_type=str(model.covariance_type),
        feature_names=(
            [str(name) for name in names] if names is not None else [f"x{j}" for j in range(d)]
        ),
        n_failed=n_failed,
        failures=failures,
        n_unconverged=sum(not outcome.converged for outcome in kept),
    )


def _check_level(level) -> float:
    if (
        isinstance(level, bool)
        or not isinstance(level, numbers.Real)
        or not 0.0 < float(level) < 1.0
        or math.isnan(level)
    ):
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def _entry(names, j, i) -> str:
    return f"var[{names[j]}]" if i == j else f"cov[{names[j]}, {names[i]}]"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else '(no message)'}"


def _reasons(failures: dict, shown: int = 3) -> str:
    """The ``shown`` most frequent reasons with their counts; ill-posedness reasons carry
    numbers, so there may be many."""
    ranked = sorted(failures.items(), key=lambda item: -item[1])
    text = "; ".join(f"{count} x {reason}" for reason, count in ranked[:shown])
    if len(ranked) > shown:
        text += f"; and {len(ranked) - shown} other reasons"
    return text
