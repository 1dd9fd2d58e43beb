r"""mclust's covariance models whose M-step has no closed form: VEI, VEV, VEE, EVE and VVE.

mclust writes a component's covariance as :math:`\Sigma_k = \lambda_k D_k A_k D_k^T`: a volume
:math:`\lambda_k`, an orientation :math:`D_k` (orthogonal) and a shape :math:`A_k` (diagonal,
:math:`\det A_k = 1`); each letter of a name says whether volume, shape and orientation are
Equal across components, Variable or the Identity. With :math:`n_k` the soft counts and
:math:`S_k = W_k / n_k` the components' scatter about their means, the M-step maximises

.. math::  Q = -\tfrac12 \sum_k n_k \left(\log\det\Sigma_k + \operatorname{tr}(\Sigma_k^{-1} S_k)
           \right)

over the structure. For these five it alternates between blocks that each have a closed form
(and, for the common orientation of EVE and VVE, a majorise-minimise step), so every inner
iteration increases :math:`Q`. The iteration starts from ``context.previous`` (mclust also
warm-starts across EM iterations); since its first block is the exact maximiser given the
previous parameters' other blocks, the M-step never gives a lower :math:`Q` than the previous
parameters, and EM keeps its monotone likelihood (a generalised EM). It stops when no
covariance changes by more than ``context.tol`` relative (Frobenius norm) or after
``context.max_iter`` iterations.

As in the built-ins, ``reg_covar`` is added to the diagonal after the structured estimate, and
a component that collapses is recovered by :func:`gmmkit._core.em.safe_precision_cholesky`.

mclust has a conjugate prior (:mod:`gmmkit._core.prior`) for VEI and VEV, not for VEE, EVE
and VVE; with one, the same alternation runs on the scatter :math:`M_k = \Lambda_P + W_k +`
the prior's shrinkage term, with the counts of mclust's ``meveip`` and ``mevevp``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .covariances import (
    DiagCovariance,
    FullCovariance,
    MStepContext,
    register_covariance_model,
)

if TYPE_CHECKING:
    from .prior import ResolvedPrior

#: Within the iterations, eigenvalues and variances are kept at least this fraction of the
#: largest one, so that a singular scatter (an empty component, a constant feature with
#: ``reg_covar=0``) divides nothing by zero.
RELATIVE_FLOOR = 1e-30


def _floored(values: np.ndarray) -> np.ndarray:
    reference = np.max(values) if values.size else 0.0
    return np.maximum(values, RELATIVE_FLOOR * reference + np.finfo(np.float64).tiny)


def _unfloored(floored: np.ndarray) -> np.ndarray:
    """``floored`` with the values :func:`_floored` raised set back to zero: the covariance
    given back is then as singular as the scatter, and recovery
    (:func:`gmmkit._core.em.safe_precision_cholesky`) sees it."""
    reference = np.max(floored) if floored.size else 0.0
    return np.where(floored > RELATIVE_FLOOR * reference + np.finfo(np.float64).tiny, floored, 0.0)


def _unit_geometric_mean(values: np.ndarray) -> np.ndarray:
    """``values`` (positive, last axis) over their geometric mean: a shape with determinant 1."""
    return values / np.exp(np.log(values).mean(axis=-1, keepdims=True))


def _relative_change(new: np.ndarray, old: np.ndarray | None) -> float:
    """Largest relative change of one component's covariance (Frobenius norm)."""
    if old is None:
        return np.inf
    axes = tuple(range(1, new.ndim))
    return float(
        (np.sqrt(((new - old) ** 2).sum(axis=axes)) / np.sqrt((new**2).sum(axis=axes))).max()
    )


def _previous_covariances(context: MStepContext, shape: tuple[int, ...]) -> np.ndarray | None:
    previous = context.previous
    if previous is None or previous.covariances is None:
        return None
    covariances = np.asarray(previous.covariances)
    return covariances if covariances.shape == shape else None


def _from_eigen(values: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """:math:`V \\operatorname{diag}(v) V^T`, batched over leading axes."""
    return (vectors * values[..., None, :]) @ np.swapaxes(vectors, -1, -2)


class _IterativeFull(FullCovariance):
    """Shared parts of the matrix-layout models: the scatter, regularisation, rescaling."""

    in_all = True

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        scatter = super()._covariances(
            stats, counts, padded, means, replace(context, reg_covar=0.0, prior=None)
        )
        if context.prior is not None:
            scatter, padded = self._prior_scatter(scatter, padded, means, context.prior)
        scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
        previous = _previous_covariances(context, scatter.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cov = self._structured(scatter, padded, previous, context)
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        cov.reshape(-1, self.d * self.d)[:, :: self.d + 1] += context.reg_covar
        return cov

    def _structured(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        previous: np.ndarray | None,
        context: MStepContext,
    ) -> np.ndarray:
        """The structured maximiser of Q, ``(K, d, d)``, before regularisation."""
        raise NotImplementedError

    def _prior_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, means: np.ndarray, prior: ResolvedPrior
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scatter, counts)`` whose structured maximiser is the MAP estimate under
        ``prior`` (only for a model that declares a ``prior_scale``)."""
        raise NotImplementedError

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`S \Sigma_k S` keeps neither a common shape nor a common orientation under a
        per-feature rescaling, so the result is ``full``."""
        return "full", scale[:, None] * covariances * scale


@register_covariance_model
class VEICovariance(DiagCovariance):
    r"""VEI: axis-aligned, one shape :math:`B` (diagonal, det 1) for all, volumes vary:
    :math:`\Sigma_k = \lambda_k B`.

    Alternates :math:`\lambda_k = \operatorname{tr}(S_k B^{-1}) / d` and
    :math:`B \propto \operatorname{diag}(\sum_k n_k S_k / \lambda_k)` (mclust's ``mevei``).
    """

    name = "VEI"
    mclust_name = "VEI"
    description = "axis-aligned ellipses of one shape, sizes varying"
    marker = "<"
    in_all = True

    def _n_cov_parameters(self, n_components: int) -> int:
        return n_components + self.d - 1

    prior_scale = "scalar"

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        variances = np.maximum(
            super()._covariances(
                stats, counts, padded, means, replace(context, reg_covar=0.0, prior=None)
            ),
            0.0,
        )
        prior = context.prior
        if prior is not None:
            # mclust's meveip: w_k = lambda + diag W_k + shrinkage term, and the volumes'
            # count d n_k + nu + 2 [+ 1]: the same alternation on w_k / m_k with counts m_k
            diff, factor = prior.mean_deviations(means, padded)
            scatter = prior.scale + padded[:, None] * variances + factor[:, None] * diff**2
            padded = padded + (prior.dof + 2 + (1 if prior.shrinks else 0)) / self.d
            variances = scatter / padded[:, None]
        previous = _previous_covariances(context, variances.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if previous is None:
                shape = np.ones(self.d)
            else:
                shape = _unit_geometric_mean(
                    np.exp(np.log(_unit_geometric_mean(_floored(previous))).mean(axis=0))
                )
            cov: np.ndarray | None = None
            old: np.ndarray | None = None
            for _ in range(max(context.max_iter, 1)):
                volumes = _floored((variances / shape).sum(axis=1) / self.d)
                pooled = _floored((padded / volumes) @ variances)
                shape = _unit_geometric_mean(pooled)
                cov, old = _unfloored(volumes)[:, None] * (shape * (_unfloored(pooled) > 0)), cov
                if _relative_change(cov, old) < context.tol:
                    break
        assert cov is not None  # the loop runs at least once
        return cov + context.reg_covar

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`\lambda_k B s^2`: still one shape for all, so still VEI."""
        return self.name, covariances * scale**2


@register_covariance_model
class VEVCovariance(_IterativeFull):
    r"""VEV: one shape :math:`A` for all, volumes and orientations vary:
    :math:`\Sigma_k = \lambda_k L_k A L_k^T`.

    With :math:`S_k = L_k \Omega_k L_k^T` (eigenvalues decreasing), the orientations are the
    :math:`L_k` and the rest alternates :math:`\lambda_k = \operatorname{tr}(\Omega_k A^{-1}) / d`
    and :math:`A \propto \sum_k n_k \Omega_k / \lambda_k` (mclust's ``mevev``).
    """

    name = "VEV"
    mclust_name = "VEV"
    description = "ellipses of one shape, sizes and orientations varying"
    marker = ">"

    def _n_cov_parameters(self, n_components: int) -> int:
        d = self.d
        return n_components + (d - 1) + n_components * d * (d - 1) // 2

    prior_scale = "matrix"

    def _prior_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, means: np.ndarray, prior: ResolvedPrior
    ) -> tuple[np.ndarray, np.ndarray]:
        # mclust's mevevp: M_k = Lambda + W_k + shrinkage term; its volumes divide by d n_k
        # alone (the degrees of freedom change no count)
        diff, factor = prior.mean_deviations(means, counts)
        augmented = (
            prior.scale
            + counts[:, None, None] * scatter
            + factor[:, None, None] * diff[:, :, None] * diff[:, None, :]
        )
        return augmented / counts[:, None, None], counts

    def _structured(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        previous: np.ndarray | None,
        context: MStepContext,
    ) -> np.ndarray:
        values, vectors = np.linalg.eigh(scatter)
        values, vectors = np.maximum(values[:, ::-1], 0.0), vectors[:, :, ::-1]
        if previous is None:
            shape = _unit_geometric_mean(_floored(counts @ values))
        else:
            old_values = _floored(np.linalg.eigvalsh(previous)[:, ::-1])
            shape = _unit_geometric_mean(
                np.exp(np.log(_unit_geometric_mean(old_values)).mean(axis=0))
            )
        eigen: np.ndarray | None = None
        old: np.ndarray | None = None
        for _ in range(max(context.max_iter, 1)):
            volumes = _floored((values / shape).sum(axis=1) / self.d)
            pooled = _floored((counts / volumes) @ values)
            shape = _unit_geometric_mean(pooled)
            eigen, old = _unfloored(volumes)[:, None] * (shape * (_unfloored(pooled) > 0)), eigen
            if _relative_change(eigen, old) < context.tol:
                break
        assert eigen is not None  # the loop runs at least once
        return _from_eigen(eigen, vectors)


@register_covariance_model
class VEECovariance(_IterativeFull):
    r"""VEE: one ellipse :math:`C = D A D^T` (det 1) for all, volumes vary:
    :math:`\Sigma_k = \lambda_k C`.

    Alternates :math:`C \propto \sum_k n_k S_k / \lambda_k` and
    :math:`\lambda_k = \operatorname{tr}(S_k C^{-1}) / d` (mclust's ``mevee``).
    """

    name = "VEE"
    mclust_name = "VEE"
    description = "ellipses of one shape and orientation, sizes varying"
    marker = "P"

    def _n_cov_parameters(self, n_components: int) -> int:
        return n_components + self.d * (self.d + 1) // 2 - 1

    def _structured(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        previous: np.ndarray | None,
        context: MStepContext,
    ) -> np.ndarray:
        # a component collapsed onto one point has a scatter of rounding noise, possibly
        # negative: as zero it gets no volume, and recovery sees it singular
        empty = np.trace(scatter, axis1=1, axis2=2) <= 0
        scatter = np.where(empty[:, None, None], 0.0, scatter)
        if previous is not None:
            sign, log_det = np.linalg.slogdet(previous)
            if (sign <= 0).any() or not np.isfinite(log_det).all():
                previous = None  # a singular previous covariance has no shape to start from
        if previous is None:
            volumes = np.ones(len(counts))
        else:
            # the previous covariances are lambda_k C: their volumes, with C fixed, are the
            # maximiser given that C, the block this iteration starts from
            values, vectors = np.linalg.eigh(
                np.mean(previous / np.exp(log_det / self.d)[:, None, None], axis=0)
            )
            values = _unit_geometric_mean(_floored(values))
            inverse = _from_eigen(1.0 / values, vectors)
            volumes = _floored(np.einsum("kij,ji->k", scatter, inverse) / self.d)
        cov: np.ndarray | None = None
        old: np.ndarray | None = None
        for _ in range(max(context.max_iter, 1)):
            values, vectors = np.linalg.eigh(np.einsum("k,kij->ij", counts / volumes, scatter))
            kept = _unfloored(_floored(values)) > 0
            values = _unit_geometric_mean(_floored(values))
            inverse = _from_eigen(1.0 / values, vectors)
            volumes = _floored(np.einsum("kij,ji->k", scatter, inverse) / self.d)
            fitted = _unfloored(volumes)[:, None, None] * _from_eigen(values * kept, vectors)
            cov, old = fitted, cov
            if _relative_change(cov, old) < context.tol:
                break
        assert cov is not None  # the loop runs at least once
        return cov

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`\lambda_k S C S`: still one ellipse for all, so still VEE."""
        return self.name, scale[:, None] * covariances * scale


def _polar(matrix: np.ndarray) -> np.ndarray:
    """The orthogonal factor of ``matrix``: the orthogonal matrix nearest to it."""
    u, _, vt = np.linalg.svd(matrix)
    return u @ vt


class _CommonOrientation(_IterativeFull):
    r"""EVE and VVE: one orientation :math:`D` for all, shapes :math:`A_k` vary.

    Given :math:`D`, the variances along its axes :math:`\operatorname{diag}(D^T S_k D)` give
    the shapes and volumes in closed form (:meth:`_variances`). Given those, with
    :math:`B_k = (\lambda_k A_k)^{-1}`, :math:`D` minimises
    :math:`f(D) = \sum_k \operatorname{tr}(W_k D B_k D^T)` over orthogonal matrices; the MM
    algorithm of Browne & McNicholas (2014, "Estimating common principal components in high
    dimensions", Adv. Data Anal. Classif. 8) takes two majorisation steps, each the orthogonal
    factor of a linear bound's gradient: with :math:`\omega_k` the largest eigenvalue of
    :math:`W_k` and :math:`\beta_k` the largest of :math:`B_k`,

    .. math:: D \leftarrow \operatorname{polar}\Big(\sum_k (W_k - \omega_k I) D B_k\Big),\qquad
              D \leftarrow \operatorname{polar}\Big(\sum_k W_k D (B_k - \beta_k I)\Big),

    each of which never increases :math:`f` (the sign of :math:`D` does not change it).
    mclust (``meeve``, ``mevve``) takes the same two steps, weighting by :math:`A_k^{-1}`
    alone; for VVE, whose volumes vary, that is not :math:`f`, so its fixed point is not the
    maximum-likelihood orientation. Here the weights include the volumes.
    """

    def _variances(self, along: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Each component's variances along the common axes ``(K, d)`` from the scatter's
        ``along = diag(D^T S_k D)``."""
        raise NotImplementedError

    def _orientation_weights(self, variances: np.ndarray) -> np.ndarray:
        """The diagonal weights :math:`B_k` of :math:`f(D)`: the precisions along the axes."""
        return 1.0 / variances

    def _structured(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        previous: np.ndarray | None,
        context: MStepContext,
    ) -> np.ndarray:
        weighted = counts[:, None, None] * scatter
        if previous is None:
            axes = np.linalg.eigh(weighted.sum(axis=0))[1]
        else:
            # every previous covariance is diagonal in D, so is a combination of them with
            # distinct weights, whose eigenvalues are generically distinct
            mix = 1.0 / (np.arange(len(counts)) + np.sqrt(2.0))
            axes = np.linalg.eigh(np.einsum("k,kij->ij", mix, previous))[1]
        largest = np.linalg.eigvalsh(weighted)[:, -1]
        eye = np.eye(self.d)
        cov: np.ndarray | None = None
        old: np.ndarray | None = None
        for _ in range(max(context.max_iter, 1)):
            along = _floored(((scatter @ axes) * axes).sum(axis=-2))
            variances = self._variances(along, counts)
            cov, old = _from_eigen(variances * (_unfloored(along) > 0), axes[None]), cov
            if _relative_change(cov, old) < context.tol:
                break
            precisions = self._orientation_weights(variances)
            shifted = weighted - largest[:, None, None] * eye
            axes = _polar(((shifted @ axes) * precisions[:, None, :]).sum(axis=0))
            shifted = precisions - precisions.max(axis=1, keepdims=True)
            axes = _polar(((weighted @ axes) * shifted[:, None, :]).sum(axis=0))
        assert cov is not None  # the loop runs at least once
        return cov


@register_covariance_model
class EVECovariance(_CommonOrientation):
    r"""EVE: one orientation and one volume, shapes vary: :math:`\Sigma_k = \lambda D A_k D^T`.

    Given :math:`D`: :math:`A_k \propto \operatorname{diag}(D^T S_k D)` and
    :math:`\lambda = \sum_k n_k \operatorname{tr}(A_k^{-1} D^T S_k D) / (d \sum_k n_k)`.
    """

    name = "EVE"
    mclust_name = "EVE"
    description = "ellipses of one size and orientation, shapes varying"
    marker = "X"

    def _n_cov_parameters(self, n_components: int) -> int:
        d = self.d
        return 1 + n_components * (d - 1) + d * (d - 1) // 2

    def _variances(self, along: np.ndarray, counts: np.ndarray) -> np.ndarray:
        shapes = _unit_geometric_mean(along)
        volume = (counts @ (along / shapes).sum(axis=1)) / (self.d * counts.sum())
        return volume * shapes


@register_covariance_model
class VVECovariance(_CommonOrientation):
    r"""VVE: one orientation, volumes and shapes vary: :math:`\Sigma_k = \lambda_k D A_k D^T`.

    Given :math:`D`: :math:`\lambda_k A_k = \operatorname{diag}(D^T S_k D)`.
    """

    name = "VVE"
    mclust_name = "VVE"
    description = "ellipses of one orientation, sizes and shapes varying"
    marker = "*"

    def _n_cov_parameters(self, n_components: int) -> int:
        d = self.d
        return n_components * d + d * (d - 1) // 2

    def _variances(self, along: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return along
