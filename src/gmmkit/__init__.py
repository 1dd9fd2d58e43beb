"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from . import evaluation
from ._config import config_context, get_config, set_config
from ._core.covariances import DegenerateComponentWarning
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
    "DegenerateComponentWarning",
    "GaussianMixture",
    "GaussianMixtureRegressor",
    "GaussianMixtureSelector",
    "LatentMixture",
    "MixtureClassifier",
    "SelectionResult",
    "SmallClassWarning",
    "aic_scorer",
    "bic_scorer",
    "config_context",
    "evaluation",
    "get_config",
    "load",
    "save",
    "select",
    "set_config",
]
