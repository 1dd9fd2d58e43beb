"""
Two moons: clustering with every covariance type
================================================

The first study of ``gmmkit tour``. Two interleaved half-circles are not Gaussian, so a
mixture describes each moon with several components, and the covariance type decides what
shape those components may take. This example fits the four covariance types of
scikit-learn at several numbers of components and shows what each mixture looks like, and
how the fit (log-likelihood) and the cluster separation (silhouette) change with ``k``.

It runs the tour's own code, :mod:`gmmkit.studies.clustering`, with the tour's quick
settings (``gmmkit.tour.QUICK``), so the figures and captions below are the ones the tour's
report shows.
"""

# %%
# The data
# --------
# :func:`gmmkit.studies.datasets.moons` draws the two moons (noise 0.1) and holds out a
# quarter of the rows, seeded, before anything is fitted; only the training rows are
# clustered.
from textwrap import fill

from gmmkit.studies import clustering, datasets
from gmmkit.tour import QUICK

moons = datasets.moons(QUICK.moons_samples, seed=0)
print(f"{len(moons.X_train)} training rows, {len(moons.X_test)} held-out rows")
print("components swept:", QUICK.moons_components, "drawn:", QUICK.panel_components)

# %%
# The sweep
# ---------
# One :func:`gmmkit.select` call fits every covariance type at every number of components;
# the mixtures drawn as panels are refitted with the same seed.
sweep = clustering.sweep(
    moons,
    component_counts=QUICK.moons_components,
    panel_counts=QUICK.panel_components,
    seed=0,
)
print(fill(clustering.sweep_summary(sweep)))

# %%
# What the mixtures look like
# ---------------------------
# Each panel tints the plane by the component that claims it (its decision region); the black
# lines are level sets of the mixture density enclosing about 95, 75, 50 and 25 % of the rows.
figure = clustering.mixtures_figure(sweep)
print(fill(clustering.mixtures_caption(sweep)))

# %%
# Fit against separation
# ----------------------
# The training log-likelihood keeps rising with ``k``; the silhouette of the hard clustering
# rewards few well-separated clusters instead. A good density and a good clustering are
# different questions.
figure = clustering.scores_figure(sweep)
print(fill(clustering.scores_caption(sweep)))

# %%
# The mixtures drawn above, measured on the training rows:
for row in sweep.panel_rows:
    print(
        f"{row['covariance_type']:>9} k={row['n_components']}: "
        f"log-lik/row {row['log_likelihood']:7.3f}, silhouette {row['silhouette']:.3f}, "
        f"BIC {row['bic']:8.1f}, {row['n_parameters']:3d} parameters"
    )
