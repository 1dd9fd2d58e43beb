"""
Two moons: are generated rows distinguishable from real ones?
=============================================================

The fourth study of ``gmmkit tour``. Rows sampled from the mixture BIC chose are compared
with held-out real rows no model has seen, by two tests from :mod:`gmmkit.evaluation`:

- the maximum mean discrepancy (MMD², RBF kernel, permutation p-value);
- a classifier two-sample test (C2ST): cross-validated accuracy of gradient boosting at
  telling real from generated rows, 0.5 meaning it cannot tell.

A single Gaussian shows what the tests make of a model that is too simple, and real training
rows show what passing looks like (the memorisation check should flag them, since they are
copies of the training rows). It runs the tour's own code, :mod:`gmmkit.studies.generation`,
with the tour's quick settings.
"""

# %%
# The chosen mixture, and the comparison
# --------------------------------------
from textwrap import fill

from gmmkit.studies import datasets, generation, selection
from gmmkit.tour import QUICK

moons = datasets.moons(QUICK.moons_samples, seed=0)
chosen = selection.sweep(moons, n_components=QUICK.moons_components, cv=None, seed=0).best_estimator
comparison = generation.compare(chosen, moons, seed=0, n_permutations=QUICK.n_permutations)
print(fill(generation.summary(comparison)))

# %%
# The samples over the held-out rows
# ----------------------------------
figure = generation.samples_figure(comparison)
print(fill(generation.samples_caption(comparison)))

# %%
# Every test, for every generator
# -------------------------------
# The distance ratio is the median distance of a sample's rows to their nearest training row
# over the same for held-out real rows: 1 is as far as new real rows, 0 is copies.
for name, values in comparison.results.items():
    print(f"{name}:")
    print(f"    MMD² {values['mmd2']:.2g} (p = {values['mmd_p_value']:.3g})")
    print(f"    C2ST accuracy {values['c2st_accuracy']:.3f} (p = {values['c2st_p_value']:.3g})")
    print(
        f"    distance ratio {values['distance_ratio']:.2f}, copies flagged: {values['memorised']}"
    )
