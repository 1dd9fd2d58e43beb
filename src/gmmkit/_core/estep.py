r"""The E-step kernel on one chunk of rows: weighted log-densities, responsibilities and
sufficient statistics, the pieces every backend (:mod:`gmmkit.backends`) assembles its passes
over the data from.

For a chunk of shifted rows with features :math:`\Phi` (see :mod:`gmmkit._core.covariances`)

.. math::

    \log p_{ik} = \Phi_i \cdot \theta_k \;(-\tfrac12 |P^T x_i|^2 \text{ for tied}),\qquad
    \ell_i = \operatorname{logsumexp}_k \log p_{ik},\qquad
    r_{ik} = \exp(\log p_{ik} - \ell_i),

and the statistics :math:`\sum_i w_i r_{ik} \Phi_i` are one GEMM. Callers chunk the rows so that
temporaries stay ``O(chunk * max(K, n_stats))`` whatever ``n`` (:func:`chunk_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse

if TYPE_CHECKING:
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


class Scratch:
    """Work arrays that a pass reuses from chunk to chunk, by name: the one of the largest
    shape asked for so far, seen through a view of the shape asked for now.

    A chunk's features and log-densities are megabytes. Allocated afresh for every chunk,
    each comes from the operating system as new pages wherever the C allocator hands large
    blocks back at once, as it does in ``distributed``'s worker processes (their nannies set
    ``MALLOC_TRIM_THRESHOLD_``): every chunk then pays for faulting and zeroing its pages,
    which made a pass over 250,000 x 16 rows with 32 full components take 0.33 s per block
    instead of 0.22 s. An array taken from here must not be kept past the next request of
    its name.
    """

    def __init__(self) -> None:
        self._flat: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` and ``dtype``, kept as ``name``."""
        size = math.prod(shape)
        flat = self._flat.get(name)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._flat[name] = np.empty(size, dtype=dtype)
        return flat[:size].reshape(shape)


def chunk_features(
    model: CovarianceModel, block: np.ndarray, shift: np.ndarray, scratch: Scratch | None = None
) -> np.ndarray:
    """Features ``phi`` (``n_stats x rows``, float64, feature-major) of the rows ``block``
    shifted by ``shift`` (see :meth:`CovarianceModel.features`), in ``scratch``'s arrays
    when given."""
    shape, features = (block.shape[1], block.shape[0]), (model.n_stats, block.shape[0])
    if scratch is None:
        Xc_t, phi_t = np.empty(shape), np.empty(features)
    else:
        Xc_t, phi_t = scratch.array("centred", shape), scratch.array("features", features)
    np.subtract(block.T, shift[:, None], out=Xc_t)
    return model.features(Xc_t, phi_t)


def weighted_log_prob(
    phi_t: np.ndarray,
    theta: np.ndarray,
    shared_prec_chol: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
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


def _live_entries(
    log_prob: np.ndarray, peak: np.ndarray, scratch: Scratch | None = None
) -> np.ndarray | None:
    r"""The entries of ``log_prob`` (``K x rows``) that can change a sum, as flat indices; None
    when they are more than :data:`SPARSE_FRACTION` of all (a dense pass is then faster).

    An entry is negligible when :math:`s_{ik} = \log p_{ik} - \max_k \log p_{ik} \le -T`
    with :math:`T = 40 + \log(K \cdot rows)`, so :math:`e^{s_{ik}} \le e^{-40} / (K \cdot rows)`.
    Left out, the negligible entries of a row change its normaliser
    :math:`S_i = \sum_k e^{s_{ik}} \ge 1` by at most :math:`e^{-40} / rows < 4.3 \cdot 10^{-18}`,
    under half a unit in its last place, and the responsibility mass of a component over the
    chunk by at most :math:`e^{-40} / K` (times the chunk's mean sample weight), under the
    :math:`10\,\epsilon = 2.2 \cdot 10^{-15}` (times the mean sample weight) that the M-step
    adds to every count (:func:`gmmkit._core.covariances.count_padding`).
    """
    n_components, n_rows = log_prob.shape
    cutoff = peak - (NEGLIGIBLE_MARGIN + np.log(float(n_components * n_rows)))
    # >=: at magnitudes where subtracting the margin leaves the peak unchanged, the peak
    # itself must stay live
    live = np.greater_equal(
        log_prob,
        cutoff,
        out=None if scratch is None else scratch.array("live", log_prob.shape, np.bool_),
    )
    if np.count_nonzero(live) > SPARSE_FRACTION * log_prob.size:
        return None
    return np.flatnonzero(live)


def _live_terms(
    log_prob: np.ndarray, peak: np.ndarray, live: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""For the entries ``live`` (flat indices from :func:`_live_entries`) of ``log_prob``
    (``K x rows``): their components and rows, :math:`s_{ik} = \log p_{ik} - \max_k \log p_{ik}`,
    :math:`e^{s_{ik}}`, and each row's normaliser :math:`S_i = \sum_k e^{s_{ik}}`."""
    n_rows = log_prob.shape[1]
    components, rows = np.divmod(live, n_rows)
    shifted = log_prob[components, rows] - peak[rows]
    exp = np.exp(shifted)
    return components, rows, shifted, exp, np.bincount(rows, weights=exp, minlength=n_rows)


def chunk_statistics(
    log_prob: np.ndarray,
    phi_t: np.ndarray,
    w: np.ndarray | None,
    sample_major: Callable[[], np.ndarray],
    scratch: Scratch | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    r"""Log-normalisers and :math:`\sum_i w_i r_{ik} \Phi_i` for one chunk, and whether
    ``log_prob`` (``K x rows``) is left as it was.

    With many well-separated components almost every responsibility is negligible
    (:func:`_live_entries`); then only the others are exponentiated and the statistics are a
    sparse product, several times faster than the dense ``exp`` and GEMM, and ``log_prob`` is
    left intact; otherwise it is overwritten. ``sample_major()`` gives the chunk's features
    row-major, which the sparse product needs; ``scratch`` holds the mask of live entries.
    """
    peak = log_prob.max(axis=0)
    live = _live_entries(log_prob, peak, scratch)
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


def chunk_responsibility_statistics(
    resp: np.ndarray,
    phi_t: np.ndarray,
    w: np.ndarray | None,
    n_components: int,
    sample_major: Callable[[], np.ndarray],
) -> np.ndarray:
    r"""Statistics :math:`\sum_i w_i r_{ik} \Phi_i` of one chunk for given responsibilities
    (a fit's first M-step).

    ``resp`` is either dense ``(rows, K)`` or hard labels ``(rows,)`` with ``-1`` for unassigned
    rows; labels become a sparse one-hot matrix, so the cost is ``O(rows)`` per feature rather
    than ``O(rows K)``; ``sample_major()`` gives the chunk's features row-major, which that
    sparse product needs.
    """
    if resp.ndim == 1:
        assigned = np.flatnonzero(resp >= 0)
        values = np.ones(assigned.size) if w is None else w[assigned]
        one_hot = scipy.sparse.csr_array(
            (values, (resp[assigned], assigned)), shape=(n_components, resp.size)
        )
        return one_hot @ sample_major()
    r = np.asarray(resp, dtype=np.float64)
    if w is not None:
        r = r * w[:, None]
    return (phi_t @ r).T


def chunk_scatter(phi_t: np.ndarray, d: int, w: np.ndarray | None) -> np.ndarray:
    """:math:`\\sum_i w_i (x_i - s)(x_i - s)^T` of one chunk, from its features."""
    centred = phi_t[1 : 1 + d]
    weighted = centred if w is None else centred * w
    return weighted @ centred.T


def per_sample_from_log_prob(log_prob: np.ndarray, want: str) -> np.ndarray:
    """:meth:`FeatureSource.per_row`'s outputs from the ``K x n`` log-probabilities of every row
    (overwritten), already computed."""
    out = per_sample_output(want, log_prob.shape[1], log_prob.shape[0])
    fill_per_sample(log_prob, want, out, slice(None))
    return out


def per_sample_output(want: str, n: int, n_components: int) -> np.ndarray:
    shapes = {"log_prob_norm": (n,), "resp": (n, n_components), "argmax": (n,), "summary": (n, 3)}
    return np.empty(shapes[want], dtype=np.intp if want == "argmax" else np.float64)


def fill_per_sample(log_prob: np.ndarray, want: str, out: np.ndarray, rows: slice) -> None:
    """Fill ``out[rows]`` with the ``want`` outputs of the chunk's ``log_prob`` (``K x rows``,
    overwritten); rows whose outputs cannot be computed raise (see :func:`_far_rows`)."""
    if want == "argmax":
        labels = log_prob.argmax(axis=0)
        _far_rows(np.take_along_axis(log_prob, labels[None], axis=0)[0], want, rows)
        out[rows] = labels
    elif want == "resp":
        _far_rows(log_prob.max(axis=0), want, rows)
        normalize_in_place(log_prob)
        out[rows] = log_prob.T
    elif want == "log_prob_norm":
        peak = log_prob.max(axis=0)
        far = _far_rows(peak, want, rows)
        if far is not None:  # every density underflows: log p(x) is -inf
            peak[far] = 0.0
            log_prob[:, far] = 0.0
        values = _log_norm_and_entropy(log_prob, peak, False)[0]
        if far is not None:
            values[far] = -np.inf
        out[rows] = values
    else:
        labels = log_prob.argmax(axis=0)
        peak = np.take_along_axis(log_prob, labels[None], axis=0)[0]
        _far_rows(peak, want, rows)
        out[rows, 0], out[rows, 1] = _log_norm_and_entropy(log_prob, peak, True)
        out[rows, 2] = labels


def _far_rows(peak: np.ndarray, want: str, rows: slice) -> np.ndarray | None:
    """The rows of a chunk whose largest log-density ``peak`` is ``-inf`` (every component's
    density underflows to 0), when ``want`` can still be given for them (their log-density
    is then ``-inf``); None when there are none.

    Raises ``ValueError`` for a NaN or ``+inf`` peak (the row's squared distances overflow
    float64, so nothing can be computed for it) and for a ``-inf`` one when ``want`` needs
    the responsibilities, which are then undefined.
    """
    if np.isfinite(peak).all():
        return None
    overflow = ~(np.isfinite(peak) | (peak == -np.inf))
    first = (0 if rows.start is None else rows.start) + int(
        np.flatnonzero(overflow if overflow.any() else ~np.isfinite(peak))[0]
    )
    if overflow.any():
        raise ValueError(
            f"X[{first}] has values too large for float64: its squared distances to the "
            "components overflow, so its densities cannot be computed; rescale the data"
        )
    if want != "log_prob_norm":
        raise ValueError(
            f"X[{first}] is so far from every component that each of its densities underflows "
            "to 0 in float64, so its responsibilities and most probable component are "
            "undefined (its log-density, from score_samples, is -inf)"
        )
    return ~np.isfinite(peak)


def _log_norm_and_entropy(
    log_prob: np.ndarray, peak: np.ndarray, entropy: bool
) -> tuple[np.ndarray, np.ndarray | None]:
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
        weighted = np.bincount(rows, weights=exp * shifted, minlength=n_rows) if entropy else None
    log_sums = np.log(sums)
    if not entropy:
        return log_sums + peak, None
    return log_sums + peak, np.maximum(log_sums - weighted / sums, 0.0)
