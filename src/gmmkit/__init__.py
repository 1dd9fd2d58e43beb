"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from . import evaluation
from ._core.covariances import (
    CovarianceModel,
    DegenerateComponentWarning,
    MStepContext,
    covariance_types,
    register_covariance_model,
    unregister_covariance_model,
)
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
    "covariance_types",
    "evaluation",
    "load",
    "register_covariance_model",
    "save",
    "select",
    "unregister_covariance_model",
]
__version__ = "0.1.0"
