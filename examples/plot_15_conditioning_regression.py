"""
Conditioning a mixture, and Gaussian mixture regression
=======================================================

Conditioning a fitted Gaussian mixture on some of its features gives, in closed form, a
mixture of the others: the weights re-scored on the given features, the means shifted by each
component's regression, the covariances shrunk to the Schur complement.
:meth:`gmmkit.GaussianMixture.condition` returns that mixture as a fitted
:class:`gmmkit.GaussianMixture`; ``conditional_mean`` and ``sample_conditional`` answer row by
row.

:class:`gmmkit.GaussianMixtureRegressor` builds a regressor from the same idea: one mixture of
``[X, y]``, and the prediction E[y | x] with its predictive standard deviation.
"""

# %%
# Conditioning
# ------------
import matplotlib.pyplot as plt
import numpy as np

from gmmkit import GaussianMixture, GaussianMixtureRegressor

rng = np.random.default_rng(0)
X = np.r_[
    rng.multivariate_normal([0, 0, 0], np.eye(3) + 0.5, 500),
    rng.multivariate_normal([4, 4, 0], np.eye(3), 500),
]
gm = GaussianMixture(n_components=2, random_state=0).fit(X)
given_x0 = gm.condition([1.0], given=[0])  # p(x1, x2 | x0 = 1)
print("weights given x0 = 1:", given_x0.weights_.round(3))
print("means given x0 = 1:\n", given_x0.means_.round(3))
print("E[x1, x2 | x0] at x0 = 1 and 3:\n", gm.conditional_mean([[1.0], [3.0]], given=[0]))

# %%
# The conditional density of x1 given x0, as x0 moves from one cluster to the other: the
# weight passes from one component to the other.
x1 = np.linspace(-4, 8, 400)[:, None]
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for x0 in (0.0, 1.5, 2.5, 4.0):
    conditional = gm.condition([x0], given=[0])
    marginal = conditional.condition([0.0], given=[1])  # x2 fixed at 0 as well
    ax.plot(x1[:, 0], np.exp(marginal.score_samples(x1)), label=f"x0 = {x0}")
ax.set_xlabel("x1")
ax.set_ylabel("p(x1 | x0, x2 = 0)")
ax.set_title("Conditional densities of a two-component mixture")
ax.legend()

# %%
# Gaussian mixture regression
# ---------------------------
# A noisy sine: eight components of ``[x, y]`` follow the curve, and the predictive standard
# deviation says how sure the prediction is.
x = np.linspace(-3, 3, 400)[:, None]
y = np.sin(2 * x[:, 0]) + 0.1 * rng.normal(size=400)
reg = GaussianMixtureRegressor(n_components=8, random_state=0).fit(x, y)
grid = np.linspace(-3.2, 3.2, 300)[:, None]
mean, std = reg.predict(grid, return_std=True)
print(f"R² on the training rows: {reg.score(x, y):.3f}")

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
ax.scatter(x[:, 0], y, s=6, color="0.6", label="data")
ax.plot(grid[:, 0], mean, color="tab:blue", label="E[y | x]")
ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, alpha=0.25, label="± 2 std")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("GaussianMixtureRegressor, 8 components")
ax.legend()
