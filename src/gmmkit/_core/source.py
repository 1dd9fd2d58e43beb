r"""The backend seam: what the EM loop, the estimators and model selection need of a data set.

A *feature source* stands for one data set (its rows, their sample weights and a shift
subtracted from every row) seen through one covariance model's feature map
:math:`\phi(x) = [1, x, q(x)]` (see :mod:`gmmkit._core.covariances`). Everything gmmkit computes
from data goes through the few methods of :class:`FeatureSource`:

* :meth:`~FeatureSource.statistics`: one E-step, the weighted log-likelihood
  :math:`\sum_i w_i \log p(x_i)` and the sufficient statistics
  :math:`\sum_i w_i r_{ik} \phi(x_i)` (a ``K x n_stats`` array) for given coefficients;
* :meth:`~FeatureSource.responsibility_statistics`: the same statistics for given
  responsibilities (the first M-step of a fit);
* :meth:`~FeatureSource.scatter`: :math:`\sum_i w_i (x_i - s)(x_i - s)^T`, which a model whose
  covariance is shared by all components needs;
* :meth:`~FeatureSource.per_row`: per-row outputs (log-densities, responsibilities, labels,
  or the summary that the criteria need) for given coefficients.

Both kinds of statistics *add up over any split of the rows*, which is what makes the seam
narrow: an implementation computes them block by block wherever its data lives and sums them;
the M-step, which only touches ``K x n_stats`` numbers, stays on the caller's side.

How implementations plug in
---------------------------
* :class:`gmmkit.backends.numpy.NumpySource` (in memory): chunks of rows sized by the
  configuration's ``working_memory``, features cached between passes, one GEMM per chunk,
  sparse products for negligible responsibilities, thread-local scratch buffers. None of that
  is visible through the protocol.
* :class:`gmmkit.backends.dask.DaskSource` holds a Dask array of rows and one of weights. Its
  ``statistics`` maps the NumPy chunk kernel (:mod:`gmmkit._core.estep`) over the blocks with
  the coefficients broadcast to the workers, and tree-sums the ``(log-likelihood, stats)``
  pairs: one ``compute`` per EM iteration, the client holding only ``K x n_stats`` arrays.
  ``per_row`` returns a lazy Dask array with the input's chunks. The EM loop is unchanged;
  ``batch_statistics`` answers many requests over the same rows in one compute.
* A torch source holds the rows on a device and computes ``phi``, ``Phi @ theta``, the
  log-sum-exp and the statistics GEMM there, handing back the small ``K x n_stats`` array as
  NumPy float64; per-row outputs come back as NumPy.

Coefficients ``theta`` and the shared precision factor come from
:meth:`gmmkit._core.covariances.CovarianceModel.theta`; they are ``n_stats x K`` NumPy arrays
of float64, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .covariances import CovarianceModel

#: The per-row outputs :meth:`FeatureSource.per_row` can give.
PER_ROW_OUTPUTS = ("log_prob_norm", "resp", "argmax", "summary")


@runtime_checkable
class FeatureSource(Protocol):
    """One data set seen through one covariance model's features (see the module docstring).

    Attributes
    ----------
    model : CovarianceModel
        The covariance model whose feature map the statistics use.
    shift : ndarray of shape (n_features,)
        Subtracted from every row before its features are formed; parameters exchanged with
        the source (means in ``theta``) are in these shifted coordinates.
    n_samples : int
    sample_weight : ndarray of shape (n_samples,) or None
        The weights :math:`w_i` of the statistics and likelihoods (None: all one).
    total_weight : float
        :math:`\\sum_i w_i`.
    """

    model: CovarianceModel
    shift: np.ndarray
    n_samples: int
    sample_weight: np.ndarray | None
    total_weight: float

    def statistics(
        self, theta: np.ndarray, shared_prec_chol: np.ndarray | None, weights_only: bool = False
    ) -> tuple[float, np.ndarray]:
        r"""One E-step: :math:`\sum_i w_i \ell_i` and :math:`\sum_i w_i r_{ik} \phi(x_i)`.

        ``weights_only`` says that ``theta`` differs from the previous call's coefficients only
        in its constant row (only the mixing weights changed); an implementation may use that
        to update instead of recompute, and must give the same result either way.
        """
        ...

    def responsibility_statistics(self, resp: np.ndarray, n_components: int) -> np.ndarray:
        """:math:`\\sum_i w_i r_{ik} \\phi(x_i)` for given responsibilities: dense
        ``(n_samples, K)``, or hard labels ``(n_samples,)`` with ``-1`` for unassigned rows."""
        ...

    def scatter(self) -> np.ndarray:
        """:math:`\\sum_i w_i (x_i - s)(x_i - s)^T` about the shift, ``(d, d)``."""
        ...

    def per_row(
        self, theta: np.ndarray, shared_prec_chol: np.ndarray | None, want: str
    ) -> np.ndarray:
        r"""Per-row outputs for given coefficients, one of :data:`PER_ROW_OUTPUTS`:
        'log_prob_norm' (:math:`\log p(x_i)`, ``(n,)``), 'resp' (``(n, K)``), 'argmax'
        (``(n,)`` ints) or 'summary' (``(n, 3)``: :math:`\log p(x_i)`, the entropy
        :math:`-\sum_k r_{ik} \log r_{ik}` and the argmax)."""
        ...

    def kept_rows(self, theta: np.ndarray, want: str) -> np.ndarray | None:
        """:meth:`per_row` of ``theta`` (the very array that the last :meth:`statistics`
        call of this thread was given) when the source still holds that pass's
        log-densities, without another pass; None otherwise (a source may keep nothing)."""
        ...

    def warm_up(self) -> None:
        """Prepare now what every later pass will need (a hint; may do nothing)."""
        ...


def statistics_of_many(requests: Iterable[tuple[Any, ...]]) -> list[tuple[float, np.ndarray]]:
    """One E-step (:meth:`FeatureSource.statistics`) for each request
    ``(source, theta, shared_prec_chol, weights_only)``, results in the order asked.

    This is what EM run in lockstep over many configurations needs (one iteration of every
    configuration of a sweep's round). Requests whose source's class defines a classmethod
    ``batch_statistics(requests)`` are handed to it together, so that an implementation whose
    data is expensive to read (a Dask source: blocks on disk or on a cluster) computes all of
    them in one pass over the data; the others are answered one by one.
    """
    return _answer_many(requests, "statistics", "batch_statistics")


def responsibility_statistics_of_many(requests: Iterable[tuple[Any, ...]]) -> list[np.ndarray]:
    """:meth:`FeatureSource.responsibility_statistics` for each request ``(source, resp,
    n_components)``, in the order asked: the first M-steps of many runs started together.

    As :func:`statistics_of_many` does, requests whose source's class defines a classmethod
    ``batch_responsibility_statistics(requests)`` are handed to it together (one pass over
    the data for all of them); the others are answered one by one.
    """
    return _answer_many(requests, "responsibility_statistics", "batch_responsibility_statistics")


def _answer_many(requests: Iterable[tuple[Any, ...]], method: str, batch_method: str) -> list[Any]:
    """Each request ``(source, *arguments)`` answered by ``source.<method>(*arguments)``, in
    order; requests whose source's class has the classmethod ``batch_method`` go to it
    together, one call per class."""
    requests = list(requests)
    results: list[Any] = [None] * len(requests)
    batches: dict[type, list[int]] = {}
    for index, (source, *arguments) in enumerate(requests):
        if hasattr(type(source), batch_method):
            batches.setdefault(type(source), []).append(index)
        else:
            results[index] = getattr(source, method)(*arguments)
    for kind, indices in batches.items():
        answers = getattr(kind, batch_method)([requests[i] for i in indices])
        for index, answer in zip(indices, answers):
            results[index] = answer
    return results
