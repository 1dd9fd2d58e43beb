r"""Discriminant analysis on mclust's covariance models: EDDA and cross-validated errors.

Eigenvalue-decomposition discriminant analysis (EDDA; Bensmail & Celeux, 1996) models class
:math:`c` by one Gaussian :math:`\mathcal N(\mu_c, \Sigma_c)` with
:math:`\Sigma_c = \lambda_c D_c A_c D_c^T`, and one of mclust's covariance models for all
classes: its letters say which of volume :math:`\lambda`, shape :math:`A` and orientation
:math:`D` the classes share (EEE is linear discriminant analysis, VVV quadratic). The
maximum-likelihood parameters given the labels are the model's M-step with one component
per class and the responsibilities fixed to the one-hot labels,

.. math:: r_{ic} = [y_i = c],

iterated to its fixed point for the models whose M-step iterates (VEI, VEV, VEE, EVE,
VVE): the statistics do not change, so the M-step alone is repeated, warm started, until no
covariance moves. Candidates are compared as mclust's ``MclustDA(modelType = "EDDA")``
does, by the likelihood of ``X`` alone,

.. math:: \log L = \sum_i w_i \log \sum_c \pi_c\, \mathcal N(x_i \mid \mu_c, \Sigma_c),

and :math:`\mathrm{BIC} = -2 \log L + p \log n`, with :math:`p` the means, the covariance
parameters and, when the class priors are estimated, the :math:`C - 1` priors (mclust 6.1's
count; mclust 6.0 leaves the priors out, which lowers every candidate's BIC by the same
:math:`(C - 1) \log n`).

:func:`cross_validate` is mclust's ``cvMclustDA``: balanced folds, the classification error
and the Brier score of every fold, their means weighted by fold size and mclust's standard
errors.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._config import current_options
from ._core import covariances
from ._core.covariances import (
    M_STEP_TOL,
    MixtureParams,
    MStepContext,
    count_padding,
    covariance_model,
    swept_covariance_types,
)
from ._core.em import m_step
from ._core.fitting import score_rows
from ._core.posedness import feature_variances, ill_posed_reason
from ._core.prior import models_with_prior, resolve_prior
from ._validation import COVARIANCE_TYPE, Choices, InvalidParameterError, ListsOf
from .mixture import GaussianMixture, feature_source, mixture_rows
from .standardizing import to_original_units

__all__ = [
    "CrossValidation",
    "EDDAFit",
    "balanced_folds",
    "brier_score",
    "cross_validate",
    "fit_edda",
]

#: Inner iterations an iterative model's M-step may take per call. EM gives it few
#: (:data:`gmmkit._core.covariances.M_STEP_MAX_ITER`) because the next E-step moves the
#: statistics anyway; here they never change, so every call may run long.
INNER_ITER = 50
#: Most calls of the M-step on the fixed class statistics. Each raises the likelihood; EVE and
#: VVE, whose common orientation converges only linearly, take a few on iris (4 features)
#: and about 400 on breast cancer (30 features).
MAX_M_STEPS = 2_000

_COVARIANCE_SETTING = (COVARIANCE_TYPE, Choices(covariances.SWEEPS), ListsOf(COVARIANCE_TYPE))


# ---------------------------------------------------------------------- per-class settings
def check_class_settings(settings: dict, name: str) -> None:
    """Each value of a ``{class: covariance_type}`` dict is a registered name, a sweep name
    (``'all'``, ``'sklearn'``) or a non-empty list of names."""
    for label, value in settings.items():
        if not any(constraint.is_satisfied_by(value) for constraint in _COVARIANCE_SETTING):
            raise InvalidParameterError(
                f"each value of {name} must be a registered covariance model "
                f"({list(covariances.covariance_types())}), 'all', 'sklearn' or a list of "
                f"names, got {value!r} for class {label!r}"
            )


def class_setting(setting, label, name: str, classes):
    """The value of ``setting`` for class ``label``: the dict's entry (which must exist, and
    the dict may name no other label than ``classes``), or ``setting`` itself."""
    if not isinstance(setting, dict):
        return setting
    known = classes.tolist()
    extra = [c for c in setting if c not in set(known)]
    if extra:
        raise ValueError(f"{name} names label(s) {extra} that are not classes in y ({known})")
    if label not in setting:
        raise ValueError(
            f"{name} has no entry for class {label!r}; it must name every class: {known}"
        )
    return setting[label]


# ---------------------------------------------------------------------- EDDA
@dataclass
class EDDAFit:
    """What :func:`fit_edda` chose.

    Attributes
    ----------
    covariance_type : str
        The chosen model.
    mixtures : list of GaussianMixture
        One fitted one-component mixture per class, in the order of the class indices, in
        the original units.
    table : list of dict
        One row per candidate (see :attr:`gmmkit.MixtureClassifier.model_table_`).
    n_parameters : int
        :math:`p` of the chosen row.
    n_iter : int
        Calls of the chosen model's M-step (each of up to :data:`INNER_ITER` inner
        iterations for the iterative models).
    converged : bool
        Whether its M-step reached its fixed point within :data:`MAX_M_STEPS` calls.
    ill_posed : str or None
        Why the chosen model is ill-posed: only when every candidate is, the one with the
        lowest criterion is kept, held by ``reg_covar``.
    """

    covariance_type: str
    mixtures: list
    table: list
    n_parameters: int
    n_iter: int
    converged: bool
    ill_posed: str | None = None


@dataclass
class _Candidate:
    row: dict
    params: MixtureParams | None = None
    shift: np.ndarray | None = None
    n_iter: int = 0
    converged: bool = False


def fit_edda(
    X,
    class_index,
    n_classes: int,
    covariance_type="all",
    *,
    class_prior,
    sample_weight=None,
    estimated_priors: int | None = None,
    criterion: str = "bic",
    reg_covar: float = 1e-6,
    prior=None,
    standardized=None,
    mixture_params: dict | None = None,
) -> EDDAFit:
    r"""EDDA: every candidate model's maximum-likelihood fit given the labels, and the best.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated data (standardized when ``standardized`` is given).
    class_index : ndarray of int, shape (n_samples,)
        Each row's class, ``0..n_classes-1``; every class has at least two rows.
    n_classes : int
    covariance_type : str or list of str, default='all'
        The candidates: a registered name, a list of them, ``'sklearn'`` or ``'all'``
        (mclust's 14 models; with a ``prior``, those that have one).
    class_prior : ndarray of shape (n_classes,)
        :math:`\pi_c` of the likelihood of ``X``.
    sample_weight : ndarray of shape (n_samples,), optional
    estimated_priors : int, optional
        Parameters the priors count for: :math:`C - 1` when they are estimated (the
        default), 0 when they were given.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        What is minimised; ICL adds twice the entropy of the class posteriors to BIC.
    reg_covar : float, default=1e-6
        Added to every covariance's diagonal, as in :class:`~gmmkit.GaussianMixture`.
    prior : None, 'default' or ConjugatePrior, default=None
        mclust's conjugate prior (maximum a posteriori estimates), resolved from ``X`` with
        ``n_classes`` components.
    standardized : Standardization, optional
        The change of units ``X`` is in: the mixtures are mapped back to the original units
        and the table's likelihoods and criteria are those of the original data.
    mixture_params : dict, optional
        Hyperparameters of the per-class :class:`~gmmkit.GaussianMixture` objects returned
        (``tol``, ``max_iter``, ...); they are not fitted by EM.

    Returns
    -------
    EDDAFit

    Raises
    ------
    ValueError
        If no candidate can be fitted.
    """
    if estimated_priors is None:
        estimated_priors = n_classes - 1
    names = swept_covariance_types(covariance_type)
    if (
        prior is not None
        and isinstance(covariance_type, str)
        and covariance_type in covariances.SWEEPS
    ):
        names = [name for name in names if name in set(models_with_prior())]
    options = current_options()
    variances = feature_variances(X, sample_weight)
    log_scale = 0.0 if standardized is None else standardized.log_scale
    candidates = []
    for name in names:
        try:
            candidate = _fit_candidate(
                X,
                class_index,
                n_classes,
                name,
                sample_weight,
                class_prior,
                reg_covar,
                prior,
                variances,
                options,
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            candidate = _Candidate(
                {
                    "covariance_type": name,
                    "log_likelihood": np.nan,
                    "n_parameters": np.nan,
                    "bic": np.nan,
                    "aic": np.nan,
                    "icl": np.nan,
                    "ill_posed": f"fit failed: {exc}",
                }
            )
        else:
            row = candidate.row
            row["n_parameters"] -= (n_classes - 1) - estimated_priors
            total = row.pop("total_weight")
            row["log_likelihood"] -= total * log_scale
            bic = -2.0 * row["log_likelihood"] + row["n_parameters"] * np.log(total)
            row.update(
                bic=float(bic),
                aic=float(-2.0 * row["log_likelihood"] + 2.0 * row["n_parameters"]),
                icl=float(bic + 2.0 * row.pop("entropy")),
            )
        candidates.append(candidate)
    best = _best(candidates, criterion)
    mixtures = _class_mixtures(
        best, X, class_index, n_classes, sample_weight, mixture_params or {}, standardized
    )
    return EDDAFit(
        best.row["covariance_type"],
        mixtures,
        [c.row for c in candidates],
        int(best.row["n_parameters"]),
        best.n_iter,
        best.converged,
        best.row["ill_posed"],
    )


def _fit_candidate(
    X, class_index, n_classes, name, weight, class_prior, reg_covar, prior, variances, options
) -> _Candidate:
    """The maximum-likelihood (or MAP) parameters of model ``name`` given the labels, and
    its row of the table (likelihood of ``X``, entropy, parameters, posedness)."""
    model = covariance_model(name, X.shape[1])
    resolved = resolve_prior(prior, X, weight, n_classes, model)
    source = feature_source(X, weight, name, n_classes, options)
    stats = source.responsibility_statistics(class_index, n_classes)
    context = MStepContext(
        reg_covar,
        source.total_weight,
        max_iter=INNER_ITER,
        data_terms=model.prepare(source),
        prior=None if resolved is None else resolved.shifted(source.shift),
        count_padding=count_padding(source.total_weight, source.n_samples),
    )
    params, recovered, added = m_step(model, stats, context)
    recoveries = {int(k): added for k in recovered}
    converged = False
    n_iter = 1
    # closed-form models give back the same covariances at once; iterative ones climb to
    # their fixed point, each M-step warm started from the last
    while n_iter < MAX_M_STEPS:
        params_next, recovered, added = m_step(model, stats, replace(context, previous=params))
        n_iter += 1
        change = _relative_change(params_next.covariances, params.covariances)
        params = params_next
        recoveries = {int(k): added for k in recovered}
        if change <= M_STEP_TOL:
            converged = True
            break
    assert params.covariances is not None  # an M-step sets them
    reason = ill_posed_reason(
        model,
        params.weights,
        params.covariances,
        n_samples=X.shape[0],
        data_variances=variances,
        reg_covar=reg_covar,
        recovered=recoveries,
        prior=resolved is not None,
    )
    scored = MixtureParams(
        np.asarray(class_prior, dtype=np.float64),
        params.means,
        params.covariances,
        params.precisions_cholesky,
    )
    rows = score_rows(source, scored, "summary")[:, :2]
    log_likelihood, entropy = rows.sum(axis=0) if weight is None else weight @ rows
    row = {
        "covariance_type": name,
        "log_likelihood": float(log_likelihood),
        "n_parameters": int(model.n_parameters(n_classes)),
        "entropy": float(entropy),
        "total_weight": source.total_weight,
        "ill_posed": reason,
    }
    return _Candidate(row, params, source.shift, n_iter, converged)


def _relative_change(new, old) -> float:
    """Largest change of one entry of the covariances relative to the largest entry."""
    new, old = np.asarray(new), np.asarray(old)
    scale = np.abs(new).max()
    return 0.0 if scale == 0 else float(np.abs(new - old).max() / scale)


def _best(candidates: list[_Candidate], criterion: str) -> _Candidate:
    """The candidate with the lowest criterion, a well-posed one before any ill-posed one."""
    fitted = [c for c in candidates if c.params is not None and np.isfinite(c.row[criterion])]
    if not fitted:
        reasons = "; ".join(f"{c.row['covariance_type']}: {c.row['ill_posed']}" for c in candidates)
        raise ValueError(f"mode='edda': no candidate covariance model could be fitted ({reasons})")
    well_posed = [c for c in fitted if c.row["ill_posed"] is None]
    return min(well_posed or fitted, key=lambda c: c.row[criterion])


def _class_mixtures(
    best: _Candidate, X, class_index, n_classes, weight, mixture_params, standardized
) -> list[GaussianMixture]:
    """One fitted one-component :class:`~gmmkit.GaussianMixture` per class from the chosen
    parameters (covariances shared by all classes, such as ``tied``'s, copied into each)."""
    name = best.row["covariance_type"]
    model = covariance_model(name, X.shape[1])
    params = best.params
    assert params is not None and params.covariances is not None  # _best keeps fitted ones
    shared = model.parameter_shape(1) == model.parameter_shape(n_classes)
    mixtures = []
    for c in range(n_classes):
        part = slice(None) if shared else slice(c, c + 1)
        mixture = GaussianMixture(1, covariance_type=name, **mixture_params)
        mixture._set_fitted(
            np.ones(1),
            params.means[c : c + 1] + best.shift,
            np.array(params.covariances[part]),
            np.array(params.precisions_cholesky[part]),
            model=model,
            dtype=X.dtype,
            converged=best.converged,
            n_iter=best.n_iter,
            ill_posed=best.row["ill_posed"],
        )
        rows = np.flatnonzero(class_index == c)
        log_density = mixture_rows(mixture, X[rows], "log_prob_norm")
        mean = (
            log_density.mean()
            if weight is None
            else weight[rows] @ log_density / weight[rows].sum()
        )
        mixture.lower_bounds_ = np.array([mean])
        mixture.lower_bound_ = float(mean)
        if standardized is not None:
            mixture = to_original_units(mixture, standardized)
        mixtures.append(mixture)
    return mixtures


# ---------------------------------------------------------------------- cross-validation
@dataclass
class CrossValidation:
    r"""Cross-validated classification error and Brier score (mclust's ``cvMclustDA``).

    With folds :math:`F_1 \dots F_m` of sizes :math:`n_f` and :math:`n = \sum_f n_f`, each
    metric's per-fold values :math:`e_f` give the estimate :math:`\bar e = \sum_f n_f e_f /
    n` and the standard error

    .. math:: \mathrm{se} = \sqrt{\frac{1}{m} \cdot
              \frac{\sum_f n_f (e_f - \bar e)^2}{n (m - 1) / m}}.

    Attributes
    ----------
    error, error_se : float
        Fraction of held-out rows misclassified, and its standard error.
    brier, brier_se : float
        Brier score :math:`\frac{1}{2 n_f} \sum_{i \in F_f} \sum_c (P(c \mid x_i) -
        [y_i = c])^2` (mclust's, half the usual multi-class one: 0 is perfect, 1 the worst),
        and its standard error.
    fold_errors, fold_briers : ndarray of shape (n_folds,)
    fold_sizes : ndarray of shape (n_folds,)
    folds : list of ndarray
        The held-out rows of every fold.
    predictions : ndarray of shape (n_samples,)
        Every row's class predicted by the model that did not see it.
    proba : ndarray of shape (n_samples, n_classes)
        Its class probabilities, columns in the order of ``classes``.
    classes : ndarray of shape (n_classes,)
    """

    error: float
    error_se: float
    brier: float
    brier_se: float
    fold_errors: np.ndarray
    fold_briers: np.ndarray
    fold_sizes: np.ndarray
    folds: list
    predictions: np.ndarray
    proba: np.ndarray
    classes: np.ndarray


def balanced_folds(y, n_folds: int = 10, random_state=None) -> list[np.ndarray]:
    """mclust's ``balancedFolds``: every class's rows, shuffled, are dealt to the folds in
    turn (so each fold holds every class in proportion, sizes differing by one at most), and
    which folds get a class's extra rows is drawn at random. ``n_folds`` is lowered to the
    largest class's size if above it.

    Returns
    -------
    list of ndarray
        The rows (sorted) of every fold.
    """
    rng = check_random_state(random_state)
    y = np.asarray(y)
    classes, index = np.unique(y, return_inverse=True)
    largest = int(np.bincount(index).max())
    n_folds = min(n_folds, largest)
    depth = -(-largest // n_folds)  # rows per fold per class, rounded up
    members: list[list[int]] = [[] for _ in range(n_folds)]
    for c in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(index == c))
        dealt = np.full(depth * n_folds, -1)
        dealt[: rows.size] = rows
        # position j of the deal goes to fold j mod n_folds; then every round's
        # assignment to folds is permuted, as mclust's permuteRows does
        for round_rows in dealt.reshape(depth, n_folds):
            for fold, row in zip(rng.permutation(n_folds), round_rows):
                if row >= 0:
                    members[fold].append(row)
    return [np.sort(np.array(rows, dtype=np.intp)) for rows in members]


def brier_score(proba, y_index) -> float:
    r"""mclust's Brier score :math:`\frac{1}{2n} \sum_i \sum_c (p_{ic} - [y_i = c])^2` of
    class probabilities ``proba`` (rows renormalised to sum to one) for classes
    ``y_index`` (column indices)."""
    proba = np.asarray(proba, dtype=np.float64)
    proba = proba / proba.sum(axis=1, keepdims=True)
    truth = np.zeros_like(proba)
    truth[np.arange(len(y_index)), y_index] = 1.0
    return float(((truth - proba) ** 2).sum() / (2 * len(y_index)))


def cross_validate(
    classifier, X, y, n_folds: int = 10, *, refit: str = "chosen", random_state=None
) -> CrossValidation:
    r"""Cross-validated error and Brier score of a classifier, as mclust's ``cvMclustDA``.

    The rows are split into :func:`balanced_folds`; for each fold the classifier is fitted
    on the other rows and predicts the fold's. ``n_folds`` equal to the number of rows is
    leave-one-out.

    Parameters
    ----------
    classifier : MixtureClassifier or any scikit-learn classifier with ``predict_proba``
        Cloned, never fitted itself.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    n_folds : int, default=10
    refit : {'chosen', 'settings'}, default='chosen'
        ``'chosen'`` (mclust's): a :class:`~gmmkit.MixtureClassifier` is first fitted on all
        rows, and every fold refits its chosen configuration (each class's number of
        components and covariance model, or EDDA's model) without choosing again.
        ``'settings'``: every fold fits a clone of ``classifier`` with its own settings,
        model selection included: slower, and an honest estimate of the whole procedure.
        Other classifiers (those without MixtureClassifier's ``mode``, ``n_components`` and
        ``covariance_type``) are always refitted by ``'settings'``.
    random_state : int, RandomState instance or None, default=None
        Draws the folds.

    Returns
    -------
    CrossValidation
    """
    if refit not in ("chosen", "settings"):
        raise ValueError(f"refit must be 'chosen' or 'settings', got {refit!r}")
    if (
        isinstance(n_folds, (bool, np.bool_))
        or not isinstance(n_folds, numbers.Integral)
        or n_folds < 2
    ):
        raise ValueError(f"n_folds must be an int >= 2, got {n_folds!r}")
    X_rows = X.iloc if hasattr(X, "iloc") else None
    X_array = X if X_rows is not None else np.asarray(X)
    y = np.asarray(y)
    if y.shape != (X_array.shape[0],):
        raise ValueError(f"y must have shape ({X_array.shape[0]},) to match X, got {y.shape}")
    classes, y_index = np.unique(y, return_inverse=True)
    if n_folds > len(y):
        raise ValueError(f"n_folds={n_folds} is more than the {len(y)} rows")
    if n_folds == len(y):
        folds = [np.array([i]) for i in range(len(y))]
    else:
        folds = balanced_folds(y, n_folds, random_state)
    template = clone(classifier)
    if refit == "chosen" and _MIXTURE_CLASSIFIER_PARAMS <= set(classifier.get_params()):
        full = clone(classifier).fit(X, y)
        template = _chosen_configuration(full)

    def take(rows):
        return X_rows[rows] if X_rows is not None else X_array[rows]

    proba = np.zeros((len(y), len(classes)))
    predictions = np.empty(len(y), dtype=classes.dtype)
    errors, briers = [], []
    for held_out in folds:
        train = np.setdiff1d(np.arange(len(y)), held_out)
        model = _restricted(template, classes[np.unique(y_index[train])])
        model.fit(take(train), y[train])
        columns = np.searchsorted(classes, model.classes_)
        fold_proba = np.zeros((held_out.size, len(classes)))
        fold_proba[:, columns] = model.predict_proba(take(held_out))
        predicted = classes[fold_proba.argmax(axis=1)]
        proba[held_out] = fold_proba
        predictions[held_out] = predicted
        errors.append(float(np.mean(predicted != y[held_out])))
        briers.append(brier_score(fold_proba, y_index[held_out]))
    sizes = np.array([f.size for f in folds])
    errors, briers = np.array(errors), np.array(briers)
    error, error_se = _weighted_mean_and_se(errors, sizes)
    brier, brier_se = _weighted_mean_and_se(briers, sizes)
    return CrossValidation(
        error, error_se, brier, brier_se, errors, briers, sizes, folds, predictions, proba, classes
    )


#: The parameters by which :func:`cross_validate` recognises a MixtureClassifier, whose chosen
#: configuration it can refit (this module sits below :mod:`gmmkit.classification`).
_MIXTURE_CLASSIFIER_PARAMS = frozenset({"mode", "n_components", "covariance_type"})


def _weighted_mean_and_se(values, sizes) -> tuple[float, float]:
    """cvMclustDA's estimate and standard error (see :class:`CrossValidation`)."""
    total, m = sizes.sum(), len(sizes)
    mean = float(values @ sizes / total)
    if m < 2:
        return mean, float("nan")
    variance = ((values - mean) ** 2 @ sizes) / (total * (m - 1) / m)
    return mean, float(np.sqrt(variance / m))


def _chosen_configuration(fitted):
    """An unfitted copy of a fitted :class:`~gmmkit.MixtureClassifier` that fits exactly
    the configuration it chose: EDDA's model, or every class's components and model."""
    template = clone(fitted)
    labels = [label.item() if isinstance(label, np.generic) else label for label in fitted.classes_]
    if fitted.mode == "edda":
        return template.set_params(covariance_type=fitted.covariance_type_)
    return template.set_params(
        n_components=dict(zip(labels, (int(k) for k in fitted.n_components_))),
        covariance_type=dict(zip(labels, fitted.covariance_types_)),
    )


def _restricted(template, present):
    """A clone of ``template`` whose per-class dicts name only the classes ``present`` in
    a fold's training rows."""
    model = clone(template)
    keep = {label.item() if isinstance(label, np.generic) else label for label in present}
    for name in ("n_components", "covariance_type"):
        value = model.get_params().get(name)
        if isinstance(value, dict):
            model.set_params(**{name: {k: v for k, v in value.items() if k in keep}})
    return model
