r"""The sequential parametric-bootstrap likelihood-ratio test for the number of components
(McLachlan 1987; mclust's ``mclustBootstrapLRT``).

For :math:`g = 1, 2, \dots` the test compares :math:`H_0`: :math:`g` components against
:math:`H_1`: :math:`g + 1` components of the same covariance structure. The statistic

.. math:: \mathrm{LRTS}_g = 2 \, (\log L_{g+1} - \log L_g)

does not follow its textbook :math:`\chi^2` law (under :math:`H_0` the extra component's
parameters are not identifiable), so its null distribution is simulated: :math:`B` data sets
of :math:`n` rows are drawn from the :math:`g`-component model fitted to the data, both models
are refitted to each, and

.. math:: p_g = \frac{1 + \#\{b : \mathrm{LRTS}^{(b)}_g \ge \mathrm{LRTS}_g\}}{B + 1}.

The sequence stops at the first :math:`g` whose test is not significant (:math:`p_g` above
``level``), which is the number of components it selects, or when ``max_components`` is
reached.

How the fits start (the choices mclust leaves to its defaults, written out):

* On the data, :math:`g` components are fitted from mclust's hierarchical start, from
  ``n_init`` k-means starts and (for :math:`g \ge 2`) from the :math:`g - 1` component fit
  with its widest component split (:mod:`gmmkit._core.split`); the best is kept, a well-posed
  fit before an ill-posed one, then the higher likelihood. So each fit is at least as good as
  the one the previous test used, and the fits of the sequence form one chain.
* On a replicate, the :math:`g`-component model is refitted from the parameters it was drawn
  from, and the :math:`g + 1` one from the data's :math:`g + 1` fit (what mclust does) and from
  the replicate's own :math:`g` fit with a component split; the better is kept, chosen as on
  the data.
* Every EM is SQUAREM-accelerated and runs to a tight ``tol``: the :math:`g + 1` refit of a
  replicate drawn from :math:`g` components converges slowly (its extra component is
  redundant), and stopping it early would bias the simulated statistics, and the p-values,
  low.
* The :math:`g`-component model is nested in the :math:`g + 1` one (a component taken twice
  with half its weight each), so the maximised statistic is never negative. A refit of
  :math:`g + 1` components that ends below the :math:`g` fit has not reached the maximum (a
  local optimum, or EM still creeping toward the nested model, where under :math:`H_0` the
  maximum often lies); its statistic is then the nested model's, 0, where mclust keeps the
  negative value. ``n_clamped`` counts these.

Ill-posed fits (see :attr:`gmmkit.GaussianMixture.ill_posed_`): when the best
:math:`g + 1` fit to the data is ill-posed, its likelihood measures ``reg_covar`` more than the
data, so :math:`g` against :math:`g + 1` is not tested: the sequence stops and selects
:math:`g`, and ``stop_reason`` says why. Ill-posed refits of replicates are kept (preferring a
well-posed candidate where there is one) and counted in ``n_ill_posed``.

Reproducibility: one :class:`numpy.random.SeedSequence` is derived from ``random_state`` and
spawned into one child per test and one grandchild per replicate before any replicate runs, so
each replicate's data and fits depend on its own seed only: results are the same for any
``n_jobs`` and any scheduling of the workers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

from .._config import Options, current_options, using_options
from .._core.covariances import covariance_model
from .._core.split import split_components
from .._validation import reject_masked, reject_text_columns, validate_params
from ..mixture import GaussianMixture
from ._seeds import seed_sequence

__all__ = ["BootstrapLRTResult", "bootstrap_lrt", "bootstrap_p_value"]


def bootstrap_lrt(
    X,
    covariance_type="full",
    *,
    max_components=9,
    n_bootstrap=999,
    level=0.05,
    random_state=None,
    n_jobs=None,
    n_init=1,
    tol=1e-8,
    reg_covar=1e-6,
    max_iter=1000,
) -> BootstrapLRTResult:
    r"""Choose the number of components by sequential parametric-bootstrap likelihood-ratio
    tests of :math:`g` against :math:`g + 1` components (mclust's ``mclustBootstrapLRT``).

    For :math:`g = 1, 2, \dots`: fit :math:`g` and :math:`g + 1` components to ``X``, take
    :math:`\mathrm{LRTS}_g = 2(\log L_{g+1} - \log L_g)`, simulate ``n_bootstrap`` data sets of
    ``n_samples`` rows from the fitted :math:`g`-component model, refit both models to each and
    compute :math:`p_g = (1 + \#\{b : \mathrm{LRTS}^{(b)}_g \ge \mathrm{LRTS}_g\}) / (B + 1)`.
    Stop at the first :math:`g` with :math:`p_g >` ``level`` (select :math:`g`), or after
    testing ``max_components - 1`` against ``max_components`` (select ``max_components``). See
    :mod:`gmmkit.inference.lrt` for how the fits start and what happens to ill-posed ones.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data (a DataFrame's columns must all hold numbers).
    covariance_type : str, default='full'
        Any registered covariance model (see :func:`gmmkit.covariance_types`): scikit-learn's
        'full', 'tied', 'diag', 'spherical' or mclust's EII ... VVV (E and V for one feature).
    max_components : int, default=9
        The most components fitted, at least 2: the last test is ``max_components - 1``
        against ``max_components``. mclust's default ``G = 1:9`` is ``max_components=9``;
        its ``maxG`` is ``max_components - 1``.
    n_bootstrap : int, default=999
        Replicates :math:`B` per test. The smallest possible p-value is :math:`1 / (B + 1)`:
        below ``1 / level - 1`` replicates no test can be significant (a warning says so).
    level : float, default=0.05
        A test is significant when :math:`p_g \le` ``level``; the sequence stops at the first
        that is not. In (0, 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the starts of the fits to ``X`` and every replicate (see the module's notes);
        with an int, the result is the same for any ``n_jobs``.
    n_jobs : int or None, default=None
        Replicates run in parallel with joblib (processes); None means 1, -1 all cores.
    n_init : int, default=1
        k-means starts of each fit to ``X``, besides the hierarchical and the split starts.
    tol : float, default=1e-8
        EM (SQUAREM-accelerated, see :class:`~gmmkit.GaussianMixture`'s ``accelerate``) stops
        when the mean log-likelihood per row changes by less than ``tol``. Far tighter than
        :class:`~gmmkit.GaussianMixture`'s 1e-3: under the null hypothesis the
        :math:`g + 1` component refit of a replicate converges slowly (its extra component is
        redundant), and stopping it early biases the bootstrap statistics low and the
        p-values with them (at 1e-5, by about a quarter of the median statistic on Old
        Faithful, EEE with 2 against 3 components).
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance (mclust has none: 0 matches it).
    max_iter : int, default=1000
        EM iterations at most per fit.

    Returns
    -------
    BootstrapLRTResult

    Raises
    ------
    InvalidParameterError
        Before any fit, for an argument outside its constraints (an unknown covariance type,
        ``n_bootstrap=0``, ``level=1.5``...). It is a ``ValueError`` (and a ``TypeError``).
    ValueError
        Before any fit, for ``max_components`` below 2 or above ``n_samples``, or data that
        are not a 2-D array of finite numbers with at least 2 rows.

    References
    ----------
    McLachlan, G. J. (1987). On bootstrapping the likelihood ratio test statistic for the
    number of components in a normal mixture. *Applied Statistics*, 36(3), 318-324.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmkit.inference.lrt import bootstrap_lrt
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))]
    >>> bootstrap_lrt(X, "VVV", max_components=4, n_bootstrap=19, random_state=0).n_components
    2
    """
    params = {
        "covariance_type": covariance_type,
        "max_components": max_components,
        "n_bootstrap": n_bootstrap,
        "level": level,
        "random_state": random_state,
        "n_jobs": n_jobs,
        "n_init": n_init,
        "tol": tol,
        "reg_covar": reg_covar,
        "max_iter": max_iter,
    }
    validate_params("bootstrap_lrt", params)
    reject_masked(X)
    reject_text_columns(X)
    X = check_array(X, dtype=np.float64, ensure_min_samples=2, order="C")
    n_samples = X.shape[0]
    if max_components < 2:
        raise ValueError(
            f"max_components must be >= 2, got {max_components}: the first test "
            "compares 1 with 2 components"
        )
    if n_jobs == 0:
        raise ValueError(
            "n_jobs must be a number of workers, -1 for all cores or None for one, got 0"
        )
    if max_components > n_samples:
        raise ValueError(
            f"max_components={max_components} exceeds n_samples={n_samples}: a "
            "mixture needs at least one sample per component"
        )
    if 1.0 / (n_bootstrap + 1) > level:
        warnings.warn(
            f"n_bootstrap={n_bootstrap} replicates give p-values of at least "
            f"{1.0 / (n_bootstrap + 1):.3g}, above level={level}: no test can be significant, "
            f"so the test selects 1 component; use n_bootstrap >= {math.ceil(1 / level) - 1}",
            UserWarning,
            stacklevel=2,
        )
    settings = _FitSettings(covariance_type, tol, reg_covar, max_iter, n_init)
    # one child per test and one for the fits to X, spawned before anything is drawn
    observed_seed, *test_seeds = seed_sequence(random_state).spawn(max_components)
    return _run_sequence(
        X,
        settings,
        max_components,
        n_bootstrap,
        level,
        n_jobs,
        observed_seed,
        test_seeds,
        current_options(),
    )


def bootstrap_p_value(observed, replicates) -> float:
    r"""The bootstrap p-value :math:`(1 + \#\{b : T_b \ge T\}) / (B + 1)` of an observed
    statistic :math:`T` against :math:`B` replicate statistics :math:`T_b`.

    Counting the observed statistic among the replicates makes it a valid p-value for any
    :math:`B`: under the null hypothesis, :math:`P(p \le \alpha) \le \alpha`.

    Parameters
    ----------
    observed : float
    replicates : array-like of shape (B,)

    Returns
    -------
    float
        In :math:`[1 / (B + 1), 1]`.
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    if replicates.ndim != 1 or replicates.size == 0:
        raise ValueError(
            f"replicates must be a non-empty 1-d array of statistics, got shape {replicates.shape}"
        )
    if np.isnan(observed) or np.isnan(replicates).any():
        raise ValueError("observed and replicates must not be NaN")
    return float((1 + np.count_nonzero(replicates >= observed)) / (replicates.size + 1))


# ---------------------------------------------------------------------- result
class BootstrapLRTResult:
    r"""What :func:`bootstrap_lrt` found: one row per test of :math:`g` against :math:`g + 1`
    components, and the number of components the sequence selects.

    Attributes
    ----------
    n_components : int
        The number of components selected: the :math:`g` of the first test that is not
        significant, the :math:`g` whose :math:`g + 1` fit to the data is ill-posed, or
        ``max_components`` when every test up to it is significant.
    covariance_type : str
    level : float
    n_bootstrap : int
    n_samples : int
    max_components : int
    g : ndarray of shape (n_tests,)
        The null hypothesis's number of components of each test, 1, 2, ...
    lrts : ndarray of shape (n_tests,)
        The observed statistics :math:`2(\log L_{g+1} - \log L_g)`.
    p_values : ndarray of shape (n_tests,)
    bootstrap_lrts : ndarray of shape (n_tests, n_bootstrap)
        Each test's replicate statistics, in the order of their seeds.
    n_clamped : ndarray of shape (n_tests,)
        Replicates whose best :math:`g + 1` refit was below their :math:`g` refit (a local
        optimum), so their statistic is the nested model's 0.
    n_ill_posed : ndarray of shape (n_tests,)
        Replicates with an ill-posed :math:`g` or :math:`g + 1` refit (kept all the same).
    log_likelihoods : dict of int to float
        The total log-likelihood of each fit to the data, by number of components.
    models : dict of int to GaussianMixture
        The fits to the data, by number of components; ``models[n_components]`` is the
        selected mixture.
    stop_reason : str
        Why the sequence stopped, in words.
    """

    def __init__(
        self,
        *,
        covariance_type,
        level,
        n_bootstrap,
        n_samples,
        max_components,
        tests,
        models,
        log_likelihoods,
        n_components,
        stop_reason,
    ):
        self.covariance_type = covariance_type
        self.level = level
        self.n_bootstrap = n_bootstrap
        self.n_samples = n_samples
        self.max_components = max_components
        self.g = np.array([test.g for test in tests], dtype=np.intp)
        self.lrts = np.array([test.lrts for test in tests], dtype=np.float64)
        self.p_values = np.array([test.p_value for test in tests], dtype=np.float64)
        self.bootstrap_lrts = np.array(
            [test.replicates for test in tests], dtype=np.float64
        ).reshape(len(tests), n_bootstrap)
        self.n_clamped = np.array([test.n_clamped for test in tests], dtype=np.intp)
        self.n_ill_posed = np.array([test.n_ill_posed for test in tests], dtype=np.intp)
        self.models = models
        self.log_likelihoods = log_likelihoods
        self.n_components = n_components
        self.stop_reason = stop_reason

    def records(self) -> list[dict]:
        """One dict per test: ``g``, ``alternative`` (:math:`g + 1`), ``lrts``, ``p_value``,
        ``significant``, ``n_clamped``, ``n_ill_posed``."""
        return [
            {
                "g": int(g),
                "alternative": int(g) + 1,
                "lrts": float(lrts),
                "p_value": float(p),
                "significant": bool(p <= self.level),
                "n_clamped": int(clamped),
                "n_ill_posed": int(ill),
            }
            for g, lrts, p, clamped, ill in zip(
                self.g, self.lrts, self.p_values, self.n_clamped, self.n_ill_posed
            )
        ]

    def to_frame(self):
        """The tests as a pandas DataFrame, the columns of :meth:`records` (needs pandas)."""
        import pandas as pd

        columns = ["g", "alternative", "lrts", "p_value", "significant", "n_clamped", "n_ill_posed"]
        return pd.DataFrame(self.records(), columns=columns)

    def __str__(self) -> str:
        title = (
            f"Bootstrap sequential LRT for the number of components "
            f"(covariance {self.covariance_type}, {self.n_samples} rows, "
            f"{self.n_bootstrap} replicates per test, level {self.level:g})"
        )
        lines = [title, f"  {'g vs g+1':>10} {'LRTS':>12} {'p-value':>8}"]
        for row in self.records():
            mark = "*" if row["significant"] else ""
            lines.append(
                f"  {row['g']:>4} vs {row['alternative']:<3} {row['lrts']:>12.4f} "
                f"{row['p_value']:>8.4f} {mark}".rstrip()
            )
        lines.append(
            f"selected: {self.n_components} "
            f"component{'s' if self.n_components != 1 else ''} ({self.stop_reason})"
        )
        clamped, ill_posed = int(self.n_clamped.sum()), int(self.n_ill_posed.sum())
        if clamped or ill_posed:
            lines.append(
                f"note: {clamped} replicate(s) whose (g+1)-component refit did not "
                f"exceed the g-component one (statistic 0, the nested model's; "
                f"n_clamped), {ill_posed} with an ill-posed refit (n_ill_posed)"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def plot(self, ax=None):
        """Each test's bootstrap distribution (a histogram) against its observed statistic
        (a vertical line), one panel per test. Needs matplotlib.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of Axes or None, default=None
            One Axes per test (a single Axes when there is one test); None draws on a new
            :class:`matplotlib.figure.Figure` with one panel per test.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            When no test was run (the 2-component fit is ill-posed), or ``ax`` does not hold
            one Axes per test.
        """
        from ..plotting import _require_matplotlib

        _require_matplotlib()
        n_tests = len(self.g)
        if n_tests == 0:
            raise ValueError(f"no test was run, so there is nothing to plot: {self.stop_reason}")
        if ax is None:
            from matplotlib.figure import Figure

            columns = min(n_tests, 3)
            rows = max(1, math.ceil(n_tests / columns))
            figure = Figure(figsize=(3.6 * max(columns, 1), 3.0 * rows), layout="constrained")
            axes = [figure.add_subplot(rows, max(columns, 1), i + 1) for i in range(n_tests)]
        else:
            axes = list(np.ravel(np.asarray(ax, dtype=object)))
            if len(axes) != n_tests:
                raise ValueError(f"ax must hold one Axes per test ({n_tests}), got {len(axes)}")
            figure = axes[0].figure
        for axis, g, observed, replicates, p in zip(
            axes, self.g, self.lrts, self.bootstrap_lrts, self.p_values
        ):
            axis.hist(replicates, bins="auto", color="0.75", edgecolor="0.4")
            axis.axvline(
                observed, color="C3", linestyle="--", linewidth=2, label=f"observed {observed:.2f}"
            )
            axis.set_title(f"{g} vs {g + 1} components (p = {p:.3g})")
            axis.set_xlabel("bootstrap LRTS")
            axis.set_ylabel("replicates")
            axis.legend(loc="upper right", fontsize="small")
        return figure


# ---------------------------------------------------------------------- the sequence
@dataclass(frozen=True)
class _FitSettings:
    """How every mixture of one run is fitted (picklable: it goes to the workers)."""

    covariance_type: str
    tol: float
    reg_covar: float
    max_iter: int
    n_init: int


@dataclass(frozen=True)
class _Test:
    """One test of ``g`` against ``g + 1`` components: a row of the result."""

    g: int
    lrts: float
    p_value: float
    replicates: np.ndarray
    n_clamped: int
    n_ill_posed: int


def _run_sequence(
    X,
    settings,
    max_components,
    n_bootstrap,
    level,
    n_jobs,
    observed_seed,
    test_seeds,
    options: Options,
) -> BootstrapLRTResult:
    from joblib import Parallel, delayed

    n_samples = X.shape[0]
    fit_seeds = observed_seed.generate_state(max_components)
    models, log_likelihoods = {}, {}
    models[1], log_likelihoods[1] = _fit_observed(X, 1, None, settings, int(fit_seeds[0]))
    tests = []
    n_components = max_components
    stop_reason = f"every test up to max_components = {max_components} is significant"
    with Parallel(n_jobs=n_jobs) as parallel:
        for g in range(1, max_components):
            alternative, log_likelihoods[g + 1] = _fit_observed(
                X, g + 1, models[g], settings, int(fit_seeds[g])
            )
            models[g + 1] = alternative
            if alternative.ill_posed_ is not None:
                n_components = g
                stop_reason = (
                    f"{g} is not tested against {g + 1}: the {g + 1}-component "
                    f"fit is ill-posed, {alternative.ill_posed_}"
                )
                break
            observed = 2.0 * max(log_likelihoods[g + 1] - log_likelihoods[g], 0.0)
            outcomes = parallel(
                delayed(_replicate)(models[g], alternative, n_samples, seed, settings, options)
                for seed in test_seeds[g - 1].spawn(n_bootstrap)
            )
            replicates = np.array([outcome[0] for outcome in outcomes])
            test = _Test(
                g,
                observed,
                bootstrap_p_value(observed, replicates),
                replicates,
                sum(outcome[1] for outcome in outcomes),
                sum(outcome[2] for outcome in outcomes),
            )
            tests.append(test)
            if test.p_value > level:
                n_components = g
                stop_reason = (
                    f"the first test that is not significant: {g} vs {g + 1}, "
                    f"p = {test.p_value:.4g} > {level:g}"
                )
                break
    return BootstrapLRTResult(
        covariance_type=settings.covariance_type,
        level=level,
        n_bootstrap=n_bootstrap,
        n_samples=n_samples,
        max_components=max_components,
        tests=tests,
        models=models,
        log_likelihoods=log_likelihoods,
        n_components=n_components,
        stop_reason=stop_reason,
    )


def _replicate(
    null: GaussianMixture,
    alternative: GaussianMixture,
    n_samples: int,
    seed: np.random.SeedSequence,
    settings: _FitSettings,
    options: Options,
):
    """``(statistic, clamped, ill_posed)`` of one replicate: ``n_samples`` rows drawn from
    ``null`` with ``seed``, refitted with ``null``'s and ``alternative``'s numbers of
    components (see the module's notes)."""
    with using_options(options):
        rng = np.random.RandomState(np.random.MT19937(seed))
        X, _ = null.sample(n_samples, random_state=rng)
        refit_null = _fit_from(X, null.weights_, null.means_, null.covariances_, settings)
        candidates = [
            _fit_from(
                X, alternative.weights_, alternative.means_, alternative.covariances_, settings
            ),
            _fit_split(X, refit_null, alternative.n_components, settings),
        ]
        refit_alternative, alternative_log_likelihood = _best(candidates, X)
        difference = alternative_log_likelihood - _log_likelihood(refit_null, X)
        ill_posed = refit_null.ill_posed_ is not None or refit_alternative.ill_posed_ is not None
        return 2.0 * max(difference, 0.0), difference < 0.0, ill_posed


# ---------------------------------------------------------------------- fits
def _fit_observed(
    X, k: int, previous: GaussianMixture | None, settings: _FitSettings, seed: int
) -> tuple[GaussianMixture, float]:
    """The best ``k``-component fit to the data and its log-likelihood: from the hierarchical
    start, the k-means starts and, given the ``previous`` (``k - 1``) fit, that fit with a
    component split."""
    candidates = [
        _fit(
            GaussianMixture(
                k, init_params="kmeans", n_init=settings.n_init, random_state=seed, **_em(settings)
            ),
            X,
        )
    ]
    if k > 1:
        candidates.append(
            _fit(GaussianMixture(k, init_params="hc", random_state=seed, **_em(settings)), X)
        )
    if previous is not None:
        candidates.append(_fit_split(X, previous, k, settings))
    return _best(candidates, X)


def _fit_split(X, model: GaussianMixture, k: int, settings: _FitSettings) -> GaussianMixture:
    """``model`` grown to ``k`` components by splitting its widest ones, refitted to ``X``."""
    weights, means, covariances = split_components(
        settings.covariance_type, model.weights_, model.means_, model.covariances_, k
    )
    return _fit_from(X, weights, means, covariances, settings)


def _fit_from(X, weights, means, covariances, settings: _FitSettings) -> GaussianMixture:
    """EM on ``X`` from the given parameters."""
    precisions = covariance_model(settings.covariance_type, means.shape[1]).invert(
        np.asarray(covariances, dtype=np.float64), symmetric=True
    )
    return _fit(
        GaussianMixture(
            len(weights),
            weights_init=weights,
            means_init=means,
            precisions_init=precisions,
            **_em(settings),
        ),
        X,
    )


def _em(settings: _FitSettings) -> dict:
    return {
        "covariance_type": settings.covariance_type,
        "tol": settings.tol,
        "reg_covar": settings.reg_covar,
        "max_iter": settings.max_iter,
        "accelerate": True,
    }


def _fit(model: GaussianMixture, X) -> GaussianMixture:
    """``model`` fitted to ``X``; an accelerated fit whose extrapolated step breaks the
    M-step (SQUAREM can jump to statistics that EVE's iterative M-step cannot decompose:
    "SVD did not converge") is rerun with plain EM, which only takes M-steps of real data."""
    # convergence and degeneracy warnings of single fits: the result counts what matters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return model.fit(X)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            if not model.accelerate:
                raise
            return model.set_params(accelerate=False).fit(X)


def _log_likelihood(model: GaussianMixture, X) -> float:
    """The total log-likelihood :math:`\\sum_i \\log p(x_i)` of the fitted parameters."""
    return float(model.score_samples(X).sum())


def _best(candidates: list[GaussianMixture], X) -> tuple[GaussianMixture, float]:
    """The best of several fits to ``X`` (a well-posed one, then the higher likelihood; the
    first of equals) and its log-likelihood, each candidate scored once."""
    scored = [(model.ill_posed_ is None, _log_likelihood(model, X), model) for model in candidates]
    _, log_likelihood, model = max(scored, key=lambda entry: entry[:2])
    return model, log_likelihood
