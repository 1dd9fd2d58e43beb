"""
EM on a Dask array
==================

Every statistic EM needs adds up over any split of the rows, so gmmkit fits a mixture to a
Dask array block by block: one pass over the data and one ``compute`` per EM iteration, with
the M-step on the client, which never holds more than the small per-component sums. The
fitted attributes are NumPy; ``predict`` returns a lazy Dask array in the input's chunks.

Here the array is small and the scheduler is Dask's threads, with no cluster; with a cluster,
create a ``dask.distributed.Client`` first and gmmkit uses it. From the same start, the fit
follows the in-memory fit's iterates.
"""

# %%
# A Dask array of 200,000 rows in four blocks
# -------------------------------------------
import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

import gmmkit

centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
blocks = [
    da.random.RandomState(seed).normal(size=(50_000, 2), chunks=(50_000, 2)) + centres[seed % 3]
    for seed in range(4)
]
X = da.concatenate(blocks)
print(X)

# %%
# The fit
# -------
# The k-means start runs on a seeded sample of 20,000 rows, so it never needs the whole array
# in memory; here both fits start from the same given parameters instead, to compare them
# below.
start = {
    "weights_init": np.full(3, 1 / 3),
    "means_init": [[0.5, 0.5], [3.0, 0.0], [0.0, 3.0]],
    "precisions_init": np.tile(np.eye(2), (3, 1, 1)),
}
with dask.config.set(scheduler="threads"):
    gm = gmmkit.GaussianMixture(3, covariance_type="full", random_state=0, **start).fit(X)
    labels = gm.predict(X)  # lazy, chunked as X
    print(type(gm.means_).__name__, "means:\n", gm.means_.round(2))
    print("EM iterations:", gm.n_iter_, " mean log-likelihood:", round(gm.score(X), 4))
    print(labels)
    counts = np.bincount(labels.compute(), minlength=3)
print("rows per component:", counts)

# %%
# The same fit in memory
# ----------------------
# From the same start, the in-memory fit on the same rows follows the same iterates.
X_memory = X.compute()
in_memory = gmmkit.GaussianMixture(3, covariance_type="full", random_state=0, **start)
in_memory.fit(X_memory)
print("iterations:", gm.n_iter_, "on Dask,", in_memory.n_iter_, "in memory")
difference = np.abs(np.asarray(gm.lower_bounds_) - in_memory.lower_bounds_).max()
print(f"largest difference of the log-likelihoods per iteration: {difference:.1e}")
print(f"largest difference of the means: {np.abs(gm.means_ - in_memory.means_).max():.1e}")

# %%
# The log-likelihood after every iteration
# ----------------------------------------
fig, ax = plt.subplots(figsize=(6.4, 4), layout="constrained")
iterations = np.arange(1, gm.n_iter_ + 1)
ax.plot(iterations, gm.lower_bounds_, marker="o", label="Dask")
ax.plot(iterations, in_memory.lower_bounds_, linestyle="--", label="in memory")
ax.set_xlabel("EM iteration")
ax.set_ylabel("mean log-likelihood per row")
ax.set_title("EM on a Dask array and in memory")
ax.legend()
