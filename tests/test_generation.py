"""Sampling, closed-form conditioning (Gaussian mixture regression) and the latent generator."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

import gmmkit
from gmmkit import GaussianMixture, LatentMixture

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def three_d():
    rng = np.random.default_rng(0)
    a = rng.multivariate_normal([0, 0, 0], [[1, 0.8, 0.3], [0.8, 2, 0.5], [0.3, 0.5, 1]], 400)
    b = rng.multivariate_normal([5, 5, 1], [[1, -0.5, 0], [-0.5, 1, 0], [0, 0, 0.5]], 400)
    return np.r_[a, b]


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def _full_covariances(gm):
    K, d = gm.means_.shape
    cov = gm.covariances_
    if gm.covariance_type == "full":
        return cov
    if gm.covariance_type == "tied":
        return np.broadcast_to(cov, (K, d, d))
    if gm.covariance_type == "diag":
        return np.einsum("kd,de->kde", cov, np.eye(d))
    return cov[:, None, None] * np.eye(d)


def _known_mixture(covariance_type):
    """A GaussianMixture with hand-set parameters, as if fitted."""
    gm = GaussianMixture(2, covariance_type=covariance_type).fit(
        np.random.RandomState(0).normal(size=(50, 2))
    )
    gm.weights_ = np.array([0.3, 0.7])
    gm.means_ = np.array([[-4.0, 1.0], [3.0, -2.0]])
    full = np.array([[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.8]]])
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": np.array([[1.0, 2.0], [0.5, 0.8]]),
        "spherical": np.array([1.5, 0.6]),
    }[covariance_type]
    gm.covariances_ = covariances
    model_gm = GaussianMixture(2, covariance_type=covariance_type)
    # precisions from the covariances, through the same code path as a fit
    from gmmkit._core.covariances import covariance_model

    model = covariance_model(covariance_type, 2)
    gm.precisions_cholesky_ = model.precision_cholesky(covariances)
    gm.precisions_ = model.precisions(gm.precisions_cholesky_)
    del model_gm
    return gm


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_samples_of_a_known_mixture_recover_its_weights_and_moments(covariance_type):
    gm = _known_mixture(covariance_type)
    X, labels = gm.sample(60_000, random_state=0)
    full = _full_covariances(gm)
    for k in range(2):
        rows = X[labels == k]
        assert abs(len(rows) / len(X) - gm.weights_[k]) < 0.01
        np.testing.assert_allclose(rows.mean(axis=0), gm.means_[k], atol=0.03)
        np.testing.assert_allclose(np.cov(rows.T), full[k], atol=0.05)


def test_conditioning_matches_the_analytic_bivariate_gaussian():
    # one component: x_b | x_a = a is N(mu_b + rho s_b / s_a (a - mu_a), s_b^2 (1 - rho^2))
    mu, s_a, s_b, rho = np.array([1.0, -2.0]), 1.5, 0.7, 0.6
    cov = np.array([[s_a**2, rho * s_a * s_b], [rho * s_a * s_b, s_b**2]])
    X = np.random.default_rng(1).multivariate_normal(mu, cov, 200)
    gm = GaussianMixture(1).fit(X)
    gm.means_, gm.covariances_ = mu[None], cov[None]
    gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(cov))[None]
    gm.precisions_ = np.linalg.inv(cov)[None]
    a = 2.5
    conditional = gm.condition([a], given=0)
    assert conditional.n_features_in_ == 1
    np.testing.assert_allclose(
        conditional.means_[0, 0], mu[1] + rho * s_b / s_a * (a - mu[0]), rtol=1e-12
    )
    np.testing.assert_allclose(conditional.covariances_[0, 0, 0], s_b**2 * (1 - rho**2), rtol=1e-12)
    np.testing.assert_allclose(
        gm.conditional_mean([[a], [0.0]], 0)[:, 0],
        mu[1] + rho * s_b / s_a * (np.array([a, 0.0]) - mu[0]),
        rtol=1e-12,
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_conditional_density_is_joint_over_marginal(three_d, covariance_type):
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(three_d)
    given = [0, 2]
    a = np.array([1.0, 0.5])
    conditional = gm.condition(a, given=given)
    b = np.random.default_rng(2).normal(size=(7, 1)) * 2
    joint = gm.score_samples(np.c_[np.full(7, a[0]), b, np.full(7, a[1])])
    full = _full_covariances(gm)
    marginal = logsumexp(
        [
            np.log(gm.weights_[k])
            + multivariate_normal(gm.means_[k, given], full[k][np.ix_(given, given)]).logpdf(a)
            for k in range(2)
        ]
    )
    np.testing.assert_allclose(conditional.score_samples(b), joint - marginal, atol=1e-10)
    assert conditional.covariance_type == covariance_type
    np.testing.assert_allclose(conditional.weights_.sum(), 1.0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_conditional_samples_have_the_conditional_mean_and_variance(three_d, covariance_type):
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(three_d)
    values = np.full((40_000, 1), 2.0)
    draws, labels = gm.sample_conditional(values, given=[1], random_state=3)
    conditional = gm.condition([2.0], given=[1])
    reference, _ = conditional.sample(40_000, random_state=4)
    assert draws.shape == (40_000, 2) and labels.shape == (40_000,)
    mean = gm.conditional_mean(values[:1], given=[1])[0]
    stderr = draws.std(axis=0) / np.sqrt(len(draws))
    assert (np.abs(draws.mean(axis=0) - mean) < 5 * stderr).all()
    np.testing.assert_allclose(np.cov(draws.T), np.cov(reference.T), rtol=0.05, atol=0.01)


def test_conditional_mean_of_one_gaussian_is_linear_regression():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 3.0 + 0.1 * rng.normal(size=2000)
    gm = GaussianMixture(1, reg_covar=0.0).fit(np.c_[X, y])
    from sklearn.linear_model import LinearRegression

    expected = LinearRegression().fit(X, y).predict(X[:50])
    np.testing.assert_allclose(
        gm.conditional_mean(X[:50], given=[0, 1, 2])[:, 0], expected, rtol=1e-8, atol=1e-8
    )


def test_conditional_mean_is_chunked_without_changing_the_result(three_d):
    gm = GaussianMixture(3, random_state=0).fit(three_d)
    whole = gm.conditional_mean(three_d[:, :1], given=0)
    rows_of_7 = 7 * 8 * 3 * 3 / 2**20  # MiB: 7 rows of (K=3, d=3) float64 temporaries
    with gmmkit.config_context(working_memory=rows_of_7):
        assert gm._conditioning_rows() == 7
        np.testing.assert_allclose(gm.conditional_mean(three_d[:, :1], given=0), whole, rtol=1e-13)


def test_condition_by_feature_name_on_a_dataframe_model(three_d):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(three_d, columns=["height", "weight", "age"])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    by_name = gm.condition([1.0], given="weight")
    by_index = gm.condition([1.0], given=[1])
    assert by_name.feature_names_in_.tolist() == ["height", "age"]
    np.testing.assert_allclose(by_name.means_, by_index.means_)


def test_conditioned_mixture_round_trips_through_save_and_load(three_d, tmp_path):
    conditional = GaussianMixture(2, random_state=0).fit(three_d).condition([0.0], given=[2])
    gmmkit.save(conditional, tmp_path / "conditional.gmm")
    again = gmmkit.load(tmp_path / "conditional.gmm")
    points = three_d[:20, :2]
    np.testing.assert_array_equal(again.score_samples(points), conditional.score_samples(points))


@pytest.mark.parametrize(
    "given, message",
    [
        ([], "at least one"),
        ([0, 0], "twice"),
        ([0, 1, 2], "nothing is left"),
        ([5], "out of range"),
        (["weight"], "no feature names"),
        ([1.5], "indices or names"),
    ],
)
def test_bad_given_features_are_refused(three_d, given, message):
    gm = GaussianMixture(2, random_state=0).fit(three_d)
    with pytest.raises((ValueError, TypeError), match=message):
        gm.condition([0.0] * max(len(given), 1), given=given)


@pytest.mark.parametrize(
    "values, message",
    [
        ([1.0, 2.0], "shape"),
        ([np.nan], "NaN"),
        (["a"], "numeric"),
    ],
)
def test_bad_conditioning_values_are_refused(three_d, values, message):
    gm = GaussianMixture(2, random_state=0).fit(three_d)
    with pytest.raises((ValueError, TypeError), match=message):
        gm.condition(values, given=[0])


def test_conditional_mean_wants_one_column_per_given_feature(three_d):
    gm = GaussianMixture(2, random_state=0).fit(three_d)
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        gm.conditional_mean(np.zeros((4, 3)), given=[0, 1])


# ---------------------------------------------------------------------- LatentMixture
@pytest.mark.slow
def test_latent_samples_have_the_data_shape_and_stay_in_the_training_range(digits):
    X, _ = digits
    gen = LatentMixture(n_components=5, n_latent=0.9, random_state=0).fit(X)
    images, components = gen.sample(200, random_state=0)
    assert images.shape == (200, 64)
    assert images.min() >= 0.0 and images.max() <= 16.0
    assert set(np.unique(components)) <= set(range(5))
    unclipped = LatentMixture(n_components=5, n_latent=0.9, clip=False, random_state=0).fit(X)
    assert unclipped.sample(200, random_state=0)[0].min() < 0.0


@pytest.mark.slow
def test_class_conditional_generation_draws_the_requested_classes(digits):
    X, y = digits
    gen = LatentMixture(n_components=2, n_latent=0.9, class_conditional=True, random_state=0).fit(
        X, y
    )
    images, labels = gen.sample(30, y=3, random_state=0)
    assert (labels == 3).all()
    from sklearn.linear_model import LogisticRegression

    judge = LogisticRegression(max_iter=2000).fit(X, y)
    assert (judge.predict(images) == 3).mean() > 0.8
    np.testing.assert_array_equal(gen.classes_, np.arange(10))


def test_y_is_ignored_unless_class_conditional(digits):
    X, y = digits
    plain = LatentMixture(n_components=3, n_latent=10, random_state=0).fit(X, y)
    unsupervised = LatentMixture(n_components=3, n_latent=10, random_state=0).fit(X)
    np.testing.assert_array_equal(plain.score_samples(X[:20]), unsupervised.score_samples(X[:20]))
    with pytest.raises(ValueError, match="not class-conditional"):
        plain.sample(3, y=1)
    with pytest.raises(ValueError, match="needs the class labels"):
        LatentMixture(class_conditional=True).fit(X)


@pytest.mark.parametrize("whiten", [False, True])
def test_one_component_latent_density_is_probabilistic_pca(digits, whiten):
    # scikit-learn's PCA.score_samples is the same model with the kept variances divided by
    # n - 1, where EM's maximum-likelihood fit divides by n: swap that one Gaussian factor
    X, _ = digits
    gen = LatentMixture(n_components=1, n_latent=12, whiten=whiten, reg_covar=0.0).fit(X)
    pca = PCA(12).fit(X)
    Z = pca.transform(X)
    unbiased = multivariate_normal(np.zeros(12), np.diag(pca.explained_variance_)).logpdf(Z)
    ml = multivariate_normal(Z.mean(axis=0), np.cov(Z.T, bias=True)).logpdf(Z)
    np.testing.assert_allclose(
        gen.score_samples(X), pca.score_samples(X) - unbiased + ml, rtol=1e-9
    )


@pytest.mark.slow
def test_auto_chooses_the_number_of_components_by_the_criterion(digits):
    X, _ = digits
    gen = LatentMixture(
        n_components="auto", n_latent=5, max_components=6, criterion="bic", random_state=0
    ).fit(X)
    result = gmmkit.select(
        gen.transform(X), n_components=range(1, 7), covariance_type="full", random_state=None
    )
    assert 1 <= gen.mixture_.n_components <= 6
    # the chosen mixture is the BIC minimiser among the candidates it was chosen from
    assert gen.mixture_.bic(gen.transform(X)) <= result.table["bic"].max()


@pytest.mark.parametrize(
    "n_latent, error",
    [
        (0, ValueError),
        (1.0, ValueError),
        (-0.5, ValueError),
        ("half", TypeError),
        (100, ValueError),
    ],
)
def test_bad_latent_sizes_are_refused(digits, n_latent, error):
    X, _ = digits
    with pytest.raises(error, match="n_latent"):
        LatentMixture(n_latent=n_latent).fit(X)


def test_latent_mixture_round_trips_through_save_and_load(digits, tmp_path):
    X, y = digits
    gen = LatentMixture(
        n_components=2, n_latent=8, whiten=True, class_conditional=True, random_state=0
    ).fit(X, y)
    gmmkit.save(gen, tmp_path / "gen.gmm")
    again = gmmkit.load(tmp_path / "gen.gmm")
    np.testing.assert_array_equal(again.score_samples(X[:50]), gen.score_samples(X[:50]))
    np.testing.assert_array_equal(
        again.sample(20, y=4, random_state=1)[0], gen.sample(20, y=4, random_state=1)[0]
    )


def test_latent_transform_and_sample_agree_with_scikit_learn_pca(digits):
    X, _ = digits
    for whiten in (False, True):
        gen = LatentMixture(n_components=1, n_latent=6, whiten=whiten, clip=False).fit(X)
        pca = PCA(6, whiten=whiten).fit(X)
        np.testing.assert_allclose(
            np.abs(gen.transform(X)), np.abs(pca.transform(X)), rtol=1e-7, atol=1e-8
        )
        Z = gen.transform(X[:5])
        np.testing.assert_allclose(
            gen._from_latent(Z), pca.inverse_transform(pca.transform(X[:5])), rtol=1e-7, atol=1e-8
        )


# ---------------------------------------------------------------------- regression
def test_one_component_regressor_is_ordinary_least_squares():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(6)
    X = rng.normal(size=(500, 3))
    Y = X @ rng.normal(size=(3, 2)) + rng.normal(size=(500, 2)) * 0.3
    reg = gmmkit.GaussianMixtureRegressor(reg_covar=0.0).fit(X, Y)
    np.testing.assert_allclose(
        reg.predict(X), LinearRegression().fit(X, Y).predict(X), rtol=1e-8, atol=1e-8
    )
    assert reg.predict(X).shape == (500, 2)
    assert gmmkit.GaussianMixtureRegressor().fit(X, Y[:, 0]).predict(X).shape == (500,)


def test_regressor_fits_a_nonlinear_curve_and_reports_its_noise():
    rng = np.random.RandomState(0)
    x = rng.uniform(-3, 3, size=(1500, 1))
    y = np.sin(2 * x[:, 0]) + 0.1 * rng.normal(size=1500)
    reg = gmmkit.GaussianMixtureRegressor(n_components=10, random_state=0).fit(x, y)
    grid = np.linspace(-2.5, 2.5, 50)[:, None]
    mean, std = reg.predict(grid, return_std=True)
    assert np.abs(mean - np.sin(2 * grid[:, 0])).max() < 0.15
    assert 0.05 < np.median(std) < 0.2
    draws = np.array([reg.sample_y(grid, random_state=seed) for seed in range(400)])
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=5 * std.max() / np.sqrt(400))
    np.testing.assert_allclose(draws.std(axis=0), std, rtol=0.2)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_conditional_variance_matches_the_conditional_mixture(three_d, covariance_type):
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(three_d)
    conditional = gm.condition([1.0], given=[0])
    draws, _ = conditional.sample(200_000, random_state=0)
    np.testing.assert_allclose(
        gm._conditional_variance([[1.0]], [0])[0], draws.var(axis=0), rtol=0.02
    )


def test_regressor_round_trips_through_save_and_load(tmp_path):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] ** 2 + 0.1 * rng.normal(size=200)
    reg = gmmkit.GaussianMixtureRegressor(n_components=4, random_state=0).fit(X, y)
    gmmkit.save(reg, tmp_path / "reg.gmm")
    again = gmmkit.load(tmp_path / "reg.gmm")
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))


def test_component_classifier_samples_rows_with_classes_from_its_map():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(600, centers=[[-6, 0], [0, 0], [6, 0]], random_state=0)
    clf = gmmkit.ComponentClassifier(n_components=3, random_state=0).fit(X, y)
    drawn, labels = clf.sample(3000, random_state=0)
    assert drawn.shape == (3000, 2)
    # the map is nearly one-hot on separated blobs: drawn labels agree with the classifier
    assert (clf.predict(drawn) == labels).mean() > 0.95
    np.testing.assert_array_equal(
        clf.sample(5, random_state=1)[0], clf.sample(5, random_state=1)[0]
    )


def test_component_classifier_generates_a_chosen_class_from_its_components():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(900, centers=[[-6, 0], [0, 0], [6, 0]], random_state=0)
    clf = gmmkit.ComponentClassifier(n_components=6, random_state=0).fit(X, y)
    drawn, labels = clf.sample(500, y=2, random_state=0)
    assert (labels == 2).all()
    assert (clf.predict(drawn) == 2).mean() > 0.95
    with pytest.raises(ValueError, match="does not know"):
        clf.sample(5, y=7)


@pytest.mark.slow
def test_latent_component_map_generates_chosen_digits_with_few_labels(digits):
    X, y = digits
    y_few = np.where(np.arange(len(y)) % 5 == 0, y, -1)  # 20% of the labels
    gen = LatentMixture(
        n_components=30,
        n_latent=20,
        class_conditional="component_map",
        reg_covar=1e-2,
        random_state=0,
    ).fit(X, y_few)
    images, labels = gen.sample(200, y=0, random_state=0)
    assert (labels == 0).all()
    from sklearn.linear_model import LogisticRegression

    judge = LogisticRegression(max_iter=3000).fit(X, y)
    assert (judge.predict(images) == 0).mean() > 0.8
    with pytest.raises(ValueError, match="'class_conditional' parameter of LatentMixture must be"):
        LatentMixture(class_conditional="sometimes").fit(X, y)


@pytest.mark.slow
def test_latent_component_map_passes_its_mapping_on(digits):
    X, y = digits
    gen = LatentMixture(
        n_components=20,
        n_latent=10,
        class_conditional="component_map",
        mapping="majority",
        reg_covar=1e-2,
        random_state=0,
    ).fit(X, y)
    assert gen.mixture_.mapping == "majority"
    proba = gen.mixture_.component_class_proba_
    assert set(np.unique(proba[gen.mixture_.component_labelled_mass_ > 0])) <= {0.0, 1.0}


def test_latent_mixture_on_data_offset_by_1e8_equals_the_unshifted_fit():
    # scikit-learn's covariance PCA solver cancelled every digit of the variances at this
    # offset: scores differed by 20 nats and noise_variance_ by half
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    plain = LatentMixture(3, n_latent=3, random_state=0).fit(X)
    offset = LatentMixture(3, n_latent=3, random_state=0).fit(X + 1e8)
    assert offset.noise_variance_ == pytest.approx(plain.noise_variance_, rel=1e-8)
    np.testing.assert_allclose(offset.score_samples(X + 1e8), plain.score_samples(X), atol=1e-6)


def test_latent_mixture_scores_a_row_off_an_exact_plane_far_below_rows_on_it():
    rng = np.random.default_rng(1)
    plane = np.c_[rng.normal(size=(300, 2)), np.zeros(300)]
    model = LatentMixture(2, n_latent=2, random_state=0).fit(plane)
    assert model.noise_variance_ == 0.0
    on, off = model.score_samples(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    assert off < on - 1e5  # the discarded variance is floored at reg_covar = 1e-6
