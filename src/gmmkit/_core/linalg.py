"""Batched dense linear algebra shared by the covariance models and conditioning."""

from __future__ import annotations

import numpy as np

LOG_2PI = np.log(2.0 * np.pi)


def _lower_inverse(chol: np.ndarray) -> np.ndarray:
    r"""Inverse of a stack of lower-triangular matrices, kept exactly lower-triangular.

    Blockwise, :math:`\begin{pmatrix}A&0\\B&C\end{pmatrix}^{-1} =
    \begin{pmatrix}A^{-1}&0\\-C^{-1}BA^{-1}&C^{-1}\end{pmatrix}`, recursing on the halves
    down to blocks of :data:`_LEAF_SIZE`, which :func:`_lower_inverse_by_rows` inverts; all the work
    is batched over the whole stack instead of one LAPACK call per matrix.
    """
    d = chol.shape[-1]
    if d <= _LEAF_SIZE:
        return _lower_inverse_by_rows(chol)
    half = d // 2
    upper_inv = _lower_inverse(chol[..., :half, :half])
    lower_inv = _lower_inverse(chol[..., half:, half:])
    out = np.empty_like(chol)
    out[..., :half, half:] = 0.0
    out[..., :half, :half] = upper_inv
    out[..., half:, half:] = lower_inv
    out[..., half:, :half] = -(lower_inv @ chol[..., half:, :half]) @ upper_inv
    return out


#: Triangular blocks up to this size are inverted row by row (measured fastest at d = 41).
_LEAF_SIZE = 16


def _lower_inverse_by_rows(chol: np.ndarray) -> np.ndarray:
    r"""Forward substitution :math:`L X = I` one row at a time, batched over the stack:
    :math:`X_{j,:j+1} = (e_j - L_{j,:j} X_{:j,:j+1}) / L_{jj}`."""
    d = chol.shape[-1]
    out = np.zeros_like(chol)
    inverse_diagonal = 1.0 / np.diagonal(chol, axis1=-2, axis2=-1)
    for j in range(d):
        row = -np.matmul(chol[..., j : j + 1, :j], out[..., :j, : j + 1])[..., 0, :]
        row[..., j] += 1.0
        out[..., j, : j + 1] = row * inverse_diagonal[..., j, None]
    return out
