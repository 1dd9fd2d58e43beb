"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models."""

from ._core.covariances import DegenerateComponentWarning
from .mixture import GaussianMixture

__all__ = ["DegenerateComponentWarning", "GaussianMixture"]
__version__ = "0.1.0"
