"""Model selection: sweep covariance types x numbers of components, choose by BIC, and check the
choice on held-out test rows no fit has seen.

Works on any data split (the tour's two moons, or a user's data in ``gmmkit report``).
:func:`sweep` computes the study; :func:`criteria_figure`, :func:`mclust_bic_figure` and
:func:`cv_silhouette_figure` draw it; :func:`add_section` writes it as a report section (the
gallery calls the same functions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import plotting
from .._data import plural
from ..criteria import CRITERIA
from ..mixture import GaussianMixture
from ..selection import select
from ..standardizing import fit_standardized
from ._figures import new_figure

KEY = "selection"
SWEEP_COLUMNS = (
    "covariance_type",
    "n_components",
    "log_likelihood",
    "bic",
    "aic",
    "icl",
    "silhouette",
    "cv_mean",
    "cv_std",
    "n_parameters",
    "converged",
    "n_iter",
    "error",
)
N_TABLE_ROWS = 10


@dataclass(frozen=True)
class SelectionSweep:
    """The model-selection study's computation: the sweep, each criterion's pick, and how the
    picks score on the held-out rows.

    Attributes
    ----------
    data : gmmkit.studies.datasets.Split
    result : gmmkit.SelectionResult
        The sweep on the training rows; ``best_estimator_`` is the BIC choice.
    records : list of dict
        ``result.records()``.
    picks : dict of str to dict
        See :func:`criterion_picks`.
    test_scores : dict of (str, int) to dict
        ``train_log_likelihood`` and ``test_log_likelihood`` per row of every picked
        configuration, by (covariance type, number of components).
    chosen : dict
        The BIC choice: its configuration, BIC, parameters, train, test and CV log-likelihood.
    cv : int or None
        Folds of the cross-validated held-out likelihood.
    """

    data: object
    result: object
    records: list
    picks: dict
    test_scores: dict
    chosen: dict
    cv: int | None

    @property
    def best_estimator(self):
        """The BIC choice, fitted on the training rows."""
        return self.result.best_estimator_


def sweep(
    data,
    *,
    n_components,
    covariance_type="sklearn",
    cv=5,
    seed=0,
    n_init=1,
    reg_covar=1e-6,
    max_iter=100,
    standardize=False,
):
    """Sweep ``data``'s training rows, choose by BIC, and score every criterion's pick on the
    held-out rows.

    Parameters
    ----------
    data : gmmkit.studies.datasets.Split
    n_components : iterable of int
    covariance_type : 'sklearn', 'all', str or list of str, default='sklearn'
    cv : int or None, default=5
        Folds of the cross-validated held-out likelihood; None skips it.
    seed : int, default=0
    n_init, reg_covar, max_iter : default=1, 1e-6, 100
        Of every fit of the sweep (see :func:`gmmkit.select`).
    standardize : bool, default=False
        Sweep the standardized rows (see :func:`gmmkit.select`); every model answers in the
        original units.

    Returns
    -------
    SelectionSweep
    """
    result = select(
        data.X_train,
        n_components=n_components,
        covariance_type=covariance_type,
        criterion="bic",
        cv=cv,
        n_init=n_init,
        reg_covar=reg_covar,
        max_iter=max_iter,
        random_state=seed,
        n_jobs=-1,
        standardize=standardize,
    )
    records = result.records()
    picks = criterion_picks(records, result)
    test_scores = _score_picks(picks, result, data, seed, standardize)
    chosen = picks["bic"]
    best = result.best_estimator_
    chosen_summary = {
        "covariance_type": chosen["covariance_type"],
        "n_components": chosen["n_components"],
        "bic": chosen["bic"],
        "n_parameters": chosen["n_parameters"],
        "train_log_likelihood": float(best.score(data.X_train)),
        "test_log_likelihood": float(best.score(data.X_test)),
        "cv_mean": chosen["cv_mean"],
        "cv_std": chosen["cv_std"],
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
    }
    return SelectionSweep(data, result, records, picks, test_scores, chosen_summary, cv)


def intro(sweep):
    """The section's opening paragraph: what was swept, how it is scored, what is held out."""
    data, records, cv = sweep.data, sweep.records, sweep.cv
    n_types = len({row["covariance_type"] for row in records})
    cv_text = f", by {cv}-fold cross-validated held-out log-likelihood" if cv else ""
    return (
        f"`gmmkit.select` fits every pair of covariance type and number of components "
        f"({len(records)} configurations, {plural(n_types, 'covariance type')}) to the "
        f"{len(data.X_train)} training rows of {data.name} and scores each by BIC, AIC and ICL "
        f"(lower is better), by the silhouette of its hard clustering{cv_text}. BIC makes the "
        f"choice. The {len(data.X_test)} test rows were split off (seeded) before any fit, so "
        f"the chosen model's log-likelihood on them is an honest estimate of how it generalises."
    )


def summary(sweep):
    """The study's key result in one sentence: BIC's choice and its held-out score."""
    chosen = sweep.chosen
    cv = f", cross-validated {chosen['cv_mean']:.3f}" if _finite(chosen["cv_mean"]) else ""
    return (
        f"BIC chooses {chosen['covariance_type']} covariance with "
        f"k={chosen['n_components']}; on the {chosen['n_test']} held-out test rows it scores "
        f"{chosen['test_log_likelihood']:.3f} log-likelihood per row (training rows "
        f"{chosen['train_log_likelihood']:.3f}{cv})."
    )


def score_panels(sweep, silhouette_panel=True):
    """The panels of :func:`cv_silhouette_figure` that have values: ``'cv'`` and ``'silhouette'``.

    Parameters
    ----------
    sweep : SelectionSweep
    silhouette_panel : bool, default=True
        False leaves the silhouette out (a report that draws it elsewhere).

    Returns
    -------
    list of str
    """
    return [
        name
        for name in ("cv", "silhouette")
        if name in sweep.picks and (name != "silhouette" or silhouette_panel)
    ]


def add_section(
    report,
    data,
    *,
    n_components,
    covariance_type="sklearn",
    cv=5,
    seed=0,
    n_init=1,
    reg_covar=1e-6,
    max_iter=100,
    silhouette_panel=True,
    title="Model selection",
    standardize=False,
):
    """Add the model-selection section for ``data`` to ``report``.

    The computation is :func:`sweep`; the figures are :func:`criteria_figure`,
    :func:`mclust_bic_figure` and :func:`cv_silhouette_figure`.

    Parameters
    ----------
    report : gmmkit.report.Report
    data : gmmkit.studies.datasets.Split
    n_components : iterable of int
    covariance_type : 'sklearn', 'all', str or list of str, default='sklearn'
    cv : int or None, default=5
        Folds of the cross-validated held-out likelihood; None skips it.
    seed : int, default=0
    n_init, reg_covar, max_iter : default=1, 1e-6, 100
        Of every fit of the sweep (see :func:`gmmkit.select`).
    silhouette_panel : bool, default=True
        Draw the silhouette curves (a report that shows them elsewhere passes False; the
        silhouette's pick stays in the table).
    title : str, default='Model selection'
    standardize : bool, default=False
        Sweep the standardized rows (see :func:`gmmkit.select`); every model shown answers in
        the original units.

    Returns
    -------
    gmmkit.SelectionResult
        The sweep on the training rows; ``best_estimator_`` is the BIC choice.
    """
    study = sweep(
        data,
        n_components=n_components,
        covariance_type=covariance_type,
        cv=cv,
        seed=seed,
        n_init=n_init,
        reg_covar=reg_covar,
        max_iter=max_iter,
        standardize=standardize,
    )
    result, records, picks, test_scores = (
        study.result,
        study.records,
        study.picks,
        study.test_scores,
    )
    section = report.add_section(KEY, title, intro(study))
    section.summary = summary(study)
    for caveat in _caveats(result):
        section.add_text(caveat)

    section.add_figure("selection_criteria", criteria_figure(study), criteria_caption(study))
    section.add_figure("selection_mclust_bic", mclust_bic_figure(study), MCLUST_BIC_CAPTION)
    panels = score_panels(study, silhouette_panel)
    if panels:
        section.add_figure(
            "selection_cv_silhouette",
            cv_silhouette_figure(study, panels),
            cv_silhouette_caption(study, panels),
        )
    if not silhouette_panel and "silhouette" in picks:
        section.add_text(
            "The silhouette curves of these fits are drawn in the clustering "
            "section above; the silhouette's pick is in the next table."
        )
    n_test = len(data.X_test)
    section.add_table(
        [
            {
                "criterion": CRITERIA[name].label,
                "model": _model(row),
                "value": row[CRITERIA[name].column],
                **test_scores[_config(row)],
            }
            for name, row in picks.items()
        ],
        caption=(
            f"The model each criterion picks, with its mean log-likelihood per row on the "
            f"training rows and on the {n_test} held-out test rows (higher is better)."
        ),
        columns={
            "criterion": "criterion",
            "model": "picks",
            "value": "its value",
            "train_log_likelihood": "train log-lik/row",
            "test_log_likelihood": "test log-lik/row",
        },
    )
    ranked = sorted((row for row in records if _finite(row["bic"])), key=lambda row: row["bic"])
    section.add_table(
        ranked[:N_TABLE_ROWS],
        caption=(
            f"The {min(N_TABLE_ROWS, len(ranked))} best configurations by BIC "
            f"(all {len(records)} are in metrics.json)."
        ),
        columns={
            "covariance_type": "covariance",
            "n_components": "k",
            "log_likelihood": "log-lik/row",
            "bic": "BIC",
            "aic": "AIC",
            "icl": "ICL",
            "silhouette": "silhouette",
            **({"cv_mean": "CV log-lik/row"} if cv else {}),
            "n_parameters": "parameters",
            "n_iter": "EM iterations",
        },
    )
    section.add_metrics(
        chosen=study.chosen,
        picks={
            name: {
                "covariance_type": row["covariance_type"],
                "n_components": row["n_components"],
                "value": row[CRITERIA[name].column],
                **test_scores[_config(row)],
            }
            for name, row in picks.items()
        },
        cv_folds=cv,
        sweep=[{column: row.get(column) for column in SWEEP_COLUMNS} for row in records],
    )
    return result


def best_row(records, column, higher_is_better=False):
    """The row with the best finite ``column``; ties go to the first in table order.

    Parameters
    ----------
    records : list of dict
    column : str
    higher_is_better : bool, default=False

    Returns
    -------
    dict or None
        None when no row has a finite value.
    """
    finite = [row for row in records if _finite(row.get(column))]
    if not finite:
        return None
    sign = -1.0 if higher_is_better else 1.0
    return min(finite, key=lambda row: sign * row[column])


def criterion_picks(records, result):
    """The configuration each criterion picks (those with any finite value).

    BIC's pick is ``result.best_params_``, so it always matches ``best_estimator_``.

    Returns
    -------
    dict of str to dict
        Criterion name (:data:`gmmkit.criteria.CRITERIA`) to its row of ``records``.
    """
    picks = {}
    for name, criterion in CRITERIA.items():
        row = best_row(records, criterion.column, criterion.higher_is_better)
        if row is not None:
            picks[name] = row
    chosen = result.best_params_
    picks["bic"] = next(
        row
        for row in records
        if row["n_components"] == chosen["n_components"]
        and row["covariance_type"] == chosen["covariance_type"]
    )
    return picks


def _score_picks(picks, result, data, seed, standardize=False):
    """Train and test log-likelihood per row of every picked configuration, by configuration.

    Each pick is refitted as ``select`` fitted it (same seed and settings, so the same model);
    the BIC pick is ``best_estimator_`` itself.
    """
    scores = {}
    for row in picks.values():
        config = _config(row)
        if config in scores:
            continue
        if config == _config(picks["bic"]):
            model = result.best_estimator_
        else:
            model = GaussianMixture(
                row["n_components"], covariance_type=row["covariance_type"], random_state=seed
            )
            model = (
                fit_standardized(model, data.X_train) if standardize else model.fit(data.X_train)
            )
        scores[config] = {
            "train_log_likelihood": float(model.score(data.X_train)),
            "test_log_likelihood": float(model.score(data.X_test)),
        }
    return scores


MCLUST_BIC_CAPTION = (
    "The same sweep as R mclust draws it: BIC as 2 log L - p log n (higher is better), "
    "one line per model by its mclust name, in mclust's symbols and colours; a gap is an "
    "ill-posed or failed fit (mclust's NA)."
)


def criteria_figure(sweep):
    """BIC, AIC and ICL of every fit against the number of components, side by side.

    Parameters
    ----------
    sweep : SelectionSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = new_figure(15, 4.4)
    for ax, criterion in zip(figure.subplots(1, 3), ("bic", "aic", "icl")):
        plotting.plot_criterion(sweep.result, criterion, ax=ax)
    figure.suptitle(
        f"Information criteria of every fit on the {len(sweep.data.X_train)} training rows "
        "(lower is better; the star marks each criterion's minimum)"
    )
    return figure


def mclust_bic_figure(sweep):
    """The sweep's BIC as R mclust draws it (:func:`gmmkit.plotting.plot_mclust_bic`).

    Parameters
    ----------
    sweep : SelectionSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = new_figure(6.4, 4.4)
    plotting.plot_mclust_bic(sweep.result, ax=figure.add_subplot())
    return figure


def cv_silhouette_figure(sweep, panels=("cv", "silhouette")):
    """The scores that need no parameter count: held-out likelihood and silhouette.

    Parameters
    ----------
    sweep : SelectionSweep
    panels : sequence of {'cv', 'silhouette'}, default=('cv', 'silhouette')
        The panels drawn, each with values (see :func:`score_panels`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = new_figure(7 if len(panels) == 1 else 12, 4.6)
    draw = {"cv": plotting.plot_cv, "silhouette": plotting.plot_silhouette}
    for ax, name in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        draw[name](sweep.result, ax=ax)
    names = {"cv": "held-out likelihood", "silhouette": "silhouette"}
    figure.suptitle(
        "Scores that need no parameter count: " + " and ".join(names[name] for name in panels)
    )
    return figure


def criteria_caption(sweep):
    """What to see in :func:`criteria_figure`: each criterion's pick, and how AIC and BIC
    differ."""
    picks = sweep.picks
    parts = [
        f"{CRITERIA[name].label} is lowest at {_model(picks[name])}"
        for name in ("bic", "aic", "icl")
    ]
    k = {name: picks[name]["n_components"] for name in ("bic", "aic", "icl")}
    if k["aic"] > k["bic"]:
        note = "AIC's lighter penalty (2 per parameter against log n) lets it keep more components"
    elif k["aic"] == k["bic"]:
        note = "AIC and BIC agree on the number of components here"
    else:
        note = "AIC picks fewer components than BIC here"
    return f"{', '.join(parts)}; {note}."


def cv_silhouette_caption(sweep, panels=("cv", "silhouette")):
    """What to see in :func:`cv_silhouette_figure`: where each score peaks."""
    picks = sweep.picks
    parts = []
    if "cv" in panels:
        row = picks["cv"]
        parts.append(
            f"held-out log-likelihood is highest at {_model(row)}, {row['cv_mean']:.3f} per row"
        )
    if "silhouette" in panels:
        row = picks["silhouette"]
        parts.append(
            f"the silhouette is highest at {_model(row)}, {row['silhouette']:.3f}: it "
            "rewards few well-separated clusters rather than a good density"
        )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _caveats(result):
    """What the reader must know before trusting the choice: a best model at the edge of the
    searched range, and fits that stopped at ``max_iter`` (the sweep warns of both too; this
    puts them in the report's text, not only in its list of warnings)."""
    caveats = []
    advice = result.range_edge_advice()
    if advice is not None:
        best, searched, wider = advice
        caveats.append(
            f"Caution: BIC's choice, {plural(best['n_components'], 'component')}, is the "
            f"{result.range_edge} number searched ({searched}); a range with {wider} values "
            f"may find a better model (`gmmkit report -k`)."
        )
    unconverged = result.unconverged
    if unconverged:
        names = ", ".join(f"{kind} k={k}" for k, kind in unconverged)
        caveats.append(
            f"Caution: {plural(len(unconverged), 'configuration')} of {len(result.rows)} "
            f"did not converge within max_iter ({names}); their scores are those of the last "
            f"iterate (consider a larger `--max-iter`)."
        )
    return caveats


def _model(row):
    return f"k={row['n_components']} ({row['covariance_type']})"


def _config(row):
    return row["covariance_type"], row["n_components"]


def _finite(value):
    return value is not None and math.isfinite(value)
