r"""Semi-supervised EM for a mixture of per-class mixtures (mclust's ``MclustSSC``).

Class :math:`c` has prior :math:`\pi_c` and density
:math:`p(x \mid c) = \sum_{k \in c} \tau_{ck}\, \mathcal N(x \mid \mu_{ck}, \Sigma_{ck})`, a
mixture whose components belong to that class alone; together they form one mixture whose
components are partitioned by class. Given rows :math:`L` with labels :math:`y_i` and rows
:math:`U` without, with sample weights :math:`w_i`, EM maximises the observed-data
log-likelihood

.. math::

    \ell = \sum_{i \in L} w_i \log\big(\pi_{y_i}\, p(x_i \mid y_i)\big)
         + \sum_{i \in U} w_i \log \sum_c \pi_c\, p(x_i \mid c).

E-step: the responsibility of component :math:`k` of class :math:`c` for row :math:`i` is

.. math::

    r_{i,ck} = P(c \mid x_i, y_i)\; \frac{\tau_{ck}\, \mathcal N(x_i \mid \mu_{ck}, \Sigma_{ck})}
                                        {p(x_i \mid c)},

with :math:`P(c \mid x_i, y_i) = [c = y_i]` for a labelled row (it belongs to its class: no
responsibility for any other class's components, and soft only among its own class's, so
one-hot when the class has one component) and :math:`\propto \pi_c\, p(x_i \mid c)` for an
unlabelled row. M-step: every class's mixture is re-estimated by its covariance model from the
statistics :math:`\sum_i w_i r_{i,ck} \phi(x_i)` of its own components, so a shared structure
(``tied``, mclust's ``EEE``, ``EEV``, ...) is shared among the components of one class and never
across classes, as in the supervised :class:`~gmmkit.MixtureClassifier`; the class priors, when
estimated, are :math:`\pi_c = \sum_i w_i \sum_{k \in c} r_{i,ck} / \sum_i w_i`, the class's share
of all rows. EM never lowers :math:`\ell` while every M-step maximises (a component collapsed
onto a point and regularised beyond ``reg_covar`` is the exception: it is held, not fitted).

mclust's ``MclustSSC`` fits one component per class in one mixture, so its ``EEE`` shares one
covariance across the classes; here one component per class with ``tied`` is a full covariance
per class. Its ``VVV``, ``VVI`` and ``VII`` are this module's ``full``, ``diag`` and
``spherical`` with one component per class, and they agree from the same start.

The EM starts from given per-class mixtures, normally the supervised fit on the labelled rows
(which mclust replaces by one M-step with the unlabelled rows spread evenly over the classes:
both climb the same :math:`\ell`). All numerics are in log space and batched over rows and
components: per iteration, two passes over the data per class (the per-row outputs of the
feature source: the responsibilities within the class and :math:`\log p(x_i \mid c)`) and one
for the statistics of all components.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._config import current_options
from ._core.covariances import (
    DegenerateComponentWarning,
    MixtureParams,
    MStepContext,
    count_padding,
    covariance_model,
)
from ._core.em import degenerate_warning_text, m_step
from ._core.posedness import feature_variances, ill_posed_reason
from ._core.prior import resolve_prior
from .backends.numpy import NumpySource
from .mixture import GaussianMixture, _user_stacklevel, feature_source

__all__ = ["SemiSupervisedResult", "semisupervised_em"]


@dataclass
class SemiSupervisedResult:
    """What :func:`semisupervised_em` returns.

    Attributes
    ----------
    mixtures : list of GaussianMixture
        ``mixtures[c]`` models :math:`p(x \\mid c)`, fitted, in the units of ``X``.
    class_prior : ndarray of shape (n_classes,)
    lower_bounds : list of float
        :math:`\\ell / \\sum_i w_i` of the parameters entering every iteration (as
        :attr:`GaussianMixture.lower_bounds_`).
    n_iter : int
    converged : bool
    resp : ndarray of shape (n_samples, n_components_total)
        The responsibilities of the last E-step, class by class in the order of ``mixtures``
        (the columns of class ``c`` follow those of classes ``0..c-1``).
    """

    mixtures: list
    class_prior: np.ndarray
    lower_bounds: list = field(default_factory=list)
    n_iter: int = 0
    converged: bool = False
    resp: np.ndarray | None = None


def semisupervised_em(
    X,
    y_index,
    mixtures,
    class_prior,
    *,
    sample_weight=None,
    fit_priors=True,
    tol=1e-3,
    max_iter=100,
    reg_covar=1e-6,
    prior=None,
):
    r"""Semi-supervised EM over every row of ``X`` (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated rows, float64 or float32.
    y_index : ndarray of int of shape (n_samples,)
        The class of every labelled row (its index in ``mixtures``) and ``-1`` for the
        unlabelled rows.
    mixtures : list of GaussianMixture
        One fitted mixture per class, the start of EM; each keeps its ``n_components`` and
        ``covariance_type``, and its hyperparameters are those of the returned one.
    class_prior : array-like of shape (n_classes,)
        The start of the class priors; held fixed when ``fit_priors`` is False.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
    fit_priors : bool, default=True
        Estimate the class priors from all rows; False keeps ``class_prior``.
    tol : float, default=1e-3
        EM stops when :math:`\ell / \sum_i w_i` changes by less than ``tol``.
    max_iter : int, default=100
    reg_covar : float, default=1e-6
    prior : None, 'default' or ConjugatePrior, default=None
        mclust's conjugate prior for every class's mixture, resolved, as ``MclustSSC``
        does, from all rows of ``X`` (the labelled rows of a class may be too few for its
        variance): the M-steps are then maximum a posteriori, and ``lower_bounds`` stay the
        log-likelihood.

    Returns
    -------
    SemiSupervisedResult
    """
    X = np.asarray(X)
    y_index = np.asarray(y_index)
    n_samples, n_features = X.shape
    n_classes = len(mixtures)
    covariance_type = mixtures[0].covariance_type
    model = covariance_model(covariance_type, n_features)
    sizes = np.array([m.n_components for m in mixtures])
    bounds = np.r_[0, np.cumsum(sizes)]
    options = current_options()
    source = feature_source(X, sample_weight, covariance_type, int(sizes.max()), options)
    shift = source.shift
    weight = np.ones(n_samples) if sample_weight is None else sample_weight
    total = source.total_weight
    padding = count_padding(total, n_samples)
    labelled = y_index >= 0
    # P(c | x_i, y_i) of the labelled rows never changes
    fixed = np.zeros((int(labelled.sum()), n_classes))
    fixed[np.arange(fixed.shape[0]), y_index[labelled]] = 1.0
    priors = [
        None
        if prior is None
        else resolve_prior(prior, X, sample_weight, int(k), model).shifted(shift)
        for k in sizes
    ]
    params = [
        MixtureParams(
            np.asarray(m.weights_, np.float64),
            np.asarray(m.means_, np.float64) - shift,
            np.asarray(m.covariances_, np.float64),
            np.asarray(m.precisions_cholesky_, np.float64),
        )
        for m in mixtures
    ]
    with np.errstate(divide="ignore"):  # a class given prior 0 never takes a row
        log_prior = np.log(np.asarray(class_prior, dtype=np.float64))
    result = SemiSupervisedResult(mixtures, np.exp(log_prior))
    recovered = [{} for _ in range(n_classes)]
    final_recovered = [{} for _ in range(n_classes)]
    lower_bound = -np.inf
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        within, class_log = _class_densities(source, model, params)
        joint = class_log + log_prior
        class_resp = np.empty_like(joint)
        class_resp[labelled] = fixed
        per_row = np.empty(n_samples)
        per_row[labelled] = joint[labelled, y_index[labelled]]
        # log-sum-exp over the classes, about their largest term
        shifted = joint[~labelled]
        peak = shifted.max(axis=1, keepdims=True)
        shifted -= peak
        np.exp(shifted, out=shifted)
        total_exp = shifted.sum(axis=1, keepdims=True)
        per_row[~labelled] = (np.log(total_exp) + peak)[:, 0]
        class_resp[~labelled] = shifted / total_exp
        lower_bound = float(weight @ per_row) / total
        resp = np.hstack([class_resp[:, [c]] * within[c] for c in range(n_classes)])
        stats = source.responsibility_statistics(resp, int(bounds[-1]))
        class_weight = weight @ class_resp
        for c in range(n_classes):
            context = MStepContext(
                reg_covar,
                float(class_weight[c]),
                previous=params[c],
                count_padding=padding,
                prior=priors[c],
                data_terms=model.prepare(
                    _class_view(source, model, weight * class_resp[:, c], int(sizes[c]), options)
                ),
            )
            params[c], components, added = m_step(model, stats[bounds[c] : bounds[c + 1]], context)
            final_recovered[c] = dict.fromkeys(components.tolist(), added)
            for k in components.tolist():
                recovered[c][k] = max(recovered[c].get(k, 0.0), added)
        if fit_priors:
            log_prior = np.log(class_weight / class_weight.sum())
        result.lower_bounds.append(lower_bound)
        result.n_iter = n_iter
        result.resp = resp
        if abs(lower_bound - previous) < tol:
            result.converged = True
            break
    if result.n_iter == 0:
        return result
    result.class_prior = np.exp(log_prior)
    if not result.converged:
        warnings.warn(
            "Semi-supervised EM did not converge. Try increasing max_iter or tol, "
            "or check for degenerate data.",
            ConvergenceWarning,
            stacklevel=_user_stacklevel(),
        )
    class_rows = class_resp.sum(axis=0)
    result.mixtures = [
        _fitted_mixture(
            mixtures[c],
            model,
            params[c],
            shift,
            X,
            result,
            recovered=recovered[c],
            final_recovered=final_recovered[c],
            n_rows=float(class_rows[c]),
            row_weight=weight * class_resp[:, c],
            reg_covar=reg_covar,
            prior=prior is not None,
        )
        for c in range(n_classes)
    ]
    return result


def _class_densities(source, model, params):
    r"""Per class :math:`c`: the responsibilities of its components within the class,
    ``(n_samples, K_c)``, and :math:`\log p(x_i \mid c)` as the column ``c`` of an
    ``(n_samples, n_classes)`` array."""
    within = []
    class_log = np.empty((source.n_samples, len(params)))
    for c, p in enumerate(params):
        theta, shared = model.theta(p.weights, p.means, p.precisions_cholesky)
        within.append(source.per_row(theta, shared, "resp"))
        class_log[:, c] = source.per_row(theta, shared, "log_prob_norm")
    return within, class_log


def _class_view(source, model, class_weight, n_components, options):
    """The rows of ``source`` weighted by their membership of one class, for the terms a
    covariance model computes from its data (:meth:`CovarianceModel.prepare`: the tied
    models' scatter), which change with the unlabelled rows' class responsibilities."""
    return NumpySource(
        source.X,
        source.shift,
        model,
        n_components,
        cache=False,
        sample_weight=class_weight,
        options=options,
    )


def _fitted_mixture(
    start: GaussianMixture,
    model,
    params,
    shift,
    X,
    result,
    *,
    recovered,
    final_recovered,
    n_rows,
    row_weight,
    reg_covar,
    prior,
):
    """A new fitted mixture with the hyperparameters of ``start`` and ``params`` (in shifted
    coordinates), carrying the joint EM's iterations, convergence and lower bounds."""
    if recovered:
        warnings.warn(
            degenerate_warning_text(model, recovered, reg_covar),
            DegenerateComponentWarning,
            stacklevel=_user_stacklevel(),
        )
    ill_posed = ill_posed_reason(
        model,
        params.weights,
        params.covariances,
        n_samples=n_rows,
        data_variances=feature_variances(X, row_weight),
        reg_covar=reg_covar,
        recovered=final_recovered,
        prior=prior,
    )
    dtype = X.dtype
    attributes = {
        "weights_": np.ascontiguousarray(params.weights, dtype=dtype),
        "means_": np.ascontiguousarray(params.means + shift, dtype=dtype),
        "covariances_": np.ascontiguousarray(params.covariances, dtype=dtype),
        "precisions_cholesky_": np.ascontiguousarray(params.precisions_cholesky, dtype=dtype),
        "precisions_": np.ascontiguousarray(
            model.precisions(params.precisions_cholesky), dtype=dtype
        ),
        "converged_": bool(result.converged),
        "n_iter_": int(result.n_iter),
        "lower_bounds_": np.asarray(result.lower_bounds, dtype=np.float64),
        "lower_bound_": float(result.lower_bounds[-1]) if result.lower_bounds else -np.inf,
        "ill_posed_": ill_posed,
    }
    names = getattr(start, "feature_names_in_", None)
    if names is not None:
        attributes["feature_names_in_"] = names
    return type(start)._from_fitted_attributes(start.get_params(deep=False), attributes)
