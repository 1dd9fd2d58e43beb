"""Posterior classification: P(y | x) from mixtures, against standard classifiers.

:class:`~gmmkit.MixtureClassifier` models every class with its own mixture and applies Bayes'
rule; :class:`~gmmkit.ComponentClassifier` fits one mixture without the labels and learns which
class each component stands for. Works on any labelled split: :func:`compare` computes the
study, :func:`posterior_figure` and :func:`accuracy_figure` draw it, :func:`add_section` writes
it as a report section (the gallery calls the same functions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._core.threads import one_thread
from ..classification import ComponentClassifier, MixtureClassifier
from ._figures import PlaneGrid, draw_probability_map, label_plane, new_figure

KEY = "classification"
MIXTURE_METHODS = ("MixtureClassifier", "ComponentClassifier")


def methods(mixture, *, max_components, seed):
    """The classifiers compared, by display name: the two mixture classifiers, then baselines.

    Parameters
    ----------
    mixture : GaussianMixture
        The mixture chosen by model selection; ComponentClassifier uses its number of
        components and covariance type.
    max_components : int
        Upper end of MixtureClassifier's per-class BIC search.
    seed : int

    Returns
    -------
    dict of str to estimator
    """
    # The chosen mixture's EM settings (gmmkit report --n-init, --reg-covar, --max-iter).
    fitting = {name: getattr(mixture, name) for name in ("n_init", "reg_covar", "max_iter")}
    # every value of the user's target is a class, -1 too
    fitting["unlabeled"] = None
    return {
        "MixtureClassifier": MixtureClassifier(
            n_components="auto",
            covariance_type=mixture.covariance_type,
            max_components=max_components,
            random_state=seed,
            **fitting,
        ),
        "ComponentClassifier": ComponentClassifier(
            n_components=mixture.n_components,
            covariance_type=mixture.covariance_type,
            random_state=seed,
            **fitting,
        ),
        "GaussianNB": GaussianNB(),
        "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=seed),
    }


@dataclass(frozen=True)
class ClassifierComparison:
    """The classification study's computation: every method's accuracy and its fitted model.

    Attributes
    ----------
    data : gmmkit.studies.datasets.Split
        With labels.
    mixture : GaussianMixture
        The model-selection choice the mixture classifiers follow (see :func:`methods`).
    max_components : int
        Upper end of MixtureClassifier's per-class BIC search.
    cv : int or None
        Folds of the cross-validated accuracy.
    scores : dict of str to dict
        Per method: ``cv_mean`` and ``cv_std`` (with ``cv``), ``fit_seconds`` and
        ``test_accuracy``.
    fitted : dict of str to estimator
        Per method, the model fitted on all training rows.
    """

    data: object
    mixture: object
    max_components: int
    cv: int | None
    scores: dict
    fitted: dict

    @property
    def classes(self):
        """The training labels' classes, sorted."""
        return np.unique(self.data.y_train)

    @property
    def best_baseline(self):
        """The baseline (not a mixture classifier) with the highest held-out accuracy."""
        return max(
            (name for name in self.scores if name not in MIXTURE_METHODS),
            key=lambda name: self.scores[name]["test_accuracy"],
        )


def compare(data, *, mixture, cv=5, seed=0, max_components=10):
    """Cross-validate every method of :func:`methods` on the training rows, then fit it on all
    of them and score it on the held-out rows.

    The folds are stratified, shuffled and seeded.

    Parameters
    ----------
    data : gmmkit.studies.datasets.Split
        With labels.
    mixture : GaussianMixture
        The model-selection choice (see :func:`methods`).
    cv : int or None, default=5
        Folds; None measures the held-out accuracy only.
    seed : int, default=0
    max_components : int, default=10

    Returns
    -------
    ClassifierComparison
    """
    scores, fitted = {}, {}
    for name, estimator in methods(mixture, max_components=max_components, seed=seed).items():
        scores[name], fitted[name] = _evaluate(estimator, data, cv, seed)
    return ClassifierComparison(data, mixture, max_components, cv, scores, fitted)


def intro(data, mixture, *, cv, max_components):
    """The section's opening paragraph: the two mixture classifiers and what they are compared
    with."""
    classes = np.unique(data.y_train)
    cv_text = f"{cv}-fold stratified cross-validation on the training rows and " if cv else ""
    return (
        f"`MixtureClassifier` fits one mixture per class (its number of components chosen by "
        f"BIC, 1 to {max_components}, {mixture.covariance_type} covariance) and classifies by "
        f"Bayes' rule, P(y | x) ∝ P(y) p(x | y). `ComponentClassifier` fits the chosen mixture "
        f"(k={mixture.n_components}, {mixture.covariance_type}) without the labels and learns "
        f"P(y | component) from them, so P(y | x) = Σ_k P(k | x) P(y | k). Both are compared "
        f"with Gaussian naive Bayes, logistic regression (standardised features) and histogram "
        f"gradient boosting by {cv_text}accuracy on the {len(data.X_test)} held-out test rows "
        f"({len(classes)} classes)."
    )


def summary(comparison):
    """The study's key result in one sentence: held-out accuracies."""
    scores, best_baseline = comparison.scores, comparison.best_baseline
    return (
        "Held-out accuracy: "
        + ", ".join(f"{name} {scores[name]['test_accuracy']:.1%}" for name in MIXTURE_METHODS)
        + f"; the best baseline, {best_baseline}, {scores[best_baseline]['test_accuracy']:.1%}."
    )


def add_section(
    report, data, *, mixture, cv=5, seed=0, max_components=10, title="Posterior classification"
):
    """Add the classification section for labelled ``data``.

    The computation is :func:`compare`; the figures are :func:`posterior_figure` (two features
    only) and :func:`accuracy_figure`.

    Parameters
    ----------
    report : gmmkit.report.Report
    data : gmmkit.studies.datasets.Split
        With labels.
    mixture : GaussianMixture
        The model-selection choice (see :func:`methods`).
    cv : int or None, default=5
        Folds; None reports the held-out accuracy only.
    seed : int, default=0
    max_components : int, default=10
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    classes = np.unique(data.y_train)
    section = report.add_section(
        KEY, title, intro(data, mixture, cv=cv, max_components=max_components)
    )
    if mixture.n_components < len(classes):
        section.add_text(
            f"The chosen mixture has fewer components ({mixture.n_components}) than there are "
            f"classes ({len(classes)}), so ComponentClassifier cannot give every class a "
            f"component of its own."
        )
    comparison = compare(data, mixture=mixture, cv=cv, seed=seed, max_components=max_components)
    scores = comparison.scores
    section.summary = summary(comparison)
    if data.n_features == 2:
        section.add_figure(
            "classification_posterior",
            posterior_figure(comparison),
            posterior_caption(comparison),
        )
    section.add_figure(
        "classification_accuracy", accuracy_figure(comparison), accuracy_caption(comparison)
    )
    section.add_table(
        [{"method": name, **values} for name, values in scores.items()],
        caption=(
            "Accuracy of every method"
            + (
                f" ({cv}-fold CV on the training rows, mean and standard deviation over folds)"
                if cv
                else ""
            )
            + " and on the held-out test rows; seconds to fit on all training rows."
        ),
        columns={
            "method": "method",
            **({"cv_mean": "CV accuracy", "cv_std": "± std"} if cv else {}),
            "test_accuracy": "test accuracy",
            "fit_seconds": "fit seconds",
        },
    )
    metrics = {
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
        "n_classes": len(classes),
        "cv_folds": cv,
        "best_baseline": comparison.best_baseline,
        "methods": scores,
        "mixture_classifier_components": comparison.fitted["MixtureClassifier"].n_components_,
    }
    section.add_metrics(**metrics)
    return metrics


def _evaluate(estimator, data, cv, seed):
    """CV accuracy on the training rows, then the fit on all of them and the test accuracy.

    Runs with one BLAS/OpenMP thread: on a busy machine, gradient boosting's OpenMP threads
    contending for the cores made these small fits a hundred times slower.
    """
    values = {}
    with one_thread():
        if cv:
            folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
            fold_scores = cross_val_score(clone(estimator), data.X_train, data.y_train, cv=folds)
            values["cv_mean"] = float(fold_scores.mean())
            values["cv_std"] = float(fold_scores.std())
        started = time.perf_counter()
        model = clone(estimator).fit(data.X_train, data.y_train)
        values["fit_seconds"] = time.perf_counter() - started
        values["test_accuracy"] = float(model.score(data.X_test, data.y_test))
    return values, model


def posterior_figure(comparison):
    """P(y | x) of the two mixture classifiers over the plane, with the held-out rows.

    Parameters
    ----------
    comparison : ClassifierComparison
        Of data with two features.

    Returns
    -------
    matplotlib.figure.Figure
    """
    data, fitted, classes = comparison.data, comparison.fitted, comparison.classes
    grid = PlaneGrid.around(np.vstack([data.X_train, data.X_test]))
    figure = new_figure(13, 5.6)
    axes = figure.subplots(1, 2)
    mappable = None
    for ax, name in zip(axes, MIXTURE_METHODS):
        mappable = draw_probability_map(ax, fitted[name], data.X_test, data.y_test, grid)
        label_plane(ax, data.feature_names, f"{name}: P(y | x)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(
        handles,
        [f"held-out row, {label}" for label in labels],
        loc="outside lower center",
        ncol=min(len(labels), 5),
        fontsize="small",
        frameon=False,
    )
    if mappable is not None:
        figure.colorbar(mappable, ax=list(axes), shrink=0.9, label=f"P(y = {classes[1]} | x)")
    figure.suptitle(
        "Posterior class probabilities over the plane, with the held-out test rows "
        "(black line: decision boundary)"
    )
    return figure


def posterior_caption(comparison):
    """What to see in :func:`posterior_figure`: components used, accuracies, where classes
    overlap."""
    scores, classes = comparison.scores, comparison.classes
    mc = comparison.fitted["MixtureClassifier"]
    per_class = ", ".join(f"{label}: {int(k)}" for label, k in zip(classes, mc.n_components_))
    return (
        f"MixtureClassifier uses {int(mc.n_components_.sum())} components in all (per "
        f"class {per_class}) and "
        f"reaches {scores['MixtureClassifier']['test_accuracy']:.1%} on the test rows, "
        f"ComponentClassifier {scores['ComponentClassifier']['test_accuracy']:.1%}; "
        f"probabilities near 0.5 (white) mark where the classes overlap."
    )


def accuracy_figure(comparison):
    """Every method's cross-validated and held-out accuracy, one row each.

    Parameters
    ----------
    comparison : ClassifierComparison

    Returns
    -------
    matplotlib.figure.Figure
    """
    scores, cv = comparison.scores, comparison.cv
    n_test = len(comparison.data.X_test)
    names = list(scores)
    rows = np.arange(len(names))[::-1]
    figure = new_figure(9, 0.6 * len(names) + 2.4)
    ax = figure.subplots()
    offset = 0.14 if cv else 0.0
    if cv:
        ax.errorbar(
            [scores[name]["cv_mean"] for name in names],
            rows + offset,
            xerr=[scores[name]["cv_std"] for name in names],
            fmt="o",
            color="tab:blue",
            capsize=3,
            label=f"{cv}-fold CV accuracy on the training rows (± std)",
        )
    ax.scatter(
        [scores[name]["test_accuracy"] for name in names],
        rows - offset,
        marker="D",
        color="tab:orange",
        edgecolors="black",
        zorder=3,
        label=f"accuracy on the {n_test} held-out rows",
    )
    lowest = min(
        min(values.get("cv_mean", 1.0) - values.get("cv_std", 0.0), values["test_accuracy"])
        for values in scores.values()
    )
    ax.set_xlim(max(0.0, lowest - 0.03), 1.01)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_yticks(rows, names)
    ax.set_xlabel("accuracy")
    ax.set_ylabel("classifier")
    ax.set_title("Accuracy: mixture classifiers against baselines")
    ax.grid(alpha=0.3)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize="small", frameon=False
    )
    return figure


def accuracy_caption(comparison):
    """What to see in :func:`accuracy_figure`: the better mixture classifier against the best
    baseline."""
    scores, best_baseline = comparison.scores, comparison.best_baseline
    mixture_best = max(MIXTURE_METHODS, key=lambda name: scores[name]["test_accuracy"])
    gap = scores[mixture_best]["test_accuracy"] - scores[best_baseline]["test_accuracy"]
    if abs(gap) < 1e-12:
        verdict = f"ties with the best baseline ({best_baseline})"
    elif gap > 0:
        verdict = f"beats the best baseline ({best_baseline}) by {gap:.1%}"
    else:
        verdict = f"trails the best baseline ({best_baseline}) by {-gap:.1%}"
    return (
        f"On the held-out rows the better mixture classifier ({mixture_best}, "
        f"{scores[mixture_best]['test_accuracy']:.1%}) {verdict}."
    )
