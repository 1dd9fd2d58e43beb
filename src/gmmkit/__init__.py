"""gmmkit: fast, scikit-learn-compatible Gaussian mixture models.

The public names are imported on first use (PEP 562), so that ``gmmkit --help`` and the other
light paths through the command line never import scipy or scikit-learn: the console script
``gmmkit.cli:main`` imports this package as its parent.
"""

import importlib

from ._version import __version__ as __version__

#: Public name -> the module that defines it (a name that is itself a module maps to None).
_EXPORTS = {
    "ComponentClassifier": ".classification",
    "ConjugatePrior": "._core.prior",
    "CovarianceModel": "._core.covariances",
    "DegenerateComponentWarning": "._core.covariances",
    "GaussianMixture": ".mixture",
    "GaussianMixtureRegressor": ".regression",
    "GaussianMixtureSelector": ".selection",
    "LatentMixture": ".generation",
    "MStepContext": "._core.covariances",
    "MixtureClassifier": ".classification",
    "SelectionRangeWarning": ".selection",
    "SelectionResult": ".selection",
    "SmallClassWarning": ".classification",
    "IllPosedWarning": ".classification",
    "BootstrapLRTResult": ".inference.lrt",
    "BootstrapResult": ".inference.bootstrap",
    "BootstrapWarning": ".inference.bootstrap",
    "aic_scorer": ".selection",
    "bic_scorer": ".selection",
    "bootstrap": ".inference.bootstrap",
    "bootstrap_lrt": ".inference.lrt",
    "config_context": "._config",
    "covariance_types": "._core.covariances",
    "discriminant": None,
    "evaluation": None,
    "get_config": "._config",
    "inference": None,
    "load": ".persistence",
    "register_covariance_model": "._core.covariances",
    "save": ".persistence",
    "select": ".selection",
    "semisupervised": None,
    "set_config": "._config",
    "unregister_covariance_model": "._core.covariances",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        module = _EXPORTS[name]
        value = (
            importlib.import_module(f".{name}", __name__)
            if module is None
            else getattr(importlib.import_module(module, __name__), name)
        )
        globals()[name] = value  # later lookups skip this function
        return value
    # A submodule not yet imported (``gmmkit.mixture`` after a bare ``import gmmkit``), as when
    # this package imported every module eagerly.
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
