"""gmmkit's version: the one place it is written.

``pyproject.toml`` reads it from here (``[tool.setuptools.dynamic]``) without importing gmmkit;
``gmmkit.__version__`` re-exports it.
"""

__version__ = "0.1.0"
