"""One root seed per run, from which every replicate's seed is spawned up front, so that
results never depend on how the replicates are scheduled (``n_jobs``)."""

from __future__ import annotations

import numbers

import numpy as np


def seed_sequence(random_state) -> np.random.SeedSequence:
    """The root of the replicates' seeds: from an int directly, from fresh entropy for None,
    from entropy drawn off a RandomState or Generator."""
    if random_state is None or (
        isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    ):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return np.random.SeedSequence(None if random_state is None else int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**32, size=4, dtype=np.uint64))
    raise TypeError(
        f"random_state must be None, an int, a RandomState or a Generator, got "
        f"{random_state!r} of type {type(random_state).__name__}"
    )
