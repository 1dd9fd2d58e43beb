"""Inference on fitted mixtures: how many components the data support
(:func:`~gmmkit.inference.lrt.bootstrap_lrt`, the sequential bootstrap likelihood-ratio test)
and how sure the fitted parameters are (:func:`~gmmkit.inference.bootstrap.bootstrap`:
nonparametric, weighted-likelihood and parametric bootstraps).

Both are exported at the top level as ``gmmkit.bootstrap_lrt`` and ``gmmkit.bootstrap``.
"""

from .bootstrap import BootstrapResult, BootstrapWarning, bootstrap
from .lrt import BootstrapLRTResult, bootstrap_lrt, bootstrap_p_value

__all__ = [
    "BootstrapLRTResult",
    "BootstrapResult",
    "BootstrapWarning",
    "bootstrap",
    "bootstrap_lrt",
    "bootstrap_p_value",
]
