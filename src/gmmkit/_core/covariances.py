"""Covariance structures: statistics features, M-step, precision factors and log-density terms.

Every structure is described by a *feature map* ``phi(x) = [1, x, q(x)]`` whose quadratic part
``q`` depends on the structure (all products ``x_a x_b`` with ``a <= b`` for ``full``, the squares
``x_a^2`` for ``diag``, ``|x|^2`` for ``spherical`` and nothing for ``tied``). Two facts make the
whole library fast and additive:

* the sufficient statistics of component ``k`` are ``stats[k] = sum_i w_i r_ik phi(x_i)``, i.e.
  ``stats = (w * R)^T Phi``: one GEMM per sample chunk, additive over any split of the data;
* the weighted log-density is linear in the same features,
  ``log pi_k + log N(x | mu_k, Sigma_k) = phi(x) . theta[:, k]`` (plus, for ``tied``, a term shared
  by all components), so the E-step is one GEMM ``Phi @ theta`` as well.

All arrays here are in *shifted* coordinates ``x - shift`` (the caller picks the shift, normally the
data mean) so that the second moments about the origin keep their precision on offset data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .conditioning import condition_full, condition_scaled
from .linalg import LOG_2PI, _lower_inverse

if TYPE_CHECKING:
    from .prior import ResolvedPrior
    from .source import FeatureSource

#: A variance within this many machine epsilons of its second moment is rounding noise.
ROUNDING_MARGIN = 1e3


@dataclass
class MixtureParams:
    """Parameters of a Gaussian mixture in scikit-learn's layout (float64, shifted coordinates).

    ``covariances`` and ``precisions_cholesky`` have the model's
    :meth:`~CovarianceModel.parameter_shape`, for the built-ins scikit-learn's: full
    ``(K, d, d)``, tied ``(d, d)``, diag ``(K, d)``, spherical ``(K,)``.
    ``covariances`` may be ``None`` when the model was initialised from precisions.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray | None
    precisions_cholesky: np.ndarray


class DegenerateComponentWarning(UserWarning):
    """A component's covariance was singular and gmmkit raised its regularisation to recover."""


#: Default tolerance of an iterative M-step, on the relative change of its parameters
#: (mclust's inner tolerance, ``emControl()$tol[2]``).
M_STEP_TOL = float(np.sqrt(np.finfo(np.float64).eps))
#: Default number of iterations an iterative M-step may take within one EM iteration. Each
#: inner step raises the expected complete log-likelihood, so EM with a few of them, warm
#: started from the previous iteration's parameters, still never lowers the likelihood and
#: reaches the same fixed point (a generalised EM, as mclust's); a full inner solve at every
#: EM iteration, from parameters the next E-step moves anyway, made EVE and VVE (whose MM
#: steps converge only linearly) cost more than the other twelve models together.
M_STEP_MAX_ITER = 5


@dataclass(frozen=True)
class MStepContext:
    r"""Everything an M-step needs besides the statistics.

    The closed-form M-steps of the built-in models read ``reg_covar``, ``total_weight`` and
    ``normalize_weights`` (and ``tied`` its ``data_terms``); an iterative M-step, such as
    those of mclust's VEI, VEV, EVE, VVE and VEE models, starts from ``previous`` and
    iterates until its parameters change by less than ``tol`` or ``max_iter`` is spent.

    Attributes
    ----------
    reg_covar : float
        Added to the diagonal of every covariance.
    total_weight : float
        :math:`\sum_i w_i`, the (weighted) number of samples.
    normalize_weights : bool, default=True
        Mixing weights over the sum of the counts; False divides by ``total_weight``, as
        scikit-learn's initialisation does.
    previous : MixtureParams or None, default=None
        The parameters of the E-step that gave the statistics; None for the M-step of the
        initialisation, which follows no E-step.
    tol : float, default=M_STEP_TOL
    max_iter : int, default=M_STEP_MAX_ITER
        Tolerance and iteration budget of an iterative M-step (EM's own are separate).
    data_terms : object, default=None
        What the model's :meth:`CovarianceModel.prepare` computed once from the data for
        every M-step of a fit (the total scatter for ``tied``; None for most models).
    count_padding : float, default=10 * eps
        Added to every soft count before it divides anything (see :func:`count_padding`).
    prior : ResolvedPrior or None, default=None
        mclust's conjugate prior (:mod:`gmmkit._core.prior`), in the statistics' shifted
        coordinates: the M-step then gives the maximum a posteriori parameters; None gives
        the maximum-likelihood ones.
    """

    reg_covar: float
    total_weight: float
    normalize_weights: bool = True
    previous: MixtureParams | None = None
    tol: float = M_STEP_TOL
    max_iter: int = M_STEP_MAX_ITER
    data_terms: Any = None
    count_padding: float = 10 * np.finfo(np.float64).eps
    prior: ResolvedPrior | None = None


#: What :meth:`CovarianceModel.m_step` returns: ``(weights, means, covariances, noise_floor)``.
MStepResult = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def count_padding(total_weight: float, n_samples: int) -> float:
    r"""What every soft count is padded with: :math:`10\,\epsilon` times the mean sample
    weight.

    scikit-learn pads by :math:`10\,\epsilon` absolutely, which is the same for unit weights
    (so unweighted fits stay equal to its own) but swamps the counts when all weights are
    tiny: with weights of 1e-18 on 200 rows every count is below the padding and every mean
    collapses to the origin. Relative to the mean weight, weights that differ by a constant
    factor give the same fit.
    """
    return 10 * np.finfo(np.float64).eps * (total_weight / n_samples)


@lru_cache(maxsize=64)
def _triu_indices(d: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.triu_indices(d)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


class CovarianceModel:
    """Base class: one subclass per covariance structure, stateless apart from ``d``.

    A subclass owns everything about its structure: the quadratic features its statistics
    need, the M-step, the precision factors and log-density coefficients of the E-step, the
    parameter layout and its checks, recovery of collapsed components, and the per-component
    geometry used to split, condition and sample. :func:`register_covariance_model` makes it
    available by ``name`` to :class:`~gmmkit.GaussianMixture`, :func:`~gmmkit.select`, the
    classifiers, save/load and the command line; nothing else needs to change. The four
    built-in classes below are the reference implementations.

    Attributes
    ----------
    name : str
        The ``covariance_type`` it is registered under (a Python identifier).
    description : str
        A few words on the shapes it gives components, for reports and studies.
    marker : str
        The matplotlib marker of its line in figures of a sweep.
    mclust_name : str
        Its name in R's mclust (``Sigma_k = lambda_k D_k A_k D_k^T``; see
        :mod:`gmmkit._core.mclust_models`), or ``""`` for a model mclust does not have.
    in_all : bool
        Whether ``select(covariance_type="all")`` sweeps it: True for the built-ins and
        mclust's models, False unless a registered model opts in.
    """

    name: str = ""
    description: str = ""
    marker: str = "o"
    in_all: bool = False

    #: The model's name in R mclust (``Sigma_k = lambda_k D_k A_k D_k^T``), if it has one.
    mclust_name: str | None = None

    #: How the scale of mclust's conjugate prior is shaped for this model: ``'matrix'``
    #: (``d x d``), ``'scalar'``, or None when the model has no maximum a posteriori M-step
    #: (a ``prior`` then raises a ValueError naming the model). Not inherited: a subclass
    #: has a prior only if it declares one, since its M-step is its own.
    prior_scale: str | None = None
    #: Whether the MAP means shrink toward the prior mean (mclust's EEI leaves them alone).
    prior_shrinks_means: bool = True

    def __init__(self, n_features: int):
        self.d = n_features

    # --- feature map ------------------------------------------------------------------------
    @property
    def n_quadratic(self) -> int:
        raise NotImplementedError

    @property
    def n_stats(self) -> int:
        """Width of ``phi(x) = [1, x, q(x)]``."""
        return 1 + self.d + self.n_quadratic

    def features(self, Xc_t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` (``n_stats x n``, float64) with ``phi`` of the shifted samples ``Xc_t``.

        Both are feature-major (one row per feature, one column per sample): every product
        below then writes whole contiguous rows, several times faster than sample-major.
        """
        d = self.d
        out[0] = 1.0
        out[1 : 1 + d] = Xc_t
        self._quadratic_features(Xc_t, out[1 + d :])
        return out

    def _quadratic_features(self, Xc_t: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    # --- parameters ---------------------------------------------------------------------------
    def n_parameters(self, n_components: int) -> int:
        """Number of free parameters: mixing weights, means and covariance entries."""
        return n_components - 1 + n_components * self.d + self._n_cov_parameters(n_components)

    def _n_cov_parameters(self, n_components: int) -> int:
        raise NotImplementedError

    def prepare(self, source: FeatureSource) -> Any:
        """Terms of the data that every M-step of a fit needs besides the statistics,
        computed once per fit from the feature ``source`` (a
        :class:`gmmkit._core.source.FeatureSource`, whose methods give them); they reach
        :meth:`m_step` as ``context.data_terms``. Most models need none."""
        return None

    def m_step(self, stats: np.ndarray, context: MStepContext) -> MStepResult:
        r"""Maximum-likelihood parameters from sufficient statistics.

        With :math:`N_k` the soft counts (padded by ``context.count_padding``, ``10 * eps``
        times the mean sample weight, which is scikit-learn's padding for unit weights),
        :math:`\mu_k = S_k / N_k` and the covariance is the weighted scatter about
        :math:`\mu_k` divided by :math:`N_k`, plus ``context.reg_covar`` on the diagonal.
        Subclasses give the covariance in closed form (``_covariances`` and
        ``_second_moments``); a model without one overrides this method and iterates from
        ``context.previous``.

        With ``context.prior`` (mclust's conjugate prior) they are the maximum a posteriori
        parameters instead: ``_covariances`` adds the prior's scale and shrinkage term to the
        scatter about :math:`S_k / N_k`, and the means shrink toward the prior mean,
        :math:`(S_k + \kappa_P \mu_P) / (N_k + \kappa_P)` (see :mod:`gmmkit._core.prior`).

        Returns ``(weights, means, covariances, noise_floor)``; ``noise_floor`` (shaped like
        :meth:`pivots`) is the size of the rounding error in each variance, since variances are
        second moments minus squared means: a variance below it is numerically zero.
        """
        counts = stats[:, 0]
        padded = counts + context.count_padding
        means = stats[:, 1 : 1 + self.d] / padded[:, None]
        covariances = self._covariances(stats, counts, padded, means, context)
        if context.prior is not None and self.prior_shrinks_means:
            means = context.prior.shrunk_means(means, padded)
        weights = self.mixing_weights(
            stats, context.total_weight, context.normalize_weights, context.count_padding
        )
        floor = (
            ROUNDING_MARGIN
            * np.finfo(np.float64).eps
            * self._second_moments(stats, padded, context)
        )
        return weights, means, covariances, floor

    @staticmethod
    def mixing_weights(
        stats: np.ndarray,
        total_weight: float,
        normalize: bool = True,
        padding: float = 10 * np.finfo(np.float64).eps,
    ) -> np.ndarray:
        """The M-step's weights: padded counts over their sum (over ``total_weight`` when not
        ``normalize``, as scikit-learn's initialisation does)."""
        padded = stats[:, 0] + padding
        return padded / (padded.sum() if normalize else total_weight)

    def _second_moments(
        self, stats: np.ndarray, padded: np.ndarray, context: MStepContext
    ) -> np.ndarray:
        """Diagonal second moments about the shift, shaped like :meth:`pivots`."""
        raise NotImplementedError

    def pivots(self, prec_chol: np.ndarray) -> np.ndarray:
        """Cholesky pivots :math:`L_{jj}^2 = 1 / P_{jj}^2` (conditional variances)."""
        return 1.0 / prec_chol**2

    def collapsed_components(self, prec_chol: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """Components with a pivot at or below the rounding-noise floor."""
        below = self.pivots(prec_chol) <= floor
        return np.flatnonzero(below.any(axis=1) if below.ndim == 2 else below)

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        raise NotImplementedError

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        """Factor ``P`` with ``P P^T = Sigma^{-1}`` (upper triangular for full/tied)."""
        raise NotImplementedError

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def precisions(self, prec_chol: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def log_det_precision_cholesky(self, prec_chol: np.ndarray, n_components: int) -> np.ndarray:
        """``log det P_k`` for each component, shape ``(K,)``."""
        raise NotImplementedError

    def theta_constant(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> np.ndarray:
        r"""The constant row ``theta[0]``: :math:`\log \pi_k - \tfrac d2 \log 2\pi +
        \log\det P_k - \tfrac12 |P_k^T \mu_k|^2`, computed exactly as :meth:`theta` does."""
        raise NotImplementedError

    def theta(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        r"""Coefficients ``theta`` (``n_stats x K``) with ``phi(x) . theta_k = log pi_k N(x|k)``.

        For ``tied`` the shared term :math:`-\tfrac12 |P^T x|^2` is not in ``theta``; the second
        returned value is then ``P`` (else ``None``) so the E-step can add it.
        """
        raise NotImplementedError

    def cholesky_covariances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        """Per-component lower Cholesky factors ``L_k`` (``(K, d, d)`` or ``(K, d)`` scales)."""
        raise NotImplementedError

    def regularize(self, covariances: np.ndarray, components: np.ndarray, amount: float) -> None:
        """Add ``amount`` to the diagonal of the given components' covariances, in place."""
        raise NotImplementedError

    def failing_components(self, covariances: np.ndarray) -> np.ndarray:
        """Indices of components whose covariance is not (numerically) positive definite."""
        raise NotImplementedError

    def covariance_scale(self, covariances: np.ndarray) -> np.ndarray:
        """Mean variance per component (``(K,)``, or ``(1,)`` for tied)."""
        raise NotImplementedError

    def describe_components(self, components: Collection[int]) -> str:
        """How a warning names the given components whose covariance was recovered."""
        return f"component(s) {sorted(components)}"

    # --- parameter layout -----------------------------------------------------------------------
    def parameter_shape(self, n_components: int) -> tuple[int, ...]:
        """Shape of ``covariances_``, ``precisions_`` and ``precisions_cholesky_``."""
        raise NotImplementedError

    def check_precisions(
        self, precisions: Any, n_components: int, name: str = "precisions_init"
    ) -> np.ndarray:
        """User-given precisions as float64, checked for shape, finiteness and definiteness.

        The messages start with scikit-learn's for the same fault and go on with gmmkit's,
        which name the argument.
        """
        shape = self.parameter_shape(n_components)
        array = np.asarray(precisions, dtype=np.float64)
        if array.shape != shape:
            raise ValueError(
                f"The parameter '{self.name} precision' should have the shape of {shape}, but "
                f"got {array.shape}: {name} must have shape {shape} for "
                f"covariance_type={self.name!r}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinity")
        self._check_precision_values(array, name)
        return array

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        if (precisions <= 0).any():
            raise ValueError(
                f"'{self.name} precision' should be positive: {name} must be "
                f"positive; got a smallest value of {precisions.min():g}"
            )

    def invert(self, matrices: np.ndarray, symmetric: bool = False) -> np.ndarray:
        """Covariances from precisions or the reverse, in this model's layout: here the
        reciprocals (matrix models invert; ``symmetric`` matters only to them)."""
        return 1.0 / matrices

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r"""The covariances in the units of :math:`x = m + S z`, given those fitted on ``z``.

        With :math:`S = \operatorname{diag}(s)` (``scale``, shape ``(d,)``, positive), a
        component :math:`\mathcal N(\mu, \Sigma)` in ``z`` is exactly
        :math:`\mathcal N(m + S\mu, S \Sigma S)` in ``x``. Returns the name of the registered
        structure that holds :math:`S \Sigma_k S` exactly and the covariances in its layout.
        A model whose structure a per-feature rescaling does not keep overrides this.

        Raises
        ------
        ValueError
            Here, in the base class: a model that does not say how its covariances rescale
            cannot be moved to other units.
        """
        raise ValueError(
            f"covariance_type {self.name!r} ({type(self).__qualname__}) does not "
            "define rescaled(covariances, scale), so a mixture fitted on "
            "standardized data cannot be returned in the original units"
        )

    # --- per-component geometry: splitting, conditioning, sampling ------------------------------
    def component_variances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        """The diagonal of every component's covariance, ``(n_components, d)``."""
        raise NotImplementedError

    def principal_axes(
        self, covariances: np.ndarray, n_components: int
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Each component's principal axis (unit rows, ``(K, d)``) and its variance ``(K,)``.

        Here the covariances are diagonal, so the axis is the coordinate of the largest
        variance; matrix models take the leading eigenvector.
        """
        variances = self.component_variances(covariances, n_components)
        widest = variances.argmax(axis=1)
        axes = np.zeros((n_components, self.d))
        axes[np.arange(n_components), widest] = 1.0
        return axes, variances[np.arange(n_components), widest]

    # --- posedness: is the fit's likelihood a maximum or an artefact of regularisation? --------
    def points_needed(self, masses: np.ndarray) -> np.ndarray:
        """The responsibility mass (in rows) each component needs for its covariance to be
        estimable, ``(K,)``, given every component's mass ``masses``: here 2 (one point has no
        variance); a component with its own orientation needs ``d + 1`` (a full covariance of
        ``d`` points or fewer is singular); a shared covariance needs ``d + K`` in all."""
        return np.full(len(masses), 2.0)

    def smallest_scaled_variances(
        self, covariances: np.ndarray, scale: np.ndarray, n_components: int, features: np.ndarray
    ) -> np.ndarray:
        r"""Each component's smallest variance in units of the data's own, ``(K,)``: the
        smallest eigenvalue of :math:`D^{-1/2}\Sigma_k D^{-1/2}` restricted to the
        ``features`` (indices), with :math:`D` the data's variances ``scale`` of those
        features (so the measure ignores the features' units). Here the covariances are
        diagonal, so it is the smallest ratio of variances."""
        variances = self.component_variances(covariances, n_components)[:, features]
        return (variances / scale).min(axis=1)

    def marginal_covariances(
        self, covariances: np.ndarray, n_components: int, features: np.ndarray
    ) -> np.ndarray:
        """Every component's covariance of the ``features`` alone (the marginal Gaussian's),
        as dense matrices ``(K, m, m)``; here diagonal ones."""
        variances = self.component_variances(covariances, n_components)[:, features]
        return variances[:, :, None] * np.eye(len(features))

    def repeat_components(self, covariances: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Covariances with copies of the ``chosen`` components' appended (a split's halves);
        a covariance shared by all components is returned as it is."""
        return np.concatenate([covariances, covariances[chosen]])

    def condition_components(
        self,
        covariances: np.ndarray,
        means: np.ndarray,
        given: np.ndarray,
        rest: np.ndarray,
        diff: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Every component conditioned on the features ``given`` (see
        :mod:`gmmkit._core.conditioning`).

        Parameters
        ----------
        covariances : ndarray in this model's layout
        means : ndarray of shape (K, d)
        given, rest : ndarray of int
            The given features and the others, in increasing order.
        diff : ndarray of shape (K, n_rows, len(given))
            :math:`a_i - \mu_{k,a}` for every component and row.

        Returns
        -------
        log_density : ndarray of shape (K, n_rows)
            :math:`\log \mathcal N(a_i \mid \mu_{k,a}, \Sigma_{k,aa})`.
        means : ndarray of shape (n_rows, K, len(rest))
            The conditional means :math:`m_k(a_i)`.
        covariances : ndarray
            The conditional covariances :math:`S_k`, in this model's layout over ``rest``.
        """
        raise NotImplementedError

    def scale_noise(self, factors: np.ndarray, labels: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """:math:`L_{k_i} z_i` for standard normal rows ``noise`` drawn from components
        ``labels``, with ``factors`` from :meth:`cholesky_covariances` (here scales)."""
        return factors[labels] * noise


def _constant(
    weights: np.ndarray, log_det: np.ndarray, quad_mean: np.ndarray, d: int
) -> np.ndarray:
    return np.log(weights) - 0.5 * d * LOG_2PI + log_det - 0.5 * quad_mean


class FullCovariance(CovarianceModel):
    name = "full"
    mclust_name = "VVV"
    description = "each component its own ellipse in any orientation"
    marker = "o"
    in_all = True
    prior_scale: str | None = "matrix"

    @property
    def n_quadratic(self) -> int:
        return self.d * (self.d + 1) // 2

    def _quadratic_features(self, Xc_t: np.ndarray, out: np.ndarray) -> None:
        d = self.d
        start = 0
        # one block per feature: x_a * x_{a:}; d is small next to n and K
        for a in range(d):
            width = d - a
            np.multiply(Xc_t[a], Xc_t[a:], out=out[start : start + width])
            start += width

    def _n_cov_parameters(self, n_components: int) -> int:
        return n_components * self.d * (self.d + 1) // 2

    def _unpack(self, packed: np.ndarray) -> np.ndarray:
        """Symmetric ``(K, d, d)`` matrices from their packed upper triangles ``(K, d(d+1)/2)``."""
        d = self.d
        return packed[:, _symmetric_gather(d)].reshape(packed.shape[0], d, d)

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        # scatter about mu_k = Q - S mu^T - mu S^T + N mu mu^T, over the padded count N + 10 eps
        d = self.d
        mean_products = np.empty((self.n_quadratic, means.shape[0]))
        self._quadratic_features(np.ascontiguousarray(means.T), mean_products)
        packed = stats[:, 1 + d :] / padded[:, None]
        packed -= (2.0 - counts / padded)[:, None] * mean_products.T
        cov = self._unpack(packed)
        prior = context.prior
        if prior is not None:
            # mclust's mevvvp: (Lambda + W_k + shrinkage term) / (nu + N_k + d + 2)
            diff, factor = prior.mean_deviations(means, padded)
            cov = (
                prior.scale
                + padded[:, None, None] * cov
                + factor[:, None, None] * diff[:, :, None] * diff[:, None, :]
            )
            cov /= (prior.dof + padded + d + 2)[:, None, None]
        cov.reshape(-1, d * d)[:, :: d + 1] += context.reg_covar
        return cov

    def pivots(self, prec_chol: np.ndarray) -> np.ndarray:
        return 1.0 / np.diagonal(prec_chol, axis1=-2, axis2=-1) ** 2

    def _second_moments(
        self, stats: np.ndarray, padded: np.ndarray, context: MStepContext
    ) -> np.ndarray:
        d = self.d
        diagonal = _symmetric_gather(d)[:: d + 1]
        return stats[:, 1 + d + diagonal] / padded[:, None]

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        chol = np.linalg.cholesky(covariances)
        return np.swapaxes(_lower_inverse(chol), -1, -2)

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        flipped = np.asarray(precisions, dtype=np.float64)[..., ::-1, ::-1]
        return np.linalg.cholesky(flipped)[..., ::-1, ::-1].copy()

    def precisions(self, prec_chol: np.ndarray) -> np.ndarray:
        return prec_chol @ np.swapaxes(prec_chol, -1, -2)

    def log_det_precision_cholesky(self, prec_chol: np.ndarray, n_components: int) -> np.ndarray:
        return np.log(np.diagonal(prec_chol, axis1=-2, axis2=-1)).sum(axis=-1)

    def theta_constant(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> np.ndarray:
        projected = np.einsum("kd,kde->ke", means, prec_chol)
        return _constant(
            weights,
            self.log_det_precision_cholesky(prec_chol, len(weights)),
            np.einsum("ke,ke->k", projected, projected),
            self.d,
        )

    def theta(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        d = self.d
        precision = self.precisions(prec_chol)
        theta = np.empty((self.n_stats, len(weights)))
        theta[0] = self.theta_constant(weights, means, prec_chol)
        theta[1 : 1 + d] = np.einsum("kde,ke->dk", precision, means)
        rows, cols = _triu_indices(d)
        quad = precision[:, rows, cols] * np.where(rows == cols, -0.5, -1.0)
        theta[1 + d :] = quad.T
        return theta, None

    def cholesky_covariances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.linalg.cholesky(covariances)

    def regularize(self, covariances: np.ndarray, components: np.ndarray, amount: float) -> None:
        idx = np.arange(self.d)
        covariances[np.ix_(components, idx, idx)] += np.eye(self.d) * amount

    def failing_components(self, covariances: np.ndarray) -> np.ndarray:
        finite = np.isfinite(covariances).all(axis=(1, 2))
        bad = ~finite
        safe = np.where(finite[:, None, None], covariances, np.eye(self.d))
        # Cholesky fails exactly when the LDL^T pivots are not all positive; eigvalsh is a
        # robust proxy that also catches matrices LAPACK would factor into garbage.
        eig_min = np.linalg.eigvalsh(safe)[:, 0]
        scale = np.abs(np.diagonal(safe, axis1=1, axis2=2)).max(axis=1)
        bad |= eig_min <= 1e3 * np.finfo(np.float64).eps * scale
        return np.flatnonzero(bad)

    def covariance_scale(self, covariances: np.ndarray) -> np.ndarray:
        return np.diagonal(covariances, axis1=-2, axis2=-1).mean(axis=-1)

    def parameter_shape(self, n_components: int) -> tuple[int, ...]:
        return (n_components, self.d, self.d)

    def _check_precision_values(self, precisions: np.ndarray, name: str) -> None:
        stack = precisions.reshape(-1, self.d, self.d)
        message = f"'{self.name} precision' should be symmetric, positive-definite: {name}"
        if not np.allclose(stack, np.swapaxes(stack, 1, 2)):
            raise ValueError(f"{message} must be symmetric")
        smallest = np.linalg.eigvalsh(stack)[:, 0]
        if (smallest <= 0).any():
            raise ValueError(
                f"{message} must be positive definite; got a smallest eigenvalue "
                f"of {smallest.min():g}"
            )

    def invert(self, matrices: np.ndarray, symmetric: bool = False) -> np.ndarray:
        """Matrix inverses; ``symmetric`` averages each with its transpose, which LAPACK's
        inverse equals only up to rounding (needed where the result must pass a symmetry
        check)."""
        inverse = np.linalg.inv(matrices)
        return 0.5 * (inverse + np.swapaxes(inverse, -1, -2)) if symmetric else inverse

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`S \Sigma_k S`, still full (for ``tied`` the one shared matrix, still tied):
        entry ``(a, b)`` times :math:`s_a s_b`."""
        return self.name, scale[:, None] * covariances * scale

    def component_variances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.diagonal(covariances, axis1=1, axis2=2)

    def principal_axes(
        self, covariances: np.ndarray, n_components: int
    ) -> tuple[np.ndarray, np.ndarray]:
        values, vectors = np.linalg.eigh(covariances)
        return vectors[:, :, -1], values[:, -1]

    def points_needed(self, masses: np.ndarray) -> np.ndarray:
        return np.full(len(masses), self.d + 1.0)

    def marginal_covariances(
        self, covariances: np.ndarray, n_components: int, features: np.ndarray
    ) -> np.ndarray:
        block = covariances[..., features[:, None], features]
        return np.broadcast_to(block, (n_components, len(features), len(features)))

    def smallest_scaled_variances(
        self, covariances: np.ndarray, scale: np.ndarray, n_components: int, features: np.ndarray
    ) -> np.ndarray:
        root = 1.0 / np.sqrt(scale)
        kept = covariances[..., features[:, None], features]
        scaled = kept * root[:, None] * root[None, :]
        size = len(features)
        return np.linalg.eigvalsh(np.broadcast_to(scaled, (n_components, size, size)))[:, 0]

    def condition_components(
        self,
        covariances: np.ndarray,
        means: np.ndarray,
        given: np.ndarray,
        rest: np.ndarray,
        diff: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return condition_full(covariances, means, given, rest, diff, tied=False)

    def scale_noise(self, factors: np.ndarray, labels: np.ndarray, noise: np.ndarray) -> np.ndarray:
        return np.einsum("nij,nj->ni", factors[labels], noise)


class TiedCovariance(FullCovariance):
    name = "tied"
    mclust_name = "EEE"
    description = "one shared ellipse for every component"
    marker = "s"
    prior_scale = "matrix"

    @property
    def n_quadratic(self) -> int:
        return 0

    def _quadratic_features(self, Xc_t: np.ndarray, out: np.ndarray) -> None:
        return None

    def _n_cov_parameters(self, n_components: int) -> int:
        return self.d * (self.d + 1) // 2

    def prepare(self, source: FeatureSource) -> Any:
        r""":math:`\sum_i w_i (x_i - s)(x_i - s)^T` about the source's shift ``s``: the tied
        covariance is this total scatter minus the between-component scatter."""
        return source.scatter()

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        between = (padded[:, None] * means).T @ means
        prior = context.prior
        if prior is None:
            cov = (context.data_terms - between) / padded.sum()
        else:
            # mclust's meeeep: (Lambda + sum_k W_k + shrinkage terms) / (nu + d + 1 [+ K] + n)
            diff, factor = prior.mean_deviations(means, padded)
            count = prior.dof + self.d + 1 + (len(padded) if prior.shrinks else 0)
            cov = (
                prior.scale + context.data_terms - between + (factor[:, None] * diff).T @ diff
            ) / (count + padded.sum())
        cov.flat[:: self.d + 1] += context.reg_covar
        return cov

    def log_det_precision_cholesky(self, prec_chol: np.ndarray, n_components: int) -> np.ndarray:
        return np.full(n_components, np.log(np.diagonal(prec_chol)).sum())

    def theta_constant(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> np.ndarray:
        projected = means @ prec_chol
        return _constant(
            weights,
            self.log_det_precision_cholesky(prec_chol, len(weights)),
            np.einsum("ke,ke->k", projected, projected),
            self.d,
        )

    def theta(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        d = self.d
        projected = means @ prec_chol
        theta = np.empty((self.n_stats, len(weights)))
        theta[0] = self.theta_constant(weights, means, prec_chol)
        theta[1 : 1 + d] = (projected @ prec_chol.T).T
        return theta, prec_chol

    def cholesky_covariances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.broadcast_to(np.linalg.cholesky(covariances), (n_components, self.d, self.d))

    def regularize(self, covariances: np.ndarray, components: np.ndarray, amount: float) -> None:
        covariances.flat[:: self.d + 1] += amount

    def _second_moments(
        self, stats: np.ndarray, padded: np.ndarray, context: MStepContext
    ) -> np.ndarray:
        return np.diagonal(context.data_terms) / padded.sum()

    def collapsed_components(self, prec_chol: np.ndarray, floor: np.ndarray) -> np.ndarray:
        # one shared covariance: component 0 stands for it, as in failing_components
        return np.flatnonzero([(self.pivots(prec_chol) <= floor).any()])

    def failing_components(self, covariances: np.ndarray) -> np.ndarray:
        return super().failing_components(covariances[None])

    def covariance_scale(self, covariances: np.ndarray) -> np.ndarray:
        return np.atleast_1d(np.diagonal(covariances).mean())

    def describe_components(self, components: Collection[int]) -> str:
        return "the tied covariance"

    def parameter_shape(self, n_components: int) -> tuple[int, ...]:
        return (self.d, self.d)

    def component_variances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.broadcast_to(np.diagonal(covariances), (n_components, self.d))

    def points_needed(self, masses: np.ndarray) -> np.ndarray:
        # the K means use K of the pooled scatter's degrees of freedom
        return np.full(len(masses), (self.d + len(masses)) * masses / max(masses.sum(), 1e-300))

    def smallest_scaled_variances(
        self, covariances: np.ndarray, scale: np.ndarray, n_components: int, features: np.ndarray
    ) -> np.ndarray:
        smallest = super().smallest_scaled_variances(covariances, scale, 1, features)
        return np.broadcast_to(smallest, (n_components,))

    def principal_axes(
        self, covariances: np.ndarray, n_components: int
    ) -> tuple[np.ndarray, np.ndarray]:
        axes, variances = super().principal_axes(covariances[None], 1)
        return (
            np.broadcast_to(axes, (n_components, self.d)),
            np.broadcast_to(variances, (n_components,)),
        )

    def repeat_components(self, covariances: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        return covariances

    def condition_components(
        self,
        covariances: np.ndarray,
        means: np.ndarray,
        given: np.ndarray,
        rest: np.ndarray,
        diff: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return condition_full(covariances, means, given, rest, diff, tied=True)


class DiagCovariance(CovarianceModel):
    name = "diag"
    mclust_name = "VVI"
    description = "axis-aligned ellipses"
    marker = "^"
    in_all = True
    prior_scale = "scalar"

    @property
    def n_quadratic(self) -> int:
        return self.d

    def _quadratic_features(self, Xc_t: np.ndarray, out: np.ndarray) -> None:
        np.multiply(Xc_t, Xc_t, out=out)

    def _n_cov_parameters(self, n_components: int) -> int:
        return n_components * self.d

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        variances = stats[:, 1 + self.d :] / padded[:, None] - means**2
        prior = context.prior
        if prior is not None:
            # mclust's mevvip: (lambda + W_kjj + shrinkage term) / (N_k + nu + 2 [+ 1])
            diff, factor = prior.mean_deviations(means, padded)
            count = padded + prior.dof + 2 + (1 if prior.shrinks else 0)
            variances = (
                prior.scale + padded[:, None] * variances + factor[:, None] * diff**2
            ) / count[:, None]
        return variances + context.reg_covar

    def _second_moments(
        self, stats: np.ndarray, padded: np.ndarray, context: MStepContext
    ) -> np.ndarray:
        return stats[:, 1 + self.d :] / padded[:, None]

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        return 1.0 / np.sqrt(covariances)

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        return np.sqrt(np.asarray(precisions, dtype=np.float64))

    def precisions(self, prec_chol: np.ndarray) -> np.ndarray:
        return prec_chol**2

    def log_det_precision_cholesky(self, prec_chol: np.ndarray, n_components: int) -> np.ndarray:
        return np.log(prec_chol).sum(axis=1)

    def theta_constant(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> np.ndarray:
        return _constant(
            weights,
            self.log_det_precision_cholesky(prec_chol, len(weights)),
            (means**2 * prec_chol**2).sum(axis=1),
            self.d,
        )

    def theta(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        d = self.d
        precision = prec_chol**2
        theta = np.empty((self.n_stats, len(weights)))
        theta[0] = self.theta_constant(weights, means, prec_chol)
        theta[1 : 1 + d] = (precision * means).T
        theta[1 + d :] = -0.5 * precision.T
        return theta, None

    def cholesky_covariances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.sqrt(covariances)

    def regularize(self, covariances: np.ndarray, components: np.ndarray, amount: float) -> None:
        covariances[components] += amount

    def failing_components(self, covariances: np.ndarray) -> np.ndarray:
        ok = np.isfinite(covariances).all(axis=1) & (covariances > 0).all(axis=1)
        return np.flatnonzero(~ok)

    def covariance_scale(self, covariances: np.ndarray) -> np.ndarray:
        return covariances.mean(axis=1)

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r"""Variances times :math:`s_j^2`: still diagonal."""
        return self.name, covariances * scale**2

    def parameter_shape(self, n_components: int) -> tuple[int, ...]:
        return (n_components, self.d)

    def component_variances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return covariances

    def condition_components(
        self,
        covariances: np.ndarray,
        means: np.ndarray,
        given: np.ndarray,
        rest: np.ndarray,
        diff: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        log_density, cond_means = condition_scaled(covariances, means, given, rest, diff)
        return log_density, cond_means, covariances[:, rest]


class SphericalCovariance(CovarianceModel):
    name = "spherical"
    mclust_name = "VII"
    description = "circles"
    marker = "D"
    in_all = True
    prior_scale = "scalar"

    @property
    def n_quadratic(self) -> int:
        return 1

    def _quadratic_features(self, Xc_t: np.ndarray, out: np.ndarray) -> None:
        np.einsum("ij,ij->j", Xc_t, Xc_t, out=out[0])

    def _n_cov_parameters(self, n_components: int) -> int:
        return n_components

    def _covariances(
        self,
        stats: np.ndarray,
        counts: np.ndarray,
        padded: np.ndarray,
        means: np.ndarray,
        context: MStepContext,
    ) -> np.ndarray:
        second = stats[:, 1 + self.d] / padded
        variances = (second - (means**2).sum(axis=1)) / self.d
        prior = context.prior
        if prior is not None:
            # mclust's meviip: (lambda + tr W_k + shrinkage term) / (nu + N_k d + 2 [+ d])
            d = self.d
            diff, factor = prior.mean_deviations(means, padded)
            count = prior.dof + padded * d + 2 + (d if prior.shrinks else 0)
            variances = (
                prior.scale + padded * d * variances + factor * (diff**2).sum(axis=1)
            ) / count
        return variances + context.reg_covar

    def _second_moments(
        self, stats: np.ndarray, padded: np.ndarray, context: MStepContext
    ) -> np.ndarray:
        return stats[:, 1 + self.d] / padded / self.d

    def precision_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        return 1.0 / np.sqrt(covariances)

    def precision_cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        return np.sqrt(np.asarray(precisions, dtype=np.float64))

    def precisions(self, prec_chol: np.ndarray) -> np.ndarray:
        return prec_chol**2

    def log_det_precision_cholesky(self, prec_chol: np.ndarray, n_components: int) -> np.ndarray:
        return self.d * np.log(prec_chol)

    def theta_constant(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> np.ndarray:
        return _constant(
            weights,
            self.log_det_precision_cholesky(prec_chol, len(weights)),
            (means**2).sum(axis=1) * prec_chol**2,
            self.d,
        )

    def theta(
        self, weights: np.ndarray, means: np.ndarray, prec_chol: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        d = self.d
        precision = prec_chol**2
        theta = np.empty((self.n_stats, len(weights)))
        theta[0] = self.theta_constant(weights, means, prec_chol)
        theta[1 : 1 + d] = (precision[:, None] * means).T
        theta[1 + d] = -0.5 * precision
        return theta, None

    def cholesky_covariances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.sqrt(covariances)[:, None] * np.ones(self.d)

    def regularize(self, covariances: np.ndarray, components: np.ndarray, amount: float) -> None:
        covariances[components] += amount

    def failing_components(self, covariances: np.ndarray) -> np.ndarray:
        return np.flatnonzero(~(np.isfinite(covariances) & (covariances > 0)))

    def covariance_scale(self, covariances: np.ndarray) -> np.ndarray:
        return covariances

    def rescaled(self, covariances: np.ndarray, scale: np.ndarray) -> tuple[str, np.ndarray]:
        r""":math:`\sigma_k^2 s_j^2` for every feature ``j``: **diagonal**, no longer spherical
        when the scales differ, so the result is a ``diag`` layout ``(K, d)``."""
        return "diag", np.outer(covariances, scale**2)

    def parameter_shape(self, n_components: int) -> tuple[int, ...]:
        return (n_components,)

    def component_variances(self, covariances: np.ndarray, n_components: int) -> np.ndarray:
        return np.repeat(covariances[:, None], self.d, axis=1)

    def condition_components(
        self,
        covariances: np.ndarray,
        means: np.ndarray,
        given: np.ndarray,
        rest: np.ndarray,
        diff: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        variances = self.component_variances(covariances, len(covariances))
        log_density, cond_means = condition_scaled(variances, means, given, rest, diff)
        return log_density, cond_means, covariances.copy()


@lru_cache(maxsize=64)
def _symmetric_gather(d: int) -> np.ndarray:
    """For each entry ``(a, b)`` of a ``d x d`` matrix, its index in the packed upper triangle."""
    rows, cols = np.triu_indices(d)
    index = np.empty((d, d), dtype=np.intp)
    index[rows, cols] = np.arange(rows.size)
    index[cols, rows] = np.arange(rows.size)
    return index.ravel()


# --- registry -----------------------------------------------------------------------------------
#: name -> class, in registration order (the built-ins first, in scikit-learn's order)
_REGISTRY: dict[str, type[CovarianceModel]] = {}
_BUILT_IN = ("full", "tied", "diag", "spherical")
#: mclust's names of the built-ins: ``covariance_type="VVV"`` is ``"full"`` in every respect
#: but the name the estimator keeps.
ALIASES = {"VVV": "full", "EEE": "tied", "VVI": "diag", "VII": "spherical"}
#: mclust's multivariate models in its own order (``mclust.options("emModelNames")``)
MCLUST_MODELS = (
    "EII",
    "VII",
    "EEI",
    "VEI",
    "EVI",
    "VVI",
    "EEE",
    "VEE",
    "EVE",
    "VVE",
    "EEV",
    "VEV",
    "EVV",
    "VVV",
)
#: mclust's models of one feature
MCLUST_ONE_FEATURE = ("E", "V")
_ORDER = (*_BUILT_IN, *MCLUST_MODELS, *MCLUST_ONE_FEATURE)
#: What a sweep's ``covariance_type`` may name besides the models themselves: every model
#: that opts in (``"all"``), or scikit-learn's four structures (``"sklearn"``).
SWEEPS = ("all", "sklearn")


def register_covariance_model(cls: type[CovarianceModel]) -> type[CovarianceModel]:
    """Make a covariance model available as ``covariance_type=cls.name`` everywhere.

    Usable as a class decorator. Registering the same class twice does nothing.

    Parameters
    ----------
    cls : subclass of CovarianceModel
        Its ``name`` (a Python identifier other than ``'all'``, ``'sklearn'`` and the
        aliases of the built-ins) is the key; its ``description``, ``marker`` and ``in_all``
        say how it is shown and whether ``select(covariance_type="all")`` sweeps it.

    Returns
    -------
    cls

    Raises
    ------
    TypeError
        If ``cls`` is not a subclass of :class:`CovarianceModel`.
    ValueError
        If its name is not an identifier, is reserved, or is taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, CovarianceModel)):
        raise TypeError(
            f"register_covariance_model expects a subclass of CovarianceModel, got {cls!r}"
        )
    name = cls.name
    reserved = (*SWEEPS, *ALIASES)
    if not isinstance(name, str) or not name.isidentifier() or name in reserved:
        raise ValueError(
            f"{cls.__qualname__}.name must be a Python identifier other than "
            f"{', '.join(map(repr, reserved))} (letters, digits and "
            f"underscores), got {name!r}"
        )
    known = _REGISTRY.get(name)
    if known is not None and known is not cls:
        raise ValueError(
            f"covariance_type {name!r} is already registered for "
            f"{known.__qualname__}; unregister it first"
        )
    _REGISTRY[name] = cls
    return cls


def unregister_covariance_model(name: str) -> type[CovarianceModel]:
    """Remove the covariance model registered as ``name`` and return its class.

    The built-in models (and their mclust aliases) cannot be removed.
    """
    if name in _BUILT_IN or name in ALIASES:
        raise ValueError(f"the built-in covariance_type {name!r} cannot be unregistered")
    if name not in _REGISTRY:
        raise ValueError(
            f"no covariance model is registered as {name!r}; registered: {list(_REGISTRY)}"
        )
    return _REGISTRY.pop(name)


def covariance_types(in_all: bool = False) -> tuple[str, ...]:
    """Names a ``covariance_type`` may take: the built-ins full, tied, diag, spherical,
    mclust's names in its order (aliases of the built-ins included), E and V, then any other
    registered model in registration order.

    With ``in_all``, the models ``covariance_type="all"`` stands for, each once: mclust's in
    its order (the built-ins under their mclust names), then any other registered model
    that opts in, in registration order.
    """
    if not in_all:
        order = {name: index for index, name in enumerate(_ORDER)}
        return tuple(sorted((*_REGISTRY, *ALIASES), key=lambda name: order.get(name, len(order))))
    mclust_name = {built_in: alias for alias, built_in in ALIASES.items()}
    swept = [mclust_name.get(name, name) for name, cls in _REGISTRY.items() if cls.in_all]
    order = {name: index for index, name in enumerate(MCLUST_MODELS)}
    return tuple(sorted(swept, key=lambda name: order.get(name, len(order))))


def swept_covariance_types(covariance_type: str | Iterable[str]) -> list[str]:
    """The distinct model names a sweep's ``covariance_type`` stands for, in order:
    ``"all"`` (see :func:`covariance_types`), ``"sklearn"`` (full, tied, diag, spherical),
    one name, or a list of names."""
    if isinstance(covariance_type, str):
        if covariance_type == "all":
            covariance_type = covariance_types(in_all=True)
        elif covariance_type == "sklearn":
            covariance_type = _BUILT_IN
        else:
            covariance_type = [covariance_type]
    return list(dict.fromkeys(covariance_type))


def covariance_model_class(covariance_type: str) -> type[CovarianceModel]:
    """The class registered as ``covariance_type`` (or the built-in it is mclust's alias of);
    a ValueError lists the names."""
    if isinstance(covariance_type, str):
        cls = _REGISTRY.get(ALIASES.get(covariance_type, covariance_type))
    else:
        cls = None
    if cls is None:
        raise ValueError(
            f"covariance_type must be one of {list(covariance_types())}, got {covariance_type!r}"
        )
    return cls


def covariance_model(covariance_type: str, n_features: int) -> CovarianceModel:
    """The registered :class:`CovarianceModel` for ``covariance_type`` over ``n_features``."""
    return covariance_model_class(covariance_type)(n_features)


def covariance_marker(covariance_type: str) -> str:
    """The figure marker of ``covariance_type``; ``"o"`` for a name not registered (a table
    saved while another model was)."""
    cls = _REGISTRY.get(ALIASES.get(covariance_type, covariance_type))
    return cls.marker if cls is not None else "o"


for _cls in (FullCovariance, TiedCovariance, DiagCovariance, SphericalCovariance):
    register_covariance_model(_cls)
del _cls

# mclust's other models register themselves on import, so ``import gmmkit`` knows every name
from . import (  # noqa: E402  after the built-in four, so the registry keeps their order
    mclust_iterative,  # noqa: F401  registers VEI, VEV, VEE, EVE, VVE
    mclust_models,  # noqa: F401  registers EII, EEI, EVI, EEV, EVV, E, V
)
