"""The in-memory backend: a feature source over one NumPy array, chunked and cached.

The E-step kernel of :mod:`gmmkit._core.estep` runs on chunks of rows sized by the call's
``working_memory``; the features of the whole data set are kept between EM iterations when they
fit in its ``feature_cache_memory`` (see :func:`gmmkit.config_context`). Scratch buffers are
per thread, so the workers of a sweep share one source per covariance type.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial

import numpy as np

from .._config import Options
from .._core.covariances import CovarianceModel
from .._core.estep import (
    chunk_features,
    chunk_responsibility_statistics,
    chunk_rows,
    chunk_scatter,
    chunk_statistics,
    chunks,
    fill_per_sample,
    per_sample_from_log_prob,
    per_sample_output,
    weighted_log_prob,
)


class NumpySource:
    """The in-memory feature source: chunks of rows of a NumPy array, their features cached
    between passes when small (implements :class:`gmmkit._core.source.FeatureSource`).

    Thread-safe: the parallel workers of a sweep share one source per covariance type; each
    thread gets its own scratch buffer.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data in its own dtype (float32 stays float32; features are computed in float64).
    shift : ndarray of shape (n_features,)
        Subtracted from every row before the features are formed.
    model : CovarianceModel
    n_components : int
        The most components a model using this source has; sizes chunks (the log-density block
        is ``rows x K``) and the scratch buffer.
    cache : bool, default=True
        Keep the features of every chunk between passes when they take at most
        ``options.feature_cache_bytes`` (plus, when the statistics use sparse products, a
        row-major copy of the same size).
    sample_weight : ndarray of shape (n_samples,), optional
        Weights of the statistics and likelihoods (None: all one).
    options : Options, optional
        The call's configuration (chunk size, feature cache); gmmkit's defaults when omitted.
    """

    def __init__(
        self,
        X,
        shift,
        model: CovarianceModel,
        n_components: int,
        cache: bool = True,
        sample_weight: np.ndarray | None = None,
        options: Options | None = None,
    ):
        options = Options() if options is None else options
        self.X = X
        self.shift = np.asarray(shift, dtype=np.float64)
        self.model = model
        n = X.shape[0]
        self.n_samples = n
        self.sample_weight = sample_weight
        self.total_weight = float(n if sample_weight is None else sample_weight.sum())
        self.n_components = n_components
        self.rows = chunk_rows(n, max(model.n_stats, n_components), options.chunk_bytes)
        self._cache: list[np.ndarray] | None = None
        self._sample_major: dict[int, np.ndarray] = {}
        self._sample_major_lock = threading.Lock()
        self._scratch = threading.local()
        if cache and n * model.n_stats * 8 <= options.feature_cache_bytes:
            self._cache = [self._compute(s) for s in chunks(n, self.rows)]

    def log_prob_buffer(self, n_components: int, n_rows: int) -> np.ndarray:
        """A ``K x n_rows`` scratch array of this thread, allocated once for up to
        ``self.n_components`` components and reused by every iteration and every ``K``.

        Asking for it ends whatever it held (see :meth:`kept_rows`)."""
        buffer = getattr(self._scratch, "buffer", None)
        if buffer is None or buffer.shape[0] < n_components:
            buffer = np.empty((max(n_components, self.n_components), self.rows))
            self._scratch.buffer = buffer
        self._scratch.theta = None
        return buffer[:n_components, :n_rows]

    def _keep(self, theta: np.ndarray) -> None:
        """Record that this thread's buffer holds the log-probabilities of ``theta`` for the
        whole data set, as computed (see :meth:`statistics`)."""
        self._scratch.theta = theta

    def log_prob_after_weight_change(self, theta: np.ndarray) -> np.ndarray | None:
        """The log-probabilities of ``theta`` for the whole data set, made in place from those
        of the last :meth:`statistics` pass of this thread when it left them intact and ``theta``
        differs from its coefficients only in the constant row (only the mixing weights changed):
        one addition per entry instead of the product. None otherwise."""
        kept = getattr(self._scratch, "theta", None)
        if kept is None or kept.shape != theta.shape or not np.array_equal(kept[1:], theta[1:]):
            return None
        self._scratch.theta = None
        log_prob = self._scratch.buffer[: theta.shape[1], : self.n_samples]
        log_prob += (theta[0] - kept[0])[:, None]
        return log_prob

    def kept_rows(self, theta: np.ndarray | None, want: str) -> np.ndarray | None:
        """:meth:`per_row` of ``theta`` from the log-probabilities the last :meth:`statistics`
        pass of this thread left in its buffer, when that pass was given this very ``theta``
        and left them intact (one chunk, kept by :meth:`_keep`); None otherwise. The buffer's
        contents are used up."""
        if getattr(self._scratch, "theta", None) is not theta or theta is None:
            return None
        self._scratch.theta = None
        log_prob = self._scratch.buffer[: theta.shape[1], : self.n_samples]
        return per_sample_from_log_prob(log_prob, want)

    def sample_major(self, rows: slice, phi_t: np.ndarray) -> np.ndarray:
        """The chunk's features as a C-contiguous ``rows x n_stats`` array, for sparse products
        (scipy multiplies only row-major dense operands); kept alongside a cached chunk."""
        if self._cache is None:
            return np.ascontiguousarray(phi_t.T)
        with self._sample_major_lock:
            if rows.start not in self._sample_major:
                self._sample_major[rows.start] = np.ascontiguousarray(phi_t.T)
            return self._sample_major[rows.start]

    def warm_up(self) -> None:
        """Build every cached chunk's row-major copy now (see :meth:`sample_major`): the
        sparse products of label initialisations and of separated fits need them."""
        if self._cache is not None:
            for i, rows in enumerate(chunks(self.n_samples, self.rows)):
                self.sample_major(rows, self._cache[i])

    def _compute(self, rows: slice) -> np.ndarray:
        return chunk_features(self.model, self.X[rows], self.shift)

    def __iter__(self) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield ``(rows, phi_t)``: a slice of samples and their features, ``n_stats x rows``."""
        for i, rows in enumerate(chunks(self.n_samples, self.rows)):
            yield rows, (self._cache[i] if self._cache is not None else self._compute(rows))

    def _weights(self, rows: slice) -> np.ndarray | None:
        return None if self.sample_weight is None else self.sample_weight[rows]

    # --- the FeatureSource protocol ---------------------------------------------------------
    def statistics(self, theta, shared_prec_chol, weights_only=False):
        r"""One pass over the data: :math:`\sum_i w_i \ell_i` and the statistics
        :math:`\sum_i w_i r_{ik} \Phi_i` (``K x n_stats``).

        With ``weights_only`` (``theta`` differs from the previous pass's coefficients only in
        its constant row), when that pass, on this thread, left its log-probabilities intact,
        they are updated in place instead of recomputed (:meth:`log_prob_after_weight_change`,
        which checks it).
        """
        total = 0.0
        n_components = theta.shape[1]
        stats = np.zeros((n_components, theta.shape[0]))
        intact = False
        # only kept for a single chunk, so then the loop below runs once
        updated = self.log_prob_after_weight_change(theta) if weights_only else None
        for rows, phi_t in self:
            if updated is not None:
                log_prob = updated
            else:
                buffer = self.log_prob_buffer(n_components, phi_t.shape[1])
                log_prob = weighted_log_prob(phi_t, theta, shared_prec_chol, out=buffer)
            w = self._weights(rows)
            log_norm, chunk_stats, intact = chunk_statistics(
                log_prob, phi_t, w, partial(self.sample_major, rows, phi_t)
            )
            stats += chunk_stats
            total += log_norm.sum() if w is None else log_norm @ w
        if intact and self.rows >= self.n_samples and shared_prec_chol is None:
            self._keep(theta)  # one chunk, left as computed
        return total, stats

    def responsibility_statistics(self, resp: np.ndarray, n_components: int) -> np.ndarray:
        """Statistics for given responsibilities, dense ``(n_samples, K)`` or hard labels
        (see :func:`gmmkit._core.estep.chunk_responsibility_statistics`)."""
        stats = np.zeros((n_components, self.model.n_stats))
        for rows, phi_t in self:
            stats += chunk_responsibility_statistics(
                resp[rows],
                phi_t,
                self._weights(rows),
                n_components,
                partial(self.sample_major, rows, phi_t),
            )
        return stats

    def scatter(self) -> np.ndarray:
        """:math:`\\sum_i w_i (x_i - s)(x_i - s)^T` about the shift."""
        scatter = np.zeros((self.model.d, self.model.d))
        for rows, phi_t in self:
            scatter += chunk_scatter(phi_t, self.model.d, self._weights(rows))
        return scatter

    def per_row(self, theta, shared_prec_chol, want: str) -> np.ndarray:
        """Per-row outputs without statistics, one pass over the data (see
        :meth:`gmmkit._core.source.FeatureSource.per_row`)."""
        n_components = theta.shape[1]
        out = per_sample_output(want, self.n_samples, n_components)
        # rows too large for float64 overflow here; fill_per_sample reports them
        with np.errstate(over="ignore", invalid="ignore"):
            for rows, phi_t in self:
                buffer = self.log_prob_buffer(n_components, phi_t.shape[1])
                log_prob = weighted_log_prob(phi_t, theta, shared_prec_chol, out=buffer)
                fill_per_sample(log_prob, want, out, rows)
        return out
