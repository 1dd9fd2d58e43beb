"""gmmkit follows scikit-learn's EM iterates and initialisation, to high precision."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from gmmkit import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_blas_thread")

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
N_COMPONENTS = 5
N_ITER = 50

#: dtype -> (relative tolerance on lower bounds, relative tolerance on parameters)
TOLERANCES = {np.float64: (1e-8, 1e-7), np.float32: (1e-4, 1e-4)}


def _fit_quietly(estimator, X, **fit_params):
    # Iterating with tol=0 never converges: the ConvergenceWarning is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, **fit_params)


@pytest.mark.parametrize("offset", [0.0, 1e4], ids=["centred", "offset1e4"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_em_iterates_match_sklearn_from_same_initial_parameters(
    moons4d, covariance_type, dtype, offset
):
    """50 EM iterations (tol=0) from one starting point give scikit-learn's lower bounds and fit.

    Reference subtleties:

    * gmmkit sees ``Xd = (X + offset).astype(dtype)``. With ``float32`` and ``offset=1e4`` the
      storage itself rounds every point (to about 1e-3), so the reference must be computed on
      exactly those rounded points: ``Xref = Xd.astype(float64) - offset``.
    * The reference runs in float64 on the *centred* ``Xref``: scikit-learn's own diag and
      spherical covariance formulas (``E[x^2] - mean^2``) lose digits on data far from the
      origin, so running it on the offset data would make the reference, not gmmkit, inaccurate.
      EM is translation equivariant, so the fits differ only by the offset.
    * Both start from scikit-learn's ``max_iter=0`` parameters on ``Xref`` (weights, means,
      precisions); gmmkit's ``means_init`` is those means plus ``offset``.
    """
    Xd = (moons4d + offset).astype(dtype)
    Xref = Xd.astype(np.float64) - offset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init = SklearnGaussianMixture(
            N_COMPONENTS, covariance_type=covariance_type, max_iter=0, random_state=0
        ).fit(Xref)
    common = dict(
        covariance_type=covariance_type,
        max_iter=N_ITER,
        tol=0.0,
        weights_init=init.weights_,
        precisions_init=init.precisions_,
    )
    reference = _fit_quietly(
        SklearnGaussianMixture(N_COMPONENTS, means_init=init.means_, **common), Xref
    )
    fitted = _fit_quietly(
        GaussianMixture(N_COMPONENTS, means_init=init.means_ + offset, **common), Xd
    )

    bound_rtol, param_rtol = TOLERANCES[dtype]
    assert len(fitted.lower_bounds_) == N_ITER
    np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=bound_rtol)
    np.testing.assert_allclose(fitted.lower_bound_, reference.lower_bound_, rtol=bound_rtol)
    np.testing.assert_allclose(fitted.weights_, reference.weights_, rtol=param_rtol, atol=1e-12)
    # Means are stored in the input dtype: allow the rounding of a value of size `offset`.
    means_atol = param_rtol + 4 * float(np.spacing(dtype(1.0 + offset)))
    np.testing.assert_allclose(
        fitted.means_.astype(np.float64) - offset,
        reference.means_,
        rtol=param_rtol,
        atol=means_atol,
    )
    covariance_atol = param_rtol * float(np.abs(reference.covariances_).max())
    np.testing.assert_allclose(
        fitted.covariances_, reference.covariances_, rtol=param_rtol, atol=covariance_atol
    )


# Seeding initialisations put one data point per component; with `tied`, scikit-learn's first
# covariance is then not translation invariant and gmmkit deliberately differs (not compared).
SAME_STREAM_CASES = [
    (covariance_type, init_params)
    for covariance_type in COVARIANCE_TYPES
    for init_params in ("kmeans", "random", "random_from_data", "k-means++")
    if not (covariance_type == "tied" and init_params in ("random_from_data", "k-means++"))
]


@pytest.mark.parametrize("covariance_type, init_params", SAME_STREAM_CASES)
def test_same_random_state_gives_sklearn_result(moons4d, covariance_type, init_params):
    """With the same ``random_state`` the initialisation draws follow scikit-learn's random
    stream, so the whole fit (lower bound, iterations, labels) is scikit-learn's."""
    options = dict(covariance_type=covariance_type, init_params=init_params, random_state=0)
    reference = _fit_quietly(SklearnGaussianMixture(N_COMPONENTS, **options), moons4d)
    fitted = _fit_quietly(GaussianMixture(N_COMPONENTS, **options), moons4d)

    np.testing.assert_allclose(fitted.lower_bound_, reference.lower_bound_, rtol=1e-8)
    assert fitted.n_iter_ == reference.n_iter_
    assert fitted.converged_ == reference.converged_
    np.testing.assert_array_equal(fitted.predict(moons4d), reference.predict(moons4d))


def test_default_kmeans_init_matches_sklearn_for_full_covariance(moons4d):
    """The default estimator (full covariance, k-means init) reproduces scikit-learn's fit."""
    reference = _fit_quietly(SklearnGaussianMixture(N_COMPONENTS, random_state=0), moons4d)
    fitted = _fit_quietly(GaussianMixture(N_COMPONENTS, random_state=0), moons4d)

    np.testing.assert_allclose(fitted.lower_bound_, reference.lower_bound_, rtol=1e-8)
    np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=1e-8)
    np.testing.assert_array_equal(fitted.predict(moons4d), reference.predict(moons4d))
    np.testing.assert_allclose(fitted.means_, reference.means_, rtol=1e-7, atol=1e-9)


def test_n_init_keeps_the_same_run_as_sklearn(moons4d):
    """With ``n_init > 1`` both libraries draw the same initialisations and keep the same best."""
    options = dict(n_init=3, covariance_type="diag", random_state=1)
    reference = _fit_quietly(SklearnGaussianMixture(N_COMPONENTS, **options), moons4d)
    fitted = _fit_quietly(GaussianMixture(N_COMPONENTS, **options), moons4d)

    np.testing.assert_allclose(fitted.lower_bound_, reference.lower_bound_, rtol=1e-8)
    np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=1e-8)
    np.testing.assert_array_equal(fitted.predict(moons4d), reference.predict(moons4d))


def test_score_samples_and_predict_proba_match_sklearn(moons4d, covariance_type):
    """Inference with identical parameters gives scikit-learn's densities and responsibilities."""
    reference = _fit_quietly(
        SklearnGaussianMixture(3, covariance_type=covariance_type, random_state=0), moons4d
    )
    fitted = _fit_quietly(
        GaussianMixture(3, covariance_type=covariance_type, random_state=0), moons4d
    )
    np.testing.assert_allclose(
        fitted.score_samples(moons4d), reference.score_samples(moons4d), rtol=1e-9
    )
    np.testing.assert_allclose(
        fitted.predict_proba(moons4d), reference.predict_proba(moons4d), rtol=1e-7, atol=1e-10
    )
    np.testing.assert_allclose(fitted.score(moons4d), reference.score(moons4d), rtol=1e-10)


@pytest.mark.parametrize(
    "given",
    [("weights_init",), ("means_init",), ("precisions_init",), ("weights_init", "means_init")],
    ids=lambda names: "+".join(name.removesuffix("_init") for name in names),
)
def test_partial_initial_parameters_match_sklearn(moons4d, covariance_type, given):
    """Initial parameters that are given replace those of the k-means start, as in scikit-learn."""
    start = _fit_quietly(
        SklearnGaussianMixture(
            N_COMPONENTS, covariance_type=covariance_type, max_iter=0, random_state=3
        ),
        moons4d,
    )
    values = {
        "weights_init": start.weights_,
        "means_init": start.means_,
        "precisions_init": start.precisions_,
    }
    options = dict(
        covariance_type=covariance_type, random_state=0, **{name: values[name] for name in given}
    )
    reference = _fit_quietly(SklearnGaussianMixture(N_COMPONENTS, **options), moons4d)
    fitted = _fit_quietly(GaussianMixture(N_COMPONENTS, **options), moons4d)

    assert fitted.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=1e-8)


@pytest.fixture(scope="module")
def separated_blobs():
    """30 tight blobs spread over a wide box: almost every responsibility underflows to 0."""
    X, _ = make_blobs(
        n_samples=600,
        centers=30,
        n_features=3,
        center_box=(-200.0, 200.0),
        cluster_std=1.0,
        random_state=0,
    )
    return X


def test_em_iterates_match_sklearn_when_responsibilities_underflow(
    separated_blobs, covariance_type
):
    """With many well-separated components (over 95% of responsibilities exactly zero) the
    iterates are still scikit-learn's."""
    X, n_components = separated_blobs, 30
    start = _fit_quietly(
        SklearnGaussianMixture(
            n_components, covariance_type=covariance_type, max_iter=0, random_state=0
        ),
        X,
    )
    options = dict(
        covariance_type=covariance_type,
        max_iter=20,
        tol=0.0,
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
    )
    reference = _fit_quietly(SklearnGaussianMixture(n_components, **options), X)
    fitted = _fit_quietly(GaussianMixture(n_components, **options), X)

    assert (reference.predict_proba(X) == 0).mean() > 0.95  # the regime this test is about
    np.testing.assert_allclose(fitted.lower_bounds_, reference.lower_bounds_, rtol=1e-8)
    np.testing.assert_allclose(fitted.means_, reference.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fitted.covariances_, reference.covariances_, rtol=1e-7, atol=1e-9)


def test_weighted_fit_equals_repeated_rows_when_responsibilities_underflow(separated_blobs):
    X = separated_blobs
    start = _fit_quietly(SklearnGaussianMixture(30, max_iter=0, random_state=0), X)
    options = dict(
        max_iter=20,
        tol=0.0,
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
    )
    weights = np.random.RandomState(0).randint(1, 4, size=len(X))
    weighted = _fit_quietly(GaussianMixture(30, **options), X, sample_weight=weights)
    repeated = _fit_quietly(GaussianMixture(30, **options), np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(weighted.lower_bounds_, repeated.lower_bounds_, rtol=1e-10)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-10, atol=1e-10)
