"""Discriminant analysis on mclust's models: EDDA and MclustDA, scored as ``cvMclustDA``.

EDDA (:class:`~gmmkit.MixtureClassifier` with ``mode='edda'``) models each class by one
Gaussian and one covariance model for all classes, whose letters say what the classes share;
MclustDA (``n_components='auto'``) gives every class its own mixture, its number of components
and model chosen by BIC. Both choose among the report's covariance types, and both are scored by
mclust's cross-validated error and Brier score (:func:`gmmkit.discriminant.cross_validate`) on
the training rows, then by their error on the held-out rows.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix

from .._core.threads import one_thread
from ..classification import MixtureClassifier
from ..discriminant import cross_validate
from ._figures import new_figure

KEY = "discriminant"
METHODS = ("EDDA", "MclustDA")
#: EDDA candidates listed in the section's second table.
N_CANDIDATE_ROWS = 8


def methods(*, covariance_type, max_components, seed, settings):
    """The two discriminant analyses, by display name (every target value is a class)."""
    common = {
        "covariance_type": covariance_type,
        "random_state": seed,
        "unlabeled": None,
        **settings,
    }
    return {
        "EDDA": MixtureClassifier(mode="edda", **common),
        "MclustDA": MixtureClassifier(
            n_components="auto", max_components=max_components, init_params="hc+kmeans", **common
        ),
    }


def add_section(
    report,
    data,
    *,
    covariance_type="sklearn",
    max_components=5,
    cv=5,
    seed=0,
    settings=None,
    title="Discriminant analysis (mclust's EDDA and MclustDA)",
):
    """Add the discriminant-analysis section for labelled ``data``.

    Parameters
    ----------
    report : gmmkit.report.Report
    data : gmmkit.studies.datasets.Split
        With labels.
    covariance_type : str or list of str, default='sklearn'
        The models both analyses choose from ('all': mclust's 14).
    max_components : int, default=5
        MclustDA's largest number of components per class (mclust's default G is 1:5).
    cv : int or None, default=5
        Folds of the cross-validated error and Brier score; None reports the held-out error
        only.
    seed : int, default=0
    settings : dict, optional
        EM settings (``n_init``, ``reg_covar``, ``max_iter``) of every fit.
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    classes = np.unique(data.y_train)
    estimators = methods(
        covariance_type=covariance_type,
        max_components=max_components,
        seed=seed,
        settings=dict(settings or {}),
    )
    models_text = (
        covariance_type if isinstance(covariance_type, str) else ", ".join(covariance_type)
    )
    cv_text = (
        f"mclust's {cv}-fold cross-validated classification error and Brier score "
        f"(cvMclustDA: balanced folds, each refitting the chosen configuration) on the "
        f"training rows and "
        if cv
        else ""
    )
    section = report.add_section(
        KEY,
        title,
        (
            f"EDDA models each class by one Gaussian, with one covariance model for all classes "
            f"whose letters say what the classes share (EEE is linear discriminant analysis, VVV "
            f"quadratic); MclustDA gives each class its own mixture of 1 to {max_components} "
            f"components and its own model. Both choose by BIC among the covariance types "
            f"'{models_text}', never an ill-posed fit, and are scored by {cv_text}the "
            f"classification error on the {len(data.X_test)} held-out rows ({len(classes)} "
            f"classes)."
        ),
    )
    fitted, scores = {}, {}
    with one_thread():
        for name, estimator in estimators.items():
            fitted[name] = estimator.fit(data.X_train, data.y_train)
            scores[name] = _scores(fitted[name], estimator, data, cv, seed)
    best = min(
        METHODS, key=lambda name: (scores[name].get("cv_error", 0.0), scores[name]["test_error"])
    )
    section.summary = (
        "Held-out error: "
        + ", ".join(
            f"{name} ({scores[name]['model']}) {scores[name]['test_error']:.1%}" for name in METHODS
        )
        + (f"; cross-validated, {best} is the better." if cv else ".")
    )
    section.add_table(
        [{"method": name, **values} for name, values in scores.items()],
        caption=(
            "The model each analysis chose, its BIC (-2 log L + p log n, lower is "
            "better), "
            + (
                f"its {cv}-fold cross-validated error and Brier score with their standard errors, "
                if cv
                else ""
            )
            + "and its error on the held-out rows."
        ),
        columns={
            "method": "method",
            "model": "model",
            "bic": "BIC",
            **(
                {
                    "cv_error": "CV error",
                    "cv_error_se": "± se",
                    "brier": "Brier",
                    "brier_se": "± se",
                }
                if cv
                else {}
            ),
            "test_error": "test error",
        },
    )
    edda = fitted["EDDA"]
    candidates = sorted(
        (row for row in edda.model_table_ if np.isfinite(row["bic"])), key=lambda row: row["bic"]
    )
    section.add_table(
        [
            {
                "model": row["covariance_type"],
                "log_likelihood": row["log_likelihood"],
                "n_parameters": row["n_parameters"],
                "bic": row["bic"],
            }
            for row in candidates[:N_CANDIDATE_ROWS]
        ],
        caption=(
            f"EDDA's candidates by BIC ({len(edda.model_table_)} models; "
            f"{len(edda.model_table_) - len(candidates)} ill-posed or failed)."
        ),
        columns={
            "model": "model",
            "log_likelihood": "log-likelihood",
            "n_parameters": "parameters",
            "bic": "BIC",
        },
    )
    matrix = confusion_matrix(data.y_test, fitted[best].predict(data.X_test), labels=classes)
    section.add_figure(
        "discriminant_confusion",
        _confusion_figure(matrix, classes, best),
        _confusion_caption(matrix, best, scores[best]["model"]),
    )
    metrics = {
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
        "n_classes": len(classes),
        "cv_folds": cv,
        "best": best,
        "methods": scores,
        "confusion_matrix": matrix.tolist(),
        "classes": [str(c) for c in classes],
    }
    section.add_metrics(**metrics)
    return metrics


def _scores(model, estimator, data, cv, seed):
    values = {
        "model": _describe(model),
        "bic": float(model.bic(data.X_train, data.y_train)),
        "test_error": float(1.0 - model.score(data.X_test, data.y_test)),
    }
    if cv:
        result = cross_validate(
            estimator, data.X_train, data.y_train, n_folds=cv, random_state=seed
        )
        values.update(
            cv_error=result.error,
            cv_error_se=result.error_se,
            brier=result.brier,
            brier_se=result.brier_se,
        )
    return values


def _describe(model):
    """EDDA's model, or MclustDA's per class: ``'a: EVE x2, b: VVV x1'``."""
    if model.mode == "edda":
        return str(model.covariance_type_)
    return ", ".join(
        f"{label}: {name} x{int(k)}"
        for label, name, k in zip(model.classes_, model.covariance_types_, model.n_components_)
    )


def _confusion_figure(matrix, classes, name):
    size = max(4.5, 0.55 * len(classes) + 3.0)
    figure = new_figure(size + 1.2, size)
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            color="white" if count > matrix.max() / 2 else "black",
        )
    labels = [str(c) for c in classes]
    ax.set_xticks(range(len(classes)), labels, rotation=45 if len(classes) > 6 else 0)
    ax.set_yticks(range(len(classes)), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{name}: held-out confusion matrix")
    figure.colorbar(image, ax=ax, shrink=0.8, label="held-out rows")
    return figure


def _confusion_caption(matrix, name, model):
    wrong = int(matrix.sum() - np.trace(matrix))
    return (
        f"{name} ({model}), the analysis with the lower cross-validated error, on the "
        f"held-out rows: {wrong} of {int(matrix.sum())} misclassified (off the diagonal)."
    )
