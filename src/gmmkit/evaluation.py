r"""How close is generated data to real data: two-sample tests, fidelity and memorisation.

Every function takes the samples as arrays (or pandas DataFrames) of shape
``(n_samples, n_features)`` and returns a small frozen dataclass with the statistic and, where it
applies, a p-value or a confidence interval.

:func:`mmd`
    Unbiased maximum mean discrepancy with a Gaussian kernel, permutation p-value.
:func:`energy_distance`
    Energy distance :math:`2\,E|X-Y| - E|X-X'| - E|Y-Y'|`, permutation p-value.
:func:`classifier_two_sample_test`
    Cross-validated accuracy of a classifier telling the samples apart; 0.5 is indistinguishable.
:func:`label_fidelity`
    Whether generated rows are recognised as the class they were generated for.
:func:`memorisation`
    Whether generated rows sit closer to the training rows than fresh real rows do.
:func:`ks_per_feature`
    Kolmogorov–Smirnov test per feature, with multiple-testing adjustment.

The permutation tests evaluate every permutation from one pooled matrix :math:`G` (kernel or
distance): with :math:`a \in \{0, 1\}^N` marking the rows assigned to the first sample, the block
sums a statistic needs are :math:`a^T G a`, :math:`a^T G \mathbf 1` and :math:`\mathbf 1^T G
\mathbf 1`, and one matrix product :math:`G A` gives the first for a whole batch of assignment
columns :math:`A`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np
from scipy.stats import binomtest, false_discovery_control, ks_2samp
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from ._core.threads import threads_for
from .mixture import _check_int, _check_real

__all__ = [
    "MAX_POOLED_SAMPLES",
    "C2STResult",
    "KSResult",
    "LabelFidelityResult",
    "MMDResult",
    "MemorisationResult",
    "TwoSampleResult",
    "classifier_two_sample_test",
    "energy_distance",
    "ks_per_feature",
    "label_fidelity",
    "memorisation",
    "mmd",
]

#: Largest pooled sample (rows of X and Y together) the permutation tests accept: they hold the
#: full (N, N) float64 matrix, 800 MB at this limit. Pass random subsamples of larger data.
MAX_POOLED_SAMPLES = 10_000
#: Rows of the pooled sample the median heuristic looks at (a seeded subsample above this).
_MEDIAN_SUBSAMPLE = 1000
#: Squared distances below this fraction of |z_i|^2 + |z_j|^2 are recomputed from differences.
_EXPANSION_RESOLUTION = 1e-6
#: Rows per block where a step works through the (N, N) matrix a block at a time.
_CHUNK_ROWS = 512
#: Pairs whose differences are computed at once.
_CHUNK_PAIRS = 65_536
#: Permutations evaluated by one matrix product.
_PERMUTATION_BATCH = 128
#: Permuted statistics within this fraction of the mean matrix entry of the observed one count
#: as ties, so rounding never makes the unpermuted assignment look more extreme than itself.
_TIE_TOLERANCE = 1e-10


# ---------------------------------------------------------------------- results
class _Result:
    """Readable repr for the result dataclasses: 4 significant digits, arrays on one line."""

    def __repr__(self):
        parts = (f"{f.name}={_format(getattr(self, f.name))}" for f in fields(self))
        return f"{type(self).__name__}({', '.join(parts)})"


def _format(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(
            value, precision=4, threshold=12, separator=", ", max_line_width=10**6
        )
        return " ".join(text.split())
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)


def _read_only(array) -> np.ndarray:
    array = np.array(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, repr=False)
class TwoSampleResult(_Result):
    r"""A permutation two-sample test.

    Attributes
    ----------
    statistic : float
        The statistic of the samples as given.
    p_value : float or None
        :math:`(1 + \#\{\text{permuted statistic} \ge \text{statistic}\}) /
        (1 + \text{n\_permutations})`, in :math:`(0, 1]`; None when ``n_permutations`` is 0.
    n_permutations : int
        Random relabellings of the pooled rows the p-value is computed from.
    """

    statistic: float
    p_value: float | None
    n_permutations: int


@dataclass(frozen=True, repr=False)
class MMDResult(TwoSampleResult):
    r"""The result of :func:`mmd`: a :class:`TwoSampleResult` and the kernel bandwidth.

    Attributes
    ----------
    statistic : float
        Unbiased estimate of :math:`\mathrm{MMD}^2`; it can be negative.
    p_value, n_permutations
        As in :class:`TwoSampleResult`.
    bandwidth : float
        The :math:`\sigma` of the Gaussian kernel used.
    """

    bandwidth: float


@dataclass(frozen=True, repr=False)
class C2STResult(_Result):
    """The result of :func:`classifier_two_sample_test`.

    Attributes
    ----------
    accuracy : float
        Fraction of the ``2 * n_per_sample`` out-of-fold predictions that are right; 0.5 is
        chance.
    ci_low, ci_high : float
        Two-sided Wilson interval for the accuracy at ``confidence_level``.
    p_value : float
        One-sided binomial test of accuracy > 0.5.
    n_folds : int
    n_per_sample : int
        Rows of each sample classified (the smaller sample's size).
    confidence_level : float
    """

    accuracy: float
    ci_low: float
    ci_high: float
    p_value: float
    n_folds: int
    n_per_sample: int
    confidence_level: float


@dataclass(frozen=True, repr=False, eq=False)
class LabelFidelityResult(_Result):
    """The result of :func:`label_fidelity`.

    Attributes
    ----------
    real_accuracy : float
        Accuracy on the held-out real rows: what a faithful generator can reach.
    generated_accuracy : float
        Accuracy on the generated rows against the classes they were generated for.
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        Counts on the generated rows: row ``i`` is intended class ``classes[i]``, column ``j``
        predicted class ``classes[j]``.
    classes : ndarray of shape (n_classes,)
        The classes of the real labels, sorted.
    """

    real_accuracy: float
    generated_accuracy: float
    confusion_matrix: np.ndarray
    classes: np.ndarray


@dataclass(frozen=True, repr=False)
class MemorisationResult(_Result):
    """The result of :func:`memorisation`; distances are to the nearest training row.

    Attributes
    ----------
    median_generated, median_holdout : float
        Median distance of the generated rows and of the held-out real rows.
    distance_ratio : float
        ``median_generated / median_holdout``: near 1 for fresh samples, near 0 for copies.
    threshold : float
        The ``quantile`` of the holdout distances.
    close_fraction, holdout_close_fraction : float
        Fraction of generated, and of holdout, rows at distance <= ``threshold``.
    copy_fraction, holdout_copy_fraction : float
        Fraction of generated, and of holdout, rows that duplicate a training row (distance
        <= ``copy_tolerance * median_holdout``).
    flagged : bool
        ``close_fraction > max_ratio * holdout_close_fraction`` or
        ``copy_fraction > max_ratio * holdout_copy_fraction``.
    """

    median_generated: float
    median_holdout: float
    distance_ratio: float
    threshold: float
    close_fraction: float
    holdout_close_fraction: float
    copy_fraction: float
    holdout_copy_fraction: float
    flagged: bool


@dataclass(frozen=True, repr=False, eq=False)
class KSResult(_Result):
    r"""The result of :func:`ks_per_feature`.

    Attributes
    ----------
    statistics : ndarray of shape (n_features,)
        Kolmogorov–Smirnov statistic :math:`\sup_t |F_X(t) - F_Y(t)|` of every feature.
    p_values : ndarray of shape (n_features,)
        Unadjusted two-sided p-values.
    adjusted_p_values : ndarray of shape (n_features,)
        p-values adjusted by ``method`` for testing every feature.
    n_different : int
        Features with ``adjusted_p_values <= alpha``.
    alpha : float
    method : str
        ``'holm'`` or ``'bh'``.
    features : ndarray of shape (n_features,)
        Column names of a DataFrame ``X``, otherwise column indices.
    """

    statistics: np.ndarray
    p_values: np.ndarray
    adjusted_p_values: np.ndarray
    n_different: int
    alpha: float
    method: str
    features: np.ndarray


# ---------------------------------------------------------------------- validation
def _check_sample(name, X, min_rows=2) -> np.ndarray:
    """``X`` as a finite float64 array of shape (n_samples, n_features), n_samples >= min_rows."""
    if np.iscomplexobj(X):
        raise TypeError(
            f"{name} is complex; the tests compare real-valued samples (pass the "
            "real and imaginary parts as separate features)"
        )
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a numeric array of shape (n_samples, n_features), got "
            f"{type(X).__name__}"
        ) from None
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D, of shape (n_samples, n_features), got shape "
            f"{array.shape}; reshape one feature with .reshape(-1, 1)"
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature, got shape {array.shape}")
    if array.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows, got {array.shape[0]}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _common_scale(*samples) -> float:
    """A power of two near the pooled samples' largest deviation from their mean, which they
    are divided by before their distances are formed: at scales like 1e-300 or 1e300 the
    squared distances underflow or overflow, and a power of two divides every value exactly
    elsewhere. (The deviation, not the standard deviation, whose square would itself
    underflow or overflow.)"""
    pooled = np.vstack(samples)
    spread = float(np.max(np.abs(pooled - pooled.mean(axis=0))))
    if spread == 0.0 or not np.isfinite(spread):
        return 1.0
    return float(2.0 ** np.round(np.log2(spread)))


def _check_statistic(name: str, value) -> None:
    if not np.isfinite(value):
        raise ValueError(
            f"{name}: the statistic is {value}, not a finite number; the samples' "
            "scale is beyond what float64 can hold after standardizing"
        )


def _check_pair(names, *samples, min_rows=2) -> list[np.ndarray]:
    """Validated samples that all have the features of the first."""
    arrays = [_check_sample(name, X, min_rows) for name, X in zip(names, samples)]
    width = arrays[0].shape[1]
    for name, array in zip(names[1:], arrays[1:]):
        if array.shape[1] != width:
            raise ValueError(
                f"{name} has {array.shape[1]} features but {names[0]} has {width}; "
                "the samples must have the same features"
            )
    return arrays


def _check_labels(name, y, n_rows) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n_rows,):
        raise ValueError(f"{name} must have shape ({n_rows},) to match its rows, got {y.shape}")
    check_classification_targets(y)
    return y


def _check_fraction(name, value):
    _check_real(name, value, 0.0)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")


def _check_classifier(classifier):
    if not (hasattr(classifier, "fit") and hasattr(classifier, "predict")):
        raise TypeError(
            f"classifier must be a scikit-learn classifier with fit and predict, got {classifier!r}"
        )


def _default_classifier(rng):
    seed = rng.randint(np.iinfo(np.int32).max)
    return HistGradientBoostingClassifier(random_state=seed)


# ---------------------------------------------------------------------- permutation tests
def _pooled_squared_distances(X, Y) -> np.ndarray:
    r"""Squared Euclidean distances of the rows of :math:`Z = [X; Y]`, shape (N, N).

    :math:`\|z_i\|^2 + \|z_j\|^2 - 2 z_i^T z_j`, after centring :math:`Z` (which keeps the
    cancellation small), written in place into the one (N, N) array returned; the few entries
    this expansion cannot resolve are recomputed from the differences.
    """
    n_pooled = X.shape[0] + Y.shape[0]
    if n_pooled > MAX_POOLED_SAMPLES:
        raise ValueError(
            f"X and Y have {n_pooled} rows together, more than "
            f"MAX_POOLED_SAMPLES={MAX_POOLED_SAMPLES}: the test holds the full "
            "(N, N) matrix; pass random subsamples of X and Y"
        )
    pooled = np.vstack([X, Y])
    pooled -= pooled.mean(axis=0)
    norms = np.einsum("ij,ij->i", pooled, pooled)
    squared = pooled @ pooled.T
    squared *= -2.0
    squared += norms[:, None]
    squared += norms[None, :]
    np.maximum(squared, 0.0, out=squared)
    _recompute_close_pairs(squared, pooled, norms)
    np.fill_diagonal(squared, 0.0)
    return squared


def _recompute_close_pairs(squared, pooled, norms):
    """Recompute, from the differences, the entries too small for the expansion to resolve.

    The expansion's rounding error is about ``eps * (|z_i|^2 + |z_j|^2)``: negligible for most
    pairs, but duplicated rows would get distances of about ``1e-8`` instead of 0.
    """
    for start in range(0, squared.shape[0], _CHUNK_ROWS):
        block = squared[start : start + _CHUNK_ROWS]
        limit = norms[start : start + _CHUNK_ROWS, None] + norms[None, :]
        limit *= _EXPANSION_RESOLUTION
        rows, cols = np.nonzero(block < limit)
        for first in range(0, rows.size, _CHUNK_PAIRS):
            r, c = rows[first : first + _CHUNK_PAIRS], cols[first : first + _CHUNK_PAIRS]
            difference = pooled[start + r] - pooled[c]
            block[r, c] = np.einsum("ij,ij->i", difference, difference)


def _assignments(n_pooled, n_first, n_columns, rng) -> np.ndarray:
    """(n_pooled, n_columns) 0/1 matrix; each column marks ``n_first`` rows drawn at random."""
    chosen = np.argsort(rng.random_sample((n_pooled, n_columns)), axis=0)[:n_first]
    marks = np.zeros((n_pooled, n_columns))
    marks[chosen, np.arange(n_columns)] = 1.0
    return marks


def _block_sums(gram, n_first, n_permutations, rng):
    r"""Sums of ``gram`` over X–X, Y–Y and X–Y pairs, for the given split and each permutation.

    With :math:`a` marking the X rows and :math:`b = \mathbf 1 - a`, :math:`r = G \mathbf 1` and
    :math:`T = \mathbf 1^T r`:

    .. math:: S_{XX} = a^T G a, \quad S_{XY} = a^T r - a^T G a, \quad
              S_{YY} = T - 2 a^T r + a^T G a.

    Returns three arrays of shape (1 + n_permutations,); entry 0 is the unpermuted split.
    """
    n_pooled = gram.shape[0]
    row_sums = gram.sum(axis=1)
    total = row_sums.sum()
    observed = np.zeros((n_pooled, 1))
    observed[:n_first] = 1.0
    sizes = [
        min(_PERMUTATION_BATCH, n_permutations - start)
        for start in range(0, n_permutations, _PERMUTATION_BATCH)
    ]
    within_x, x_sums = [], []
    for size in [0, *sizes]:
        marks = observed if size == 0 else _assignments(n_pooled, n_first, size, rng)
        within_x.append(np.einsum("ij,ij->j", marks, gram @ marks))
        x_sums.append(row_sums @ marks)
    within_x, x_sums = np.concatenate(within_x), np.concatenate(x_sums)
    return within_x, total - 2.0 * x_sums + within_x, x_sums - within_x


def _permutation_p_value(statistics, scale):
    """p-value of ``statistics[0]`` against the permuted ``statistics[1:]``, or None."""
    permuted = statistics[1:]
    if permuted.size == 0:
        return None
    exceed = np.count_nonzero(permuted >= statistics[0] - _TIE_TOLERANCE * scale)
    return (1.0 + exceed) / (1.0 + permuted.size)


def _median_bandwidth(squared, rng) -> float:
    """Median pairwise distance of the pooled rows (of a seeded subsample above 1000 rows)."""
    n_pooled = squared.shape[0]
    rows = np.arange(n_pooled)
    if n_pooled > _MEDIAN_SUBSAMPLE:
        rows = np.sort(rng.choice(n_pooled, _MEDIAN_SUBSAMPLE, replace=False))
    upper = np.triu_indices(rows.size, k=1)
    distances = np.sqrt(squared[np.ix_(rows, rows)][upper])
    median = np.median(distances)
    if median > 0:
        return float(median)
    positive = distances[distances > 0]
    # Every row identical: any bandwidth gives MMD 0.
    return float(np.median(positive)) if positive.size else 1.0


def _check_bandwidth(bandwidth):
    if isinstance(bandwidth, str):
        if bandwidth != "median":
            raise ValueError(f"bandwidth must be 'median' or a positive number, got {bandwidth!r}")
        return
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, numbers.Real):
        raise TypeError(
            f"bandwidth must be 'median' or a positive number, got {bandwidth!r} of "
            f"type {type(bandwidth).__name__}"
        )
    if not np.isfinite(bandwidth) or bandwidth <= 0:
        raise ValueError(f"bandwidth must be a finite number > 0, got {bandwidth}")


def mmd(X, Y, *, bandwidth="median", n_permutations=200, random_state=None) -> MMDResult:
    r"""Maximum mean discrepancy between two samples, with a permutation test.

    The unbiased estimate of Gretton et al. (2012, eq. 3), with the Gaussian kernel
    :math:`k(x, y) = \exp(-\|x - y\|^2 / 2\sigma^2)`:

    .. math:: \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)} \sum_{i \ne j} k(x_i, x_j)
              + \frac{1}{n(n-1)} \sum_{i \ne j} k(y_i, y_j)
              - \frac{2}{mn} \sum_{i, j} k(x_i, y_j).

    Its expectation is zero when X and Y come from one distribution, so on such samples it is
    as often slightly negative as positive. The p-value is that of a permutation test: the
    statistic is recomputed for ``n_permutations`` random splits of the pooled rows into groups
    of sizes m and n.

    Parameters
    ----------
    X : array-like of shape (m, n_features)
    Y : array-like of shape (n, n_features)
        At least 2 rows each; together at most :data:`MAX_POOLED_SAMPLES` rows.
    bandwidth : 'median' or float > 0, default='median'
        :math:`\sigma`. ``'median'``: the median Euclidean distance between pooled rows (over a
        seeded subsample of 1000 rows for larger samples; the median of the non-zero distances
        if more than half are zero).
    n_permutations : int >= 0, default=200
        0 skips the test (``p_value`` is None). The smallest p-value possible is
        ``1 / (1 + n_permutations)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations and the median subsample.

    Returns
    -------
    MMDResult

    Notes
    -----
    The pooled (N, N) kernel matrix is computed once; all permutations are evaluated from it
    with matrix products (batches of 128), so the cost is :math:`O(N^2 d + N^2 P)` flops in BLAS
    and the memory :math:`8 N^2` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmkit.evaluation import mmd
    >>> rng = np.random.RandomState(0)
    >>> mmd(rng.normal(size=(200, 3)), rng.normal(1, size=(200, 3)), random_state=0).p_value
    0.004975124378109453
    """
    _check_bandwidth(bandwidth)
    _check_int("n_permutations", n_permutations, 0)
    X, Y = _check_pair(("X", "Y"), X, Y)
    rng = check_random_state(random_state)
    scale = _common_scale(X, Y)
    kernel = _pooled_squared_distances(X / scale, Y / scale)
    sigma = (
        _median_bandwidth(kernel, rng) if isinstance(bandwidth, str) else float(bandwidth) / scale
    )
    kernel *= -0.5 / sigma**2
    np.exp(kernel, out=kernel)
    np.fill_diagonal(kernel, 0.0)
    m, n = X.shape[0], Y.shape[0]
    within_x, within_y, cross = _block_sums(kernel, m, n_permutations, rng)
    statistics = within_x / (m * (m - 1)) + within_y / (n * (n - 1)) - 2.0 * cross / (m * n)
    _check_statistic("mmd", statistics[0])
    tie_scale = (within_x[0] + within_y[0] + 2.0 * cross[0]) / (m + n) ** 2
    return MMDResult(
        float(statistics[0]),
        _permutation_p_value(statistics, tie_scale),
        n_permutations,
        sigma * scale,
    )


def energy_distance(X, Y, *, n_permutations=200, random_state=None) -> TwoSampleResult:
    r"""Energy distance between two samples (Székely & Rizzo), with a permutation test.

    The V-statistic, i.e. the energy distance between the two empirical distributions:

    .. math:: \mathcal E = \frac{2}{mn} \sum_{i, j} \|x_i - y_j\|
              - \frac{1}{m^2} \sum_{i, j} \|x_i - x_j\| - \frac{1}{n^2} \sum_{i, j} \|y_i - y_j\|,

    an estimate of :math:`2\,E\|X - Y\| - E\|X - X'\| - E\|Y - Y'\|`. It is never negative, and
    zero only for identical empirical distributions. In one dimension it equals
    ``scipy.stats.energy_distance(x, y) ** 2`` (scipy reports the square root). The p-value is
    that of a permutation test, as in :func:`mmd`.

    Parameters
    ----------
    X : array-like of shape (m, n_features)
    Y : array-like of shape (n, n_features)
        At least 2 rows each; together at most :data:`MAX_POOLED_SAMPLES` rows.
    n_permutations : int >= 0, default=200
        0 skips the test (``p_value`` is None).
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations.

    Returns
    -------
    TwoSampleResult
    """
    _check_int("n_permutations", n_permutations, 0)
    X, Y = _check_pair(("X", "Y"), X, Y)
    rng = check_random_state(random_state)
    scale = _common_scale(X, Y)
    distances = _pooled_squared_distances(X / scale, Y / scale)
    np.sqrt(distances, out=distances)
    m, n = X.shape[0], Y.shape[0]
    within_x, within_y, cross = _block_sums(distances, m, n_permutations, rng)
    statistics = 2.0 * cross / (m * n) - within_x / m**2 - within_y / n**2
    _check_statistic("energy_distance", statistics[0] * scale)
    tie_scale = (within_x[0] + within_y[0] + 2.0 * cross[0]) / (m + n) ** 2
    # the distance is homogeneous of degree 1: back to the data's units
    return TwoSampleResult(
        float(statistics[0] * scale), _permutation_p_value(statistics, tie_scale), n_permutations
    )


# ---------------------------------------------------------------------- classifiers
def classifier_two_sample_test(
    X_real, X_generated, *, classifier=None, cv=5, confidence_level=0.95, random_state=None
) -> C2STResult:
    r"""Classifier two-sample test (Lopez-Paz & Oquab, 2017): can a classifier tell them apart?

    The larger sample is subsampled (seeded) to the size :math:`n` of the smaller, so chance
    is exactly 0.5. The :math:`2n` rows are labelled real/generated and each is predicted by
    a classifier fitted on the other folds of a stratified, shuffled ``cv``-fold split. With
    :math:`k` right predictions, the accuracy is :math:`k / 2n`, the interval is Wilson's, and
    the p-value is the binomial :math:`P(\mathrm{Bin}(2n, 1/2) \ge k)`.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
    X_generated : array-like of shape (n_generated, n_features)
        Each needs at least ``cv`` rows.
    classifier : scikit-learn classifier, default=None
        Cloned before every fit. None: ``HistGradientBoostingClassifier`` with default settings
        (seeded from ``random_state``), which picks up differences in shape and correlation as
        well as location, in about a second per fit on 4000 rows of 64 features.
    cv : int >= 2, default=5
    confidence_level : float in (0, 1), default=0.95
    random_state : int, RandomState instance or None, default=None
        Seeds the subsample, the folds and the default classifier.

    Returns
    -------
    C2STResult

    Notes
    -----
    The out-of-fold predictions come from ``cv`` classifiers trained on overlapping data, so
    they are not quite independent and the binomial p-value and interval are approximate;
    for an exact test, use one train/test split (``cv=2`` is the closest here).

    Like gmmkit's EM, small problems (under 4 million values pooled, e.g. 2 x 2000 rows of 64
    features) are fitted with BLAS and OpenMP limited to one thread: on a busy machine,
    contending threads made the default classifier more than ten times slower.
    """
    _check_int("cv", cv, 2)
    _check_fraction("confidence_level", confidence_level)
    if classifier is not None:
        _check_classifier(classifier)
    X_real, X_generated = _check_pair(("X_real", "X_generated"), X_real, X_generated, min_rows=cv)
    rng = check_random_state(random_state)
    n = min(X_real.shape[0], X_generated.shape[0])
    real = X_real[np.sort(rng.choice(X_real.shape[0], n, replace=False))]
    generated = X_generated[np.sort(rng.choice(X_generated.shape[0], n, replace=False))]
    pooled = np.vstack([real, generated])
    labels = np.repeat([1, 0], n)
    estimator = _default_classifier(rng) if classifier is None else clone(classifier)
    folds = StratifiedKFold(cv, shuffle=True, random_state=rng.randint(np.iinfo(np.int32).max))
    with threads_for(pooled.size):
        predicted = cross_val_predict(estimator, pooled, labels, cv=folds)
    correct = int(np.count_nonzero(predicted == labels))
    interval = binomtest(correct, 2 * n).proportion_ci(confidence_level, method="wilson")
    p_value = binomtest(correct, 2 * n, 0.5, alternative="greater").pvalue
    return C2STResult(
        correct / (2 * n),
        float(interval.low),
        float(interval.high),
        float(p_value),
        cv,
        n,
        float(confidence_level),
    )


def label_fidelity(
    X_real, y_real, X_generated, y_generated, *, classifier=None, test_size=0.25, random_state=None
) -> LabelFidelityResult:
    r"""Do generated rows look like the class they were generated for?

    A classifier is fitted on a stratified ``1 - test_size`` share of the real labelled rows;
    its accuracy on the remaining real rows is the reference, and its accuracy on the generated
    rows, scored against the classes they were generated for, is the fidelity. A faithful
    class-conditional generator reaches about the reference; one whose classes are mixed up
    scores far below it, and the confusion matrix shows which classes are confused.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
    y_real : array-like of shape (n_real,)
        At least 2 classes, and at least 2 rows of each.
    X_generated : array-like of shape (n_generated, n_features)
    y_generated : array-like of shape (n_generated,)
        The class each row was generated for; every one must occur in ``y_real``.
    classifier : scikit-learn classifier, default=None
        Cloned before fitting. None: ``HistGradientBoostingClassifier`` with default settings,
        seeded from ``random_state``.
    test_size : float in (0, 1), default=0.25
        Share of the real rows held out.
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the default classifier.

    Returns
    -------
    LabelFidelityResult
    """
    _check_fraction("test_size", test_size)
    if classifier is not None:
        _check_classifier(classifier)
    X_real, X_generated = _check_pair(("X_real", "X_generated"), X_real, X_generated, min_rows=1)
    y_real = _check_labels("y_real", y_real, X_real.shape[0])
    y_generated = _check_labels("y_generated", y_generated, X_generated.shape[0])
    classes, counts = np.unique(y_real, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"y_real must have at least 2 classes, got {classes.tolist()}")
    if counts.min() < 2:
        raise ValueError(
            f"every class of y_real needs at least 2 rows for a stratified split; "
            f"class {classes.tolist()[counts.argmin()]!r} has 1"
        )
    unknown = np.setdiff1d(y_generated, classes)
    if unknown.size:
        raise ValueError(f"y_generated has classes not in y_real: {unknown.tolist()[:5]}")
    rng = check_random_state(random_state)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X_real,
            y_real,
            test_size=test_size,
            stratify=y_real,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
    except ValueError as exc:
        raise ValueError(f"test_size={test_size} cannot split y_real by class: {exc}") from None
    estimator = _default_classifier(rng) if classifier is None else clone(classifier)
    with threads_for(X_real.size):
        estimator.fit(X_train, y_train)
        predicted = estimator.predict(X_generated)
        predicted_test = estimator.predict(X_test)
    return LabelFidelityResult(
        float(np.mean(predicted_test == y_test)),
        float(np.mean(predicted == y_generated)),
        _read_only(confusion_matrix(y_generated, predicted, labels=classes)),
        _read_only(classes),
    )


# ---------------------------------------------------------------------- memorisation
def memorisation(
    X_train, X_generated, X_holdout, *, quantile=0.05, copy_tolerance=1e-6, max_ratio=2.0
) -> MemorisationResult:
    r"""Does the generator copy its training rows?

    For every generated row and every held-out real row (real data the generator never saw),
    :math:`d` is the Euclidean distance to the nearest training row. Fresh samples from the
    training distribution are as far from the training rows as holdout rows are; copies,
    jittered or not, are much closer. With :math:`t` the ``quantile`` of the holdout distances
    and :math:`\tilde d` their median:

    * ``close_fraction``: share of generated rows with :math:`d \le t` (about ``quantile`` for
      fresh samples, ``holdout_close_fraction`` being the same share of holdout rows);
    * ``copy_fraction``: share of generated rows with
      :math:`d \le \text{copy\_tolerance} \cdot \tilde d`, duplicates of a training row;
    * ``flagged``: ``close_fraction > max_ratio * holdout_close_fraction`` or
      ``copy_fraction > max_ratio * holdout_copy_fraction``. With continuous data no holdout
      row duplicates a training row, so then a single generated duplicate flags.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        The rows the generator was fitted on.
    X_generated : array-like of shape (n_generated, n_features)
    X_holdout : array-like of shape (n_holdout, n_features)
        Real rows from the same source, not used to fit the generator; with fewer than about
        ``10 / quantile`` rows the threshold :math:`t` is noisy.
    quantile : float in (0, 1), default=0.05
    copy_tolerance : float >= 0, default=1e-6
        Relative to the median holdout distance.
    max_ratio : float >= 1, default=2.0
        How many times the holdout's share of close rows the generated rows may have. Small
        samples need a larger ratio: with 200 fresh generated rows and ``quantile=0.05``, more
        than twice the expected 10 close rows happens by chance with probability about 0.1 %.

    Returns
    -------
    MemorisationResult
    """
    _check_fraction("quantile", quantile)
    _check_real("copy_tolerance", copy_tolerance, 0.0)
    _check_real("max_ratio", max_ratio, 1.0)
    X_train, X_generated, X_holdout = _check_pair(
        ("X_train", "X_generated", "X_holdout"), X_train, X_generated, X_holdout, min_rows=1
    )
    nearest = NearestNeighbors(n_neighbors=1).fit(X_train)
    generated = nearest.kneighbors(X_generated)[0][:, 0]
    holdout = nearest.kneighbors(X_holdout)[0][:, 0]
    median_generated, median_holdout = float(np.median(generated)), float(np.median(holdout))
    if median_holdout == 0.0:
        raise ValueError(
            "memorisation: most holdout rows duplicate a training row (median distance 0), so "
            "copies cannot be told from fresh samples: the data are too discrete (or constant) "
            "for this test"
        )
    threshold = float(np.quantile(holdout, quantile))
    copy_distance = copy_tolerance * median_holdout
    close = float(np.mean(generated <= threshold))
    holdout_close = float(np.mean(holdout <= threshold))
    copies = float(np.mean(generated <= copy_distance))
    holdout_copies = float(np.mean(holdout <= copy_distance))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.divide(median_generated, median_holdout))
    flagged = close > max_ratio * holdout_close or copies > max_ratio * holdout_copies
    return MemorisationResult(
        median_generated,
        median_holdout,
        ratio,
        threshold,
        close,
        holdout_close,
        copies,
        holdout_copies,
        bool(flagged),
    )


# ---------------------------------------------------------------------- marginals
def _holm(p_values) -> np.ndarray:
    r"""Holm's step-down adjustment: the :math:`i`-th smallest of :math:`k` p-values becomes
    :math:`\max_{j \le i} \min(1, (k - j + 1)\, p_{(j)})`."""
    order = np.argsort(p_values)
    k = p_values.size
    stepped = np.maximum.accumulate((k - np.arange(k)) * p_values[order])
    adjusted = np.empty(k)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def ks_per_feature(X, Y, *, alpha=0.05, method="holm") -> KSResult:
    r"""Two-sample Kolmogorov–Smirnov test of every feature's marginal distribution.

    For feature :math:`f`, the statistic is :math:`\sup_t |F_{X,f}(t) - F_{Y,f}(t)|` with its
    two-sided p-value from ``scipy.stats.ks_2samp`` (exact for small samples). The p-values are
    adjusted for testing all features together.

    Parameters
    ----------
    X : array-like of shape (m, n_features)
    Y : array-like of shape (n, n_features)
        At least 2 rows each. If ``X`` is a DataFrame its column names label the features.
    alpha : float in (0, 1), default=0.05
        Level at which ``n_different`` counts a feature as different.
    method : {'holm', 'bh'}, default='holm'
        ``'holm'``: Holm's step-down adjustment, controlling the probability of calling any
        feature different when none is (family-wise error). ``'bh'``: Benjamini–Hochberg,
        controlling the expected share of false calls among the features called different.

    Returns
    -------
    KSResult
    """
    _check_fraction("alpha", alpha)
    if method not in ("holm", "bh"):
        raise ValueError(f"method must be one of ['holm', 'bh'], got {method!r}")
    columns = getattr(X, "columns", None)
    X, Y = _check_pair(("X", "Y"), X, Y)
    test = ks_2samp(X, Y, axis=0)
    p_values = np.atleast_1d(np.asarray(test.pvalue, dtype=np.float64))
    adjusted = _holm(p_values) if method == "holm" else false_discovery_control(p_values)
    features = np.asarray(columns) if columns is not None else np.arange(X.shape[1])
    return KSResult(
        _read_only(np.atleast_1d(test.statistic).astype(np.float64)),
        _read_only(p_values),
        _read_only(adjusted),
        int(np.count_nonzero(adjusted <= alpha)),
        float(alpha),
        method,
        _read_only(features),
    )
