"""
mclust's model family and the BIC plot
======================================

Beyond scikit-learn's four covariance types, gmmkit fits the fourteen models of R's mclust:
every component covariance is :math:`\\Sigma_k = \\lambda_k D_k A_k D_k^T`, with its volume
:math:`\\lambda_k`, shape :math:`A_k` and orientation :math:`D_k` each Equal across
components, Varying, or the Identity. ``EII`` is one sphere for all components, ``VVV`` a
free covariance for each (scikit-learn's ``full``), ``EEE`` one shared covariance (``tied``).

``gmmkit.select(X, covariance_type="all")`` sweeps all of them, from mclust's hierarchical
start and from k-means, and chooses by BIC, never an ill-posed fit. This example sweeps the
iris measurements and draws the three figures mclust draws: the BIC plot, the classification
and the uncertainty of the chosen model.
"""

# %%
# The sweep
# ---------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris

import gmmkit
from gmmkit import plotting

iris = load_iris()
X = iris.data
result = gmmkit.select(X, n_components=range(1, 7), covariance_type="all", random_state=0)
print(result.best_params_)
best = result.best_estimator_
print(f"BIC {best.bic(X):.2f}, {best.n_parameters_} parameters")

# %%
# mclust's BIC table
# ------------------
# ``to_mclust()`` gives the table as mclust prints it: one row per number of components, one
# column per model, BIC with mclust's sign (``2 log L - p log n``, higher is better) and NA
# (NaN) for fits that are ill-posed.
table = result.to_mclust()
table.round(1)

# %%
# The BIC plot
# ------------
# One line per model, in mclust's symbols and colours; a gap is an ill-posed fit.
fig, ax = plt.subplots(figsize=(7, 4.8), layout="constrained")
plotting.plot_mclust_bic(result, ax=ax)

# %%
# Classification and uncertainty
# ------------------------------
# The chosen mixture on the petal measurements: each row in its component's symbol, with
# every component's one-standard-deviation ellipse; then each row sized by its classification
# uncertainty, 1 - max_k P(k | x).
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
names = iris.feature_names
plotting.plot_classification(best, X, dims=(2, 3), ax=left, feature_names=names)
plotting.plot_uncertainty(best, X, dims=(2, 3), ax=right, feature_names=names)

# %%
# How the components match the species
# ------------------------------------
# Two components: mclust's BIC does not separate versicolor from virginica without labels
# (see the discriminant-analysis example for the supervised fit).
labels = best.predict(X)
for k in range(best.n_components):
    species, counts = np.unique(iris.target[labels == k], return_counts=True)
    found = ", ".join(f"{counts[i]} {iris.target_names[s]}" for i, s in enumerate(species))
    print(f"component {k + 1}: {found}")
