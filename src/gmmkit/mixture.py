"""``GaussianMixture``: a drop-in, faster replacement for ``sklearn.mixture.GaussianMixture``."""

from __future__ import annotations

import functools
import numbers
import os
import sys
import time
import types
import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._config import Options, current_options
from ._core.conditioning import condition
from ._core.covariances import (
    DegenerateComponentWarning,
    MixtureParams,
    covariance_model,
)
from ._core.em import (
    EMResult,
    collapsed_feature_text,
    collapsed_features,
    degenerate_warning_text,
)
from ._core.estep import chunks
from ._core.fitting import EMSettings, Start, fit_mixture
from ._core.hierarchical import SUBSET_SIZE, HierarchicalStart
from ._core.init import initial_responsibilities
from ._core.posedness import feature_variances, ill_posed_reason
from ._core.prior import resolve_prior, resolve_prior_from_moments
from ._core.source import FeatureSource
from ._core.threads import threads_for
from ._dask_input import as_dask_array, is_dask_collection, rows_to_predict
from ._validation import (
    check_means,
    check_n_samples,
    check_weights,
    parameter_constraints,
    validate_data,
)
from .backends.numpy import NumpySource


class GaussianMixture(DensityMixin, BaseEstimator):
    r"""Gaussian mixture model fitted by expectation-maximisation.

    The density is

    .. math:: p(x) = \sum_{k=1}^{K} \pi_k \, \mathcal N(x \mid \mu_k, \Sigma_k),

    with :math:`\Sigma_k` full, shared (``tied``), diagonal or a multiple of the identity
    (``spherical``). Constructor parameters, defaults, fitted attributes and methods are those of
    :class:`sklearn.mixture.GaussianMixture`, so scikit-learn code runs unchanged; from the same
    ``random_state`` both start EM at the same point and follow the same iterates.

    What gmmkit adds: ``sample_weight`` in ``fit``/``score``/``bic``/``aic``/``icl`` (weighted EM,
    equal to repeating rows for integer weights); ``lower_bounds_`` for every iteration;
    ``icl`` and ``n_parameters_``; ``sample`` returning shuffled rows with a per-call
    ``random_state``; float32 kept as float32; collapsing components recovered with a
    :class:`~gmmkit.DegenerateComponentWarning` instead of an error; and a batched, chunked
    numerical core (one GEMM per sample chunk for the E-step and one for the statistics).

    Dask input (the ``gmmkit[dask]`` extra): ``fit``, ``score``, ``bic``, ``aic``, ``icl``,
    ``predict``, ``predict_proba`` and ``score_samples`` accept Dask arrays and DataFrames
    (and Dask sample weights). The fit is the same EM through
    :class:`gmmkit.backends.dask.DaskSource`: one pass validates every block, then each
    iteration is one ``compute`` that maps the E-step over the row blocks and brings back
    only the ``K x n_stats`` statistics, with the current scheduler (a ``distributed.Client``
    if one is in use). Fitted attributes are NumPy; ``predict``, ``predict_proba`` and
    ``score_samples`` return lazy Dask arrays with the input's row chunks; the scores are
    floats. Starts that need only a sample of rows are drawn as
    :func:`gmmkit.backends.dask.dask_starts` describes; ``init_params='random'`` is refused.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components :math:`K`.
    covariance_type : {'full', 'tied', 'diag', 'spherical'} or a registered name, default='full'
        Structure of :math:`\Sigma_k`; any model added with
        :func:`~gmmkit.register_covariance_model` is accepted by its name.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per sample changes by less than ``tol``.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, keeping them positive definite.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the one with the highest final log-likelihood is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data', 'hc'}, default='kmeans'
        How the initial responsibilities are drawn. ``'hc'`` is mclust's start: the partition
        of model-based agglomerative hierarchical clustering (VVV criterion, on the
        SVD-transformed data, as ``Mclust`` does), deterministic; with more than 2000 rows the
        tree is built on 2000 rows drawn from ``random_state`` and the other rows join their
        most probable cluster.
    weights_init : array-like of shape (n_components,), default=None
    means_init : array-like of shape (n_components, n_features), default=None
    precisions_init : array-like, default=None
        Initial precision matrices, in the shape of ``precisions_`` for the covariance type.
    random_state : int, RandomState instance or None, default=None
    warm_start : bool, default=False
        If True, ``fit`` continues from the previous solution (with a single initialisation).
    verbose : int, default=0
    verbose_interval : int, default=10
    accelerate : bool, default=False
        gmmkit only: run SQUAREM-accelerated EM (:mod:`gmmkit._core.squarem`), which extrapolates
        along the EM path and keeps a jump only when it does not lower the likelihood below
        plain EM's next point. Slowly converging fits need far fewer E-steps; ``max_iter`` and
        ``n_iter_`` count E-steps and ``lower_bounds_`` has one entry per accelerated cycle.
        Off by default, so the iterates are scikit-learn's.
    prior : None, 'default' or ConjugatePrior, default=None
        gmmkit only: mclust's conjugate prior (Fraley & Raftery 2007), for *maximum a
        posteriori* instead of maximum-likelihood estimates. ``'default'`` is mclust's
        ``priorControl()``: shrinkage 0.01 toward the data mean, :math:`d + 2` degrees of
        freedom and a scale of the data's variance over :math:`K^{2/d}`, resolved from the
        data of every fit; a :class:`~gmmkit.ConjugatePrior` sets any of these. Covariances
        then never collapse, however many components. ``lower_bounds_``, ``score`` and the
        criteria stay the log-likelihood (at the MAP estimate, as mclust reports it); a model
        without a conjugate prior (mclust's VEE, EVE, VVE, EVV) raises a ValueError.
        ``reg_covar`` is still added on top (mclust has none: use ``reg_covar=0`` to match it).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_, precisions_, precisions_cholesky_ : ndarray
        Full ``(K, d, d)``, tied ``(d, d)``, diag ``(K, d)``, spherical ``(K,)``;
        ``precisions_cholesky_`` :math:`P_k` satisfies :math:`P_k P_k^T = \Sigma_k^{-1}`.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean (weighted) log-likelihood per sample of the best initialisation.
    lower_bounds_ : ndarray of shape (``n_iter_``,)
        Mean log-likelihood per sample at every iteration of the kept run.
    n_parameters_ : int
        Number of free parameters (as used by BIC and AIC).
    ill_posed_ : str or None
        Why the fit is ill-posed, or None when it is well posed: a component holds fewer
        rows of responsibility than its covariance has to be estimated from, its covariance
        before ``reg_covar`` is singular, or EM had to regularise it beyond ``reg_covar``.
        Its likelihood then measures the regularisation more than the data; model selection
        never chooses such a fit (see :mod:`gmmkit._core.posedness`).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmkit import GaussianMixture
    >>> X = np.r_[np.random.RandomState(0).normal(0, 1, (100, 2)),
    ...           np.random.RandomState(1).normal(8, 1, (100, 2))]
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> sorted(np.round(gm.means_[:, 0]).tolist())
    [0.0, 8.0]
    """

    _parameter_constraints: dict = parameter_constraints("GaussianMixture")

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        accelerate=False,
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.accelerate = accelerate
        self.prior = prior

    # ------------------------------------------------------------------ validation
    def _check_initial_parameters(self, model):
        K, d = self.n_components, model.d
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = check_weights(self.weights_init, K)
        if self.means_init is not None:
            means = check_means(self.means_init, K, d)
        if self.precisions_init is not None:
            precisions = model.check_precisions(self.precisions_init, K, "precisions_init")
        return weights, means, precisions

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the parameters with EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight counts the row that many times.

        Returns
        -------
        self : GaussianMixture
        """
        self.fit_predict(X, y, sample_weight=sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit the model and return the most probable component of every row of ``X``."""
        return self._fit(X, sample_weight)

    def _fit(
        self,
        X,
        sample_weight,
        responsibilities=None,
        predict=True,
        source=None,
        options: Options | None = None,
        rows: str | None = None,
        short_runs: int = 0,
    ):
        """Validate, run EM and return the labels of ``X`` (``predict``), the per-row outputs
        ``rows`` of the fitted model on ``X`` (see :func:`fit_on_source`), or None.

        Model selection shares work between fits through the private arguments:
        ``responsibilities`` replaces the random initialisation (one array per initialisation,
        hard labels or dense, see :func:`gmmkit._core.init.initial_responsibilities`), so one
        k-means run serves every covariance type; ``source`` is a :class:`FeatureSource` of the
        same ``X`` (from :func:`feature_source`) reused by every ``n_components``; ``X`` and
        ``sample_weight`` are then trusted as validated. ``options``: the configuration to fit
        with (the calling thread's when None; a sweep's worker threads get their caller's);
        ``short_runs``: see :attr:`gmmkit._core.fitting.EMSettings.short_runs`.
        """
        self._validate_params()
        options = current_options() if options is None else options
        if is_dask_collection(X):
            return self._fit_dask(
                X, sample_weight, responsibilities, predict, source, options, rows, short_runs
            )
        if source is None:
            X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        else:
            self.n_features_in_ = X.shape[1]  # validated when ``source`` was built from it
        n_samples, n_features = X.shape
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components, got n_samples={n_samples} and "
                f"n_components={self.n_components}: reduce n_components or add data."
            )
        weight = _check_sample_weight(sample_weight, n_samples)
        model = covariance_model(self.covariance_type, n_features)
        prior = resolve_prior(self.prior, X, weight, self.n_components, model)
        inits = self._check_initial_parameters(model)
        work = n_samples * model.n_stats * self.n_components * 2
        with threads_for(work):
            if source is None:
                source = feature_source(X, weight, self.covariance_type, self.n_components, options)
            settings = EMSettings(
                self.n_components,
                self.reg_covar,
                self.tol,
                self.max_iter,
                bool(self.accelerate),
                options.reuse_fixed_points,
                prior=None if prior is None else prior.shifted(source.shift),
                short_runs=short_runs,
            )
            variances = feature_variances(X, weight)
            fitted = fit_mixture(
                source,
                self._starts(X, weight, source, inits, responsibilities),
                settings,
                rows=rows if X.dtype == np.float64 else None,
                on_run_start=functools.partial(self._verbose_start, options=options),
                on_run_end=self._verbose_end,
                ill_posed=lambda run: self._ill_posed(
                    run, model, X.shape[0], variances, prior is not None
                ),
            )
            self._keep_run(fitted.run, model, source, X)
            if rows is not None:
                # the last E-step's rows are those of the unrounded parameters: only float64
                # fits store those exactly, so float32 ones are scored from what they store
                return (
                    fitted.rows if fitted.rows is not None else self._predict_rows(X, rows, source)
                )
            return self._predict_rows(X, "argmax") if predict else None

    def _fit_dask(
        self, X, sample_weight, responsibilities, predict, source, options, rows, short_runs=0
    ):
        """:meth:`_fit` on a Dask array or DataFrame: the same EM (:func:`fit_mixture`)
        through a :class:`gmmkit.backends.dask.DaskSource`, one compute per iteration.

        One pass validates the blocks and gives the shift and the feature variances
        (:func:`gmmkit.backends.dask.check_data`); starts are drawn as
        :func:`gmmkit.backends.dask.dask_starts` says. With ``source`` (a ``DaskSource``,
        e.g. from :meth:`gmmkit.backends.dask.DaskData.source`), ``X`` is its rows. Fitted
        attributes are NumPy; the labels (``predict``) and ``rows`` are lazy Dask arrays.
        """
        from .backends import dask as dask_backend

        if source is None:
            X, names = as_dask_array(X)
            data = dask_backend.check_data(X, sample_weight, options)
            self._record_feature_names(names)
            source = data.source(self.covariance_type, options=options)
        else:
            data = source.data
        X = source.X
        self.n_features_in_ = int(X.shape[1])
        n_samples, n_features = X.shape
        if n_samples < 2:
            raise ValueError(
                f"Found array with {n_samples} sample(s) (shape={X.shape}) while "
                f"a minimum of 2 is required by {type(self).__name__}."
            )
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components, got n_samples={n_samples} and "
                f"n_components={self.n_components}: reduce n_components or add data."
            )
        model = covariance_model(self.covariance_type, n_features)
        prior = None
        if self.prior is not None:
            if data is None:
                raise ValueError(
                    "a prior on Dask input needs the source's DaskData (make the "
                    "source with gmmkit.backends.dask.DaskData.source)"
                )
            # the scatter about the data's mean, the shift of the source: one pass
            prior = resolve_prior_from_moments(
                self.prior,
                data.mean,
                source.scatter() / source.total_weight,
                data.positive_rows,
                self.n_components,
                model,
            )
        inits = self._check_initial_parameters(model)
        settings = EMSettings(
            self.n_components,
            self.reg_covar,
            self.tol,
            self.max_iter,
            bool(self.accelerate),
            options.reuse_fixed_points,
            prior=None if prior is None else prior.shifted(source.shift),
            short_runs=short_runs,
        )
        variances = (
            data.variances
            if data is not None
            else np.diagonal(source.scatter()) / source.total_weight
        )
        starts = self._starts(X, None, source, inits, responsibilities, data=data)
        fitted = fit_mixture(
            source,
            starts,
            settings,
            on_run_start=functools.partial(self._verbose_start, options=options),
            on_run_end=self._verbose_end,
            ill_posed=lambda run: self._ill_posed(
                run, model, n_samples, variances, prior is not None
            ),
        )
        self._keep_run(fitted.run, model, source, X)
        if rows is not None:
            return self._predict_rows(X, rows, source)
        return self._predict_rows(X, "argmax", source) if predict else None

    def _keep_run(self, run: EMResult, model, source: FeatureSource, X) -> None:
        """Warn about what the kept run of a fit on ``X`` through ``source`` needed or shows,
        and set the fitted attributes from it, in ``X``'s dtype and coordinates."""
        self._warn_about(run, model)
        self._warn_about_collapsed_features(run.params, model, X)
        self._set_fitted(
            run.params.weights,
            run.params.means + source.shift,
            run.params.covariances,
            run.params.precisions_cholesky,
            model=model,
            dtype=X.dtype,
            converged=run.converged,
            n_iter=run.n_iter,
            lower_bounds=run.lower_bounds,
            ill_posed=run.ill_posed,
        )

    def _record_feature_names(self, names) -> None:
        """Set ``feature_names_in_`` from a fit's column names (None: forget any)."""
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _starts(self, X, weight, source, inits, responsibilities=None, data=None):
        """The starts of this fit (see :class:`gmmkit._core.fitting.Start`), drawn one at a
        time from ``random_state`` as scikit-learn draws them; with ``data`` (Dask input,
        :class:`gmmkit.backends.dask.DaskData`) as :func:`gmmkit.backends.dask.dask_starts`
        draws them."""
        weights_init, means_init, precisions_init = inits
        means_init = None if means_init is None else means_init - source.shift
        if self.warm_start and hasattr(self, "converged_") and responsibilities is None:
            yield Start(params=self._current_params(source.shift), lower_bound=self.lower_bound_)
            return
        if responsibilities is not None:
            given = responsibilities
        elif weights_init is not None and means_init is not None and precisions_init is not None:
            given = [None] * self.n_init  # nothing to draw
        elif data is not None:
            from .backends.dask import dask_starts

            given = dask_starts(
                data,
                self.n_components,
                self.init_params,
                check_random_state(self.random_state),
                self.n_init,
            )
        elif is_dask_collection(X):
            raise ValueError(
                "drawing initial responsibilities on Dask input needs the "
                "source's DaskData (gmmkit.backends.dask.DaskData.source)"
            )
        else:
            random_state = check_random_state(self.random_state)
            # hc draws nothing up to SUBSET_SIZE rows: every initialisation cuts one tree
            hierarchy = (
                HierarchicalStart(X)
                if self.init_params == "hc" and X.shape[0] <= SUBSET_SIZE
                else None
            )
            given = (
                initial_responsibilities(
                    X,
                    self.n_components,
                    self.init_params,
                    random_state,
                    weight,
                    hierarchy=hierarchy,
                )
                for _ in range(self.n_init)
            )
        for resp in given:
            yield Start(resp, weights_init, means_init, precisions_init)

    def _verbose_start(self, index, options=None):
        """The per-iteration callback of start ``index``: ``verbose``'s printing and the
        configuration's ``on_iteration`` (see :func:`gmmkit.config_context`)."""
        listener = None if options is None else options.on_iteration
        if not self.verbose:
            return listener
        print(f"Initialization {index}")
        printing = self._verbose_callback(time.perf_counter())
        if listener is None:
            return printing

        def both(n_iter, lower_bound, change):
            printing(n_iter, lower_bound, change)
            listener(n_iter, lower_bound, change)

        return both

    def _verbose_end(self, result):
        if self.verbose:
            state = "converged" if result.converged else "did not converge"
            print(f"Initialization {state}. lower bound {result.lower_bound:.5f}")

    def _ill_posed(
        self, run: EMResult, model, n_samples: int, variances: np.ndarray, prior: bool
    ) -> str | None:
        """Why a run's parameters are ill-posed (see :attr:`ill_posed_`), or None;
        ``variances``: the data's feature variances."""
        covariances = run.params.covariances
        if covariances is None:
            covariances = model.invert(model.precisions(run.params.precisions_cholesky))
        return ill_posed_reason(
            model,
            run.params.weights,
            covariances,
            n_samples=n_samples,
            data_variances=variances,
            reg_covar=self.reg_covar,
            recovered=run.final_recovered if run.n_iter else run.recovered,
            prior=prior,
        )

    def _warn_about(self, result: EMResult, model) -> None:
        if result.recovered:
            warnings.warn(
                degenerate_warning_text(model, result.recovered, self.reg_covar),
                DegenerateComponentWarning,
                stacklevel=_user_stacklevel(),
            )
        if not result.converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=_user_stacklevel(),
            )

    def _warn_about_collapsed_features(self, params, model, X) -> None:
        """Warn about each feature that fitted components sit on single values of (see
        :func:`gmmkit._core.em.collapsed_features`); the data are read only when one does."""
        names = getattr(self, "feature_names_in_", None)
        for j, components in collapsed_features(model, params, self.reg_covar).items():
            feature = f"{j}" if names is None else f"{j} ({str(names[j])!r})"
            values = _distinct_values(X, j)
            warnings.warn(
                collapsed_feature_text(feature, components, values, self.reg_covar),
                DegenerateComponentWarning,
                stacklevel=_user_stacklevel(),
            )

    def _verbose_callback(self, started):
        last = [started]

        def report(n_iter, lower_bound, change):
            if n_iter % self.verbose_interval == 0:
                now = time.perf_counter()
                if self.verbose > 1:
                    print(
                        f"  Iteration {n_iter}\t time lapse {now - last[0]:.5f}s\t "
                        f"ll change {change:.5f}"
                    )
                else:
                    print(f"  Iteration {n_iter}")
                last[0] = now

        return report

    def _current_params(self, shift) -> MixtureParams:
        return MixtureParams(
            np.asarray(self.weights_, dtype=np.float64),
            np.asarray(self.means_, dtype=np.float64) - shift,
            np.asarray(self.covariances_, dtype=np.float64),
            np.asarray(self.precisions_cholesky_, dtype=np.float64),
        )

    def _set_fitted(
        self,
        weights,
        means,
        covariances,
        precisions_cholesky,
        *,
        model,
        dtype,
        precisions=None,
        converged=True,
        n_iter=0,
        lower_bounds=(),
        lower_bound=None,
        feature_names=None,
        ill_posed=None,
    ):
        """Set every fitted attribute from the parameters: the one way a fitted mixture is
        made (fitting, model selection, conditioning and loading all come here).

        ``covariances`` (or ``precisions``) may be None, to be computed from the precision
        factors; ``lower_bound`` defaults to the last of ``lower_bounds`` (-inf if none).
        The arrays are stored C-contiguous in ``dtype``, or as they are when it is None (a
        loaded model keeps the arrays it was saved with).
        """
        cast = (lambda a: a) if dtype is None else (lambda a: np.ascontiguousarray(a, dtype=dtype))
        if covariances is None:
            covariances = model.invert(model.precisions(precisions_cholesky))
        if precisions is None:
            precisions = model.precisions(precisions_cholesky)
        self.weights_ = cast(weights)
        self.means_ = cast(means)
        self.covariances_ = cast(covariances)
        self.precisions_cholesky_ = cast(precisions_cholesky)
        self.precisions_ = cast(precisions)
        self.converged_ = bool(converged)
        self.n_iter_ = int(n_iter)
        self.lower_bounds_ = np.asarray(lower_bounds, dtype=np.float64)
        if lower_bound is None:
            lower_bound = self.lower_bounds_[-1] if self.lower_bounds_.size else -np.inf
        self.lower_bound_ = float(lower_bound)
        self.n_parameters_ = int(model.n_parameters(len(self.weights_)))
        self.ill_posed_ = ill_posed
        self.n_features_in_ = int(model.d)
        if feature_names is not None:
            self.feature_names_in_ = feature_names
        return self

    @classmethod
    def _from_fitted_attributes(cls, params: dict, attributes: dict) -> GaussianMixture:
        """A fitted mixture from its saved parameters and fitted attributes (see
        :func:`gmmkit.load`), made by :meth:`_set_fitted`; a ``KeyError`` names an attribute
        that a fitted mixture must have and ``attributes`` lacks, a ``ValueError`` (see
        :func:`_check_fitted_attributes`) one that is not what ``fit`` gives."""
        estimator = cls(**params)
        if not attributes:
            return estimator
        model = _check_fitted_attributes(estimator, attributes)
        estimator._validate_params()
        return estimator._set_fitted(
            attributes["weights_"],
            attributes["means_"],
            attributes["covariances_"],
            attributes["precisions_cholesky_"],
            model=model,
            dtype=None,
            precisions=attributes["precisions_"],
            converged=attributes["converged_"],
            n_iter=attributes["n_iter_"],
            lower_bounds=attributes["lower_bounds_"],
            lower_bound=attributes["lower_bound_"],
            feature_names=attributes.get("feature_names_in_"),
            ill_posed=attributes.get("ill_posed_"),
        )

    # ------------------------------------------------------------------ inference
    def _predict_rows(self, X, want: str, source: FeatureSource | None = None) -> np.ndarray:
        """Run the E-step kernel on validated ``X`` with the fitted attributes; ``source``, the
        features of this same ``X`` from the fit (or the sweep), saves recomputing them, and
        where the fit left its last log-densities in it (see :meth:`_fit`), the product too."""
        model = covariance_model(self.covariance_type, X.shape[1])
        weights = np.asarray(self.weights_, dtype=np.float64)
        means = np.asarray(self.means_, dtype=np.float64)
        shift = weights @ means / weights.sum() if source is None else source.shift
        theta, shared = model.theta(
            weights, means - shift, np.asarray(self.precisions_cholesky_, dtype=np.float64)
        )
        # no thread limit: a pass this small is below BLAS's own threading threshold, and
        # taking the shared process-wide limit costs more than the pass
        if source is None and is_dask_collection(X):
            from .backends.dask import DaskSource

            source = DaskSource(
                X, shift, model, total_weight=float(X.shape[0]), options=current_options()
            )
        elif source is None:
            source = NumpySource(
                X, shift, model, len(weights), cache=False, options=current_options()
            )
        return source.per_row(theta, shared, want)

    def _validate_predict(self, X):
        check_is_fitted(self)
        if is_dask_collection(X):
            return rows_to_predict(self, X)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _dask_weighted_sums(self, per_row, X, sample_weight):
        """``(sum of w_i * per_row_i, sum of w_i)`` of lazy per-row outputs, one compute."""
        from .backends import dask as dask_backend

        weight = dask_backend.as_weights(sample_weight, X)
        if weight is None:
            return dask_backend._compute(per_row.sum(axis=0))[0], float(X.shape[0])
        weight = dask_backend.checked_weights(weight)
        weighted = per_row * (weight if per_row.ndim == 1 else weight[:, None])
        sums, total = dask_backend._compute(weighted.sum(axis=0), weight.sum())
        if not total > 0:
            raise ValueError("sample_weight must not be all zero")
        return sums, float(total)

    def score_samples(self, X):
        """Log-density :math:`\\log p(x)` of every row, shape ``(n_samples,)``."""
        X = self._validate_predict(X)
        return self._predict_rows(X, "log_prob_norm").astype(X.dtype, copy=False)

    def score(self, X, y=None, sample_weight=None):
        """Mean (weighted) log-likelihood per sample."""
        X = self._validate_predict(X)
        log_prob = self._predict_rows(X, "log_prob_norm")
        if is_dask_collection(X):
            total_log_prob, total = self._dask_weighted_sums(log_prob, X, sample_weight)
            return float(total_log_prob / total)
        weight = _check_sample_weight(sample_weight, X.shape[0])
        if weight is None:
            return float(log_prob.mean())
        return float(log_prob @ weight / weight.sum())

    def predict(self, X):
        """Most probable component of every row, shape ``(n_samples,)``."""
        X = self._validate_predict(X)
        return self._predict_rows(X, "argmax")

    def predict_proba(self, X):
        """Responsibilities :math:`P(k \\mid x)`, shape ``(n_samples, n_components)``."""
        X = self._validate_predict(X)
        return self._predict_rows(X, "resp").astype(X.dtype, copy=False)

    def sample(self, n_samples=1, random_state=None):
        """Draw ``n_samples`` rows from the fitted mixture, in random order.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seed for this call. ``None`` draws fresh values at every call (from NumPy's global
            generator, so ``np.random.seed`` makes it reproducible too).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            The component each row was drawn from.
        """
        check_is_fitted(self)
        check_n_samples(n_samples, f"{type(self).__name__}.sample")
        rng = check_random_state(random_state)
        weights = np.asarray(self.weights_, dtype=np.float64)
        labels = rng.choice(len(weights), size=n_samples, p=weights / weights.sum())
        return self._draw(labels, rng), labels

    def _draw(self, labels, rng):
        """One row from each component in ``labels`` (ints), in that order."""
        model = covariance_model(self.covariance_type, self.means_.shape[1])
        n_samples, n_components = len(labels), len(self.weights_)
        noise = rng.standard_normal((n_samples, model.d))
        covariances = np.asarray(self.covariances_, dtype=np.float64)
        factors = model.cholesky_covariances(covariances, n_components)
        draws = np.empty((n_samples, model.d))
        rows_per_chunk = max(1, 2**22 // max(model.d * model.d, 1))
        for rows in chunks(n_samples, rows_per_chunk):
            draws[rows] = model.scale_noise(factors, labels[rows], noise[rows])
        draws += self.means_[labels]
        return draws.astype(self.means_.dtype, copy=False)

    # ------------------------------------------------------------------ conditioning
    def condition(self, values, given):
        r"""The mixture :math:`p(x_b \mid x_a = a)` of the other features, given some.

        Every component is conditioned in closed form (see :mod:`gmmkit._core.conditioning`):
        its weight becomes proportional to :math:`\pi_k \mathcal N(a \mid \mu_{k,a},
        \Sigma_{k,aa})`, its mean moves by the regression :math:`\Sigma_{k,ba}\Sigma_{k,aa}^{-1}
        (a - \mu_{k,a})` and its covariance shrinks to the Schur complement.

        Parameters
        ----------
        values : array-like of shape (n_given,)
            The values :math:`a` of the given features.
        given : int, str or sequence of them
            The given features: column indices, or names when the model was fitted on a
            DataFrame.

        Returns
        -------
        GaussianMixture
            A fitted mixture over the remaining features (in their original order), with the
            same number of components and covariance type; sample, score or condition it again
            like any other.
        """
        check_is_fitted(self)
        given = self._given_features(given)
        values = _check_given_values(values, len(given), one_row=True)
        conditional = self._condition(values, given)
        rest = np.setdiff1d(np.arange(self.n_features_in_), given)
        model = covariance_model(self.covariance_type, rest.size)
        out = GaussianMixture(
            self.n_components,
            covariance_type=self.covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
        )
        covariances = conditional.covariances
        names = getattr(self, "feature_names_in_", None)
        return out._set_fitted(
            np.exp(conditional.log_weights[0]),
            conditional.means[0],
            covariances,
            model.precision_cholesky(covariances),
            model=model,
            dtype=self.means_.dtype,
            lower_bound=float("nan"),
            feature_names=None if names is None else names[rest],
        )

    def conditional_mean(self, X_given, given):
        r"""Gaussian mixture regression: :math:`E[x_b \mid x_a]` for every row of ``X_given``.

        Parameters
        ----------
        X_given : array-like of shape (n_samples, n_given)
            Values of the given features, one row per prediction.
        given : int, str or sequence of them
            The given features (indices, or names for a model fitted on a DataFrame).

        Returns
        -------
        ndarray of shape (n_samples, ``n_features_in_`` - n_given)
            :math:`\sum_k w_k(a)\, m_k(a)`: the conditional mean of the other features, in
            their original order.
        """
        check_is_fitted(self)
        given = self._given_features(given)
        values = _check_given_values(X_given, len(given), one_row=False)
        out = np.empty((values.shape[0], self.n_features_in_ - len(given)))
        for rows in chunks(values.shape[0], self._conditioning_rows()):
            out[rows] = self._condition(values[rows], given).mean()
        return out.astype(self.means_.dtype, copy=False)

    def sample_conditional(self, X_given, given, random_state=None):
        r"""One draw of the other features from :math:`p(x_b \mid x_a)` for every row.

        Parameters
        ----------
        X_given : array-like of shape (n_samples, n_given)
        given : int, str or sequence of them
        random_state : int, RandomState instance or None, default=None
            Seed for this call; ``None`` draws fresh values at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, ``n_features_in_`` - n_given)
        labels : ndarray of shape (n_samples,)
            The component each row was drawn from.
        """
        check_is_fitted(self)
        given = self._given_features(given)
        values = _check_given_values(X_given, len(given), one_row=False)
        rng = check_random_state(random_state)
        n_rest = self.n_features_in_ - len(given)
        draws = np.empty((values.shape[0], n_rest))
        labels = np.empty(values.shape[0], dtype=np.intp)
        model = covariance_model(self.covariance_type, n_rest)
        for rows in chunks(values.shape[0], self._conditioning_rows()):
            conditional = self._condition(values[rows], given)
            chosen = _draw_categories(np.exp(conditional.log_weights), rng)
            factors = model.cholesky_covariances(conditional.covariances, self.n_components)
            noise = rng.standard_normal((chosen.size, n_rest))
            scaled = model.scale_noise(factors, chosen, noise)
            draws[rows] = conditional.means[np.arange(chosen.size), chosen] + scaled
            labels[rows] = chosen
        return draws.astype(self.means_.dtype, copy=False), labels

    def _conditional_variance(self, X_given, given):
        r"""Per-feature variance of :math:`p(x_b \mid x_a)` for every row: by the law of total
        variance, :math:`\sum_k w_k (\operatorname{diag} S_k + m_k^2) - (\sum_k w_k m_k)^2`."""
        given = self._given_features(given)
        values = _check_given_values(X_given, len(given), one_row=False)
        n_rest = self.n_features_in_ - len(given)
        model = covariance_model(self.covariance_type, n_rest)
        out = np.empty((values.shape[0], n_rest))
        for rows in chunks(values.shape[0], self._conditioning_rows()):
            conditional = self._condition(values[rows], given)
            within = model.component_variances(conditional.covariances, self.n_components)
            weights = np.exp(conditional.log_weights)
            second = np.einsum("nk,nkd->nd", weights, conditional.means**2) + weights @ within
            out[rows] = np.maximum(second - conditional.mean() ** 2, 0.0)
        return out

    def _condition(self, values, given):
        return condition(
            covariance_model(self.covariance_type, self.n_features_in_),
            np.asarray(self.weights_, dtype=np.float64),
            np.asarray(self.means_, dtype=np.float64),
            np.asarray(self.covariances_, dtype=np.float64),
            given,
            values,
        )

    def _conditioning_rows(self) -> int:
        # keeps the (rows, K, d) float64 temporaries of one chunk near the working memory
        bytes_per_row = 8 * self.n_components * self.n_features_in_
        return max(1, current_options().chunk_bytes // bytes_per_row)

    def _given_features(self, given) -> np.ndarray:
        """Validated indices of the given features, from ints or (fitted) feature names."""
        items = [given] if isinstance(given, (str, numbers.Integral)) else list(given)
        names = getattr(self, "feature_names_in_", None)
        indices = []
        for item in items:
            if isinstance(item, str):
                if names is None or item not in names.tolist():
                    known = (
                        "the model has no feature names"
                        if names is None
                        else f"known names: {names.tolist()}"
                    )
                    raise ValueError(f"given names an unknown feature {item!r}; {known}")
                indices.append(names.tolist().index(item))
            elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
                if not -self.n_features_in_ <= item < self.n_features_in_:
                    raise ValueError(
                        f"given feature index {item} is out of range for "
                        f"{self.n_features_in_} features"
                    )
                indices.append(int(item) % self.n_features_in_)
            else:
                raise TypeError(f"given must hold feature indices or names, got {item!r}")
        chosen = np.asarray(indices, dtype=np.intp)
        if chosen.size == 0:
            raise ValueError("given must name at least one feature")
        if np.unique(chosen).size != chosen.size:
            raise ValueError(f"given names a feature twice: {items}")
        if chosen.size >= self.n_features_in_:
            raise ValueError(
                f"given names all {self.n_features_in_} features: nothing is left to condition"
            )
        return chosen

    # ------------------------------------------------------------------ criteria
    def _n_parameters(self):
        check_is_fitted(self)
        return self._count_parameters()

    def _count_parameters(self) -> int:
        return int(
            covariance_model(self.covariance_type, self.means_.shape[1]).n_parameters(
                len(self.weights_)
            )
        )

    def _weighted_total(self, X, sample_weight):
        X = self._validate_predict(X)
        weight = _check_sample_weight(sample_weight, X.shape[0])
        total = float(X.shape[0] if weight is None else weight.sum())
        return X, weight, total

    def criteria(self, X, sample_weight=None) -> dict:
        r"""BIC, AIC, ICL and the mean log-likelihood of ``X`` from one pass over the data.

        Returns a dict with ``bic`` :math:`= -2 \log L + p \log n`, ``aic``
        :math:`= -2 \log L + 2p`, ``icl`` :math:`= \mathrm{BIC} + 2 E` and ``log_likelihood``
        :math:`= \log L / n`, where :math:`\log L = \sum_i w_i \log p(x_i)`,
        :math:`n = \sum_i w_i`, :math:`p` is ``n_parameters_`` and
        :math:`E = -\sum_i w_i \sum_k r_{ik} \log r_{ik}` is the classification entropy.
        """
        if is_dask_collection(X):
            X = self._validate_predict(X)
            sums, total = self._dask_weighted_sums(
                self._predict_rows(X, "summary")[:, :2], X, sample_weight
            )
            return self._criteria_from_sums(sums, total)
        X, weight, total = self._weighted_total(X, sample_weight)
        return self._criteria_from_rows(self._predict_rows(X, "summary")[:, :2], weight, total)

    def _criteria_from_rows(self, per_row, weight, total) -> dict:
        if is_dask_collection(per_row):
            return self._criteria_from_sums(
                self._dask_weighted_sums(per_row, per_row, weight)[0], total
            )
        return self._criteria_from_sums(
            per_row.sum(axis=0) if weight is None else weight @ per_row, total
        )

    def _criteria_from_sums(self, sums, total) -> dict:
        """The criteria from :math:`(\\log L, E)`, the weighted sums of the per-row
        log-densities and entropies, and the total weight."""
        log_likelihood, entropy = sums
        n_parameters = self._count_parameters()  # callers checked that the model is fitted
        bic = -2.0 * log_likelihood + n_parameters * np.log(total)
        return {
            "bic": float(bic),
            "aic": float(-2.0 * log_likelihood + 2.0 * n_parameters),
            "icl": float(bic + 2.0 * entropy),
            "log_likelihood": float(log_likelihood / total),
        }

    def bic(self, X, sample_weight=None):
        r"""Bayesian information criterion :math:`-2 \log L + p \log n` (lower is better).

        With ``sample_weight``, :math:`\log L = \sum_i w_i \log p(x_i)` and :math:`n = \sum_i w_i`.
        """
        return self.criteria(X, sample_weight)["bic"]

    def aic(self, X, sample_weight=None):
        r"""Akaike information criterion :math:`-2 \log L + 2 p` (lower is better)."""
        return self.criteria(X, sample_weight)["aic"]

    def icl(self, X, sample_weight=None):
        r"""Integrated completed likelihood: BIC plus twice the classification entropy.

        :math:`\mathrm{ICL} = \mathrm{BIC} - 2 \sum_i w_i \sum_k r_{ik} \log r_{ik}` (lower is
        better); it penalises components that overlap, so it favours well-separated clusters.
        """
        return self.criteria(X, sample_weight)["icl"]


# ---------------------------------------------------------------------- helpers
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _distinct_values(X, j) -> np.ndarray:
    """The sorted distinct values of column ``j`` of ``X`` (NumPy or Dask), float64."""
    if is_dask_collection(X):
        import dask.array as da

        from .backends.dask import _compute

        return np.asarray(_compute(da.unique(X[:, j].astype(np.float64)))[0])
    return np.unique(np.asarray(X[:, j], dtype=np.float64))


def _check_fitted_attributes(estimator: GaussianMixture, attributes: dict):
    """The covariance model of ``attributes``, the fitted attributes of a saved ``estimator``,
    after checking them for what ``fit`` gives: float arrays, finite, shaped for its
    ``n_components`` and ``covariance_type``, and weights that are a distribution.

    Raises ``KeyError`` naming a missing attribute and ``ValueError`` naming a wrong one.
    """
    K = estimator.n_components
    means = _fitted_float_array(attributes, "means_", None)
    if means.ndim != 2 or means.shape[0] != K or means.shape[1] < 1:
        raise ValueError(
            f"means_ must have shape (n_components={K}, n_features), got {means.shape}"
        )
    d = means.shape[1]
    model = covariance_model(estimator.covariance_type, d)
    weights = _fitted_float_array(attributes, "weights_", (K,))
    # the tolerance covers rounding weights that sum to 1 in float64 to their own dtype
    tolerance = np.sqrt(np.finfo(weights.dtype).eps)
    total = weights.sum(dtype=np.float64)
    if (weights < 0).any() or abs(total - 1.0) > tolerance:
        raise ValueError(
            f"weights_ must be non-negative and sum to 1, got a sum of {total!r} "
            f"and a smallest weight of {weights.min()!r}"
        )
    shape = model.parameter_shape(K)
    for name in ("covariances_", "precisions_", "precisions_cholesky_"):
        _fitted_float_array(
            attributes, name, shape, f" for covariance_type={estimator.covariance_type!r}"
        )
    _check_definite(model, attributes, K)
    n_features = attributes.get("n_features_in_", d)
    if (
        isinstance(n_features, bool)
        or not isinstance(n_features, numbers.Integral)
        or n_features != d
    ):
        raise ValueError(
            f"n_features_in_ must be {d}, the number of columns of means_, got {n_features!r}"
        )
    names = attributes.get("feature_names_in_")
    if names is not None and not (
        isinstance(names, np.ndarray)
        and names.shape == (d,)
        and all(isinstance(name, str) for name in names.flat)
    ):
        raise ValueError(f"feature_names_in_ must be an array of {d} str, got {names!r}")
    ill_posed = attributes.get("ill_posed_")
    if ill_posed is not None and not isinstance(ill_posed, str):
        raise ValueError(f"ill_posed_ must be None or a str, got {ill_posed!r}")
    if not isinstance(attributes["converged_"], (bool, np.bool_)):
        raise ValueError(f"converged_ must be a bool, got {attributes['converged_']!r}")
    n_iter = attributes["n_iter_"]
    if (
        isinstance(n_iter, (bool, np.bool_))
        or not isinstance(n_iter, numbers.Integral)
        or n_iter < 0
    ):
        raise ValueError(f"n_iter_ must be an integer >= 0, got {n_iter!r}")
    lower_bounds = attributes["lower_bounds_"]
    if not (
        isinstance(lower_bounds, np.ndarray)
        and lower_bounds.ndim == 1
        and lower_bounds.dtype.kind == "f"
    ):
        raise ValueError(f"lower_bounds_ must be a 1-d float array, got {lower_bounds!r}")
    lower_bound = attributes["lower_bound_"]
    if isinstance(lower_bound, (bool, np.bool_)) or not isinstance(lower_bound, numbers.Real):
        raise ValueError(f"lower_bound_ must be a float, got {lower_bound!r}")
    return model


def _check_definite(model, attributes: dict, n_components: int) -> None:
    """Refuse saved covariances or precisions that no fit gives: not symmetric positive
    definite (beyond the rounding of their dtype), or a Cholesky factor that is not one of
    ``precisions_`` (a negative pivot, or a factor of other precisions), which would make
    every density NaN or wrong without an error."""
    every = np.arange(model.d)
    # the arrays are stored in the fit's dtype: agreement only to that dtype's rounding
    tolerance = 100 * np.finfo(attributes["precisions_"].dtype).eps
    dense = {}
    for name in ("covariances_", "precisions_"):
        matrices = model.marginal_covariances(
            np.asarray(attributes[name], dtype=np.float64), n_components, every
        )
        scale = np.abs(matrices).max(axis=(1, 2))
        if (
            np.abs(matrices - np.swapaxes(matrices, 1, 2)) > tolerance * scale[:, None, None]
        ).any():
            raise ValueError(f"{name} must be symmetric")
        eigenvalues = np.linalg.eigvalsh(matrices)
        if (eigenvalues[:, -1] <= 0).any() or (
            eigenvalues[:, 0] < -tolerance * eigenvalues[:, -1]
        ).any():
            raise ValueError(
                f"{name} must be positive definite; got a smallest eigenvalue "
                f"of {eigenvalues[:, 0].min():g}"
            )
        dense[name] = matrices
    factor = np.asarray(attributes["precisions_cholesky_"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_det = model.log_det_precision_cholesky(factor, n_components)
    if not np.isfinite(log_det).all():
        raise ValueError("precisions_cholesky_ must be a Cholesky factor with a positive diagonal")
    rebuilt = model.marginal_covariances(model.precisions(factor), n_components, every)
    precisions = dense["precisions_"]
    scale = np.abs(precisions).max(axis=(1, 2))[:, None, None]
    if (np.abs(rebuilt - precisions) > 10 * tolerance * scale).any():
        raise ValueError("precisions_cholesky_ is not the Cholesky factor of precisions_")


def _fitted_float_array(attributes, name, shape, context=""):
    """``attributes[name]``, checked to be a finite float array of ``shape`` (any if None)."""
    array = attributes[name]
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        kind = (
            f"an array of dtype {array.dtype}"
            if isinstance(array, np.ndarray)
            else f"{type(array).__name__} {array!r}"
        )
        raise ValueError(f"{name} must be a float array, got {kind}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}{context}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got NaN or infinity")
    return array


def _user_stacklevel() -> int:
    """``stacklevel`` that points a warning at the first caller outside gmmkit."""
    frame: types.FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_real(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {value}")


def _as_float_array(name, value, shape):
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _draw_categories(proba, rng) -> np.ndarray:
    """One category index per row of ``proba`` (rows of probabilities), by inverse CDF."""
    cumulative = np.cumsum(proba, axis=1)
    uniform = rng.random_sample(len(proba)) * cumulative[:, -1]
    return np.minimum((cumulative < uniform[:, None]).sum(axis=1), proba.shape[1] - 1)


def _check_given_values(values, n_given, one_row):
    """Conditioning values as float64, ``(1, n_given)`` for one row or ``(n, n_given)``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"conditioning values must be numeric: {exc}") from None
    name = "values" if one_row else "X_given"
    if one_row and array.ndim <= 1:
        array = array.reshape(1, -1)
    elif not one_row and array.ndim == 1 and n_given == 1:
        array = array.reshape(-1, 1)
    expected = f"({n_given},)" if one_row else f"(n_samples, {n_given})"
    if array.ndim != 2 or array.shape[1] != n_given or (one_row and array.shape[0] != 1):
        raise ValueError(
            f"{name} must have shape {expected}, one value per given feature; "
            f"got shape {np.shape(values)}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} has no rows")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _check_sample_weight(sample_weight, n_samples):
    """Validated float64 weights, or None for unit weights."""
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sample_weight must be numeric: {exc}") from None
    if weight.ndim == 0:
        weight = np.full(n_samples, float(weight))
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {weight.shape}"
        )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (weight < 0).any():
        raise ValueError("sample_weight must be non-negative; found negative weights")
    if weight.sum() <= 0:
        raise ValueError("sample_weight must not be all zero")
    return weight


def fit_on_source(
    estimator: GaussianMixture,
    X,
    source: FeatureSource,
    *,
    starts=None,
    options: Options | None = None,
    scores: bool = False,
    short_runs: int = 0,
):
    """Fit ``estimator`` on validated ``X`` through ``source``, a feature source of that same
    ``X`` and its sample weights (:func:`feature_source`): how model selection fits, one
    source serving every ``n_components`` and one list of ``starts`` every covariance type.

    Parameters
    ----------
    estimator : GaussianMixture
        Fitted in place, with its own hyperparameters.
    X : ndarray of shape (n_samples, n_features)
    source : FeatureSource
    starts : list of ndarray, optional
        Initial responsibilities, one per initialisation (hard labels or dense); None draws
        them as ``estimator`` would.
    options : Options, optional
        The configuration to fit with (the calling thread's when None).
    scores : bool, default=False
        Also return ``(labels, criteria)`` of the fitted model on ``X`` (see
        :meth:`GaussianMixture.criteria`), read from the fit's last E-step where that pass
        evaluated exactly the fitted parameters, else from one more pass.
    short_runs : int, default=0
        With several starts, the iterations each gets before only the most likely so far is
        carried on (see :attr:`gmmkit._core.fitting.EMSettings.short_runs`); 0 runs all.
    """
    rows = estimator._fit(
        X,
        source.sample_weight,
        starts,
        predict=False,
        source=source,
        options=options,
        rows="summary" if scores else None,
        short_runs=short_runs,
    )
    if not scores:
        return None
    return rows[:, 2].astype(np.intp), estimator._criteria_from_rows(
        rows[:, :2], source.sample_weight, source.total_weight
    )


def mixture_rows(mixture: GaussianMixture, X, want: str) -> np.ndarray:
    """Per-row outputs of a fitted ``mixture`` on validated ``X``, float64 whatever ``X``'s
    dtype: ``want`` is 'log_prob_norm', 'resp', 'argmax' or 'summary' (see
    :meth:`gmmkit._core.source.FeatureSource.per_row`). The seam other estimators use."""
    return mixture._predict_rows(X, want)


def draw_components(mixture: GaussianMixture, labels, rng) -> np.ndarray:
    """One draw from each component of a fitted ``mixture`` named in ``labels`` (ints), in
    that order, with the generator ``rng``."""
    return mixture._draw(labels, rng)


def feature_source(X, weight, covariance_type, n_components, options: Options) -> NumpySource:
    """The statistics features of validated ``X``, shifted to its (weighted) mean.

    ``n_components`` only sizes the sample chunks; a source built for the largest ``K`` of a
    sweep serves every smaller one. ``options`` sets the chunk size and the feature cache.
    """
    total_weight = float(X.shape[0] if weight is None else weight.sum())
    shift = _weighted_mean(X, weight, total_weight)
    return NumpySource(
        X,
        shift,
        covariance_model(covariance_type, X.shape[1]),
        n_components,
        sample_weight=weight,
        options=options,
    )


def _weighted_mean(X, weight, total_weight):
    if weight is None:
        return X.mean(axis=0, dtype=np.float64)
    return (weight @ X.astype(np.float64, copy=False)) / total_weight
