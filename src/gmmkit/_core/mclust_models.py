r"""mclust's covariance models with a closed-form M-step (Celeux & Govaert, 1995).

mclust writes every covariance as :math:`\Sigma_k = \lambda_k D_k A_k D_k^T`: a volume
:math:`\lambda_k`, a shape :math:`A_k` (diagonal, :math:`\det A_k = 1`) and an orientation
:math:`D_k` (orthogonal). A model's three letters say whether each is Equal across components,
Varying, or the Identity. Four of mclust's models are scikit-learn's (VII spherical, VVI diag,
EEE tied, VVV full; aliases in :mod:`gmmkit._core.covariances`); this module adds the others
whose M-step has a closed form, EII, EEI, EVI, EEV and EVV, and E and V for one feature.

Each stores its covariances in the layout of the built-in whose E-step it reuses (EII like
``spherical``, EEI and EVI like ``diag``, EEV and EVV like ``full``), so only the M-step, the
parameter count and the checks of user-given precisions differ. With
:math:`W_k = \sum_i w_i r_{ik} (x_i - \mu_k)(x_i - \mu_k)^T`, :math:`n_k` the padded soft
counts and :math:`n = \sum_k n_k`, the M-steps are those of mclust's ``ms<MODEL>``:

* EII: :math:`\Sigma_k = \operatorname{tr}(W) / (n d)\, I`;
* EEI: :math:`\Sigma_k = \operatorname{diag}(W) / n`;
* EVI: :math:`B_k = \operatorname{diag}(W_k)`, :math:`\Sigma_k = \lambda B_k / |B_k|^{1/d}`
  with :math:`\lambda = \sum_k |B_k|^{1/d} / n`;
* EEV: :math:`W_k = L_k \Omega_k L_k^T` (eigenvalues decreasing),
  :math:`\Sigma_k = L_k (\sum_j \Omega_j / n) L_k^T`;
* EVV: :math:`\Sigma_k = \lambda W_k / |W_k|^{1/d}` with
  :math:`\lambda = \sum_k |W_k|^{1/d} / n`.

``reg_covar`` is added to the diagonal after the structured estimate, as for the built-ins.

With mclust's conjugate prior (``context.prior``, :mod:`gmmkit._core.prior`) the M-steps are
those of mclust's ``me<MODEL>p``: every scatter becomes :math:`M_k = \Lambda_P + W_k +
\tfrac{\kappa_P n_k}{n_k + \kappa_P} (\bar x_k - \mu_P)(\bar x_k - \mu_P)^T` (the scale
added once to the pooled scatter of EII and EEI, to every component's otherwise) and the
counts grow by the prior's degrees of freedom, as each model's ``_covariances`` says. EVV has
no prior in mclust, nor here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .covariances import (
    CovarianceModel,
    DiagCovariance,
    FullCovariance,
    MStepContext,
    SphericalCovariance,
    register_covariance_model,
)

if TYPE_CHECKING:
    from .prior import ResolvedPrior

#: Relative spread within which user-given precisions count as equal where a model says so.
STRUCTURE_RTOL = 1e-6


def _scatter_per_count(
    model_class: type[CovarianceModel],
    model: CovarianceModel,
    stats: np.ndarray,
    counts: np.ndarray,
    padded: np.ndarray,
    means: np.ndarray,
    context: MStepContext,
) -> np.ndarray:
    """The built-in ``model_class``'s covariances without ``reg_covar`` or prior:
    :math:`W_k / n_k`."""
    return model_class._covariances(
        model, stats, counts, padded, means, replace(context, reg_covar=0.0, prior=None)
    )


def _prior_count(prior: ResolvedPrior, extra: float) -> float:
    """What mclust's ``me*p`` add to a count besides the rows: ``dof + extra``, and one more
    when the means have a prior."""
    return prior.dof + extra + (1 if prior.shrinks else 0)


def _root_det(matrices: np.ndarray) -> np.ndarray:
    r""":math:`|M_k|^{1/d}` of positive semi-definite ``(K, d, d)`` matrices (0 when singular)."""
    sign, log_det = np.linalg.slogdet(matrices)
    return np.where(sign > 0, np.exp(log_det / matrices.shape[-1]), 0.0)


def _root_prod(diagonals: np.ndarray) -> np.ndarray:
    r""":math:`(\prod_j b_{kj})^{1/d}` of non-negative rows ``(K, d)`` (0 when one is 0)."""
    with np.errstate(divide="ignore"):
        return np.exp(np.log(np.maximum(diagonals, 0.0)).mean(axis=1))


def _spread(values: np.ndarray) -> float:
    """Largest relative difference between ``values`` (one number per component)."""
    values = np.asarray(values, dtype=np.float64)
    scale = np.abs(values).max(initial=0.0)
    return 0.0 if scale == 0 else float((values.max() - values.min()) / scale)


def _check_equal(model: CovarianceModel, values: np.ndarray, name: str, what: str) -> None:
    if _spread(values) > STRUCTURE_RTOL:
        raise ValueError(
            f"{name} must give every component the same {what} for "
            f"covariance_type={model.name!r} ({model.description})"
        )


@register_covariance_model
class EIICovariance(SphericalCovariance):
    """EII: equal spheres, one variance shared by all components (layout of ``spherical``)."""

    name = "EII"
    mclust_name = "EII"
    description = "equal circles"
    marker = "*"
    in_all = True

    def _n_cov_parameters(self, n_components: int) -> int:
        return 1

    prior_scale = "scalar"
    #: mclust's meeiip leaves the prior's scale out of the pooled scatter; its me1ep (E) adds it
    _scatter_has_prior_scale = False

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        per_count = _scatter_per_count(
            SphericalCovariance, self, stats, counts, padded, means, context
        )
        prior = context.prior
        if prior is None:
            shared = (padded * per_count).sum() / padded.sum()
        else:
            # mclust's meeiip: (tr W + shrinkage terms) / (nu + (n + K) d + 2), with lambda
            # added to the scatter only by me1ep
            d = self.d
            diff, factor = prior.mean_deviations(means, padded)
            scatter = d * (padded * per_count).sum() + factor @ (diff**2).sum(axis=1)
            if self._scatter_has_prior_scale:
                scatter = scatter + prior.scale
            shared = scatter / (prior.dof + (padded.sum() + len(padded)) * d + 2)
        return np.full(len(padded), shared + context.reg_covar)

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        super()._check_precision_values(precisions, name)
        _check_equal(self, precisions, name, "precision")


@register_covariance_model
class EEICovariance(DiagCovariance):
    """EEI: one axis-aligned ellipse shared by all components (layout of ``diag``)."""

    name = "EEI"
    mclust_name = "EEI"
    description = "one shared axis-aligned ellipse"
    marker = "v"
    in_all = True

    def _n_cov_parameters(self, n_components: int) -> int:
        return self.d

    prior_scale = "scalar"
    #: mclust's meeeip adds the shrinkage term to the scatter but leaves the means unshrunk
    prior_shrinks_means = False

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        per_count = _scatter_per_count(DiagCovariance, self, stats, counts, padded, means, context)
        prior = context.prior
        if prior is None:
            shared = (padded @ per_count) / padded.sum()
        else:
            # mclust's meeeip: (lambda + diag W + shrinkage terms) / (n + nu + 1 [+ 1])
            diff, factor = prior.mean_deviations(means, padded)
            shared = (prior.scale + padded @ per_count + factor @ diff**2) / (
                padded.sum() + _prior_count(prior, 1)
            )
        return np.tile(shared + context.reg_covar, (len(padded), 1))

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        super()._check_precision_values(precisions, name)
        for column in precisions.T:
            _check_equal(self, column, name, "precision of each feature")


@register_covariance_model
class EVICovariance(DiagCovariance):
    """EVI: axis-aligned ellipses of equal volume and varying shape (layout of ``diag``)."""

    name = "EVI"
    mclust_name = "EVI"
    description = "axis-aligned ellipses of equal volume"
    marker = "<"
    in_all = True
    prior_scale = "scalar"

    def _n_cov_parameters(self, n_components: int) -> int:
        return 1 + n_components * (self.d - 1)

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        per_count = _scatter_per_count(DiagCovariance, self, stats, counts, padded, means, context)
        scatter = padded[:, None] * per_count
        total = padded.sum()
        prior = context.prior
        if prior is not None:
            # mclust's meevip: B_k = lambda + diag W_k + shrinkage term, n + nu + 1 [+ 1]
            diff, factor = prior.mean_deviations(means, padded)
            scatter = prior.scale + scatter + factor[:, None] * diff**2
            total = total + _prior_count(prior, 1)
        volumes = _root_prod(scatter)
        volume = volumes.sum() / total
        # a component with no volume has no shape: it keeps its own (singular) scatter, which
        # the recovery of collapsed components regularises
        factor = volume / np.where(volumes > 0, volumes, 1.0)
        cov = np.where((volumes > 0)[:, None], factor[:, None] * scatter, per_count)
        return cov + context.reg_covar

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        super()._check_precision_values(precisions, name)
        _check_equal(self, _root_prod(precisions), name, "volume")


@register_covariance_model
class EEVCovariance(FullCovariance):
    """EEV: ellipses of equal volume and shape in varying orientations (layout of ``full``)."""

    name = "EEV"
    mclust_name = "EEV"
    description = "equal ellipses in varying orientations"
    marker = "P"
    in_all = True
    prior_scale = "matrix"

    def _n_cov_parameters(self, n_components: int) -> int:
        d = self.d
        return 1 + (d - 1) + n_components * d * (d - 1) // 2

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        scatter = padded[:, None, None] * _scatter_per_count(
            FullCovariance, self, stats, counts, padded, means, context
        )
        total = padded.sum()
        prior = context.prior
        if prior is not None:
            # mclust's meeevp: M_k = Lambda + W_k + shrinkage term, n + nu + d + 1 [+ 1]
            diff, factor = prior.mean_deviations(means, padded)
            scatter = (
                prior.scale + scatter + factor[:, None, None] * diff[:, :, None] * diff[:, None, :]
            )
            total = total + _prior_count(prior, self.d + 1)
        values, vectors = np.linalg.eigh(scatter)  # increasing: the same order for every k
        shared = np.maximum(values, 0.0).sum(axis=0) / total
        cov = (vectors * shared) @ np.swapaxes(vectors, -1, -2)
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        cov.reshape(-1, self.d * self.d)[:, :: self.d + 1] += context.reg_covar
        return cov

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        super()._check_precision_values(precisions, name)
        values = np.linalg.eigvalsh(precisions)
        for column in values.T:
            _check_equal(self, column, name, "eigenvalues")

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`S \Sigma_k S` keeps equal volumes but not equal shapes: ``full``."""
        return "full", scale[:, None] * covariances * scale


@register_covariance_model
class EVVCovariance(FullCovariance):
    """EVV: ellipses of equal volume, varying shape and orientation (layout of ``full``)."""

    name = "EVV"
    mclust_name = "EVV"
    description = "ellipses of equal volume"
    marker = "X"
    in_all = True
    prior_scale = None  # mclust has no prior for EVV

    def _n_cov_parameters(self, n_components: int) -> int:
        d = self.d
        return 1 + n_components * (d * (d + 1) // 2 - 1)

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        per_count = _scatter_per_count(FullCovariance, self, stats, counts, padded, means, context)
        scatter = padded[:, None, None] * per_count
        volumes = _root_det(scatter)
        volume = volumes.sum() / padded.sum()
        # as in EVI: a component with no volume keeps its own scatter, for the recovery
        factor = volume / np.where(volumes > 0, volumes, 1.0)
        cov = np.where((volumes > 0)[:, None, None], factor[:, None, None] * scatter, per_count)
        cov.reshape(-1, self.d * self.d)[:, :: self.d + 1] += context.reg_covar
        return cov

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        super()._check_precision_values(precisions, name)
        _check_equal(self, _root_det(precisions), name, "volume")


class _OneFeature(CovarianceModel):
    """Refuses more than one feature: mclust's E and V are its models of univariate data."""

    def __init__(self, n_features: int):
        if n_features != 1:
            raise ValueError(
                f"covariance_type={self.name!r} is mclust's model for one feature, got "
                f"n_features={n_features}; for several features use one of its three-letter "
                f"names ({'EII' if self.name == 'E' else 'VII'}, ...)"
            )
        super().__init__(n_features)


@register_covariance_model
class ECovariance(_OneFeature, EIICovariance):
    """E: one feature, equal variance in every component (layout of ``spherical``)."""

    name = "E"
    mclust_name = "E"
    description = "one feature, equal variances"
    marker = "*"
    in_all = False
    prior_scale = "scalar"
    _scatter_has_prior_scale = True


@register_covariance_model
class VCovariance(_OneFeature, SphericalCovariance):
    """V: one feature, a variance per component (layout of ``spherical``)."""

    name = "V"
    mclust_name = "V"
    description = "one feature, varying variances"
    marker = "D"
    in_all = False
    prior_scale = "scalar"
