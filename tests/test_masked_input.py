"""Masked arrays are refused: converting one to an array drops its mask, so a masked outlier
still pulled a component to it."""

import numpy as np
import pytest

import gmmkit
from gmmkit import (
    ComponentClassifier,
    GaussianMixture,
    GaussianMixtureRegressor,
    LatentMixture,
    MixtureClassifier,
)


@pytest.fixture
def masked_outlier():
    X = np.random.default_rng(0).normal(size=(60, 2))
    X[0, 0] = 1e6
    mask = np.zeros_like(X, dtype=bool)
    mask[0, 0] = True
    return np.ma.masked_array(X, mask=mask)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GaussianMixture(2, random_state=0),
        lambda: LatentMixture(2, n_latent=1, random_state=0),
    ],
)
def test_masked_input_is_refused_by_fit(masked_outlier, make):
    with pytest.raises(ValueError, match="X is a masked array with 1 masked entries"):
        make().fit(masked_outlier)


def test_masked_input_is_refused_by_predictions_and_select(masked_outlier):
    model = GaussianMixture(2, random_state=0).fit(masked_outlier.filled(0.0))
    for method in (model.predict, model.predict_proba, model.score_samples, model.score):
        with pytest.raises(ValueError, match="masked array"):
            method(masked_outlier)
    with pytest.raises(ValueError, match="masked array"):
        gmmkit.select(masked_outlier, [1, 2])


def test_masked_input_is_refused_by_the_classifiers_and_the_regressor(masked_outlier):
    y = np.r_[np.zeros(30, int), np.ones(30, int)]
    for estimator in (MixtureClassifier(1, random_state=0), ComponentClassifier(2, random_state=0)):
        with pytest.raises(ValueError, match="masked array"):
            estimator.fit(masked_outlier, y)
    with pytest.raises(ValueError, match="y is a masked array"):
        MixtureClassifier(1).fit(masked_outlier.filled(0.0), np.ma.masked_array(y, y == 1))
    with pytest.raises(ValueError, match="masked array"):
        GaussianMixtureRegressor(1).fit(masked_outlier, y.astype(float))


def test_a_masked_array_without_masked_entries_is_used_as_its_data(masked_outlier):
    data = masked_outlier.filled(0.0)
    unmasked = np.ma.masked_array(data, mask=False)
    np.testing.assert_array_equal(
        GaussianMixture(2, random_state=0).fit(unmasked).means_,
        GaussianMixture(2, random_state=0).fit(data).means_,
    )
