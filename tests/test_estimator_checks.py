"""gmmkit's estimators pass scikit-learn's own estimator checks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gmmkit import (
    ComponentClassifier,
    GaussianMixture,
    GaussianMixtureRegressor,
    LatentMixture,
    MixtureClassifier,
)

#: Checks that cannot apply, and why (the reason is shown when they are reported as xfail).
#: ``check_classifiers_classes`` trains on the labels [-1, 1]: -1 marks unlabelled rows in the
#: semi-supervised convention (see `unlabeled`), leaving one class.
_MINUS_ONE_UNLABELLED = {
    "check_classifiers_classes": "trains on the labels [-1, 1]; -1 marks unlabelled rows "
    "in the semi-supervised convention (see `unlabeled`)",
}
EXPECTED_FAILURES = {
    "ComponentClassifier": _MINUS_ONE_UNLABELLED,
    "MixtureClassifier": _MINUS_ONE_UNLABELLED,
}


#: With several components per mixture, k-means initialisation draws different centres from
#: weighted rows than from repeated rows, and EM stopped at ``tol`` from different starts
#: differs by more than the check's tolerance. (One component, the default, passes.)
#: LatentMixture's PCA is unweighted as well.
RANDOM_START = {
    "check_sample_weight_equivalence_on_dense_data": (
        "k-means initialisation of several components is not invariant to repeating rows"
    ),
}


def _expected_failures(estimator):
    failures = dict(EXPECTED_FAILURES.get(type(estimator).__name__, {}))
    if estimator.get_params().get("n_components", 1) != 1:
        failures.update(RANDOM_START)
    return failures


@parametrize_with_checks(
    [
        GaussianMixture(),
        GaussianMixture(covariance_type="diag"),
        MixtureClassifier(),
        MixtureClassifier(n_components=2, covariance_type="diag"),
        ComponentClassifier(n_components=3),
        LatentMixture(n_components=2, n_latent=1),
        GaussianMixtureRegressor(),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
