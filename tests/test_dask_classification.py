"""MixtureClassifier on Dask input: each class's rows selected lazily and fitted through the
Dask engine, predictions lazy; the same classifier as in memory, to rounding."""

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

from sklearn.datasets import make_moons

from gmmkit import MixtureClassifier


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(600, noise=0.1, random_state=0)
    return X, np.where(y == 1, "upper", "lower")


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        {"n_components": 3},
        {"n_components": {"lower": 2, "upper": 4}, "covariance_type": "diag", "priors": "uniform"},
        {"n_components": "auto", "covariance_type": ["full", "diag"], "max_components": 3},
        {"n_components": 2, "prior": "default", "covariance_type": ["full", "spherical"]},
    ],
)
def test_the_fit_and_its_predictions_are_those_in_memory(moons, options):
    X, y = moons
    weight = np.random.RandomState(2).uniform(0.5, 2.0, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the range warnings of 'auto', alike in both
        expected = MixtureClassifier(random_state=0, **options).fit(X, y, sample_weight=weight)
        got = MixtureClassifier(random_state=0, **options).fit(
            da.from_array(X, chunks=140),
            da.from_array(y, chunks=140),
            sample_weight=da.from_array(weight, chunks=140),
        )
    assert got.classes_.tolist() == expected.classes_.tolist()
    np.testing.assert_allclose(got.class_prior_, expected.class_prior_, rtol=1e-12)
    assert got.n_components_.tolist() == expected.n_components_.tolist()
    assert got.covariance_types_ == expected.covariance_types_
    assert got.n_iter_.tolist() == expected.n_iter_.tolist()
    assert got.n_parameters_ == expected.n_parameters_
    for mixture, want in zip(got.mixtures_, expected.mixtures_):
        np.testing.assert_allclose(mixture.means_, want.means_, rtol=1e-9, atol=1e-12)

    Xd = da.from_array(X, chunks=100)
    proba = got.predict_proba(Xd)
    labels = got.predict(Xd)
    assert isinstance(proba, da.Array) and isinstance(labels, da.Array)
    assert proba.chunks[0] == Xd.chunks[0]
    np.testing.assert_allclose(proba.compute(), expected.predict_proba(X), atol=1e-10)
    np.testing.assert_array_equal(labels.compute(), expected.predict(X))
    np.testing.assert_allclose(
        got.score_samples(Xd).compute(), expected.score_samples(X), rtol=1e-10
    )
    assert got.score(Xd, da.from_array(y, chunks=100)) == expected.score(X, y)
    assert got.score(Xd, y, sample_weight=weight) == pytest.approx(
        expected.score(X, y, sample_weight=weight), rel=1e-12
    )


def test_a_dask_dataframe_gives_feature_names_checked_at_predict(moons):
    pandas = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = moons
    frame = dd.from_pandas(pandas.DataFrame(X, columns=["a", "b"]), npartitions=3)
    model = MixtureClassifier(2, random_state=0).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["a", "b"]
    expected = MixtureClassifier(2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(frame).compute(), expected.predict(X))
    renamed = dd.from_pandas(pandas.DataFrame(X, columns=["b", "a"]), npartitions=2)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(renamed)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mode": "edda"}, "mode='edda'"),
        ({"standardize": True}, "standardize=True"),
    ],
)
def test_what_dask_input_cannot_do_is_refused(moons, options, message):
    X, y = moons
    with pytest.raises(ValueError, match=message):
        MixtureClassifier(**options).fit(da.from_array(X, chunks=200), y)


def test_unlabelled_rows_and_bad_labels_are_clear_errors(moons):
    X, y = moons
    Xd = da.from_array(X, chunks=200)
    marked = np.where(np.arange(len(X)) % 7 == 0, -1, (y == "upper").astype(int))
    with pytest.raises(ValueError, match="semi-supervised fit is not available on Dask"):
        MixtureClassifier().fit(Xd, marked)
    with pytest.raises(ValueError, match="at least 2 classes"):
        MixtureClassifier().fit(Xd, np.zeros(len(X), dtype=int))
    with pytest.raises(ValueError, match="to match X"):
        MixtureClassifier().fit(Xd, y[:-1])
