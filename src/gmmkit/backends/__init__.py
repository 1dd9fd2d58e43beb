"""Feature-source implementations (the backend seam, :mod:`gmmkit._core.source`).

:mod:`gmmkit.backends.numpy` serves in-memory arrays; a Dask source (data past one machine's
memory) and a torch source (an accelerator) will sit beside it, each one module.
"""
