"""The public sweep: :func:`select`, its estimator form :class:`GaussianMixtureSelector`, and
the scorers for scikit-learn's own searches."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import _get_feature_names, check_is_fitted

from .._config import current_options
from .._dask_input import is_dask_collection
from .._validation import parameter_constraints, validate_data, validate_params
from ..criteria import CRITERIA
from ..mixture import _user_stacklevel
from ..standardizing import to_original_units
from .planning import SweepSettings, make_plan
from .polishing import polish
from .result import SelectionResult, best_index
from .running import run_sweep
from .warm_start import warm_start as run_warm_start


def select(
    X,
    n_components=range(1, 10),
    covariance_type="sklearn",
    criterion="bic",
    cv=None,
    *,
    n_init=1,
    init_params="hc+kmeans",
    random_state=None,
    n_jobs=None,
    sample_weight=None,
    tol=1e-4,
    reg_covar=1e-6,
    max_iter=100,
    silhouette_samples=2000,
    progress=False,
    accelerate=False,
    warm_start=False,
    standardize=False,
    prior=None,
) -> SelectionResult:
    """Fit a Gaussian mixture for every (n_components, covariance_type) and pick the best.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or a Dask array or DataFrame
        Dask input (the ``dask`` extra) is swept in lockstep: every configuration's EM
        advances together, each round's E-steps answered from one read of each block, so a
        sweep costs about as many passes over the data as its longest fit has iterations
        (:mod:`gmmkit.selection.dask_sweep`); the table and ``best_estimator_`` are those of
        the in-memory sweep from the same starts, to rounding. ``cv``, ``warm_start``,
        ``standardize`` and ``init_params='random'`` are then refused, and ``n_jobs`` is
        Dask's scheduler's business.
    n_components : int or list of int, default=range(1, 10)
    covariance_type : {'sklearn', 'all'}, a registered name or list of them, default='sklearn'
        'sklearn' sweeps scikit-learn's four structures (full, tied, diag, spherical); 'all'
        sweeps mclust's models (EII ... VVV, the built-ins under their mclust names VII, VVI,
        EEE and VVV) and any other registered model whose ``in_all`` is True.
    criterion : {'bic', 'aic', 'icl', 'cv', 'silhouette'}, default='bic'
        BIC, AIC and ICL are minimised; 'cv' (the mean held-out log-likelihood per sample, needs
        ``cv``) and 'silhouette' are maximised.
    cv : int, cross-validation splitter or None, default=None
        When given, every configuration is also fitted on each training fold and scored on the
        held-out fold (``cv_mean``/``cv_std`` columns). An int means shuffled K-fold.
    init_params : str, default='hc+kmeans'
        As in :class:`GaussianMixture`, or ``'hc+kmeans'``: every configuration fitted from
        mclust's hierarchical start (one tree for the whole sweep, cut at each ``k``) and
        from ``n_init`` k-means starts, keeping the best. The hierarchical start runs to
        convergence; each k-means start first gets 10 iterations and is carried on only when
        it is then already more likely than the hierarchical fit (or that fit is ill-posed),
        which spares most of the second fit at no cost to the table's best BIC on mclust's
        data sets (short runs first: Biernacki, Celeux & Govaert, 2003). A row is thus at
        least as good as the hierarchical start's fit alone, and usually as good as the
        better of both. ``'kmeans'`` gives the rows a scikit-learn loop gives.
    tol : float, default=1e-4
        As in :class:`GaussianMixture`, whose default (scikit-learn's) is 1e-3: ten times
        tighter here, near mclust's own stopping rule, because a run stopped early on a slowly
        rising likelihood can lose the comparison of starts to one that converged on a worse
        optimum (mclust's ``diabetes``, VVV with 3 components: 2303.49 against 2314.66).
    n_init, reg_covar, max_iter : as in :class:`GaussianMixture`
        Whatever ``tol`` and ``max_iter``, the chosen configuration (by an information
        criterion) is then polished: refitted from its own parameters to ``tol=1e-9``
        (:mod:`gmmkit.selection.polishing`), its row taking the polished criteria.
    random_state : int, RandomState or None, default=None
        Seeds every initialisation, fold split and silhouette subsample. Each configuration
        starts from this same seed, exactly as ``sklearn.mixture.GaussianMixture(k,
        covariance_type=..., random_state=random_state)`` in a loop would, so with an int the
        table is the same for any ``n_jobs`` and, with ``init_params='kmeans'`` and
        ``tol=1e-3``, each fit matches that scikit-learn fit.
    n_jobs : int or None, default=None
        Parallel worker threads over ``n_components`` (``-1`` for all cores, as in joblib). Each
        uses one BLAS thread, so parallel sweeps do not oversubscribe the cores; small sweeps run
        in one thread, where starting workers would cost more than it saves.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights for the fits, the criteria and the held-out scores.
    silhouette_samples : int or None, default=2000
        Silhouette is computed on a seeded subsample of at most this many rows (it is
        quadratic in n); their distance matrix is computed once for the whole sweep. ``None``
        skips it (the column is NaN), for sweeps that only need the likelihood criteria.
    progress : bool, default=False
        Show a progress bar over values of ``n_components`` (tqdm if installed, else lines on
        stderr).
    accelerate : bool, default=False
        Fit with SQUAREM-accelerated EM (see :class:`GaussianMixture`); rows then no longer
        match a scikit-learn loop's fits one to one.
    warm_start : bool, default=False
        After the sweep, also fit every ``k`` but the smallest from the previous ``k``'s
        fit, grown by splitting its widest components (:mod:`gmmkit._core.split`), one chain
        along ``n_components`` per covariance type. A row takes the warm fit only where its
        log-likelihood is higher (``start`` says which), so no row gets worse; on data with
        many components this often finds much better mixtures. The cross-validation columns
        keep their k-means starts. Costs about a second sweep.
    standardize : bool, default=False
        Fit every configuration on the standardized data :math:`z = (x - m) / s` (each
        feature's weighted mean and standard deviation, see
        :func:`gmmkit.standardizing.standardization`), so that the k-means starts, the
        diag and spherical fits and the silhouettes see every feature on the same scale. The
        table is in the original units all the same: ``log_likelihood`` and ``cv_mean`` are
        lowered by :math:`\\sum_j \\log s_j` and BIC, AIC and ICL raised by
        :math:`2 n \\sum_j \\log s_j` (:math:`n` the total weight), which ranks the rows as in
        ``z``; the silhouettes are those of the standardized data. ``best_estimator_`` is the
        best fit mapped back to the original units
        (:func:`gmmkit.standardizing.to_original_units`), so it predicts from raw rows and its
        BIC on ``X`` is the table's. One exception: a spherical model is diagonal in the
        original units, so a spherical ``best_estimator_`` comes back with
        ``covariance_type='diag'`` (and the diag parameter count, so its own BIC is higher
        than the table's), with a warning; ``best_params_`` still names the configuration
        swept. The folds of ``cv`` are standardized with the statistics of all the rows.
    prior : None, 'default' or ConjugatePrior, default=None
        mclust's conjugate prior for every fit (see :class:`GaussianMixture`), resolved
        from the data of each fit (its ``n_components`` and structure set the scale, as in
        mclust's ``defaultPrior``): maximum a posteriori fits, whose criteria use the
        log-likelihood at the MAP estimate, as ``Mclust(prior=priorControl())`` does.
        ``'all'`` then sweeps only the models that have a prior; naming one that has none
        is a ValueError.

    Returns
    -------
    SelectionResult

    Raises
    ------
    InvalidParameterError
        Before any fitting, for an argument outside its constraints (see
        :mod:`gmmkit._validation`: the same as :class:`GaussianMixture`'s for the parameters they
        share), such as an empty ``n_components``, an unknown criterion or covariance type or a
        negative ``tol``. It is a ``ValueError`` (and a ``TypeError``).
    ValueError
        Before any fitting, for a value of ``n_components`` above ``n_samples``,
        ``criterion='cv'`` without ``cv``, or ``cv`` with more folds than samples.
    """
    settings = SweepSettings(
        n_components=n_components,
        covariance_type=covariance_type,
        criterion=criterion,
        cv=cv,
        n_init=n_init,
        init_params=init_params,
        random_state=random_state,
        n_jobs=n_jobs,
        tol=tol,
        reg_covar=reg_covar,
        max_iter=max_iter,
        silhouette_samples=silhouette_samples,
        progress=progress,
        accelerate=accelerate,
        warm_start=warm_start,
        standardize=standardize,
        prior=prior,
    )
    validate_params("select", settings.as_params())
    return run_selection(X, settings, sample_weight)


def run_selection(X, settings: SweepSettings, sample_weight=None) -> SelectionResult:
    """:func:`select` with checked ``settings``: plan, sweep, warm-start chains, best row
    (a Dask array or DataFrame: the sweep in lockstep, :mod:`gmmkit.selection.dask_sweep`)."""
    if is_dask_collection(X):
        from .dask_sweep import run_dask_selection

        return run_dask_selection(X, settings, sample_weight)
    plan = make_plan(X, settings, sample_weight, current_options())
    rows, best_model, silhouettes = run_sweep(plan, settings)
    if settings.warm_start:
        best_model = run_warm_start(plan, settings, rows, best_model, silhouettes)
    if best_model is not None and CRITERIA[settings.criterion].information:
        best_model = polish(plan, settings, rows[best_index(rows, settings.criterion)], best_model)
    if plan.standardized is not None:
        best_model = _in_original_units(rows, best_model, plan)
    rows.sort(
        key=lambda row: (plan.covariance_types.index(row["covariance_type"]), row["n_components"])
    )
    best = best_index(rows, settings.criterion)
    names = _get_feature_names(X)
    if best_model is not None and names is not None:
        best_model.feature_names_in_ = names
    result = SelectionResult(
        rows=rows, criterion=settings.criterion, best_index_=best, best_estimator_=best_model
    )
    result.warn_about_range_and_convergence()
    return result


def _in_original_units(rows: list[dict], best_model, plan):
    r"""Move the scores of ``rows`` and ``best_model``, fitted on standardized data, to the
    original units, in place for the rows; returns the model (a new one, or None).

    With :math:`c = \sum_j \log s_j`, every log-density in ``z`` exceeds the one in ``x``
    by :math:`c`: the mean log-likelihoods drop by :math:`c` and BIC, AIC and ICL (each
    :math:`-2 \log L` plus a penalty) rise by :math:`2 n c`.
    """
    log_scale = plan.standardized.log_scale
    shift = 2.0 * plan.total_weight * log_scale
    for row in rows:
        row["log_likelihood"] -= log_scale
        row["cv_mean"] -= log_scale
        for name in ("bic", "aic", "icl"):
            row[name] += shift
    if best_model is None:
        return None
    swept = best_model.covariance_type
    best_model = to_original_units(best_model, plan.standardized)
    if best_model.covariance_type != swept:
        warnings.warn(
            f"select(standardize=True): the best model, {swept} in standardized units, is "
            f"{best_model.covariance_type} in the original units (the features' scales "
            f"differ), so best_estimator_.covariance_type is {best_model.covariance_type!r}; "
            f"best_params_ names the configuration swept",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
    return best_model


# ---------------------------------------------------------------------- estimator form
class GaussianMixtureSelector(DensityMixin, BaseEstimator):
    """A model-selection sweep as an estimator: ``fit`` runs :func:`select`, then the selector
    behaves like the best mixture (``predict``, ``predict_proba``, ``score_samples``, ``score``,
    ``sample``, ``bic``, ``aic``, ``icl``), so it can sit in a Pipeline.

    Parameters are those of :func:`select`.

    Attributes
    ----------
    best_estimator_ : GaussianMixture
    best_params_ : dict
    best_index_ : int
    rows_ : list of dict
        The table's rows; ``table_`` and ``result_`` are built from them.
    table_ : pandas.DataFrame or list of dict
    result_ : SelectionResult
    n_features_in_ : int
    """

    _parameter_constraints: dict = parameter_constraints("GaussianMixtureSelector")

    def __init__(
        self,
        n_components=tuple(range(1, 10)),
        covariance_type="sklearn",
        criterion="bic",
        cv=None,
        *,
        n_init=1,
        init_params="hc+kmeans",
        random_state=None,
        n_jobs=None,
        tol=1e-4,
        reg_covar=1e-6,
        max_iter=100,
        silhouette_samples=2000,
        progress=False,
        accelerate=False,
        warm_start=False,
        standardize=False,
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.criterion = criterion
        self.cv = cv
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.silhouette_samples = silhouette_samples
        self.progress = progress
        self.accelerate = accelerate
        self.warm_start = warm_start
        self.standardize = standardize
        self.prior = prior

    def fit(self, X, y=None, sample_weight=None):
        """Run the sweep and keep the best mixture."""
        self._validate_params()
        if not is_dask_collection(X):
            X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        result = run_selection(X, SweepSettings(**self.get_params(deep=False)), sample_weight)
        if is_dask_collection(X):  # the sweep validated the blocks; the best model knows them
            self.n_features_in_ = result.best_estimator_.n_features_in_
            names = getattr(result.best_estimator_, "feature_names_in_", None)
            if names is not None:
                self.feature_names_in_ = names
            else:
                vars(self).pop("feature_names_in_", None)
        self.rows_ = result.records()
        self.best_index_ = result.best_index_
        self.best_estimator_ = result.best_estimator_
        self.best_params_ = result.best_params_
        return self

    @property
    def result_(self) -> SelectionResult:
        """The sweep as a :class:`SelectionResult` (rebuilt from the fitted rows, so a saved
        and loaded selector has it too)."""
        check_is_fitted(self)
        return SelectionResult(
            rows=self.rows_,
            criterion=self.criterion,
            best_index_=self.best_index_,
            best_estimator_=self.best_estimator_,
        )

    @property
    def table_(self):
        """The sweep's table (see :attr:`SelectionResult.table`)."""
        return self.result_.table

    def _checked(self, X):
        check_is_fitted(self)
        if is_dask_collection(X):  # the best mixture checks Dask input (lazily, per block)
            return X
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def predict(self, X):
        """Most probable component of the best mixture for every row."""
        X = self._checked(X)
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Responsibilities under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.predict_proba(X)

    def score_samples(self, X):
        """Log-density of every row under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.score_samples(X)

    def score(self, X, y=None, sample_weight=None):
        """Mean (weighted) log-likelihood per sample under the best mixture."""
        X = self._checked(X)
        return self.best_estimator_.score(X, sample_weight=sample_weight)

    def bic(self, X, sample_weight=None):
        """BIC of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.bic(X, sample_weight=sample_weight)

    def aic(self, X, sample_weight=None):
        """AIC of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.aic(X, sample_weight=sample_weight)

    def icl(self, X, sample_weight=None):
        """ICL of the best mixture on ``X`` (lower is better)."""
        X = self._checked(X)
        return self.best_estimator_.icl(X, sample_weight=sample_weight)

    def sample(self, n_samples=1, random_state=None):
        """Draw from the best mixture (see :meth:`GaussianMixture.sample`)."""
        check_is_fitted(self)
        return self.best_estimator_.sample(n_samples, random_state=random_state)


# ---------------------------------------------------------------------- GridSearchCV scorers
def bic_scorer(estimator, X, y=None):
    """Negated BIC of ``estimator`` on ``X``, for ``GridSearchCV(scoring=bic_scorer)``.

    The sign is flipped so that greater is better, as scikit-learn's search expects. Note which
    data it sees: ``GridSearchCV`` calls a scorer on each *held-out* fold, so this is the BIC of
    the validation fold under the model fitted on the training folds (the penalty uses the
    fold's size), not the in-sample BIC that model selection usually means; :func:`select`
    computes the in-sample BIC on all the data.
    """
    return -float(estimator.bic(X))


def aic_scorer(estimator, X, y=None):
    """Negated AIC of ``estimator`` on ``X`` (greater is better); see :func:`bic_scorer` for
    which data ``GridSearchCV`` passes."""
    return -float(estimator.aic(X))
