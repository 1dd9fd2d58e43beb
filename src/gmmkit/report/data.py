"""``gmmkit report``: the tour's report machinery on a user's own data."""

from __future__ import annotations

import numbers
import sys
from pathlib import Path

import numpy as np

from .._data import plural
from .._staging import prepare_output_dir
from ..standardizing import SCALE_RATIO_WARNING, scale_ratio
from ..studies import (
    classification,
    clustering,
    datasets,
    discriminant,
    generation,
    lrt,
    selection,
)
from .blocks import FIGURE_DIR
from .builder import Report
from .output import ReportError, check_output_dir, require_matplotlib
from .text import format_summary

#: Fewest rows a report runs on: a quarter is held out, and the two-sample tests need at least
#: five held-out rows.
MIN_ROWS = 20
C2ST_FOLDS = 5


def run_data_report(
    X,
    out_dir,
    *,
    y=None,
    feature_names=None,
    n_components=range(1, 10),
    covariance_type="sklearn",
    cv=5,
    seed=0,
    n_init=1,
    reg_covar=1e-6,
    max_iter=100,
    force=False,
    stream=None,
    progress=False,
    standardize=False,
    lrt_bootstrap=99,
) -> dict:
    """Write the report on ``X`` (and ``y``) into ``out_dir``; print a summary.

    A quarter of the rows (stratified by ``y`` when given, seeded) is held out before any fit.
    Sections: model selection (criteria, silhouette, CV likelihood, the BIC choice and its
    held-out log-likelihood); the chosen mixture (the fitted mixture for two features, a
    principal-component scatter for more, the density for one); classification when ``y`` is
    given (MixtureClassifier and ComponentClassifier against baselines, P(y | x) maps for two
    features) and discriminant analysis (mclust's EDDA and MclustDA over the swept
    covariance types: the chosen models, cross-validated error and Brier score, the held-out
    confusion matrix); without ``y``, the bootstrap likelihood-ratio test for the number of
    components; generation (samples of the chosen mixture against the held-out rows: MMD, C2ST,
    memorisation, per-feature Kolmogorov–Smirnov).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite numbers.
    out_dir : str or Path
        Created if missing; must be empty unless ``force``.
    y : ndarray of shape (n_samples,), default=None
        Class labels (any sortable type); adds the classification section.
    feature_names : list of str, default=None
        Axis and table labels; ``x1, x2, ...`` when None.
    n_components : int or iterable of int, default=range(1, 10)
    covariance_type : 'sklearn', 'all', str or list of str, default='sklearn'
    cv : int or None, default=5
        Folds for the held-out likelihood and the classifiers' accuracy; None skips them.
    seed : int, default=0
    n_init, reg_covar, max_iter : default=1, 1e-6, 100
        EM settings of the sweep's fits (see :func:`gmmkit.select`); the classifiers take the
        chosen mixture's.
    force : bool, default=False
        Replace the report's files in a non-empty ``out_dir``; other files are left alone.
    stream : file-like, default=None
        Where the summary goes; ``sys.stdout`` when None.
    progress : bool, default=False
        Print a line on stderr when each section starts and ends.
    standardize : bool, default=False
        Sweep the standardized training rows (``select(standardize=True)``: each feature
        centred and divided by its standard deviation); the chosen mixture is mapped back
        and answers in the original units. Whatever its value, when the features' standard
        deviations differ by more than :data:`~gmmkit.standardizing.SCALE_RATIO_WARNING`
        (100) times the report says so (in its settings, in the model-selection section and
        on ``stream``) and draws its principal-component view of the chosen mixture on
        standardized features.
    lrt_bootstrap : int, default=99
        Replicates per test of the bootstrap likelihood-ratio test (without ``y``); 0 skips
        the section.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.

    Raises
    ------
    ReportError
        (``gmmkit.tour.TourError``) for an output directory that is in the way, a missing
        matplotlib, or data the report cannot run on (too few rows for the split or the folds,
        more components than training rows, a class too small), before anything is written.
    """
    stream = sys.stdout if stream is None else stream
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force, owned_dirs=(FIGURE_DIR,))
    require_matplotlib("gmmkit report")
    X, y, feature_names = _check_data(X, y, feature_names)
    ks = _check_components(n_components)
    cv = _check_cv(cv)
    if (
        isinstance(lrt_bootstrap, bool)
        or not isinstance(lrt_bootstrap, numbers.Integral)
        or lrt_bootstrap < 0
    ):
        raise ReportError(
            f"lrt_bootstrap must be an integer >= 0 (0 skips the test), got {lrt_bootstrap!r}"
        )
    data = datasets.split("your data", X, y, feature_names=feature_names, seed=seed)
    _check_split(data, ks, cv)
    prepare_output_dir(out_dir)

    settings = {
        "seed": seed,
        "rows": f"{len(X):,} ({len(data.X_train):,} training, {len(data.X_test):,} held out)",
        "features": X.shape[1],
        "labels": (f"{len(np.unique(y))} classes" if y is not None else "none"),
        "components swept": _describe_counts(ks),
        "covariance types": (
            covariance_type if isinstance(covariance_type, str) else ", ".join(covariance_type)
        ),
        "cv folds": cv if cv else "none",
        "EM": f"n_init={n_init}, reg_covar={reg_covar:g}, max_iter={max_iter}",
        "standardized": "yes" if standardize else "no",
    }
    if y is None:
        settings["bootstrap LRT"] = (
            f"{lrt_bootstrap} replicates per test" if lrt_bootstrap else "skipped"
        )
    ratio = scale_ratio(data.X_train)
    scale_warning = _scale_warning(ratio, standardize)
    if scale_warning is not None:
        settings["scale warning"] = scale_warning
    report = Report(
        "gmmkit report: Gaussian mixtures on your data",
        subtitle=(
            f"{len(X):,} rows x {plural(X.shape[1], 'feature')}"
            + (", with class labels" if y is not None else "")
        ),
        settings=settings,
        log=_stderr_line if progress else None,
    )
    sweep = report.run_section(
        selection.add_section,
        data,
        n_components=ks,
        covariance_type=covariance_type,
        cv=cv,
        seed=seed,
        n_init=n_init,
        reg_covar=reg_covar,
        max_iter=max_iter,
        standardize=standardize,
    )
    if scale_warning is not None:
        report.sections[-1].add_text(f"Warning: {scale_warning}")
    chosen = sweep.best_estimator_
    report.run_section(
        clustering.add_model_section,
        chosen,
        data,
        standardized_view=standardize or ratio > SCALE_RATIO_WARNING,
    )
    if y is not None:
        report.run_section(
            classification.add_section,
            data,
            mixture=chosen,
            cv=cv,
            seed=seed,
            max_components=max(ks),
        )
        report.run_section(
            discriminant.add_section,
            data,
            covariance_type=covariance_type,
            max_components=min(max(ks), 5),
            cv=cv,
            seed=seed,
            settings={"n_init": n_init, "reg_covar": reg_covar, "max_iter": max_iter},
        )
    elif lrt_bootstrap:
        report.run_section(
            lrt.add_section,
            data,
            mixture=chosen,
            n_bootstrap=lrt_bootstrap,
            max_components=min(chosen.n_components + 1, max(ks + [2])),
            seed=seed,
            settings={"reg_covar": reg_covar},
        )
    report.run_section(generation.add_section, chosen, data, seed=seed, c2st_folds=C2ST_FOLDS)
    written = report.write(out_dir)
    if scale_warning is not None:
        stream.write(f"warning: {scale_warning}\n")
    stream.write(format_summary(report, written, f"gmmkit report (seed {seed})"))
    return report.metrics()


def _scale_warning(ratio, standardize):
    """What the report says about features whose standard deviations differ ``ratio``
    times; None when they are within :data:`SCALE_RATIO_WARNING` of each other."""
    if ratio <= SCALE_RATIO_WARNING:
        return None
    what = (
        f"the features' standard deviations differ by {ratio:,.0f}x (more than "
        f"{SCALE_RATIO_WARNING:.0f}x)"
    )
    if standardize:
        return (
            f"{what}; the sweep ran on standardized features (--standardize) and the "
            "principal-component view is drawn on them"
        )
    return (
        f"{what}, so the widest features dominate the k-means starts, the diag and "
        "spherical fits and the silhouettes; consider --standardize (standardize=True). "
        "The principal-component view is drawn on standardized features"
    )


def _check_data(X, y, feature_names):
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"X must hold numbers only: {exc}") from None
    if X.ndim != 2 or X.shape[1] == 0:
        raise ReportError(f"X must be a 2-D array of rows x features, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ReportError(
            f"X has {int(np.size(X) - np.isfinite(X).sum())} missing or "
            "infinite values; drop or impute them first"
        )
    if len(X) < MIN_ROWS:
        raise ReportError(
            f"the report needs at least {MIN_ROWS} rows (a quarter is held out "
            f"for testing), got {len(X)}"
        )
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != X.shape[1]:
            raise ReportError(
                f"feature_names has {len(feature_names)} names for {plural(X.shape[1], 'feature')}"
            )
    if y is not None:
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ReportError(f"y must be one label per row of X ({len(X)}), got shape {y.shape}")
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise ReportError(
                f"y has a single class ({_label(classes[0])}); classification needs at least 2"
            )
        if counts.min() < 2:
            raise ReportError(
                f"class {_label(classes[counts.argmin()])} of y has a single row; "
                "every class needs at least 2 to be split into training and "
                "held-out rows"
            )
    return X, y, feature_names


def _check_components(n_components):
    values = [n_components] if isinstance(n_components, numbers.Integral) else n_components
    try:
        ks = sorted({int(k) for k in values})
    except (TypeError, ValueError):
        raise ReportError(f"n_components must be integers >= 1, got {n_components!r}") from None
    if not ks or ks[0] < 1:
        raise ReportError(f"n_components must be integers >= 1, got {n_components!r}")
    return ks


def _check_cv(cv):
    if cv is None or cv == 0:
        return None
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ReportError(
            f"cv must be an integer >= 2, or None to skip cross-validation, got {cv!r}"
        )
    return int(cv)


def _check_split(data, ks, cv):
    n_train = len(data.X_train)
    if ks[-1] > n_train:
        raise ReportError(
            f"n_components up to {ks[-1]} needs at least that many training rows; "
            f"{n_train} of the rows are for training (a quarter is held out)"
        )
    if cv and cv > n_train:
        raise ReportError(f"cv={cv} folds need at least {cv} training rows, got {n_train}")
    if data.y_train is not None:
        classes, counts = np.unique(data.y_train, return_counts=True)
        needed = max(2, cv or 2)
        if counts.min() < needed:
            what = f"{cv}-fold cross-validation" if cv else "a mixture per class"
            raise ReportError(
                f"class {_label(classes[counts.argmin()])} has {counts.min()} training rows (after "
                f"holding out a quarter); {what} needs at least {needed} per class: "
                f"{'use fewer folds or ' if cv else ''}drop the class"
            )


def _label(value):
    """A class label as the user wrote it: strings quoted, NumPy scalars as plain numbers."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else str(value)


def _describe_counts(ks):
    step = ks[1] - ks[0] if len(ks) > 1 else 0
    if len(ks) > 2 and all(b - a == step for a, b in zip(ks, ks[1:])):
        return f"{ks[0]}..{ks[-1]}" + (f" step {step}" if step != 1 else "")
    return ", ".join(map(str, ks))


def _stderr_line(line):
    print(f"gmmkit report: {line}", file=sys.stderr, flush=True)
