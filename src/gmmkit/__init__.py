"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from ._core.covariances import DegenerateComponentWarning
from .mixture import GaussianMixture
from .persistence import load, save
from .selection import GaussianMixtureSelector, SelectionResult, aic_scorer, bic_scorer, select

__all__ = [
    "DegenerateComponentWarning",
    "GaussianMixture",
    "GaussianMixtureSelector",
    "SelectionResult",
    "aic_scorer",
    "bic_scorer",
    "load",
    "save",
    "select",
]
__version__ = "0.1.0"
