r"""Model-based agglomerative hierarchical clustering, mclust's ``hc`` with the VVV criterion.

Starting from one cluster per row, each stage merges the two clusters whose union costs least,
where a cluster of :math:`m` rows with scatter matrix :math:`W` (sum of squared deviations from
its mean) and :math:`t = \operatorname{tr} W` costs

.. math::

    \tau(m, W) = m \log\Bigl(\det(W / m) + \beta\,\frac{t + \alpha}{m}\Bigr)
    \quad (m > p), \qquad
    \tau(m, W) = m \log\Bigl(\beta\,\frac{t + \alpha}{m}\Bigr) \quad (m \le p),

(the classification likelihood of a full-covariance cluster, regularised by :math:`\alpha`, the
data's total variance per entry, and :math:`\beta = 1`; a singleton costs
:math:`\log \alpha\beta`), and merging ``i`` and ``j`` costs
:math:`\tau_{ij} - \tau_i - \tau_j`. The union's statistics follow from the parts':
:math:`W_{ij} = W_i + W_j + v v^T` with :math:`v = \sqrt{n_i n_j / n_{ij}}\,(\mu_i - \mu_j)`.

The cost of every pair is kept in one matrix; a merge only recomputes the pairs of the new
cluster (one batched computation over the other clusters), and each column keeps its minimum
over the rows above it, so a stage costs :math:`O(g)` array work for :math:`g` clusters left,
plus a rescan of the few columns whose minimum was one of the merged pair. This is the scheme of
mclust's Fortran ``hcvvv``, and so is the order among exactly equal costs: clusters sit at
positions ``0..g-1``, the merged cluster takes the lower position, the last cluster moves into
the upper one, and among equal costs the pair ``(i < j)`` with the largest ``j``, then the
largest ``i``, merges first. Data with repeated rows has many exactly equal costs (two copies of
one row cost :math:`-2 \log 2` to merge), so this order decides which tree comes out.

Merges are named as mclust names them: a cluster by the smallest row index in it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike

#: Rows of the subset mclust's ``Mclust`` builds its tree on when there are more
#: (``mclust.options("subset")``).
SUBSET_SIZE = 2000

HC_TRANSFORMS = ("SVD", "VARS")

_RTHALF = 0.7071067811865476  # mclust's sqrt(1/2), so that the first costs round as its do
_EPS = np.finfo(np.float64).eps


def svd_transform(X: ArrayLike) -> np.ndarray:
    r"""mclust's ``hc(use="SVD")`` transformation: ``X`` centred and scaled to unit standard
    deviation per column (``n - 1`` in the denominator; constant columns dropped), then
    :math:`Z = X V D^{-1/2}` from the thin SVD :math:`X = U D V^T`: rotated onto its principal
    axes, each divided by the square root of its singular value.

    Components with a zero singular value (rank-deficient data) are dropped rather than divided
    by zero. Column signs are those of LAPACK's SVD and may differ from R's.
    """
    X = np.asarray(X, dtype=np.float64)
    scale = X.std(axis=0, ddof=1)
    keep = np.isfinite(scale) & (scale > 0)
    scaled = (X[:, keep] - X[:, keep].mean(axis=0)) / scale[keep]
    _, singular, vt = np.linalg.svd(scaled, full_matrices=False)
    kept = singular > singular[0] * max(scaled.shape) * _EPS if singular.size else singular > 0
    return scaled @ vt[kept].T / np.sqrt(singular[kept])


def vvv_merges(Z: ArrayLike, like_mclust: bool = True) -> np.ndarray:
    """The VVV merge tree of the rows of ``Z`` (see the module docstring).

    ``like_mclust``: merge on the scatter matrices mclust's ``hcvvv`` keeps (see
    :class:`_VVVTree`), which reproduces its trees; False: on the exact ones.

    Returns
    -------
    merges : ndarray of shape (n_samples - 1, 2)
        Row ``s`` names the two clusters merged at stage ``s``, each by the smallest (0-based)
        row index in it, the smaller name first: mclust's ``hc`` matrix, transposed, minus one.
    """
    return _VVVTree(np.asarray(Z, dtype=np.float64), like_mclust).merges()


def cut_tree(merges: np.ndarray, n_samples: int, ks: Iterable[int]) -> dict[int, np.ndarray]:
    """``{k: labels}``: the partition into ``k`` clusters left after the first
    ``n_samples - k`` merges, labelled ``0..k-1`` in order of first appearance (mclust's
    ``hclass``)."""
    wanted = sorted({int(k) for k in ks}, reverse=True)
    for k in wanted:
        if not 1 <= k <= n_samples:
            raise ValueError(f"cannot cut a tree of {n_samples} rows into {k} clusters")
    names = np.arange(n_samples)
    cuts = {}
    done = 0
    for k in wanted:
        for i, j in merges[done : n_samples - k]:
            names[names == j] = i
        done = n_samples - k
        _, first, inverse = np.unique(names, return_index=True, return_inverse=True)
        cuts[k] = np.argsort(np.argsort(first))[inverse].astype(np.intp)
    return cuts


class _VVVTree:
    """The state of one agglomeration: per-position cluster statistics and pair costs.

    A pair's cost is first stored as a lower bound, the cost with the determinant left out
    (:math:`\\log(\\det + t) \\ge \\log t`), which needs only counts, means and traces; it is
    replaced by the exact cost, one small determinant, only if it ever becomes the smallest
    entry. Most pairs never do, so a merge costs :math:`O(g\\,p)` instead of ``g``
    determinants. A bound that is smallest is always evaluated before a merge is chosen, and
    exact costs are never below their bounds, so the merges (ties included) are those of
    evaluating every cost at once.

    ``kept[i]`` is the scatter matrix that cluster ``i``'s merges with later clusters see.
    With ``like_mclust`` it is what mclust's ``hcvvv`` keeps: mclust stores a cluster's
    triangular factor by copying the factor's *first* row into every stored row (rows
    ``k = 0..min(m-1, p)-1`` hold ``r_0[k:]``), so the cluster is merged on with
    :math:`U^T U` of that factor instead of :math:`W` (its trace stays exact), except by the
    costs computed at its creation and by its next merge should that come right after its own:
    those use the factor still in hand, its true :math:`W` (``true``). Copying this is what
    reproduces mclust's trees merge for merge; without it the criterion is the one in the
    module docstring exactly.
    """

    def __init__(self, Z: np.ndarray, like_mclust: bool = True) -> None:
        n, p = Z.shape
        self.n, self.p, self.like_mclust = n, p, like_mclust
        centred = Z - Z.mean(axis=0)
        # mclust: alpha = traceW(data / sqrt(n p)), at least machine epsilon; beta = 1
        self.alpha = max(float(np.sum(centred * centred)) / (n * p), _EPS)
        self.log_alpha = np.log(self.alpha)
        self.count = np.ones(n)
        self.root = Z.copy()  # sqrt(count) * mean, as mclust stores it
        self.trace = np.zeros(n)
        self.term = np.full(n, self.log_alpha)
        self.true = np.zeros((n, p, p))
        self.kept = np.zeros((n, p, p)) if like_mclust else self.true
        self.name = np.arange(n)
        self.uid = np.arange(n)  # unique over the whole agglomeration
        self.born = np.full(n, -1)  # the stage that made the cluster (-1: a row)
        self.stage = 0
        self.evaluated: set[tuple[int, int]] = set()  # pairs (of uids) whose cost is exact
        index = np.arange(p)
        # (U^T U)_ij / (r_0i r_0j) for a stored factor of K rows (see _first_row_scatter)
        self._times = {
            rows: np.minimum(np.minimum.outer(index, index) + 1, rows) for rows in range(1, p + 1)
        }
        self.cost = self._singleton_costs(Z)
        self.col_min = np.full(n, np.inf)
        self.col_arg = np.zeros(n, dtype=np.intp)
        self.index = np.arange(n)
        self._rescan(self.index, n)

    def _singleton_costs(self, Z: np.ndarray) -> np.ndarray:
        """Costs of merging every two rows, computed as mclust computes them (so that ties in
        the data are ties here): ``v = (x_i - x_j) / sqrt 2``, ``t = v.v`` summed in order."""
        n, p = Z.shape
        cost = np.empty((n, n))
        columns = np.ascontiguousarray(Z.T)
        block = max(1, (1 << 18) // max(1, n))
        v = np.empty((block, n))
        for start in range(0, n, block):
            stop = min(n, start + block)
            trace, part = cost[start:stop], v[: stop - start]
            trace[...] = 0
            for column in columns:
                np.subtract(column[start:stop, None], column, out=part)
                part *= _RTHALF
                part *= part
                trace += part
            trace += self.alpha
            trace /= 2
            np.log(trace, out=trace)
            trace *= 2
            trace -= 2 * self.log_alpha
        np.fill_diagonal(cost, np.inf)
        return cost

    def _difference(self, a: int, others: int | slice) -> tuple[np.ndarray, np.ndarray]:
        """``v``: :math:`\\sqrt{n_a n_j / n_{aj}}\\,(\\mu_a - \\mu_j)` for each ``j`` of
        ``others`` (an index or a slice), and the unions' counts."""
        na, nj = self.count[a], self.count[others]
        nij = na + nj
        scale_a, scale_j = nj / nij, na / nij
        np.sqrt(scale_a, out=scale_a)
        np.sqrt(scale_j, out=scale_j)
        v = np.multiply.outer(scale_a, self.root[a])
        v -= scale_j[:, None] * self.root[others]
        return v, nij

    def _pair(self, i: int, j: int) -> tuple[np.ndarray, float, float]:
        """``(v, n_ij, trace)`` of the union of clusters ``i`` and ``j`` (as
        :meth:`_difference` computes them, in scalars)."""
        ni, nj = float(self.count[i]), float(self.count[j])
        nij = ni + nj
        v = math.sqrt(nj / nij) * self.root[i] - math.sqrt(ni / nij) * self.root[j]
        return v, nij, (self.trace[i] + self.trace[j]) + v @ v

    def _bounds(self, a: int, g: int) -> np.ndarray:
        """The cost of merging ``a`` with each of the ``g`` clusters (``a`` itself included,
        meaningless) without its determinant: the exact cost for unions of at most ``p`` rows
        or with no scatter."""
        v, nij = self._difference(a, slice(0, g))
        trace = (self.trace[a] + self.trace[:g]) + np.einsum("ij,ij->i", v, v)
        term = trace + self.alpha
        term /= nij
        np.log(term, out=term)
        term *= nij
        flat = trace == 0
        if flat.any():
            flat &= nij > self.p
            term[flat] = nij[flat] * np.log(self.alpha / nij[flat])
        term -= self.term[a] + self.term[:g]  # as mclust: t_ij - (t_i + t_j)
        return term

    def _exact_cost(self, i: int, j: int) -> float:
        """The cost of merging ``i`` and ``j``, from the scatter matrices in hand when the
        younger of the two was made; the stored bound where the determinant adds nothing."""
        young, old = (i, j) if self.born[i] > self.born[j] else (j, i)
        v, nij, trace = self._pair(i, j)
        if trace == 0:
            return self.cost[i, j]
        sign, log_det = np.linalg.slogdet(self.true[young] + self.kept[old] + np.outer(v, v))
        if sign <= 0:  # a singular factor (mclust: a zero on its diagonal): the trace term
            return self.cost[i, j]
        term = nij * np.logaddexp(
            log_det - self.p * np.log(nij), np.log((trace + self.alpha) / nij)
        )
        return term - (self.term[i] + self.term[j])

    def _rescan(self, columns: np.ndarray, g: int) -> None:
        """Recompute the minimum of each of ``columns`` over the rows above it (ties: the
        lowest such row, the largest index, as mclust's scan keeps the last). The cost matrix
        is symmetric, so a column is read as a row."""
        columns = columns[columns < g]
        if columns.size == 0:
            return
        block = self.cost[columns, :g]
        block[self.index[None, :g] >= columns[:, None]] = np.inf
        reverse = np.ascontiguousarray(block[:, ::-1])  # argmin runs far faster forwards
        arg = g - 1 - np.argmin(reverse, axis=1)
        self.col_arg[columns] = arg
        self.col_min[columns] = block[np.arange(columns.size), arg]

    def _offer(self, row: int, g: int) -> None:
        """Let ``cost[row, row+1:g]`` replace the minima of their columns."""
        new, low = self.cost[row, row + 1 : g], self.col_min[row + 1 : g]
        better = new < low
        better |= (new == low) & (self.col_arg[row + 1 : g] < row)
        np.copyto(low, new, where=better)
        self.col_arg[row + 1 : g][better] = row

    def _cheapest(self, g: int) -> tuple[int, int]:
        """The pair ``(a < b)`` to merge next, its cost exact."""
        while True:
            b = g - 1 - int(np.argmin(self.col_min[:g][::-1]))
            a = int(self.col_arg[b])
            key = (self.uid[a], self.uid[b])
            if self.count[a] + self.count[b] <= self.p or key in self.evaluated:
                return a, b
            self.evaluated.add(key)
            cost = self._exact_cost(a, b)
            if cost == self.cost[a, b]:
                return a, b
            self.cost[a, b] = self.cost[b, a] = cost
            self._rescan(np.array([b]), g)

    def merges(self) -> np.ndarray:
        n = self.n
        merges = np.empty((max(n - 1, 0), 2), dtype=np.intp)
        for stage, g in enumerate(range(n, 1, -1)):
            a, b = self._cheapest(g)
            merges[stage] = sorted((self.name[a], self.name[b]))
            self._merge(a, b, g)
        return merges

    def _merge(self, a: int, b: int, g: int) -> None:
        """Merge the clusters at positions ``a < b`` into ``a``; the last moves to ``b``."""
        young, old = (a, b) if self.born[a] > self.born[b] else (b, a)
        newest = self.born[young] == self.stage - 1  # its factor is still in hand
        v, nab, trace = self._pair(a, b)
        scatter = (
            (self.true[young] if newest else self.kept[young]) + self.kept[old] + np.outer(v, v)
        )
        term = self.cost[a, b] + (self.term[a] + self.term[b])
        na, nb = float(self.count[a]), float(self.count[b])
        root = math.sqrt(na / nab) * self.root[a] + math.sqrt(nb / nab) * self.root[b]
        name = min(self.name[a], self.name[b])
        last = g - 1
        # columns whose minimum was in a merged row (always above it), and the two rewritten
        arg = self.col_arg[:last]
        stale = np.append(np.flatnonzero((arg == a) | (arg == b)), (a, b))
        if b != last:
            for array in (
                self.count,
                self.root,
                self.trace,
                self.term,
                self.true,
                self.kept,
                self.name,
                self.uid,
                self.born,
            ):
                array[b] = array[last]
            self.cost[b, :last] = self.cost[last, :last]
            self.cost[:last, b] = self.cost[:last, last]
            self.cost[b, b] = np.inf
        g = last
        self.count[a], self.root[a], self.trace[a], self.term[a] = nab, root, trace, term
        self.name[a], self.uid[a], self.born[a] = name, self.n + self.stage, self.stage
        self.true[a] = scatter
        if self.like_mclust:
            self.kept[a] = _first_row_scatter(scatter, self._times[int(min(nab - 1, self.p))])
        self.stage += 1
        costs = self._bounds(a, g)
        costs[a] = np.inf
        self.cost[a, :g] = costs
        self.cost[:g, a] = costs
        self.col_min[g:], self.col_arg[g:] = np.inf, 0
        self._offer(a, g)
        self._offer(b, g)
        self._rescan(stale, g)


def _first_row_scatter(scatter: np.ndarray, times: np.ndarray) -> np.ndarray:
    r""":math:`U^T U` for the factor mclust stores of a cluster with scatter matrix ``scatter``:
    :math:`K` = ``min(count - 1, p)`` rows, row ``k`` holding :math:`r_0[k:]`, the first row of
    the upper Cholesky factor, so :math:`(U^T U)_{ij} = r_{0i} r_{0j} \min(i + 1, j + 1, K)`
    (``times`` holds the minima). A cluster constant in the first feature gets no factor
    (mclust's Givens rotations leave another row there; that case is not reproduced)."""
    if scatter[0, 0] <= 0:
        return np.zeros_like(scatter)
    first = scatter[0] / math.sqrt(scatter[0, 0])
    return np.outer(first, first) * times


def hierarchical_partitions(
    X: ArrayLike,
    ks: Iterable[int],
    use: str = "SVD",
    random_state: np.random.RandomState | None = None,
) -> dict[int, np.ndarray]:
    """``{k: labels of every row}`` from one VVV tree of ``X`` (see :class:`HierarchicalStart`,
    which computes the same on demand)."""
    start = HierarchicalStart(X, use=use, random_state=random_state)
    return {int(k): start.labels(int(k)) for k in ks}


class HierarchicalStart:
    """The partitions mclust's ``Mclust`` starts EM from, for any number of clusters, from one
    tree built the first time a partition is asked for (thread-safe: the fits of a sweep share
    one).

    The tree is built on ``use``'s transformation of ``X`` (``"SVD"``, what ``Mclust`` uses, or
    ``"VARS"``: the data as they are). With more than :data:`SUBSET_SIZE` rows it is built on
    that many rows drawn without replacement from ``random_state`` when the object is made, as
    ``Mclust`` does. ``Mclust`` then runs one M-step on the subset's partition and one E-step on
    all rows; here the rows outside the subset take the component of highest posterior under
    that M-step (weights, means and full covariances of the subset's clusters, the covariances
    regularised by ``1e-6`` of the mean variance so that small clusters stay proper) and the
    subset rows keep their clusters, so EM's first M-step sees a hard partition of every row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    use : {'SVD', 'VARS'}
    random_state : numpy.random.RandomState or None
        Drawn from once, for the subset, and only with more than :data:`SUBSET_SIZE` rows
        (None: numpy's global generator).
    """

    def __init__(
        self, X: ArrayLike, use: str = "SVD", random_state: np.random.RandomState | None = None
    ) -> None:
        if use not in HC_TRANSFORMS:
            raise ValueError(f"use must be one of {HC_TRANSFORMS}, got {use!r}")
        self._X = np.asarray(X, dtype=np.float64)
        n = self._X.shape[0]
        self.rows: np.ndarray | None = None  # the rows the tree is built on (None: all)
        if n > SUBSET_SIZE:
            rng = random_state if random_state is not None else np.random.mtrand._rand
            self.rows = np.sort(rng.choice(n, size=SUBSET_SIZE, replace=False))
        self._use = use
        self._lock = threading.Lock()
        self._merges: np.ndarray | None = None

    def merges(self) -> np.ndarray:
        """The tree (see :func:`vvv_merges`), built on the first call; names index
        ``rows``."""
        with self._lock:
            if self._merges is None:
                data = self._X if self.rows is None else self._X[self.rows]
                self._merges = vvv_merges(svd_transform(data) if self._use == "SVD" else data)
        return self._merges

    def labels(self, k: int) -> np.ndarray:
        """Labels ``0..k-1`` of every row: the tree cut at ``k`` clusters."""
        merges = self.merges()
        n_tree = merges.shape[0] + 1
        if not 1 <= k <= n_tree:
            raise ValueError(
                f"n_components={k} is more than the {n_tree} rows the "
                "hierarchical clustering starts from"
            )
        tree_labels = cut_tree(merges, n_tree, [k])[k]
        if self.rows is None:
            return tree_labels
        labels = _assign_rest(self._X, self.rows, tree_labels, k)
        labels[self.rows] = tree_labels
        return labels


class SharedHierarchies:
    """The :class:`HierarchicalStart` of each initialisation of a sweep, shared by every ``k``:
    ``hierarchies(i)`` is the one the ``i``-th of ``n_init`` calls of
    :func:`gmmkit._core.init.initial_responsibilities` would make from ``new_random_state()``
    (the same for every ``i`` up to :data:`SUBSET_SIZE` rows, where nothing is drawn). Each
    tree is built once, by the first fit that needs it; thread-safe."""

    def __init__(
        self, X: np.ndarray, new_random_state: Callable[[], np.random.RandomState]
    ) -> None:
        self._X, self._new_random_state = X, new_random_state
        self._lock = threading.Lock()
        self._rng: np.random.RandomState | None = None
        self._starts: list[HierarchicalStart] = []

    def __call__(self, index: int) -> HierarchicalStart:
        if self._X.shape[0] <= SUBSET_SIZE:
            index = 0
        with self._lock:
            while len(self._starts) <= index:  # subsets drawn in order, trees built later
                if self._rng is None:
                    self._rng = self._new_random_state()
                self._starts.append(HierarchicalStart(self._X, random_state=self._rng))
            return self._starts[index]


def _assign_rest(X: np.ndarray, rows: np.ndarray, subset_labels: np.ndarray, k: int) -> np.ndarray:
    """Most probable cluster of every row under the full-covariance mixture estimated from
    ``X[rows]`` partitioned by ``subset_labels`` (one M-step, then one E-step)."""
    return most_probable_cluster(X, subset_mixture(X[rows], subset_labels, k))


def subset_mixture(
    sub: np.ndarray, subset_labels: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-step of :func:`_assign_rest` on the subset rows ``sub``: per cluster the log of
    its size less the log-determinant of its covariance's Cholesky factor, its mean and that
    factor; covariances regularised by ``1e-6`` of the subset's mean variance."""
    d = sub.shape[1]
    floor = 1e-6 * max(float(np.mean(np.var(sub, axis=0))), _EPS)
    constants, means, chols = np.empty(k), np.empty((k, d)), np.empty((k, d, d))
    for component in range(k):
        members = sub[subset_labels == component]
        mean = members.mean(axis=0)
        centred = members - mean
        covariance = centred.T @ centred / members.shape[0] + floor * np.eye(d)
        chols[component] = np.linalg.cholesky(covariance)
        means[component] = mean
        constants[component] = np.log(members.shape[0]) - np.log(np.diag(chols[component])).sum()
    return constants, means, chols


def most_probable_cluster(
    X: np.ndarray, mixture: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """The E-step of :func:`_assign_rest`: the most probable cluster of every row of ``X``
    under ``mixture`` (from :func:`subset_mixture`); rows are independent, so any split of
    them gives the same labels."""
    constants, means, chols = mixture
    log_post = np.empty((X.shape[0], len(constants)))
    for component in range(len(constants)):
        solved = np.linalg.solve(chols[component], (X - means[component]).T)
        log_post[:, component] = constants[component] - 0.5 * np.einsum("ij,ij->j", solved, solved)
    return np.argmax(log_post, axis=1).astype(np.intp)
