"""Feature-source implementations (the backend seam, :mod:`gmmkit._core.source`).

:mod:`gmmkit.backends.numpy` serves in-memory arrays; :mod:`gmmkit.backends.dask` serves Dask
arrays (data past one machine's memory, or on a cluster; imported only when used); a torch
source (an accelerator) will sit beside them, each one module.
"""
