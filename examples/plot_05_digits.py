"""
Handwritten digits: density models, classifiers and generators
==============================================================

The fifth study of ``gmmkit tour``. The 1,797 8x8 digits bundled with scikit-learn are
projected onto the principal components that keep 99 % of the training pixels' variance. In
that space mixtures of up to 600 components are compared by BIC and AIC, one mixture per
class (supervised) is set against one mixture for all digits, and a class-conditional
:class:`gmmkit.LatentMixture` draws new digits, checked by a classifier trained on real
digits (label fidelity) and by their distance to the training digits (memorisation).

It runs the tour's own code, :mod:`gmmkit.studies.digits`, with the tour's quick settings.
"""

# %%
# The PCA space
# -------------
import warnings
from textwrap import fill

from gmmkit.studies import datasets, digits
from gmmkit.tour import QUICK

projection = digits.project(datasets.digits(seed=0))
print(fill(digits.intro(projection)))
figure = digits.variance_figure(projection)
print(fill(digits.variance_caption(projection)))

# %%
# The mixtures
# ------------
# The unsupervised sweep (``QUICK.digits_components`` components, full and diagonal
# covariances), the supervised mixtures and the generator, all with ``reg_covar=0.1``. The
# tour's report lists the warnings a study raises at the end of its section; so does this
# example.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    study = digits.fit_models(
        projection,
        seed=0,
        component_counts=QUICK.digits_components,
        covariance_types=QUICK.digits_covariance_types,
        per_class_counts=QUICK.digits_per_class,
        max_components_per_class=QUICK.digits_max_per_class,
        fidelity_per_class=QUICK.digits_per_class_checked,
    )
print(fill(digits.summary(study)))
for message in sorted({f"{w.category.__name__}: {w.message}" for w in caught}):
    print(fill(message))

# %%
# How many components?
# --------------------
figure = digits.criteria_figure(study)
print(fill(digits.criteria_caption(study)))

# %%
# One mixture per class, or one for all?
# --------------------------------------
# Both are scored on the digits alone (BIC of X, not of the labels), so they compare directly.
figure = digits.supervised_figure(study)
print(fill(digits.supervised_caption(study)))

# %%
# Generated digits
# ----------------
figure = digits.generated_figure(study)
print(fill(digits.generated_caption(study)))

# %%
# Are they the digits they were generated as?
# -------------------------------------------
figure = digits.label_fidelity_figure(study)
print(fill(digits.fidelity_caption(study)))

# %%
# Do they copy the training digits?
# ---------------------------------
figure = digits.memorisation_figure(study)
print(fill(digits.memorisation_caption(study)))

# sphinx_gallery_thumbnail_number = 4
