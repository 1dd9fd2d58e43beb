"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from . import evaluation
from ._config import config_context, get_config, set_config
from ._core.covariances import (
    CovarianceModel,
    DegenerateComponentWarning,
    MStepContext,
    covariance_types,
    register_covariance_model,
    unregister_covariance_model,
)
from ._version import __version__
from .classification import ComponentClassifier, MixtureClassifier, SmallClassWarning
from .generation import LatentMixture
from .mixture import GaussianMixture
from .persistence import load, save
from .regression import GaussianMixtureRegressor
from .selection import (
    GaussianMixtureSelector,
    SelectionResult,
    aic_scorer,
    bic_scorer,
    select,
)

__all__ = [
    "ComponentClassifier",
    "CovarianceModel",
    "DegenerateComponentWarning",
    "GaussianMixture",
    "GaussianMixtureRegressor",
    "GaussianMixtureSelector",
    "LatentMixture",
    "MStepContext",
    "MixtureClassifier",
    "SelectionResult",
    "SmallClassWarning",
    "aic_scorer",
    "bic_scorer",
    "config_context",
    "covariance_types",
    "evaluation",
    "get_config",
    "load",
    "register_covariance_model",
    "save",
    "select",
    "set_config",
    "unregister_covariance_model",
]
