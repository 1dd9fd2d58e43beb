"""The first M-steps of a Dask sweep in one pass: the statistics of every start's
responsibilities, for every configuration, from one read of each block (what
:meth:`gmmkit.backends.dask.DaskSource.batch_statistics` does for the E-steps).

Imports Dask; used only for Dask input (:mod:`gmmkit.selection.dask_sweep`).
"""

from __future__ import annotations

import itertools

import numpy as np


def initial_statistics(requests) -> list[np.ndarray]:
    r"""The statistics :math:`\sum_i w_i r_{ik} \phi(x_i)` of every request ``(source, resp,
    n_components)`` (Dask sources over the same rows; ``resp`` hard labels or dense, NumPy or
    Dask) from ONE compute: one task per block reads it once, forms each covariance model's
    features once and accumulates every request's statistics; the per-block results are
    tree-summed. The first M-steps of a whole sweep then cost one pass.

    (What :meth:`gmmkit.backends.dask.DaskSource.batch_statistics` does for E-steps; the
    backend may take this over as ``batch_responsibility_statistics``.)
    """
    import dask
    import dask.array as da

    requests = list(requests)
    if not requests:
        return []
    first = requests[0][0]
    X, weight = first.X, first.sample_weight
    for source, _, _ in requests:
        if source.X.name != X.name or (source.sample_weight is None) != (weight is None) or (
                weight is not None and source.sample_weight.name != weight.name):
            raise ValueError("initial_statistics needs sources over the same rows and weights")
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(int)
    models: dict[int, tuple] = {}
    jobs = []  # per request: (model key, n_components, per-block responsibilities)
    for source, resp, n_components in requests:
        key = id(source)
        models.setdefault(key, (source.model, source.shift))
        if isinstance(resp, da.Array):
            resp = resp.rechunk((X.chunks[0],) + tuple((width,) for width in resp.shape[1:]))
            pieces = resp.to_delayed(optimize_graph=False).ravel().tolist()
        else:
            resp = np.asarray(resp)
            pieces = [resp[a:b] for a, b in itertools.pairwise(offsets)]
        jobs.append((key, n_components, pieces))
    blocks = X.to_delayed(optimize_graph=False).ravel().tolist()
    weights = ([None] * len(blocks) if weight is None
               else weight.to_delayed(optimize_graph=False).ravel().tolist())
    parts = [dask.delayed(_block_initial_statistics, pure=True)(
        block, w, models, [(key, k, pieces[b]) for key, k, pieces in jobs])
        for b, (block, w) in enumerate(zip(blocks, weights))]
    while len(parts) > 1:
        parts = [dask.delayed(_add_lists, pure=True)(*parts[i:i + 8])
                 for i in range(0, len(parts), 8)]
    (answers,) = dask.compute(parts[0])
    return answers


def _block_initial_statistics(block, weight, models, jobs) -> list[np.ndarray]:
    from .._core.estep import chunk_features, chunk_responsibility_statistics

    features, results = {}, []
    for key, n_components, resp in jobs:
        model, shift = models[key]
        if block.shape[0] == 0:
            results.append(np.zeros((n_components, model.n_stats)))
            continue
        if key not in features:
            phi_t = chunk_features(model, block, shift)
            features[key] = (phi_t, np.ascontiguousarray(phi_t.T))
        phi_t, rows_major = features[key]
        results.append(chunk_responsibility_statistics(np.asarray(resp), phi_t, weight,
                                                       n_components, lambda rows=rows_major: rows))
    return results


def _add_lists(*parts):
    return [sum((part[j] for part in parts[1:]), parts[0][j]) for j in range(len(parts[0]))]
