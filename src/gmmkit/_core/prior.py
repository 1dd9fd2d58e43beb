r"""mclust's conjugate prior (Fraley & Raftery 2007), resolved once per fit from the data.

The prior on each component is normal-inverse-Wishart (normal-inverse-gamma for the models
with a scalar or diagonal scale): :math:`\mu_k \mid \Sigma_k \sim \mathcal N(\mu_P,
\Sigma_k / \kappa_P)` and :math:`\Sigma_k \sim \mathcal W^{-1}(\nu_P, \Lambda_P)`; none on the
mixing weights. EM then gives the *maximum a posteriori* parameters: the means shrink toward
:math:`\mu_P`,

.. math:: \hat\mu_k = \frac{n_k \bar x_k + \kappa_P \mu_P}{n_k + \kappa_P},

and every covariance gets :math:`\Lambda_P` and the shrinkage term
:math:`\tfrac{\kappa_P n_k}{n_k + \kappa_P} (\bar x_k - \mu_P)(\bar x_k - \mu_P)^T` added to its
scatter :math:`W_k`, over a count that depends on the structure (each model's ``_covariances``
follows mclust's Fortran, ``mevvvp``, ``meeeep``, ``mevvip``, ``meviip``, ...). A covariance is
then never singular, however few rows a component holds.

mclust's ``defaultPrior(data, G, modelName)``, which :func:`resolve_prior` reproduces:
shrinkage 0.01, the data mean, :math:`d + 2` degrees of freedom and a scale of
:math:`\operatorname{var}(X) / G^{2/d}` (the full matrix for the ellipsoidal models, its
diagonal when there are no more rows than features; :math:`\operatorname{tr}\operatorname{var}
(X) / (d\, G^{2/d})` for the spherical and diagonal ones), with R's ``var`` (divisor
:math:`n - 1`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Real

import numpy as np

from .covariances import CovarianceModel, covariance_model_class, covariance_types

#: How a model's prior scale is shaped: a (d, d) matrix or one number.
PRIOR_SCALES = ("matrix", "scalar")


@dataclass(frozen=True, eq=False)
class ConjugatePrior:
    r"""mclust's conjugate prior (``priorControl()``); a field left None takes mclust's
    default from the data of each fit (:func:`resolve_prior`).

    Parameters
    ----------
    shrinkage : float, default=0.01
        :math:`\kappa_P \ge 0`, the prior's weight on the means in rows; 0 leaves the means
        at their maximum-likelihood values.
    mean : array-like of shape (n_features,), default=None
        :math:`\mu_P`, where the means shrink to; None: the (weighted) data mean.
    dof : float, default=None
        :math:`\nu_P > d - 1`, the degrees of freedom; None: :math:`d + 2`.
    scale : float or array-like of shape (n_features, n_features), default=None
        :math:`\Lambda_P`: a symmetric positive definite matrix for the models with a matrix
        scale (full, tied, mclust's EEV and VEV), a positive number for the others; None:
        the data's variance over :math:`G^{2/d}` (see the module's notes).

    Examples
    --------
    >>> from gmmkit import ConjugatePrior
    >>> ConjugatePrior(shrinkage=0.1).dof is None
    True
    """

    shrinkage: float = 0.01
    mean: object = None
    dof: float | None = None
    scale: object = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.shrinkage, bool)
            or not isinstance(self.shrinkage, Real)
            or not np.isfinite(self.shrinkage)
            or self.shrinkage < 0
        ):
            raise ValueError(
                f"ConjugatePrior.shrinkage must be a finite number >= 0, got {self.shrinkage!r}"
            )
        if self.dof is not None and (
            isinstance(self.dof, bool)
            or not isinstance(self.dof, Real)
            or not np.isfinite(self.dof)
        ):
            raise ValueError(
                f"ConjugatePrior.dof must be a finite number or None, got {self.dof!r}"
            )
        for name in ("mean", "scale"):
            value = getattr(self, name)
            if value is not None:
                array = np.array(value, dtype=np.float64)
                if not np.isfinite(array).all():
                    raise ValueError(f"ConjugatePrior.{name} contains NaN or infinity")
                array.flags.writeable = False
                object.__setattr__(self, name, array)

    def __repr__(self) -> str:
        fields = [f"shrinkage={self.shrinkage!r}"]
        for name in ("mean", "dof", "scale"):
            value = getattr(self, name)
            if value is not None:
                shown = value.tolist() if isinstance(value, np.ndarray) else value
                fields.append(f"{name}={shown!r}")
        return f"ConjugatePrior({', '.join(fields)})"


@dataclass(frozen=True)
class ResolvedPrior:
    r"""A :class:`ConjugatePrior` with every field set for one fit: ``mean`` ``(d,)`` in the
    coordinates of the statistics (shifted), ``scale`` ``(d, d)`` or a 0-d array as the
    model's ``prior_scale`` says."""

    shrinkage: float
    mean: np.ndarray
    dof: float
    scale: np.ndarray

    def shifted(self, shift: np.ndarray) -> ResolvedPrior:
        """The same prior with its mean in coordinates ``x - shift``."""
        return replace(self, mean=self.mean - shift)

    def shrunk_means(self, means: np.ndarray, counts: np.ndarray) -> np.ndarray:
        r""":math:`(n_k \bar x_k + \kappa_P \mu_P) / (n_k + \kappa_P)`, ``(K, d)``."""
        kappa = self.shrinkage
        return (counts[:, None] * means + kappa * self.mean) / (counts + kappa)[:, None]

    def mean_deviations(
        self, means: np.ndarray, counts: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""``(diff, factor)``: :math:`\bar x_k - \mu_P` ``(K, d)`` and
        :math:`\kappa_P n_k / (n_k + \kappa_P)` ``(K,)``, the shrinkage term of the scatter
        being ``factor_k * outer(diff_k, diff_k)``."""
        kappa = self.shrinkage
        return means - self.mean, kappa * counts / (counts + kappa)

    @property
    def shrinks(self) -> bool:
        """Whether the means have a prior (mclust's counts change with it)."""
        return self.shrinkage > 0


def resolve_prior(
    prior: object,
    X: np.ndarray,
    weight: np.ndarray | None,
    n_components: int,
    model: CovarianceModel,
) -> ResolvedPrior | None:
    """The prior of one fit of ``model`` with ``n_components`` components to ``X``, in the
    data's coordinates, as mclust's ``defaultPrior(X, G, modelName)`` gives it for the fields
    ``prior`` leaves None.

    Parameters
    ----------
    prior : None, 'default' or ConjugatePrior
        None: no prior (maximum likelihood), returned as None.
    X : ndarray of shape (n_samples, d)
    weight : ndarray of shape (n_samples,) or None
        Sample weights; the mean and the variance are weighted, with R's divisor
        :math:`n - 1` for unit weights (the variance is scaled by ``n / (n - 1)`` with ``n``
        the rows of positive weight).
    n_components : int
    model : CovarianceModel
        Its ``prior_scale`` (``'matrix'``, ``'scalar'`` or None) shapes the scale.

    Raises
    ------
    ValueError
        If the model has no conjugate prior, or a given field has the wrong shape or value.
    """
    if prior is None:
        return None
    _checked_prior(prior, model)
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if weight is None else np.asarray(weight, dtype=np.float64)
    total = w.sum()
    data_mean = w @ X / total
    centred = X - data_mean
    return resolve_prior_from_moments(
        prior,
        data_mean,
        (w[:, None] * centred).T @ centred / total,
        int(np.count_nonzero(w > 0)),
        n_components,
        model,
    )


def resolve_prior_from_moments(
    prior: object,
    data_mean: np.ndarray,
    covariance: np.ndarray,
    rows: int,
    n_components: int,
    model: CovarianceModel,
) -> ResolvedPrior | None:
    r""":func:`resolve_prior` from the data's moments instead of its rows (data that never
    sit in memory at once): the weighted mean, the weighted covariance
    :math:`\sum_i w_i (x_i - \bar x)(x_i - \bar x)^T / \sum_i w_i` and the number of rows
    of positive weight."""
    if prior is None:
        return None
    prior, kind = _checked_prior(prior, model)
    d = model.d
    variance = np.asarray(covariance, dtype=np.float64) * (rows / max(rows - 1, 1))
    mean = data_mean if prior.mean is None else _check_shape(prior.mean, (d,), "mean")
    dof = float(d + 2 if prior.dof is None else prior.dof)
    if not dof > d - 1:
        raise ValueError(f"ConjugatePrior.dof must exceed n_features - 1 = {d - 1}, got {dof:g}")
    factor = (1.0 / n_components) ** (2.0 / d)
    if kind == "matrix":
        if prior.scale is None:
            scale = factor * (variance if rows > d else np.diag(np.diagonal(variance)))
        else:
            scale = _check_shape(prior.scale, (d, d), "scale")
            if (
                not np.allclose(scale, scale.T)
                or np.linalg.eigvalsh(0.5 * (scale + scale.T))[0] <= 0
            ):
                raise ValueError(
                    f"ConjugatePrior.scale must be symmetric positive definite "
                    f"for covariance_type {model.name!r}"
                )
    else:
        if prior.scale is None:
            scale = np.asarray(factor * np.trace(variance) / d)
        else:
            scale = np.asarray(prior.scale, dtype=np.float64)
            if scale.ndim != 0 or not scale > 0:
                raise ValueError(
                    f"ConjugatePrior.scale must be one positive number for "
                    f"covariance_type {model.name!r}, got {prior.scale!r}"
                )
    return ResolvedPrior(
        float(prior.shrinkage),
        np.array(mean, dtype=np.float64),
        dof,
        np.array(scale, dtype=np.float64),
    )


def _checked_prior(prior: object, model: CovarianceModel) -> tuple[ConjugatePrior, str]:
    """``(prior, the model's prior_scale)``, ``'default'`` made a :class:`ConjugatePrior`;
    a ``ValueError`` for anything else or a model without a conjugate prior."""
    if isinstance(prior, str) and prior == "default":
        prior = ConjugatePrior()
    if not isinstance(prior, ConjugatePrior):
        raise ValueError(f"prior must be None, 'default' or a ConjugatePrior, got {prior!r}")
    kind = prior_scale(type(model))
    if kind not in PRIOR_SCALES:
        mclust = f" (mclust's {model.mclust_name})" if model.mclust_name else ""
        raise ValueError(
            f"covariance_type {model.name!r}{mclust} has no conjugate prior (mclust's "
            f"{model.mclust_name or 'model'} is not available with a prior either); fit it "
            f"with prior=None, or use a model that has one: {list(models_with_prior())}"
        )
    return prior, kind


def _check_shape(value: object, shape: tuple[int, ...], name: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"ConjugatePrior.{name} must have shape {shape}, got {array.shape}")
    return array


def prior_scale(cls: type[CovarianceModel]) -> str | None:
    """The ``prior_scale`` the covariance model class ``cls`` declares itself (not one it
    inherits: a subclass's M-step is its own, so it has a prior only if it says so)."""
    return vars(cls).get("prior_scale")


def models_with_prior() -> tuple[str, ...]:
    """The registered covariance types that take a conjugate prior."""
    return tuple(
        name
        for name in covariance_types()
        if prior_scale(covariance_model_class(name)) in PRIOR_SCALES
    )
