"""
How many components, and how sure: bootstrap inference
======================================================

Two of mclust's bootstrap tools:

- :func:`gmmkit.bootstrap_lrt` (mclust's ``mclustBootstrapLRT``) tests g against g + 1
  components for g = 1, 2, ...: the likelihood-ratio statistic on the data against its
  distribution over data sets simulated from the g-component fit, stopping at the first test
  that is not significant;
- :func:`gmmkit.bootstrap` (mclust's ``MclustBootstrap``) refits a fitted mixture on resampled
  data and gives standard errors and percentile intervals of its weights, means and
  covariances, with the components of every replicate matched to the fit's.

Real analyses use hundreds of replicates; this example uses few, to run in seconds.
"""

# %%
# The likelihood-ratio test
# -------------------------
from sklearn.datasets import make_blobs

import gmmkit

X, _ = make_blobs(300, centers=[[0, 0], [5, 0], [0, 5]], random_state=0)
test = gmmkit.bootstrap_lrt(
    X, covariance_type="VVV", max_components=4, n_bootstrap=19, random_state=0
)
print(test)

# %%
# Each test's bootstrap distribution against the observed statistic: the test of 3 against
# 4 components is the first whose observed value is not in the far right tail. (With 19
# replicates the smallest p-value possible is 1 / 20 = 0.05.)
figure = test.plot()

# %%
# Standard errors and intervals
# -----------------------------
# A nonparametric bootstrap of the three-component fit.
gm = gmmkit.GaussianMixture(3, covariance_type="VVV", random_state=0).fit(X)
boot = gmmkit.bootstrap(gm, X, n_bootstrap=49, kind="nonparametric", random_state=0)
print(boot)

# %%
errors = boot.standard_errors()
intervals = boot.intervals(level=0.9)
print("SE of the weights:", errors["weights"].round(3))
lower, upper = intervals["means"]
for k in range(gm.n_components):
    bounds = ", ".join(f"x{j} in [{lower[k, j]:.2f}, {upper[k, j]:.2f}]" for j in range(2))
    print(f"mean of component {k}, 90% intervals: {bounds}")

# %%
# The bootstrap distributions of the means, one panel per component and feature, with the
# fitted value and the 95 % interval.
figure = boot.plot("means")
