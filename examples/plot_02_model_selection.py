"""
Two moons: model selection by BIC, checked on held-out rows
===========================================================

The second study of ``gmmkit tour``. :func:`gmmkit.select` sweeps covariance types and
numbers of components, scores every configuration by BIC, AIC and ICL (lower is better), by
the silhouette and by cross-validated held-out log-likelihood, and lets BIC choose. The rows
held out before any fit then say how well the choice generalises.

It runs the tour's own code, :mod:`gmmkit.studies.selection`, with the tour's quick settings.
"""

# %%
# The sweep
# ---------
# ``selection.sweep`` calls :func:`gmmkit.select` on the training rows (with
# ``cv=QUICK.cv`` folds for the held-out likelihood), takes each criterion's pick and scores
# every pick on the training and the held-out rows.
from textwrap import fill

from gmmkit.studies import datasets, selection
from gmmkit.tour import QUICK

moons = datasets.moons(QUICK.moons_samples, seed=0)
study = selection.sweep(moons, n_components=QUICK.moons_components, cv=QUICK.cv, seed=0)
print(fill(selection.intro(study)))
print()
print(fill(selection.summary(study)))

# %%
# Information criteria
# --------------------
# BIC, AIC and ICL against the number of components, one line per covariance type; the star
# marks each criterion's minimum (:func:`gmmkit.plotting.plot_criterion`).
figure = selection.criteria_figure(study)
print(fill(selection.criteria_caption(study)))

# %%
# The same sweep as R mclust draws it
# -----------------------------------
# :func:`gmmkit.plotting.plot_mclust_bic` uses mclust's sign (higher is better), model names,
# symbols and colours.
figure = selection.mclust_bic_figure(study)
print(fill(selection.MCLUST_BIC_CAPTION))

# %%
# Scores without a parameter count
# --------------------------------
# Cross-validated held-out likelihood and silhouette (:func:`gmmkit.plotting.plot_cv`,
# :func:`gmmkit.plotting.plot_silhouette`).
figure = selection.cv_silhouette_figure(study)
print(fill(selection.cv_silhouette_caption(study)))

# %%
# Each criterion's pick, on the training and the held-out rows
# ------------------------------------------------------------
for name, row in study.picks.items():
    scores = study.test_scores[row["covariance_type"], row["n_components"]]
    print(
        f"{name:>10} picks k={row['n_components']} ({row['covariance_type']}): "
        f"train {scores['train_log_likelihood']:.3f}, "
        f"held-out {scores['test_log_likelihood']:.3f} log-lik/row"
    )

# %%
# The whole table is ``study.result.table`` (a pandas DataFrame when pandas is installed);
# the five best configurations by BIC:
study.result.table[
    ["covariance_type", "n_components", "bic", "aic", "icl", "silhouette", "cv_mean"]
].sort_values("bic").head()
