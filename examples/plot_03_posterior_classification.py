"""
Two moons: posterior classification with mixtures
=================================================

The third study of ``gmmkit tour``. Mixtures give class probabilities two ways:

- :class:`gmmkit.MixtureClassifier` fits one mixture per class and applies Bayes' rule,
  P(y | x) ∝ P(y) p(x | y);
- :class:`gmmkit.ComponentClassifier` fits one mixture without the labels and learns
  P(y | component) from them, so P(y | x) = Σ_k P(k | x) P(y | k).

Both are compared with Gaussian naive Bayes, logistic regression and histogram gradient
boosting, by cross-validated accuracy on the training rows and accuracy on the held-out rows.
It runs the tour's own code, :mod:`gmmkit.studies.classification`, with the tour's quick
settings.
"""

# %%
# The mixture model selection chose
# ---------------------------------
# ``ComponentClassifier`` uses the number of components and the covariance type that BIC
# chose in the model-selection study (the cross-validated likelihood is not needed for that
# choice, so the sweep skips it here).
from textwrap import fill

from gmmkit.studies import classification, datasets, selection
from gmmkit.tour import QUICK

moons = datasets.moons(QUICK.moons_samples, seed=0)
chosen = selection.sweep(moons, n_components=QUICK.moons_components, cv=None, seed=0).best_estimator
print(f"BIC's choice: {chosen.covariance_type} covariance, k={chosen.n_components}")

# %%
# The comparison
# --------------
comparison = classification.compare(
    moons, mixture=chosen, cv=QUICK.cv, seed=0, max_components=max(QUICK.moons_components)
)
print(fill(classification.summary(comparison)))
for name, scores in comparison.scores.items():
    print(
        f"{name:>21}: CV {scores['cv_mean']:.3f} ± {scores['cv_std']:.3f}, "
        f"held-out {scores['test_accuracy']:.3f}"
    )

# %%
# P(y | x) over the plane
# -----------------------
# Red is one moon, blue the other; the black line is the decision boundary, and white marks
# where the classes overlap.
figure = classification.posterior_figure(comparison)
print(fill(classification.posterior_caption(comparison)))

# %%
# Accuracy against the baselines
# ------------------------------
figure = classification.accuracy_figure(comparison)
print(fill(classification.accuracy_caption(comparison)))
