r"""Model selection: one sweep over number of components x covariance structure.

Every configuration is fitted on all the data and scored by

* BIC :math:`= -2 \log L + p \log n` and AIC :math:`= -2 \log L + 2p` (lower is better, the
  scikit-learn convention; :meth:`SelectionResult.to_mclust` gives R mclust's
  :math:`2 \log L - p \log n`, higher is better),
* ICL :math:`= \mathrm{BIC} - 2 \sum_i w_i \sum_k r_{ik} \log r_{ik}` (lower is better),
* the mean log-likelihood per sample and the silhouette of the predicted labels,
* optionally the held-out log-likelihood per sample, mean and standard deviation over CV folds.

Work is shared where it is sound: one k-means initialisation per ``(n_components, init)`` serves
every covariance type (scikit-learn's loop would compute the same k-means for each type), and
values of ``n_components`` run in parallel (tasks of one thread pool, largest first) with one
BLAS thread each, so tables are identical for any ``n_jobs``.

The modules, one job each:

* :mod:`~gmmkit.selection.api`: :func:`select`, :class:`GaussianMixtureSelector`, the scorers;
* :mod:`~gmmkit.selection.planning`: the settings of a sweep and the checks that need the data;
* :mod:`~gmmkit.selection.running`: the thread pool over values of ``k`` and its shared inputs;
* :mod:`~gmmkit.selection.fitting`: how one configuration is started, fitted and scored;
* :mod:`~gmmkit.selection.cross_validation`: the held-out columns;
* :mod:`~gmmkit.selection.warm_start`: the split-and-refit chains;
* :mod:`~gmmkit.selection.silhouette`: silhouettes of many labellings from one distance matrix;
* :mod:`~gmmkit.selection.result`: :class:`SelectionResult`, the table and its ranking.
"""

from ..criteria import CRITERIA
from .api import GaussianMixtureSelector, aic_scorer, bic_scorer, run_selection, select
from .planning import SweepSettings
from .result import TABLE_COLUMNS, SelectionRangeWarning, SelectionResult

__all__ = [
    "CRITERIA",
    "TABLE_COLUMNS",
    "GaussianMixtureSelector",
    "SelectionRangeWarning",
    "SelectionResult",
    "SweepSettings",
    "aic_scorer",
    "bic_scorer",
    "run_selection",
    "select",
]
