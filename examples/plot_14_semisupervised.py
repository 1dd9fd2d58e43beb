"""
Semi-supervised classification: a few labels, many unlabelled rows
==================================================================

Rows labelled ``-1`` (scikit-learn's convention) make :meth:`gmmkit.MixtureClassifier.fit`
semi-supervised, as mclust's ``MclustSSC``: the fit on the labelled rows starts an EM over all
rows, in which a labelled row belongs to its class and an unlabelled row is shared by every
class in proportion to its posterior. :class:`gmmkit.ComponentClassifier` takes the other
route: one mixture fitted to every row without labels, then a map from components to classes
learned from the few labelled rows.

This example gives 15 of 600 rows their labels and compares both with the supervised fit on
those 15 rows alone.
"""

# %%
# The data: three overlapping blobs, 15 labels
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from gmmkit import ComponentClassifier, MixtureClassifier

X, y = make_blobs(600, centers=[[0, 0], [4, 0], [0, 4]], cluster_std=1.5, random_state=2)
y_few = np.full_like(y, -1)
y_few[:15] = y[:15]
print(f"{np.sum(y_few >= 0)} labelled rows, {np.sum(y_few < 0)} unlabelled")

# %%
# Three classifiers
# -----------------
# ``prior="default"`` (mclust's conjugate prior) keeps a class's covariance well posed when it
# rests on a handful of labels.
semi = MixtureClassifier(1, prior="default", random_state=0).fit(X, y_few)
alone = MixtureClassifier(1, prior="default", random_state=0).fit(X[:15], y[:15])
mapped = ComponentClassifier(n_components=3, random_state=0).fit(X, y_few)
for name, model in (
    ("semi-supervised MixtureClassifier", semi),
    ("supervised on the 15 labelled rows", alone),
    ("ComponentClassifier", mapped),
):
    print(f"{name:>35}: accuracy {model.score(X, y):.3f} against all true labels")

# %%
# EM over every row never lowers the observed-data log-likelihood:
print("log-likelihood never decreases:", bool(np.all(np.diff(semi.lower_bounds_) >= -1e-12)))

# %%
# Where the boundaries fall
# -------------------------
# The supervised fit's boundaries follow the 15 labelled rows (large markers); the
# semi-supervised one's follow the shape of all 600.
xx, yy = np.meshgrid(np.linspace(-5, 9, 300), np.linspace(-5, 9, 300))
grid = np.column_stack([xx.ravel(), yy.ravel()])
palette = np.array(["tab:red", "tab:blue", "tab:green"])
fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained", sharey=True)
for ax, (name, model) in zip(axes, (("supervised, 15 rows", alone), ("semi-supervised", semi))):
    regions = model.predict(grid).reshape(xx.shape)
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=palette, alpha=0.15)
    ax.contour(xx, yy, regions, levels=[0.5, 1.5], colors="0.3", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=palette[y], s=6)
    ax.scatter(X[:15, 0], X[:15, 1], c=palette[y[:15]], s=120, marker="*", edgecolors="black")
    ax.set_title(f"{name}: accuracy {model.score(X, y):.3f}")
    ax.set_xlabel("x1")
axes[0].set_ylabel("x2")
