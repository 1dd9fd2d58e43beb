"""The data the studies run on, each split once into seeded training and held-out test rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split

TEST_SIZE = 0.25
MOONS_NOISE = 0.1
DIGIT_SHAPE = (8, 8)


@dataclass(frozen=True)
class Split:
    """A data set split into training and held-out test rows.

    Attributes
    ----------
    name : str
    X_train, X_test : ndarray of shape (n, n_features)
    y_train, y_test : ndarray of shape (n,) or None
        Labels, when the data have them.
    feature_names : list of str
    """

    name: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None
    y_test: np.ndarray | None
    feature_names: list

    @property
    def n_features(self):
        return self.X_train.shape[1]


def split(name, X, y=None, *, feature_names=None, seed=0, test_size=TEST_SIZE):
    """Split rows into training and held-out test rows, stratified by ``y`` when given.

    Parameters
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), default=None
    feature_names : list of str, default=None
        ``x1, x2, ...`` when None.
    seed : int, default=0
    test_size : float, default=0.25

    Returns
    -------
    Split
    """
    if feature_names is None:
        feature_names = [f"x{j + 1}" for j in range(X.shape[1])]
    if y is None:
        X_train, X_test = train_test_split(X, test_size=test_size, random_state=seed)
        return Split(name, X_train, X_test, None, None, list(feature_names))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    return Split(name, X_train, X_test, y_train, y_test, list(feature_names))


def moons(n_samples, seed):
    """Two interleaved half-circles with Gaussian noise (:data:`MOONS_NOISE`), split.

    Parameters
    ----------
    n_samples : int
        Rows before the split.
    seed : int
        Seeds the data and the split.

    Returns
    -------
    Split
        Features ``x1, x2``; labels 0 and 1, the moon of each row.
    """
    X, y = make_moons(n_samples=n_samples, noise=MOONS_NOISE, random_state=seed)
    return split("two moons", X, y, seed=seed)


def digits(seed):
    """The 1,797 8x8 handwritten digits bundled with scikit-learn (pixels 0..16), split.

    Returns
    -------
    Split
        64 pixel features ``pixel_0 ... pixel_63``, labels 0..9.
    """
    X, y = load_digits(return_X_y=True)
    names = [f"pixel_{j}" for j in range(X.shape[1])]
    return split("digits", X, y, feature_names=names, seed=seed)
