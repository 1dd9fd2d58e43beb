"""Handwritten digits: mixtures in PCA space as density models, classifiers and generators.

The 8x8 digits are projected onto the principal components that keep 99 % of the training
pixels' variance. There, mixtures of up to 600 components are compared by BIC and AIC, one
mixture per class (supervised) against one for all rows (unsupervised), and a class-conditional
:class:`~gmmkit.LatentMixture` draws new digits, checked by a gradient-boosting classifier trained
on real digits (label fidelity) and by their distance to the training digits (memorisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from .. import evaluation, plotting
from .._core.covariances import covariance_marker
from ..classification import MixtureClassifier
from ..generation import LatentMixture
from ..selection import select
from . import datasets
from ._figures import mosaic, new_figure

KEY = "digits"
VARIANCE_KEPT = 0.99
#: reg_covar is absolute: added to every variance of every component. PCA'd digits have
#: variances from about 180 down to about 2, so 0.1 is small against every kept direction yet
#: keeps components that own a handful of digits positive definite. Chosen before any fit.
REG_COVAR = 0.1
PIXEL_MAX = 16.0
#: The supervised mixtures are compared in the two structures at the ends of the trade-off.
SUPERVISED_COVARIANCE_TYPES = ("full", "diag")


@dataclass(frozen=True)
class PcaProjection:
    """The digits split and projected onto the principal components of the training pixels
    that keep :data:`VARIANCE_KEPT` of their variance.

    Attributes
    ----------
    data : gmmkit.studies.datasets.Split
        The digits in pixels.
    pca : sklearn.decomposition.PCA
        Fitted on the training pixels, every component.
    n_kept : int
        Components kept.
    Z_train, Z_test : ndarray of shape (n, n_kept)
        The training and held-out digits on the kept components.
    """

    data: object
    pca: object
    n_kept: int
    Z_train: np.ndarray
    Z_test: np.ndarray

    @property
    def cumulative(self):
        """Cumulative share of the training pixels' variance, by number of components."""
        return np.cumsum(self.pca.explained_variance_ratio_)

    @property
    def smallest_kept(self):
        """The variance along the last kept component."""
        return float(self.pca.explained_variance_[self.n_kept - 1])


def project(data):
    """Fit the PCA on ``data``'s training pixels and keep :data:`VARIANCE_KEPT` of the variance.

    Parameters
    ----------
    data : gmmkit.studies.datasets.Split
        The digits (:func:`gmmkit.studies.datasets.digits`).

    Returns
    -------
    PcaProjection
    """
    pca = PCA(svd_solver="full").fit(data.X_train)
    cumulative = np.cumsum(pca.explained_variance_ratio_)
    n_kept = int(np.searchsorted(cumulative, VARIANCE_KEPT) + 1)
    Z_train = pca.transform(data.X_train)[:, :n_kept]
    Z_test = pca.transform(data.X_test)[:, :n_kept]
    return PcaProjection(data, pca, n_kept, Z_train, Z_test)


@dataclass(frozen=True)
class DigitsStudy:
    """The digits study's computation: the sweep, the supervised mixtures and the generator.

    Attributes
    ----------
    projection : PcaProjection
    sweep : gmmkit.SelectionResult
        The unsupervised sweep in PCA space; ``best_estimator_`` is the BIC choice.
    records : list of dict
        ``sweep.records()``.
    chosen_row, aic_row : dict
        The BIC and AIC choices' records.
    chosen_test : float
        The BIC choice's log-likelihood per held-out digit.
    supervised : list of dict
        One mixture per class at every per-class count and covariance type: BIC of the
        training digits alone and log-likelihood per held-out digit (see
        :func:`supervised_rows`).
    generator : gmmkit.LatentMixture
        Class-conditional, per class, fitted on the training pixels.
    grid_images : ndarray of shape (n_classes * grid_columns, 64)
        Generated digits shown per class, ``grid_columns`` of each class in turn.
    generated, generated_labels : ndarray
        The digits generated for the label-fidelity and memorisation checks, and their classes.
    fidelity : gmmkit.evaluation.LabelFidelity
    memorisation : gmmkit.evaluation.Memorisation
    component_counts : tuple of int
    max_components_per_class : int
    grid_columns : int
    """

    projection: PcaProjection
    sweep: object
    records: list
    chosen_row: dict
    aic_row: dict
    chosen_test: float
    supervised: list
    generator: object
    grid_images: np.ndarray
    generated: np.ndarray
    generated_labels: np.ndarray
    fidelity: object
    memorisation: object
    component_counts: tuple
    max_components_per_class: int
    grid_columns: int

    @property
    def data(self):
        """The digits in pixels."""
        return self.projection.data

    @property
    def classes(self):
        """The digit classes, sorted."""
        return np.unique(self.data.y_train)

    @property
    def per_class_components(self):
        """The generator's number of components of each class."""
        return self.generator.mixture_.n_components_

    @property
    def best_supervised(self):
        """The supervised mixture with the lowest BIC."""
        return min(self.supervised, key=lambda row: row["bic"])


def fit_models(
    projection,
    *,
    seed=0,
    component_counts=(10, 25, 50, 100, 200, 400, 600),
    covariance_types=("full", "diag"),
    per_class_counts=(1, 2, 3, 5),
    max_components_per_class=6,
    grid_columns=8,
    fidelity_per_class=100,
):
    """Sweep mixtures in PCA space, fit one per class, and generate digits with a
    class-conditional :class:`~gmmkit.LatentMixture`.

    Parameters
    ----------
    projection : PcaProjection
    seed : int, default=0
        Seeds every fit and every sample.
    component_counts : sequence of int
        Numbers of components of the unsupervised sweep (BIC and AIC).
    covariance_types : sequence of str
        Covariance types of the unsupervised sweep.
    per_class_counts : sequence of int
        Components per class of the supervised mixtures (full and diagonal covariances)
        compared with the sweep.
    max_components_per_class : int
        Upper end of the generator's per-class BIC search.
    grid_columns : int
        Digits generated per class for the grid of generated digits.
    fidelity_per_class : int
        Digits generated per class for the label-fidelity and memorisation checks.

    Returns
    -------
    DigitsStudy
    """
    data = projection.data
    X_train, y_train, X_test = data.X_train, data.y_train, data.X_test
    Z_train, Z_test = projection.Z_train, projection.Z_test
    classes = np.unique(y_train)
    sweep = select(
        Z_train,
        n_components=component_counts,
        covariance_type=covariance_types,
        random_state=seed,
        reg_covar=REG_COVAR,
        silhouette_samples=None,
        n_jobs=-1,
    )
    records = sweep.records()
    chosen_row = records[sweep.best_index_]
    chosen_test = float(sweep.best_estimator_.score(Z_test))
    aic_row = min((row for row in records if np.isfinite(row["aic"])), key=lambda r: r["aic"])
    supervised = supervised_rows(
        Z_train, y_train, Z_test, per_class_counts, SUPERVISED_COVARIANCE_TYPES, seed
    )
    generator = LatentMixture(
        n_components="auto",
        n_latent=VARIANCE_KEPT,
        class_conditional="per_class",
        reg_covar=REG_COVAR,
        max_components=max_components_per_class,
        random_state=seed,
    ).fit(X_train, y_train)
    grid_labels = np.repeat(classes, grid_columns)
    grid_images, _ = generator.sample(len(grid_labels), y=grid_labels, random_state=seed)
    check_labels = np.repeat(classes, fidelity_per_class)
    generated, generated_labels = generator.sample(
        len(check_labels), y=check_labels, random_state=seed + 1
    )
    fidelity = evaluation.label_fidelity(
        X_train, y_train, generated, generated_labels, random_state=seed
    )
    memorisation = evaluation.memorisation(X_train, generated, X_test)
    return DigitsStudy(
        projection,
        sweep,
        records,
        chosen_row,
        aic_row,
        chosen_test,
        supervised,
        generator,
        grid_images,
        generated,
        generated_labels,
        fidelity,
        memorisation,
        tuple(component_counts),
        max_components_per_class,
        grid_columns,
    )


def intro(projection):
    """The section's opening paragraph: the split, the PCA and why ``reg_covar`` is 0.1."""
    data, pca, n_kept = projection.data, projection.pca, projection.n_kept
    smallest_kept = projection.smallest_kept
    n_train, n_test = len(data.X_train), len(data.X_test)
    return (
        f"The {n_train + n_test} 8x8 digits (pixels 0..16) are split into "
        f"{n_train} training and {n_test} held-out rows (stratified, seeded). PCA on "
        f"the training rows keeps {n_kept} of 64 directions ({VARIANCE_KEPT:.0%} of the "
        f"variance); every mixture below lives in that space. `reg_covar` is absolute, added "
        f"to "
        f"every variance: the kept PCA variances run from "
        f"{pca.explained_variance_[0]:.0f} down to {smallest_kept:.2f}, so `reg_covar` = "
        f"{REG_COVAR} was chosen a priori ({REG_COVAR / smallest_kept:.0%} of the smallest "
        f"kept variance) to keep components that own only a few digits positive definite "
        f"without blurring the others."
    )


def summary(study):
    """The study's key result in one sentence: the choices, label fidelity and memorisation."""
    chosen_row, aic_row = study.chosen_row, study.aic_row
    fidelity, memorisation = study.fidelity, study.memorisation
    return (
        f"BIC picks {chosen_row['covariance_type']} covariance with "
        f"k={chosen_row['n_components']} of the sweep up to {max(study.component_counts)} (AIC: "
        f"k={aic_row['n_components']}, {aic_row['covariance_type']}); generated digits are "
        f"labelled as intended {fidelity.generated_accuracy:.1%} of the time (real held-out "
        f"digits {fidelity.real_accuracy:.1%}) and memorisation is "
        f"{'FLAGGED' if memorisation.flagged else 'not flagged'} (distance ratio "
        f"{memorisation.distance_ratio:.2f})."
    )


def add_section(
    report,
    *,
    seed=0,
    component_counts=(10, 25, 50, 100, 200, 400, 600),
    covariance_types=("full", "diag"),
    per_class_counts=(1, 2, 3, 5),
    max_components_per_class=6,
    grid_columns=8,
    fidelity_per_class=100,
    title="Handwritten digits",
):
    """Add the digits study to ``report``.

    The computation is :func:`project` then :func:`fit_models`; the figures are
    :func:`variance_figure`, :func:`criteria_figure`, :func:`supervised_figure`,
    :func:`generated_figure`, :func:`label_fidelity_figure` and :func:`memorisation_figure`.

    Parameters
    ----------
    report : gmmkit.report.Report
    seed : int, default=0
        Seeds the split, every fit and every sample.
    component_counts : sequence of int
        Numbers of components of the unsupervised sweep (BIC and AIC).
    covariance_types : sequence of str
        Covariance types of the unsupervised sweep.
    per_class_counts : sequence of int
        Components per class of the supervised mixtures (full and diagonal covariances)
        compared with the sweep.
    max_components_per_class : int
        Upper end of the generator's per-class BIC search.
    grid_columns : int
        Digits shown per class in the grids of real and generated digits.
    fidelity_per_class : int
        Digits generated per class for the label-fidelity and memorisation checks.
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    projection = project(datasets.digits(seed))
    section = report.add_section(KEY, title, intro(projection))
    study = fit_models(
        projection,
        seed=seed,
        component_counts=component_counts,
        covariance_types=covariance_types,
        per_class_counts=per_class_counts,
        max_components_per_class=max_components_per_class,
        grid_columns=grid_columns,
        fidelity_per_class=fidelity_per_class,
    )
    data = projection.data
    X_train, X_test = data.X_train, data.X_test
    chosen_row, aic_row, chosen_test = study.chosen_row, study.aic_row, study.chosen_test
    records, supervised = study.records, study.supervised
    fidelity, memorisation = study.fidelity, study.memorisation
    n_kept, cumulative = projection.n_kept, projection.cumulative
    section.summary = summary(study)
    section.add_figure(
        "digits_pca_variance", variance_figure(projection), variance_caption(projection)
    )
    section.add_figure("digits_criteria", criteria_figure(study), criteria_caption(study))
    section.add_figure("digits_supervised_bic", supervised_figure(study), supervised_caption(study))
    section.add_figure("digits_generated", generated_figure(study), generated_caption(study))
    section.add_figure(
        "digits_label_fidelity", label_fidelity_figure(study), fidelity_caption(study)
    )
    section.add_figure(
        "digits_memorisation", memorisation_figure(study), memorisation_caption(study)
    )
    section.add_table(
        [
            {
                "model": "unsupervised, BIC choice",
                "setting": f"k={chosen_row['n_components']}, {chosen_row['covariance_type']}",
                "components": chosen_row["n_components"],
                "bic": chosen_row["bic"],
                "parameters": chosen_row["n_parameters"],
                "test": chosen_test,
            }
        ]
        + [
            {
                "model": "supervised (per class)",
                "setting": f"{row['per_class']} per class, {row['covariance_type']}",
                "components": row["n_components"],
                "bic": row["bic"],
                "parameters": row["n_parameters"],
                "test": row["test_log_likelihood"],
            }
            for row in supervised
        ],
        caption=(
            f"BIC of X alone (lower is better) on the {len(X_train)} training rows, and "
            f"log-likelihood per row of the {len(X_test)} held-out digits, in PCA space."
        ),
        columns={
            "model": "model",
            "setting": "setting",
            "components": "components in all",
            "bic": "BIC",
            "parameters": "parameters",
            "test": "test log-lik/row",
        },
    )
    metrics = {
        "n_train": len(X_train),
        "n_test": len(X_test),
        "pca": {
            "n_components": n_kept,
            "variance_kept": float(cumulative[n_kept - 1]),
            "smallest_kept_variance": projection.smallest_kept,
            "cumulative_variance": cumulative,
        },
        "reg_covar": REG_COVAR,
        "sweep": [
            {
                key: row[key]
                for key in (
                    "covariance_type",
                    "n_components",
                    "bic",
                    "aic",
                    "log_likelihood",
                    "n_parameters",
                    "n_iter",
                    "converged",
                )
            }
            for row in records
        ],
        "chosen": {
            "covariance_type": chosen_row["covariance_type"],
            "n_components": chosen_row["n_components"],
            "bic": chosen_row["bic"],
            "test_log_likelihood": chosen_test,
        },
        "aic_choice": {
            "covariance_type": aic_row["covariance_type"],
            "n_components": aic_row["n_components"],
            "aic": aic_row["aic"],
        },
        "supervised": supervised,
        "generator": {
            "components_per_class": study.per_class_components,
            "n_latent": study.generator.n_latent_,
        },
        "label_fidelity": {
            "real_accuracy": fidelity.real_accuracy,
            "generated_accuracy": fidelity.generated_accuracy,
            "confusion_matrix": fidelity.confusion_matrix,
            "n_generated": len(study.generated),
        },
        "memorisation": {
            "median_generated": memorisation.median_generated,
            "median_holdout": memorisation.median_holdout,
            "distance_ratio": memorisation.distance_ratio,
            "close_fraction": memorisation.close_fraction,
            "holdout_close_fraction": memorisation.holdout_close_fraction,
            "copy_fraction": memorisation.copy_fraction,
            "flagged": memorisation.flagged,
        },
    }
    section.add_metrics(**metrics)
    return metrics


def supervised_rows(Z_train, y_train, Z_test, per_class_counts, covariance_types, seed):
    """One mixture per class at every per-class count and type: BIC of the training rows
    alone (``MixtureClassifier.bic(X)``) and mean log-likelihood of the test rows."""
    rows = []
    for covariance_type in covariance_types:
        for per_class in per_class_counts:
            model = MixtureClassifier(
                per_class, covariance_type=covariance_type, reg_covar=REG_COVAR, random_state=seed
            ).fit(Z_train, y_train)
            rows.append(
                {
                    "covariance_type": covariance_type,
                    "per_class": int(per_class),
                    "n_components": int(model.n_components_.sum()),
                    "bic": float(model.bic(Z_train)),
                    "n_parameters": int(model.n_parameters_),
                    "test_log_likelihood": float(model.score_samples(Z_test).mean()),
                }
            )
    return rows


def _per_class_text(per_class_k, classes):
    """``"1 component per class"``, or the count of each class when they differ."""
    counts = [int(k) for k in per_class_k]
    if len(set(counts)) == 1:
        return f"{counts[0]} component{'s' if counts[0] != 1 else ''} per class"
    return "components per class: " + ", ".join(
        f"{label}: {k}" for label, k in zip(classes, counts)
    )


def variance_figure(projection):
    """Cumulative share of the pixel variance against the number of principal components.

    Parameters
    ----------
    projection : PcaProjection

    Returns
    -------
    matplotlib.figure.Figure
    """
    cumulative, n_kept = projection.cumulative, projection.n_kept
    figure = new_figure(7, 4.4)
    ax = figure.subplots()
    ax.plot(np.arange(1, cumulative.size + 1), cumulative, marker=".", color="tab:blue")
    ax.axhline(
        VARIANCE_KEPT, color="0.5", linestyle="--", label=f"{VARIANCE_KEPT:.0%} of the variance"
    )
    ax.axvline(n_kept, color="tab:red", linestyle=":", label=f"{n_kept} components kept")
    ax.set_xlabel("number of principal components")
    ax.set_ylabel("cumulative share of pixel variance")
    ax.set_title("Digits: PCA explained variance (training rows)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return figure


def variance_caption(projection):
    """What to see in :func:`variance_figure`."""
    return (
        f"{projection.n_kept} of 64 principal components keep {VARIANCE_KEPT:.0%} of the pixel "
        f"variance; the first 10 already keep {projection.cumulative[9]:.0%}."
    )


def criteria_figure(study):
    """BIC and AIC of the unsupervised sweep, log-scaled, side by side.

    Parameters
    ----------
    study : DigitsStudy

    Returns
    -------
    matplotlib.figure.Figure
    """
    sweep, component_counts = study.sweep, study.component_counts
    figure = new_figure(13, 4.6)
    for ax, criterion in zip(figure.subplots(1, 2), ("bic", "aic")):
        plotting.plot_criterion(sweep, criterion, ax=ax)
        _log_components_axis(ax)
        ax.set_xlim(min(component_counts) * 0.85, max(component_counts) * 1.15)
        ax.set_xlabel("number of components (log scale)")
        _log_scale_if_positive(ax, [row[criterion] for row in study.records])
    figure.suptitle(
        f"Digits in PCA space: information criteria up to {max(component_counts)} components"
    )
    return figure


def _log_components_axis(ax):
    """A log x axis with plain-number ticks at 1, 2 and 5 times the powers of ten."""
    from matplotlib.ticker import LogLocator, NullLocator, ScalarFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())


def _log_scale_if_positive(ax, values):
    """A log y axis when every value is positive: the largest mixtures' criteria are ten times
    the best ones, and a linear axis would flatten the region where the choice is made."""
    finite = np.asarray([value for value in values if np.isfinite(value)])
    if finite.size and finite.min() > 0:
        ax.set_yscale("log")
        ax.set_ylabel(f"{ax.get_ylabel()}, log scale")


def criteria_caption(study):
    """What to see in :func:`criteria_figure`: both choices, and the largest mixture's size."""
    chosen_row, aic_row = study.chosen_row, study.aic_row
    n_train = len(study.data.X_train)
    largest = max(study.records, key=lambda row: (row["n_components"], row["n_parameters"]))
    return (
        f"BIC is lowest at k={chosen_row['n_components']} "
        f"({chosen_row['covariance_type']}) and AIC at k={aic_row['n_components']} "
        f"({aic_row['covariance_type']}); at k={largest['n_components']} "
        f"({largest['covariance_type']}) a mixture has {largest['n_parameters']:,} "
        f"parameters for {n_train:,} training digits, and both criteria say so."
    )


def supervised_figure(study):
    """BIC of one mixture for all digits against one mixture per class, by components in all.

    Parameters
    ----------
    study : DigitsStudy

    Returns
    -------
    matplotlib.figure.Figure
    """
    records, supervised = study.records, study.supervised
    figure = new_figure(8, 4.8)
    ax = figure.subplots()
    for covariance_type in dict.fromkeys(row["covariance_type"] for row in records):
        own = sorted(
            (row for row in records if row["covariance_type"] == covariance_type),
            key=lambda row: row["n_components"],
        )
        ax.plot(
            [row["n_components"] for row in own],
            [row["bic"] for row in own],
            marker=covariance_marker(covariance_type),
            label=f"unsupervised, {covariance_type}",
        )
    for covariance_type in dict.fromkeys(row["covariance_type"] for row in supervised):
        own = [row for row in supervised if row["covariance_type"] == covariance_type]
        ax.plot(
            [row["n_components"] for row in own],
            [row["bic"] for row in own],
            marker=covariance_marker(covariance_type),
            linestyle="--",
            label=f"supervised (per class), {covariance_type}",
        )
    _log_components_axis(ax)
    ax.set_xlabel("components in all (log scale)")
    ax.set_ylabel("BIC of the digits alone (lower is better)")
    _log_scale_if_positive(ax, [row["bic"] for row in [*records, *supervised]])
    ax.set_title("One mixture for all digits against one mixture per class")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def supervised_caption(study):
    """What to see in :func:`supervised_figure`: which model describes the digits better."""
    best_supervised, best_unsupervised = study.best_supervised, study.chosen_row
    difference = best_supervised["bic"] - best_unsupervised["bic"]
    better = "supervised" if difference < 0 else "unsupervised"
    return (
        f"The best supervised model ({best_supervised['per_class']} "
        f"{best_supervised['covariance_type']} component"
        f"{'s' if best_supervised['per_class'] != 1 else ''} per class, BIC "
        f"{best_supervised['bic']:,.0f}) against the best unsupervised one "
        f"(k={best_unsupervised['n_components']}, {best_unsupervised['covariance_type']}, "
        f"BIC {best_unsupervised['bic']:,.0f}): the {better} model describes the digits "
        f"better by {abs(difference):,.0f} BIC points (both score the digits alone, not the "
        f"labels)."
    )


def generated_figure(study):
    """Held-out real digits beside generated ones, one row per class.

    Parameters
    ----------
    study : DigitsStudy

    Returns
    -------
    matplotlib.figure.Figure
    """
    data, classes, n_columns = study.data, study.classes, study.grid_columns
    X_test, y_test, generated = data.X_test, data.y_test, study.grid_images
    real = np.concatenate([X_test[y_test == label][:n_columns] for label in classes])
    figure = new_figure(12, 7.2)
    panels = ((real, "held-out real digits"), (generated, "generated digits"))
    for ax, (images, name) in zip(figure.subplots(1, 2), panels):
        canvas = mosaic(images.reshape(-1, *datasets.DIGIT_SHAPE), len(classes), n_columns)
        ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=PIXEL_MAX, interpolation="nearest")
        step = datasets.DIGIT_SHAPE[0] + 1
        ax.set_yticks(
            np.arange(len(classes)) * step + (step - 2) / 2, [str(label) for label in classes]
        )
        ax.set_xticks([])
        ax.set_ylabel("class")
        ax.set_xlabel(f"{n_columns} {name} per class")
        ax.set_title(name.capitalize())
    figure.suptitle(
        "Digits per class: real (held out) and generated by the class-conditional LatentMixture"
    )
    return figure


def generated_caption(study):
    """What to see in :func:`generated_figure`: how the generator was chosen and mapped back."""
    return (
        f"Each row is one class: held-out real digits (left) beside digits the per-class "
        f"mixtures generate (right; "
        f"{_per_class_text(study.per_class_components, study.classes)}, chosen by BIC "
        f"from 1..{study.max_components_per_class}), mapped back to pixels through the PCA and "
        f"clipped to 0..16."
    )


def label_fidelity_figure(study):
    """The confusion matrix of generated digits read by a classifier trained on real ones.

    Parameters
    ----------
    study : DigitsStudy

    Returns
    -------
    matplotlib.figure.Figure
    """
    fidelity = study.fidelity
    matrix = np.asarray(fidelity.confusion_matrix)
    classes = fidelity.classes
    figure = new_figure(7, 6)
    ax = figure.subplots()
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if shares[i, j] > 0.5 else "black",
                )
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, [str(label) for label in classes])
    ax.set_yticks(ticks, [str(label) for label in classes])
    ax.set_xlabel("class predicted by gradient boosting trained on real digits")
    ax.set_ylabel("class the digit was generated for")
    ax.set_title(
        f"Label fidelity of generated digits: {fidelity.generated_accuracy:.1%} "
        f"(real held-out {fidelity.real_accuracy:.1%})"
    )
    figure.colorbar(image, ax=ax, label="share of the generated row")
    return figure


def fidelity_caption(study):
    """What to see in :func:`label_fidelity_figure`: accuracy and the most frequent confusion."""
    fidelity = study.fidelity
    matrix = np.asarray(fidelity.confusion_matrix).copy()
    np.fill_diagonal(matrix, 0)
    i, j = np.unravel_index(matrix.argmax(), matrix.shape)
    confusion = (
        f"; the most frequent confusion is {fidelity.classes[i]} read as "
        f"{fidelity.classes[j]} ({matrix[i, j]} digits)"
        if matrix[i, j]
        else "; no generated digit is misread"
    )
    return (
        f"A gradient-boosting classifier trained on real digits reads "
        f"{fidelity.generated_accuracy:.1%} of the generated digits as the class they were "
        f"generated for, against {fidelity.real_accuracy:.1%} of held-out real digits"
        f"{confusion}."
    )


def memorisation_caption(study):
    """What to see in :func:`memorisation_figure`: how close generated digits come to training
    ones, against held-out ones."""
    memorisation = study.memorisation
    farness, comparison = _how_far(memorisation.distance_ratio)
    verdict = "is flagged for copying" if memorisation.flagged else "is not copying"
    return (
        f"Generated digits lie {farness} their nearest training digit (median "
        f"{memorisation.median_generated:.1f}) {comparison} held-out real digits do (median "
        f"{memorisation.median_holdout:.1f}); {memorisation.close_fraction:.1%} of them are "
        f"closer than the 5 % quantile of the held-out distances (expected about 5 %), so "
        f"the generator {verdict} its training digits."
    )


def _how_far(ratio):
    """Words comparing the median distances, for a ratio of generated over held-out."""
    if ratio > 1.1:
        return "farther from", "than"
    if ratio < 0.9:
        return "closer to", "than"
    return "about as far from", "as"


def memorisation_figure(study):
    """Distances to the nearest training digit: generated digits against held-out real ones.

    Parameters
    ----------
    study : DigitsStudy

    Returns
    -------
    matplotlib.figure.Figure
    """
    X_train, X_test, generated = study.data.X_train, study.data.X_test, study.generated
    nearest = NearestNeighbors(n_neighbors=1).fit(X_train)
    generated_distance = nearest.kneighbors(generated)[0][:, 0]
    holdout_distance = nearest.kneighbors(X_test)[0][:, 0]
    bins = np.histogram_bin_edges(np.concatenate([generated_distance, holdout_distance]), 30)
    figure = new_figure(8, 4.4)
    ax = figure.subplots()
    ax.hist(
        holdout_distance,
        bins=bins,
        density=True,
        color="0.6",
        alpha=0.6,
        label="held-out real digits",
    )
    ax.hist(
        generated_distance,
        bins=bins,
        density=True,
        histtype="step",
        color="tab:orange",
        linewidth=1.8,
        label="generated digits",
    )
    ax.set_xlabel("Euclidean distance to the nearest training digit (pixels)")
    ax.set_ylabel("density")
    ax.set_title("Memorisation check: how close do samples come to training digits?")
    ax.legend()
    return figure
