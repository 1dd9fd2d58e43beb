r""":class:`gmmkit.MixtureClassifier` on Dask input: ``fit``, ``predict``, ``predict_proba``,
``predict_log_proba``, ``score_samples`` and ``score`` with ``X`` a Dask array or DataFrame and
``y`` a Dask or NumPy array.

``fit`` reads the labels once (their distinct values and each class's total weight, one
compute), then fits every class's mixture on that class's rows, selected lazily with a boolean
mask ``X[y == c]``, through the Dask engine (:meth:`gmmkit.GaussianMixture.fit`, or
:func:`gmmkit.select` in lockstep where the class's settings leave a choice). Each class's rows
are counted once more per class (Dask learns the sizes of a masked array's blocks so). From
the same starts the mixtures are the in-memory ones to rounding: with at most
:data:`gmmkit.backends.dask.KMEANS_SAMPLE_SIZE` rows in a class, its k-means start is the
in-memory one.

Predictions are lazy Dask arrays with the input's row chunks: the joint log-likelihood
:math:`\log \pi_c + \log p(x_i \mid c)` stacks every class's lazy log-densities, and
Bayes' rule and the argmax run block by block. ``score`` (the accuracy) is one compute.

Not available on Dask input (a ``ValueError`` before any pass): rows marked ``unlabeled``
(the semi-supervised fit), ``mode='edda'`` and ``standardize``. A ``prior`` is resolved from
each class's rows, as in memory, by the engine (from their moments).

This module imports Dask; it is imported only for Dask input.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from scipy.special import logsumexp

from ._dask_input import as_dask_array, is_dask_collection, rows_to_predict


def fit_on_dask(classifier, X, y, sample_weight=None):
    """:meth:`MixtureClassifier.fit` on Dask input (see the module docstring); returns the
    fitted ``classifier``."""
    from .backends.dask import as_rows, as_weights
    from .classification import (
        _MIXTURE_PARAMS,
        _check_components_dict,
        _fit_mixture,
        _label,
        _marks,
        _seeds,
    )
    from .discriminant import check_class_settings, class_setting

    _refuse_unsupported(classifier)
    if isinstance(classifier.n_components, dict):
        _check_components_dict(classifier.n_components)
    if isinstance(classifier.covariance_type, dict):
        check_class_settings(classifier.covariance_type, "covariance_type")
    X, names = as_dask_array(X) if is_dask_collection(X) else (_as_lazy(X), None)
    X = as_rows(X)
    y = _labels_like(y, X)
    weight = as_weights(sample_weight, X)
    classes = np.asarray(da.unique(y).compute())
    if not len(classes):
        raise ValueError("y has no labels")
    marked = _marks(classes, classifier.unlabeled)
    if marked.any():
        raise ValueError(
            f"y has rows marked unlabeled ({classifier.unlabeled!r}): the "
            "semi-supervised fit is not available on Dask input; drop those rows, "
            "or set unlabeled to a value outside your labels to use "
            f"{_label(classes[marked][0])!r} as a class"
        )
    if len(classes) < 2:
        raise ValueError(
            f"MixtureClassifier needs at least 2 classes in y, got 1 class ({_label(classes[0])!r})"
        )
    masks = [y == label for label in classes]
    counts, class_weight = dask.compute(
        [mask.sum() for mask in masks],
        [mask.sum() if weight is None else weight[mask].sum() for mask in masks],
    )
    class_weight = np.asarray(class_weight, dtype=np.float64)
    empty = np.flatnonzero(class_weight <= 0)
    if empty.size:
        raise ValueError(
            f"class {_label(classes[empty[0]])!r} has zero total sample_weight: "
            "drop its rows or give them a positive weight"
        )
    classifier.classes_ = classes
    classifier.class_prior_ = classifier._class_priors(class_weight)
    if isinstance(classifier.n_components, dict):
        extra = [c for c in classifier.n_components if c not in set(classes.tolist())]
        if extra:
            raise ValueError(
                f"n_components names label(s) {extra} that are not classes in y "
                f"({classes.tolist()}; a class needs labelled rows)"
            )
    params = {name: getattr(classifier, name) for name in (*_MIXTURE_PARAMS, "prior")}
    seeds = _seeds(classifier.random_state, len(classes))
    for name in ("covariance_type_", "model_table_", "lower_bounds_"):  # other modes' fits
        vars(classifier).pop(name, None)
    classifier.mixtures_ = []
    for j, label in enumerate(classes):
        k = classifier._class_components(label, int(counts[j]))
        rows = X[masks[j]].compute_chunk_sizes()
        w = None if weight is None else weight[masks[j]].compute_chunk_sizes()
        class_params = {
            **params,
            "covariance_type": class_setting(
                classifier.covariance_type, _label(label), "covariance_type", classes
            ),
        }
        classifier.mixtures_.append(
            _fit_mixture(
                rows, w, k, classifier.max_components, class_params, seeds[j], classifier.criterion
            )
        )
    mixtures = classifier.mixtures_
    classifier.covariance_types_ = [m.covariance_type for m in mixtures]
    classifier.n_components_ = np.array([m.n_components for m in mixtures])
    classifier.n_iter_ = np.array([m.n_iter_ for m in mixtures])
    classifier.converged_ = bool(all(m.converged_ for m in mixtures))
    estimated = (
        len(classes) - 1
        if isinstance(classifier.priors, str) and classifier.priors == "empirical"
        else 0
    )
    classifier.n_parameters_ = int(sum(m.n_parameters_ for m in mixtures) + estimated)
    classifier.n_features_in_ = int(X.shape[1])
    if names is not None:
        classifier.feature_names_in_ = np.asarray(names, dtype=object)
    else:
        vars(classifier).pop("feature_names_in_", None)
    return classifier


def _refuse_unsupported(classifier) -> None:
    refused = {
        "mode": (classifier.mode == "edda", "EDDA's shared covariance models are fitted in memory"),
        "standardize": (
            bool(classifier.standardize),
            "standardize the Dask array first ((X - mean) / std, lazily)",
        ),
    }
    for name, (refuse, why) in refused.items():
        if refuse:
            raise ValueError(
                f"MixtureClassifier on Dask input does not support "
                f"{name}={getattr(classifier, name)!r}: {why}"
            )


def _as_lazy(X):
    """An in-memory ``X`` paired with Dask labels, as a one-block Dask array."""
    X = np.asarray(X)
    return da.from_array(X, chunks=(X.shape[0],) + X.shape[1:])


def _labels_like(y, X):
    """``y`` as a 1-D Dask array with the row chunks of ``X``."""
    if is_dask_collection(y):
        y, _ = as_dask_array(y, "y") if not isinstance(y, da.Array) else (y, None)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if any(np.isnan(size) for size in y.chunks[0]):
            y.compute_chunk_sizes()
    else:
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
        y = da.from_array(y, chunks=(X.chunks[0],))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    return y.rechunk((X.chunks[0],)) if y.chunks[0] != X.chunks[0] else y


# ---------------------------------------------------------------------- prediction
def joint_log_likelihood(classifier, X):
    r""":math:`\log \pi_c + \log p(x_i \mid c)` as a lazy ``(n_samples, n_classes)`` Dask
    array with the row chunks of ``X``."""
    from .mixture import mixture_rows

    X = rows_to_predict(classifier, X)
    with np.errstate(divide="ignore"):
        log_prior = np.log(classifier.class_prior_)
    columns = [mixture_rows(m, X, "log_prob_norm") for m in classifier.mixtures_]
    return da.stack(columns, axis=1).rechunk({1: -1}) + log_prior


def log_normalizer(joint):
    r""":math:`\operatorname{logsumexp}_c` of each row of a lazy joint log-likelihood,
    shape ``(n_samples, 1)``, block by block."""
    return joint.map_blocks(
        logsumexp, axis=1, keepdims=True, dtype=np.float64, chunks=(joint.chunks[0], (1,))
    )


def predicted_classes(classifier, joint):
    """The most probable class of each row of a lazy joint log-likelihood (lazy)."""
    classes = classifier.classes_
    return joint.map_blocks(
        lambda block: classes[block.argmax(axis=1)],
        drop_axis=1,
        dtype=classes.dtype,
        meta=np.empty((0,), classes.dtype),
    )


def accuracy(classifier, X, y, sample_weight=None) -> float:
    """The (weighted) fraction of rows whose predicted class is ``y``, one compute."""
    from .backends.dask import as_weights

    predicted = predicted_classes(classifier, joint_log_likelihood(classifier, X))
    y = _labels_like(y, predicted[:, None])
    hits = (predicted == y).astype(np.float64)
    weight = as_weights(sample_weight, predicted[:, None])
    if weight is None:
        return float(hits.mean().compute())
    right, total = dask.compute((hits * weight).sum(), weight.sum())
    return float(right / total)
