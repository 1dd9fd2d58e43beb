r"""The E-step kernel: weighted log-densities, responsibilities and sufficient statistics.

For a chunk of shifted rows with features :math:`\Phi` (see :mod:`gmmkit._core.covariances`)

.. math::

    \log p_{ik} = \Phi_i \cdot \theta_k \;(-\tfrac12 |P^T x_i|^2 \text{ for tied}),\qquad
    \ell_i = \operatorname{logsumexp}_k \log p_{ik},\qquad
    r_{ik} = \exp(\log p_{ik} - \ell_i),

and the statistics :math:`\sum_i w_i r_{ik} \Phi_i` are one GEMM. Work is chunked over samples so
temporaries stay ``O(chunk * max(K, n_stats))`` whatever ``n``; the features of the whole data set
are cached between EM iterations when they fit in the configured ``feature_cache_memory`` (see
:func:`gmmkit.config_context`; the chunk size comes from its ``working_memory``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import scipy.sparse

from .._config import Options
from .covariances import CovarianceModel

#: Below this fraction of non-negligible responsibilities (see :func:`_live_entries`) the
#: statistics use a sparse product; measured break-even on digits: 10-12% for every structure.
SPARSE_FRACTION = 0.1
#: Responsibilities below ``exp(-NEGLIGIBLE_MARGIN) / (K * rows)`` of their row's largest are
#: left out of sparse sums (see :func:`_live_entries`).
NEGLIGIBLE_MARGIN = 40.0


def chunk_rows(n_samples: int, width: int, chunk_bytes: int) -> int:
    """Rows per chunk so that a float64 ``rows x width`` temporary stays under ``chunk_bytes``
    (at least 64 rows)."""
    rows = chunk_bytes // (8 * max(width, 1))
    return int(min(max(rows, 64), max(n_samples, 1)))


def chunks(n_samples: int, rows: int) -> Iterator[slice]:
    for start in range(0, n_samples, rows):
        yield slice(start, min(start + rows, n_samples))


class FeatureSource:
    """Feature chunks ``Phi`` of one data set for one covariance model, cached when small.

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
    options : Options, optional
        The call's configuration (chunk size, feature cache); gmmkit's defaults when omitted.
    """

    def __init__(self, X, shift, model: CovarianceModel, n_components: int, cache: bool = True,
                 options: Options | None = None):
        options = Options() if options is None else options
        self.X = X
        self.shift = np.asarray(shift, dtype=np.float64)
        self.model = model
        n = X.shape[0]
        self.n_components = n_components
        self.rows = chunk_rows(n, max(model.n_stats, n_components), options.chunk_bytes)
        self._cache = None
        self._sample_major = {}
        self._sample_major_lock = threading.Lock()
        self._scratch = threading.local()
        if cache and n * model.n_stats * 8 <= options.feature_cache_bytes:
            self._cache = [self._compute(s) for s in chunks(n, self.rows)]

    def log_prob_buffer(self, n_components: int, n_rows: int) -> np.ndarray:
        """A ``K x n_rows`` scratch array of this thread, allocated once for up to
        ``self.n_components`` components and reused by every iteration and every ``K``.

        Asking for it ends whatever it held (see :meth:`claim_log_prob`)."""
        buffer = getattr(self._scratch, "buffer", None)
        if buffer is None or buffer.shape[0] < n_components:
            buffer = np.empty((max(n_components, self.n_components), self.rows))
            self._scratch.buffer = buffer
        self._scratch.theta = self._scratch.owner = None
        return buffer[:n_components, :n_rows]

    def _keep(self, theta) -> None:
        """Record that this thread's buffer holds the log-probabilities of ``theta`` for the
        whole data set, as computed (see :func:`e_step`)."""
        self._scratch.theta = theta

    def log_prob_after_weight_change(self, theta) -> np.ndarray | None:
        """The log-probabilities of ``theta`` for the whole data set, made in place from those
        of the last :func:`e_step` of this thread when it left them intact and ``theta`` differs
        from its coefficients only in the constant row (only the mixing weights changed): one
        addition per entry instead of the product. None otherwise."""
        kept = getattr(self._scratch, "theta", None)
        if kept is None or kept.shape != theta.shape or not np.array_equal(kept[1:], theta[1:]):
            return None
        self._scratch.theta = self._scratch.owner = None
        log_prob = self._scratch.buffer[: theta.shape[1], : self.X.shape[0]]
        log_prob += (theta[0] - kept[0])[:, None]
        return log_prob

    def claim_log_prob(self, owner, n_components: int) -> bool:
        """Keep the log-probabilities the last :func:`e_step` of this thread left in the
        buffer for ``owner`` (:meth:`claimed_log_prob`); False when it did not leave them for
        the whole data set (several chunks, or a dense pass that overwrote them)."""
        kept = getattr(self._scratch, "theta", None)
        if kept is None or kept.shape[1] != n_components:
            return False
        self._scratch.owner = owner
        return True

    def claimed_log_prob(self, owner, n_components: int) -> np.ndarray | None:
        """The ``K x n_samples`` log-probabilities ``owner`` claimed on this thread, once
        (None if it did not, or the buffer has been used since)."""
        if getattr(self._scratch, "owner", None) is not owner:
            return None
        self._scratch.owner = None
        return self._scratch.buffer[:n_components, : self.X.shape[0]]

    def sample_major(self, rows: slice, phi_t: np.ndarray) -> np.ndarray:
        """The chunk's features as a C-contiguous ``rows x n_stats`` array, for sparse products
        (scipy multiplies only row-major dense operands); kept alongside a cached chunk."""
        if self._cache is None:
            return np.ascontiguousarray(phi_t.T)
        with self._sample_major_lock:
            if rows.start not in self._sample_major:
                self._sample_major[rows.start] = np.ascontiguousarray(phi_t.T)
            return self._sample_major[rows.start]

    def prepare_sample_major(self) -> None:
        """Build every cached chunk's row-major copy now (see :meth:`sample_major`), for
        callers that know sparse products will need them."""
        if self._cache is not None:
            for i, rows in enumerate(chunks(self.X.shape[0], self.rows)):
                self.sample_major(rows, self._cache[i])

    def _compute(self, rows: slice) -> np.ndarray:
        block = self.X[rows]
        Xc_t = np.empty((block.shape[1], block.shape[0]))
        np.subtract(block.T, self.shift[:, None], out=Xc_t)
        return self.model.features(Xc_t, np.empty((self.model.n_stats, block.shape[0])))

    def __iter__(self) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield ``(rows, phi_t)``: a slice of samples and their features, ``n_stats x rows``."""
        for i, rows in enumerate(chunks(self.X.shape[0], self.rows)):
            yield rows, (self._cache[i] if self._cache is not None else self._compute(rows))


def weighted_log_prob(phi_t, theta, shared_prec_chol, out=None) -> np.ndarray:
    """``log pi_k + log N(x_i | k)`` for one chunk, component-major: shape ``(K, rows)``.

    Component-major keeps every reduction over components (max, sum) a vectorised operation
    across the contiguous sample axis, which matters when ``K`` is small.
    """
    log_prob = np.matmul(theta.T, phi_t, out=out)
    if shared_prec_chol is not None:
        d = shared_prec_chol.shape[0]
        whitened = shared_prec_chol.T @ phi_t[1 : 1 + d]
        log_prob -= 0.5 * np.einsum("ij,ij->j", whitened, whitened)
    return log_prob


def normalize_in_place(log_prob: np.ndarray) -> np.ndarray:
    """Turn ``log_prob`` (``K x rows``) into responsibilities in place; return
    :math:`\\log \\sum_k p_{ik}` per row."""
    peak = log_prob.max(axis=0)
    log_prob -= peak
    _fast_exp_in_place(log_prob)
    total = log_prob.sum(axis=0)
    log_prob /= total
    return np.log(total) + peak


def e_step(source: FeatureSource, theta, shared_prec_chol, sample_weight=None,
           weights_only=False):
    r"""One pass over the data: total weighted log-likelihood and the statistics.

    ``weights_only`` says that ``theta`` differs from the previous pass's coefficients only in
    its constant row (the M-step moved only the mixing weights, as after hard assignments that
    reproduce the statistics); if that pass, on this thread, left its log-probabilities intact,
    they are updated in place instead of recomputed
    (:meth:`FeatureSource.log_prob_after_weight_change`, which checks it).

    Returns
    -------
    log_likelihood : float
        :math:`\sum_i w_i \ell_i`.
    stats : ndarray of shape (K, n_stats)
        :math:`\sum_i w_i r_{ik} \Phi_i`.
    """
    total = 0.0
    n_components = theta.shape[1]
    stats = np.zeros((n_components, theta.shape[0]))
    intact = False
    # only kept for a single chunk, so then the loop below runs once
    updated = source.log_prob_after_weight_change(theta) if weights_only else None
    for rows, phi_t in source:
        if updated is not None:
            log_prob = updated
        else:
            buffer = source.log_prob_buffer(n_components, phi_t.shape[1])
            log_prob = weighted_log_prob(phi_t, theta, shared_prec_chol, out=buffer)
        w = None if sample_weight is None else sample_weight[rows]
        log_norm, chunk_stats, intact = _chunk_statistics(
            log_prob, phi_t, w, lambda rows=rows, phi_t=phi_t: source.sample_major(rows, phi_t))
        stats += chunk_stats
        total += log_norm.sum() if w is None else log_norm @ w
    if intact and source.rows >= source.X.shape[0] and shared_prec_chol is None:
        source._keep(theta)  # one chunk, left as computed
    return total, stats


#: Log-responsibilities are floored here before ``exp`` in the dense path (``exp(-600)`` is
#: 2.7e-261).
EXP_FLOOR = -600.0


def _fast_exp_in_place(shifted_log_prob: np.ndarray) -> None:
    """``exp`` in place of log-probabilities whose maximum over components is 0.

    Values below :data:`EXP_FLOOR` are raised to it first. Without the floor, responsibilities
    that underflow to subnormal numbers make both ``exp`` and the statistics GEMM that follows
    10-20 times slower (subnormal arithmetic); with it they are at most 2.7e-261, which adds
    nothing to a normaliser that is at least 1 and nothing measurable to any statistic.
    """
    np.maximum(shifted_log_prob, EXP_FLOOR, out=shifted_log_prob)
    np.exp(shifted_log_prob, out=shifted_log_prob)


def _live_entries(log_prob, peak):
    r"""The entries of ``log_prob`` (``K x rows``) that can change a sum, as flat indices; None
    when they are more than :data:`SPARSE_FRACTION` of all (a dense pass is then faster).

    An entry is negligible when :math:`s_{ik} = \log p_{ik} - \max_k \log p_{ik} \le -T`
    with :math:`T = 40 + \log(K \cdot rows)`, so :math:`e^{s_{ik}} \le e^{-40} / (K \cdot rows)`.
    Left out, the negligible entries of a row change its normaliser
    :math:`S_i = \sum_k e^{s_{ik}} \ge 1` by at most :math:`e^{-40} / rows < 4.3 \cdot 10^{-18}`,
    under half a unit in its last place, and the responsibility mass of a component over the
    chunk by at most :math:`e^{-40} / K`, under the :math:`10\,\epsilon = 2.2 \cdot 10^{-15}`
    that the M-step (like scikit-learn's) adds to every count.
    """
    n_components, n_rows = log_prob.shape
    cutoff = peak - (NEGLIGIBLE_MARGIN + np.log(float(n_components * n_rows)))
    live = log_prob > cutoff
    if np.count_nonzero(live) > SPARSE_FRACTION * log_prob.size:
        return None
    return np.flatnonzero(live)


def _live_terms(log_prob, peak, live):
    r"""For the entries ``live`` (flat indices from :func:`_live_entries`) of ``log_prob``
    (``K x rows``): their components and rows, :math:`s_{ik} = \log p_{ik} - \max_k \log p_{ik}`,
    :math:`e^{s_{ik}}`, and each row's normaliser :math:`S_i = \sum_k e^{s_{ik}}`."""
    n_rows = log_prob.shape[1]
    components, rows = np.divmod(live, n_rows)
    shifted = log_prob[components, rows] - peak[rows]
    exp = np.exp(shifted)
    return components, rows, shifted, exp, np.bincount(rows, weights=exp, minlength=n_rows)


def _chunk_statistics(log_prob, phi_t, w, sample_major):
    r"""Log-normalisers and :math:`\sum_i w_i r_{ik} \Phi_i` for one chunk, and whether
    ``log_prob`` (``K x rows``) is left as it was.

    With many well-separated components almost every responsibility is negligible
    (:func:`_live_entries`); then only the others are exponentiated and the statistics are a
    sparse product, several times faster than the dense ``exp`` and GEMM, and ``log_prob`` is
    left intact; otherwise it is overwritten. ``sample_major()`` gives the chunk's features
    row-major, which the sparse product needs.
    """
    peak = log_prob.max(axis=0)
    live = _live_entries(log_prob, peak)
    if live is None:
        log_prob -= peak
        _fast_exp_in_place(log_prob)
        sums = log_prob.sum(axis=0)
        log_prob *= 1.0 / sums if w is None else w / sums
        return np.log(sums) + peak, (phi_t @ log_prob.T).T, False
    n_components = log_prob.shape[0]
    components, rows, _, values, sums = _live_terms(log_prob, peak, live)
    values /= sums[rows]
    if w is not None:
        values *= w[rows]
    # ``live`` is sorted, so the entries are already grouped by component: CSR needs only the
    # start of each component's run
    starts = np.zeros(n_components + 1, dtype=np.intp)
    np.cumsum(np.bincount(components, minlength=n_components), out=starts[1:])
    resp = scipy.sparse.csr_array((values, rows, starts), shape=log_prob.shape)
    return np.log(sums) + peak, resp @ sample_major(), True


def responsibilities_stats(source: FeatureSource, resp: np.ndarray, n_components: int,
                           sample_weight=None):
    r"""Statistics :math:`\sum_i w_i r_{ik} \Phi_i` for given responsibilities (initialisation).

    ``resp`` is either dense ``(n_samples, K)`` or hard labels ``(n_samples,)`` with ``-1`` for
    unassigned rows; labels become a sparse one-hot matrix, so the cost is ``O(n)`` per feature
    rather than ``O(n K)``.
    """
    stats = np.zeros((n_components, source.model.n_stats))
    for rows, phi_t in source:
        if resp.ndim == 1:
            labels = resp[rows]
            assigned = np.flatnonzero(labels >= 0)
            values = (np.ones(assigned.size) if sample_weight is None
                      else sample_weight[rows][assigned])
            one_hot = scipy.sparse.csr_array((values, (labels[assigned], assigned)),
                                             shape=(n_components, labels.size))
            stats += one_hot @ source.sample_major(rows, phi_t)
            continue
        r = np.asarray(resp[rows], dtype=np.float64)
        if sample_weight is not None:
            r = r * sample_weight[rows][:, None]
        stats += (phi_t @ r).T
    return stats


def per_sample(source: FeatureSource, theta, shared_prec_chol, want: str) -> np.ndarray:
    r"""Per-row outputs without statistics, one pass over the data.

    ``want`` is 'log_prob_norm' (:math:`\log p(x_i)`, shape ``(n,)``), 'resp' (``(n, K)``),
    'argmax' (``(n,)`` ints) or 'summary' (``(n, 3)``: :math:`\log p(x_i)`, the entropy
    :math:`-\sum_k r_{ik} \log r_{ik}` and the argmax).
    """
    n = source.X.shape[0]
    n_components = theta.shape[1]
    out = _per_sample_output(want, n, n_components)
    for rows, phi_t in source:
        buffer = source.log_prob_buffer(n_components, phi_t.shape[1])
        log_prob = weighted_log_prob(phi_t, theta, shared_prec_chol, out=buffer)
        _fill_per_sample(log_prob, want, out, rows)
    return out


def per_sample_from_log_prob(log_prob, want: str) -> np.ndarray:
    """:func:`per_sample`'s outputs from the ``K x n`` log-probabilities of every row
    (overwritten), already computed."""
    out = _per_sample_output(want, log_prob.shape[1], log_prob.shape[0])
    _fill_per_sample(log_prob, want, out, slice(None))
    return out


def _per_sample_output(want: str, n: int, n_components: int) -> np.ndarray:
    shapes = {"log_prob_norm": (n,), "resp": (n, n_components), "argmax": (n,), "summary": (n, 3)}
    return np.empty(shapes[want], dtype=np.intp if want == "argmax" else np.float64)


def _fill_per_sample(log_prob, want: str, out, rows) -> None:
    if want == "argmax":
        out[rows] = log_prob.argmax(axis=0)
    elif want == "resp":
        normalize_in_place(log_prob)
        out[rows] = log_prob.T
    elif want == "log_prob_norm":
        out[rows] = _log_norm_and_entropy(log_prob, log_prob.max(axis=0), False)[0]
    else:
        labels = log_prob.argmax(axis=0)
        peak = np.take_along_axis(log_prob, labels[None], axis=0)[0]
        out[rows, 0], out[rows, 1] = _log_norm_and_entropy(log_prob, peak, True)
        out[rows, 2] = labels


def _log_norm_and_entropy(log_prob, peak, entropy: bool):
    r""":math:`\ell_i = \log \sum_k p_{ik}` and, if asked, the entropy of the responsibilities,
    from log-probabilities ``K x rows`` (overwritten) and their maximum over components.

    With :math:`s_{ik} = \log p_{ik} - \max_k \log p_{ik}` and :math:`S_i = \sum_k e^{s_{ik}}`,
    :math:`\ell_i = \max_k \log p_{ik} + \log S_i` and
    :math:`-\sum_k r_{ik} \log r_{ik} = \log S_i - \sum_k e^{s_{ik}} s_{ik} / S_i`. As in the
    E-step, when almost every :math:`e^{s_{ik}}` is negligible only the others are computed.
    """
    n_rows = log_prob.shape[1]
    live = _live_entries(log_prob, peak)
    if live is None:
        log_prob -= peak
        np.maximum(log_prob, EXP_FLOOR, out=log_prob)
        exp = np.exp(log_prob)
        sums = exp.sum(axis=0)
        weighted = np.einsum("kr,kr->r", exp, log_prob) if entropy else None
    else:
        _, rows, shifted, exp, sums = _live_terms(log_prob, peak, live)
        weighted = (np.bincount(rows, weights=exp * shifted, minlength=n_rows) if entropy
                    else None)
    log_sums = np.log(sums)
    if not entropy:
        return log_sums + peak, None
    return log_sums + peak, np.maximum(log_sums - weighted / sums, 0.0)
