"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from ._core.covariances import DegenerateComponentWarning
from .mixture import GaussianMixture
from .persistence import load, save

__all__ = ["DegenerateComponentWarning", "GaussianMixture", "load", "save"]
__version__ = "0.1.0"
