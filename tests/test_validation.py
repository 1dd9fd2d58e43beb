"""Parameter validation: one set of constraints for every estimator and for ``select``.

The same bad value gets the same :class:`InvalidParameterError` (a ValueError and a TypeError)
with the same message, naming the caller, the parameter and the value, wherever it is given;
``select`` refuses it before it fits anything; and where scikit-learn's ``GaussianMixture`` has a
message for the same mistake, gmmkit's is the same.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.utils._param_validation import InvalidParameterError, make_constraint
from sklearn.utils.estimator_checks import check_param_validation

import gmmkit.mixture
from gmmkit import (
    ComponentClassifier,
    GaussianMixture,
    GaussianMixtureRegressor,
    GaussianMixtureSelector,
    LatentMixture,
    MixtureClassifier,
    _validation,
    select,
    selection,
)
from gmmkit._core import covariances

ESTIMATORS = [
    GaussianMixture,
    MixtureClassifier,
    ComponentClassifier,
    LatentMixture,
    GaussianMixtureRegressor,
    GaussianMixtureSelector,
]

#: (parameter, bad value): every estimator with the parameter, and select, refuse the value.
BAD_VALUES = [
    ("n_components", 0),
    ("n_components", 1.5),
    ("n_components", True),
    ("n_components", "two"),
    ("covariance_type", "banded"),
    ("covariance_type", None),
    ("tol", -1),
    ("tol", np.nan),
    ("tol", np.inf),
    ("tol", "small"),
    ("reg_covar", -1e-6),
    ("reg_covar", False),
    ("max_iter", -1),
    ("max_iter", 2.5),
    ("n_init", 0),
    ("n_init", 1.5),
    ("init_params", "magic"),
    ("random_state", -1),
    ("random_state", "seed"),
    ("warm_start", "yes"),
    ("accelerate", "yes"),
    ("verbose", -1),
    ("verbose_interval", 0),
    ("criterion", "likelihood"),
    ("max_components", 0),
    ("mapping", "best"),
    ("smoothing", -1.0),
]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(6, 1, (30, 2))]
    return X, np.repeat([0, 1], 30)


def _fit(estimator_class, name, value, data):
    X, y = data
    estimator = estimator_class(**{name: value})
    if estimator_class in (MixtureClassifier, ComponentClassifier, GaussianMixtureRegressor):
        return estimator.fit(X, y)
    return estimator.fit(X)


def _callers_of(name):
    """Every estimator with the parameter ``name``, and select when it has it too."""
    callers = [cls for cls in ESTIMATORS if name in cls._get_param_names()]
    if name in _validation.parameter_constraints("select"):
        callers.append(select)
    return callers


def _error(caller, name, value, data, monkeypatch):
    """The error ``caller`` raises for ``name=value``; no fit may start before it."""

    def never_fit(*args, **kwargs):
        raise AssertionError(f"a fit started before {name}={value!r} was checked")

    monkeypatch.setattr(gmmkit.mixture, "fit_mixture", never_fit)  # every EM run starts here
    with pytest.raises(InvalidParameterError) as excinfo:
        if caller is select:
            select(data[0], **{name: value})
        else:
            _fit(caller, name, value, data)
    return str(excinfo.value)


# ---------------------------------------------------------------------- same mistake, same error
@pytest.mark.parametrize("name, value", BAD_VALUES)
def test_a_bad_value_gets_the_same_error_from_every_caller(data, monkeypatch, name, value):
    # the shared constraint is named first; a caller may only add alternatives after it
    shared = str(make_constraint(_validation.PARAMETERS[name][0]))
    callers = _callers_of(name)
    assert callers, name
    for caller in callers:
        message = _error(caller, name, value, data, monkeypatch)
        assert message.startswith(
            f"The {name!r} parameter of {caller.__name__} must be {shared}"
        ), message
        assert message.endswith(f"Got {value!r} instead."), message


@pytest.mark.parametrize(
    "name, value", [("n_init", 1.5), ("tol", -1), ("reg_covar", -1.0), ("max_iter", 2.5)]
)
def test_gaussian_mixture_and_select_raise_the_same_error_for_the_same_value(
    data, monkeypatch, name, value
):
    from_estimator = _error(GaussianMixture, name, value, data, monkeypatch)
    from_select = _error(select, name, value, data, monkeypatch)
    assert from_select == from_estimator.replace("of GaussianMixture", "of select")


def test_select_takes_the_estimators_starts_and_both_hc_and_kmeans(data, monkeypatch):
    from_estimator = _error(GaussianMixture, "init_params", "magic", data, monkeypatch)
    from_select = _error(select, "init_params", "magic", data, monkeypatch)
    assert "'hc+kmeans'" in from_select and "'hc+kmeans'" not in from_estimator
    assert from_select.startswith(
        from_estimator.split(" or ")[0].split("{")[0].replace("of GaussianMixture", "of select")
    )


def test_n_init_of_one_and_a_half_is_the_same_error_type_for_estimator_and_select(data):
    errors = []
    for run in (
        lambda: GaussianMixture(n_init=1.5).fit(data[0]),
        lambda: select(data[0], n_init=1.5),
    ):
        with pytest.raises(Exception) as excinfo:
            run()
        errors.append(excinfo.value)
    assert [type(error) for error in errors] == [InvalidParameterError] * 2
    assert isinstance(errors[0], ValueError) and isinstance(errors[0], TypeError)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_every_estimator_passes_scikit_learns_parameter_validation_check(estimator_class):
    # every constructor parameter has a constraint, and fit refuses a bad type or value with
    # "The '<name>' parameter of <Estimator> must be ... Got ... instead."
    check_param_validation(estimator_class.__name__, estimator_class())


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_a_shared_parameter_uses_the_shared_constraint(estimator_class):
    for name, constraints in estimator_class._parameter_constraints.items():
        shared = _validation.PARAMETERS[name]
        if shared == "no_validation":
            assert constraints == "no_validation"
        else:
            assert all(a is b for a, b in zip(constraints, shared)), name


def test_select_criteria_are_those_the_sweep_can_rank_by():
    criterion = _validation.parameter_constraints("select")["criterion"]
    names = set().union(*(set(constraint.options) for constraint in criterion))
    assert names == set(selection.CRITERIA)


# ---------------------------------------------------------------------- select checks first
SELECT_BAD_ARGUMENTS = [
    {"tol": -1},
    {"reg_covar": -1.0},
    {"max_iter": -1},
    {"n_init": 1.5},
    {"n_init": 0},
    {"init_params": "magic"},
    {"covariance_type": "banded"},
    {"covariance_type": []},
    {"covariance_type": ["full", "toeplitz"]},
    {"criterion": "likelihood"},
    {"cv": 1},
    {"n_jobs": "all"},
    {"silhouette_samples": 1},
    {"progress": "yes"},
    {"accelerate": "yes"},
    {"warm_start": "yes"},
    {"random_state": -1},
    {"n_components": 2.5},
    {"n_components": [2, 0]},
    {"n_components": []},
]


@pytest.mark.parametrize("kwargs", SELECT_BAD_ARGUMENTS, ids=lambda kwargs: repr(kwargs))
def test_select_refuses_a_bad_argument_before_any_fit(data, monkeypatch, kwargs):
    started = []
    monkeypatch.setattr(selection.api, "run_sweep", lambda *args: started.append(args))
    monkeypatch.setattr(GaussianMixture, "_fit", lambda *args: started.append(args))
    with pytest.raises(InvalidParameterError):
        select(data[0], **kwargs)
    assert started == []


def test_select_with_a_negative_tol_names_it_before_fitting(data, monkeypatch):
    fits = []
    monkeypatch.setattr(GaussianMixture, "_fit", lambda *args: fits.append(args))
    with pytest.raises(
        InvalidParameterError,
        match=re.escape(
            "The 'tol' parameter of select must be a float in the range [0.0, inf). Got -1 instead."
        ),
    ):
        select(data[0], [1, 2], tol=-1)
    assert fits == []


def test_the_selector_reports_its_own_name(data):
    with pytest.raises(InvalidParameterError, match="'tol' parameter of GaussianMixtureSelector"):
        GaussianMixtureSelector(tol=-1).fit(data[0])


# ---------------------------------------------------------------------- registry
class _Banded(covariances.FullCovariance):
    name = "banded"


@pytest.fixture
def banded():
    covariances.register_covariance_model(_Banded)
    yield
    covariances.unregister_covariance_model("banded")


def test_a_covariance_type_registered_after_import_is_accepted(data, banded):
    GaussianMixture(covariance_type="banded")._validate_params()
    _validation.validate_params("select", {"covariance_type": ["full", "banded"]})
    with pytest.raises(InvalidParameterError, match="'banded'}.*Got 'toeplitz' instead"):
        GaussianMixture(covariance_type="toeplitz")._validate_params()


# ---------------------------------------------------------------------- scikit-learn's messages
def _message(make, X):
    with pytest.raises(ValueError) as excinfo, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make().fit(X)
    return str(excinfo.value)


def _sorted_options(message):
    """The message with each ``{'a', 'b'}`` set sorted (scikit-learn lists sets in hash order)."""
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(re.findall(r"'[^']*'", m.group()))), message)


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_components", 0),
        ("n_components", 1.5),
        ("tol", -1),
        ("tol", np.nan),
        ("reg_covar", -1.0),
        ("max_iter", -1),
        ("n_init", 0),
        ("n_init", 1.5),
        ("verbose_interval", 0),
        ("random_state", "seed"),
        ("warm_start", "yes"),
        ("verbose", -1),
    ],
)
def test_parameter_messages_are_scikit_learns(data, name, value):
    ours = _message(lambda: GaussianMixture(**{name: value}), data[0])
    theirs = _message(lambda: SklearnGaussianMixture(**{name: value}), data[0])
    assert _sorted_options(ours) == _sorted_options(theirs)


def test_covariance_type_message_is_scikit_learns_listing_every_name(data):
    ours = _message(lambda: GaussianMixture(covariance_type="banded"), data[0])
    theirs = _message(lambda: SklearnGaussianMixture(covariance_type="banded"), data[0])
    options = r"\{[^}]*\}"
    assert re.sub(options, "{...}", ours) == re.sub(options, "{...}", theirs)
    listed = re.findall(r"'([^']*)'", re.search(options, ours).group())
    assert listed == list(covariances.covariance_types())


def test_init_params_message_is_scikit_learns_with_hc_among_the_choices(data):
    ours = _message(lambda: GaussianMixture(init_params="magic"), data[0])
    theirs = _message(lambda: SklearnGaussianMixture(init_params="magic"), data[0])
    assert "'hc'" in ours
    assert _sorted_options(ours.replace("'hc', ", "").replace(", 'hc'", "")) == _sorted_options(
        theirs
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("weights_init", [0.2, 0.3, 0.5]),
        ("weights_init", [0.3, 0.3]),
        ("means_init", np.zeros((2, 3))),
        ("means_init", np.zeros(2)),
    ],
)
def test_initial_parameter_messages_are_scikit_learns(data, name, value):
    ours = _message(lambda: GaussianMixture(2, **{name: value}), data[0])
    theirs = _message(lambda: SklearnGaussianMixture(2, **{name: value}), data[0])
    assert ours == theirs


def test_weights_outside_the_unit_interval_have_scikit_learns_wording_and_true_extremes(data):
    ours = _message(lambda: GaussianMixture(2, weights_init=[1.5, -0.5]), data[0])
    theirs = _message(lambda: SklearnGaussianMixture(2, weights_init=[1.5, -0.5]), data[0])
    assert ours == (
        "The parameter 'weights' should be in the range [0, 1], but got max value "
        "1.50000, min value -0.50000"
    )
    # scikit-learn prints the minimum as "max value" and the maximum as "min value"
    numbers = r"-?\d+\.\d+"
    assert re.sub(numbers, "#", ours) == re.sub(numbers, "#", theirs)


def _fitted(estimator_class, data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if estimator_class in (MixtureClassifier, ComponentClassifier):
            return estimator_class(2, random_state=0).fit(X, y)
        if estimator_class is LatentMixture:
            return estimator_class(2, n_latent=1, random_state=0).fit(X)
        if estimator_class is GaussianMixtureSelector:
            return estimator_class([1, 2], "full", random_state=0).fit(X)
        return estimator_class(2, random_state=0).fit(X)


SAMPLERS = [
    GaussianMixture,
    MixtureClassifier,
    ComponentClassifier,
    LatentMixture,
    GaussianMixtureSelector,
]


@pytest.mark.parametrize("estimator_class", SAMPLERS)
def test_sampling_zero_rows_has_scikit_learns_message(data, estimator_class):
    with pytest.raises(ValueError) as excinfo:
        _fitted(estimator_class, data).sample(0)
    assert str(excinfo.value) == (
        "Invalid value for 'n_samples': 0 . The sampling requires at least one sample."
    )


def test_sampling_zero_rows_is_worded_as_by_scikit_learn(data):
    sklearn_model = _fitted(SklearnGaussianMixture, data)
    with pytest.raises(ValueError) as excinfo:
        sklearn_model.sample(0)
    # scikit-learn's message shows n_components where n_samples belongs; the wording is the same
    theirs = str(excinfo.value).replace(f"': {sklearn_model.n_components} .", "': 0 .")
    with pytest.raises(ValueError) as excinfo:
        _fitted(GaussianMixture, data).sample(0)
    assert str(excinfo.value) == theirs


@pytest.mark.parametrize("estimator_class", SAMPLERS)
@pytest.mark.parametrize("n_samples", [1.5, True, "3"])
def test_sampling_a_number_of_rows_that_is_not_an_int_is_an_invalid_parameter(
    data, estimator_class, n_samples
):
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'n_samples' parameter of \w+\.sample "
        r"must be an int in the range \[1, inf\)\. Got .* instead\.",
    ):
        _fitted(estimator_class, data).sample(n_samples)
