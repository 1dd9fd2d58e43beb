"""gmmkit.GaussianMixture passes scikit-learn's own estimator checks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gmmkit import GaussianMixture


@parametrize_with_checks(
    [GaussianMixture(), GaussianMixture(covariance_type="diag")],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
