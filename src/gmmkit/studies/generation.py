"""Generation: are rows sampled from a fitted mixture distinguishable from real held-out rows?

Two generators are compared with the real training rows themselves, which show what passing
every test looks like (and are, by construction, copies for the memorisation check). Works on any
data split: :func:`compare` computes the study, :func:`samples_figure` draws it,
:func:`add_section` writes it as a report section (the gallery calls the same functions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.decomposition import PCA

from .. import evaluation
from ..mixture import GaussianMixture
from ._figures import draw_real_and_generated, label_plane, new_figure

KEY = "generation"
ALPHA = 0.05
#: Held-out rows compared at most (a seeded subsample beyond): the two-sample tests' time and
#: memory grow with the square of the rows they pool.
MAX_COMPARED_ROWS = 2000


ONE_GAUSSIAN = "one Gaussian (k=1, full)"
REAL_TRAINING = "real training rows"


@dataclass(frozen=True)
class GenerationComparison:
    """The generation study's computation: each generator's sample and its test results.

    Attributes
    ----------
    data : gmmkit.studies.datasets.Split
        The training rows, and the held-out rows compared (a seeded subsample of at most
        ``max_rows``; their labels dropped).
    chosen : str
        The chosen mixture's name among the generators.
    samples : dict of str to ndarray
        Per generator (the chosen mixture, :data:`ONE_GAUSSIAN`, :data:`REAL_TRAINING`), as
        many rows as ``data.X_test``.
    results : dict of str to dict
        Per generator: MMD², C2ST, memorisation and per-feature KS results.
    n_permutations, c2st_folds : int
    """

    data: object
    chosen: str
    samples: dict
    results: dict
    n_permutations: int
    c2st_folds: int


def compare(model, data, *, seed=0, n_permutations=200, c2st_folds=5, max_rows=MAX_COMPARED_ROWS):
    """Sample ``model``, a single Gaussian and the real training rows, and test each sample
    against the held-out rows.

    Parameters
    ----------
    model : GaussianMixture
        Fitted on ``data.X_train`` (the model-selection choice).
    data : gmmkit.studies.datasets.Split
    seed : int, default=0
    n_permutations : int, default=200
        Of the MMD permutation test.
    c2st_folds : int, default=5
        Folds of the classifier two-sample test.
    max_rows : int, default=MAX_COMPARED_ROWS
        Held-out rows compared at most (a seeded subsample when there are more); as many rows
        are generated.

    Returns
    -------
    GenerationComparison
    """
    rng = np.random.RandomState(seed)
    X_train = data.X_train
    X_test = data.X_test
    if len(X_test) > max_rows:
        X_test = X_test[np.sort(rng.choice(len(X_test), max_rows, replace=False))]
    data = replace(data, X_test=X_test, y_test=None)
    n = len(X_test)
    chosen = f"chosen mixture ({model.covariance_type}, k={model.n_components})"
    one_gaussian = GaussianMixture(1, covariance_type="full", random_state=seed).fit(X_train)
    samples = {
        chosen: model.sample(n, random_state=seed)[0],
        ONE_GAUSSIAN: one_gaussian.sample(n, random_state=seed)[0],
        REAL_TRAINING: X_train[rng.choice(len(X_train), min(n, len(X_train)), replace=False)],
    }
    results = {
        name: _evaluate(sample, data, seed, n_permutations, c2st_folds)
        for name, sample in samples.items()
    }
    return GenerationComparison(data, chosen, samples, results, n_permutations, c2st_folds)


def intro(n, *, n_permutations, c2st_folds):
    """The section's opening paragraph: the samples and the tests, for ``n`` compared rows."""
    return (
        f"{n} rows are drawn from the chosen mixture and compared with the {n} held-out test "
        f"rows, which no model has seen. The maximum mean discrepancy (MMD², RBF kernel with "
        f"the median bandwidth, {n_permutations}-permutation p-value) and a classifier "
        f"two-sample test (C2ST: histogram gradient boosting, {c2st_folds}-fold accuracy at "
        f"telling real from generated, 0.5 = cannot tell) test whether the two samples come "
        f"from one distribution. A single full-covariance Gaussian shows what the tests make "
        f"of a simpler model; real training rows are the reference that should pass, and that "
        f"the memorisation check should flag, since they are the training rows themselves."
    )


def add_section(
    report,
    model,
    data,
    *,
    seed=0,
    n_permutations=200,
    c2st_folds=5,
    max_rows=MAX_COMPARED_ROWS,
    title="Generation",
):
    """Add the generated-versus-real section: samples of ``model`` against held-out rows.

    The computation is :func:`compare`; the figure is :func:`samples_figure`.

    Parameters
    ----------
    report : gmmkit.report.Report
    model : GaussianMixture
        Fitted on ``data.X_train`` (the model-selection choice).
    data : gmmkit.studies.datasets.Split
    seed : int, default=0
    n_permutations : int, default=200
        Of the MMD permutation test.
    c2st_folds : int, default=5
        Folds of the classifier two-sample test.
    max_rows : int, default=MAX_COMPARED_ROWS
        Held-out rows compared at most (a seeded subsample when there are more); as many rows
        are generated.
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    n = min(len(data.X_test), max_rows)
    section = report.add_section(
        KEY, title, intro(n, n_permutations=n_permutations, c2st_folds=c2st_folds)
    )
    comparison = compare(
        model,
        data,
        seed=seed,
        n_permutations=n_permutations,
        c2st_folds=c2st_folds,
        max_rows=max_rows,
    )
    results = comparison.results
    section.summary = summary(comparison)
    section.add_figure(
        "generation_samples", samples_figure(comparison), samples_caption(comparison)
    )
    section.add_table(
        [
            {
                "generator": name,
                **values,
                "c2st_interval": f"{values['c2st_ci_low']:.3f}–{values['c2st_ci_high']:.3f}",
                "ks_text": f"{values['ks_features_different']} of {values['n_features']}",
            }
            for name, values in results.items()
        ],
        caption=(
            f"Generated (or real training) rows against the {n} held-out rows: MMD² and "
            f"its p-value, C2ST accuracy with its 95 % Wilson interval and p-value, the "
            f"median nearest-training-row distance relative to held-out rows (1 = as far "
            f"as new real rows, 0 = copies) and whether memorisation is flagged, and the "
            f"features whose marginal differs (Kolmogorov–Smirnov, Holm-adjusted, 5 %)."
        ),
        columns={
            "generator": "generator",
            "mmd2": "MMD²",
            "mmd_p_value": "MMD p",
            "c2st_accuracy": "C2ST accuracy",
            "c2st_interval": "95 % CI",
            "c2st_p_value": "C2ST p",
            "distance_ratio": "distance ratio",
            "memorised": "copies flagged",
            "ks_text": "KS: features differing",
        },
    )
    metrics = {
        "n_test": n,
        "n_permutations": n_permutations,
        "c2st_folds": c2st_folds,
        "chosen": comparison.chosen,
        "generators": results,
    }
    section.add_metrics(**metrics)
    return metrics


def _evaluate(sample, data, seed, n_permutations, c2st_folds):
    mmd = evaluation.mmd(sample, data.X_test, n_permutations=n_permutations, random_state=seed)
    c2st = evaluation.classifier_two_sample_test(
        data.X_test, sample, cv=c2st_folds, random_state=seed
    )
    memorisation = evaluation.memorisation(data.X_train, sample, data.X_test)
    ks = evaluation.ks_per_feature(sample, data.X_test)
    return {
        "mmd2": mmd.statistic,
        "mmd_p_value": mmd.p_value,
        "mmd_bandwidth": mmd.bandwidth,
        "c2st_accuracy": c2st.accuracy,
        "c2st_ci_low": c2st.ci_low,
        "c2st_ci_high": c2st.ci_high,
        "c2st_p_value": c2st.p_value,
        "distance_ratio": memorisation.distance_ratio,
        "copy_fraction": memorisation.copy_fraction,
        "memorised": memorisation.flagged,
        "ks_features_different": ks.n_different,
        "n_features": int(data.X_test.shape[1]),
    }


def summary(comparison):
    """The study's key result in one sentence: the chosen mixture's and a single Gaussian's
    test results."""
    mine = comparison.results[comparison.chosen]
    gaussian = comparison.results[ONE_GAUSSIAN]
    return (
        f"Samples of the {comparison.chosen}: MMD² {mine['mmd2']:.2g} "
        f"(p = {mine['mmd_p_value']:.3g}), "
        f"C2ST accuracy {mine['c2st_accuracy']:.3f} (95 % CI {mine['c2st_ci_low']:.3f}–"
        f"{mine['c2st_ci_high']:.3f}), {_verdict(mine)}; a single Gaussian: C2ST "
        f"{gaussian['c2st_accuracy']:.3f}, {_verdict(gaussian)}."
    )


def _verdict(values):
    """Plain words for the two tests at the 5 % level."""
    detected = [
        name
        for name, p in (("MMD", values["mmd_p_value"]), ("C2ST", values["c2st_p_value"]))
        if p < ALPHA
    ]
    if not detected:
        return "not told apart from real rows at the 5 % level"
    return f"told apart from real rows by {' and '.join(detected)} at the 5 % level"


def samples_figure(comparison):
    """Each generator's sample over the held-out rows, one panel each.

    Two features are drawn as they are, more on the training rows' first two principal
    components, one as histograms.

    Parameters
    ----------
    comparison : GenerationComparison

    Returns
    -------
    matplotlib.figure.Figure
    """
    samples, results, data = comparison.samples, comparison.results, comparison.data
    d = data.n_features
    real = data.X_test
    names, project = _plane(data) if d >= 2 else (None, None)
    figure = new_figure(5.0 * len(samples), 4.9)
    axes = figure.subplots(1, len(samples), sharex=True, sharey=True)
    for ax, (name, sample) in zip(axes, samples.items()):
        values = results[name]
        panel_title = (
            f"{name}\nMMD p = {values['mmd_p_value']:.3g}, "
            f"C2ST accuracy {values['c2st_accuracy']:.2f}"
        )
        if d == 1:
            _draw_histograms(ax, real[:, 0], sample[:, 0], _sample_label(name))
            ax.set_xlabel(data.feature_names[0])
            ax.set_ylabel("rows per bin")
            ax.set_title(panel_title)
        else:
            draw_real_and_generated(
                ax,
                project(real),
                project(sample),
                real_label="held-out real",
                generated_label=_sample_label(name),
            )
            label_plane(ax, names, panel_title)
        ax.title.set_fontsize("small")
        ax.legend(loc="best", fontsize="small")
    projection = "" if d <= 2 else ", on the training rows' first two principal components"
    figure.suptitle(f"Generated against held-out real rows{projection}")
    return figure


def _plane(data):
    """Axis names and the map onto them: the two features, or the first two principal
    components of the training rows."""
    if data.n_features == 2:
        return data.feature_names, np.asarray
    pca = PCA(n_components=2).fit(data.X_train)
    share = pca.explained_variance_ratio_
    return (
        [
            f"first principal component ({share[0]:.0%})",
            f"second principal component ({share[1]:.0%})",
        ],
        pca.transform,
    )


def _draw_histograms(ax, real, sample, sample_label):
    bins = np.histogram_bin_edges(np.concatenate([real, sample]), "auto")
    ax.hist(real, bins=bins, color="0.6", alpha=0.6, label="held-out real")
    ax.hist(
        sample, bins=bins, histtype="step", color="tab:orange", linewidth=1.6, label=sample_label
    )


def _sample_label(name):
    return REAL_TRAINING if name == REAL_TRAINING else "generated"


def samples_caption(comparison):
    """What to see in :func:`samples_figure`: C2ST accuracies and what memorisation flags."""
    results = comparison.results
    mine = results[comparison.chosen]
    gaussian = results[ONE_GAUSSIAN]
    reference = results[REAL_TRAINING]
    return (
        f"Rows from the {comparison.chosen} (orange) over the held-out rows (grey): C2ST "
        f"accuracy {mine['c2st_accuracy']:.2f}, against {gaussian['c2st_accuracy']:.2f} for a "
        f"single Gaussian and {reference['c2st_accuracy']:.2f} for real training rows; the "
        f"memorisation check flags "
        + (
            "only the real training rows, as it should."
            if reference["memorised"] and not mine["memorised"]
            else _flagged(results) + "."
        )
    )


def _flagged(results):
    flagged = [name for name, values in results.items() if values["memorised"]]
    return ", ".join(flagged) if flagged else "none of the samples"
