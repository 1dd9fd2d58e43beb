"""How many components the data support: the sequential bootstrap likelihood-ratio test.

:func:`gmmkit.bootstrap_lrt` tests :math:`g` against :math:`g + 1` components for
:math:`g = 1, 2, \\dots` on the training rows, with the covariance type model selection chose,
and stops at the first test that is not significant; the section sets its answer beside BIC's.
"""

from __future__ import annotations

from ..inference.lrt import bootstrap_lrt
from ._figures import new_figure

KEY = "lrt"
LEVEL = 0.05


def add_section(
    report,
    data,
    *,
    mixture,
    n_bootstrap=99,
    max_components=None,
    seed=0,
    settings=None,
    title="How many components: the bootstrap likelihood-ratio test",
):
    """Add the bootstrap LRT section.

    Parameters
    ----------
    report : gmmkit.report.Report
    data : gmmkit.studies.datasets.Split
    mixture : GaussianMixture
        Model selection's choice: its covariance type is tested, and the sequence goes at
        most one component past its number (``max_components`` when given).
    n_bootstrap : int, default=99
        Replicates per test.
    max_components : int, optional
    seed : int, default=0
    settings : dict, optional
        ``reg_covar`` (and other :func:`gmmkit.bootstrap_lrt` options) of every fit.
    title : str

    Returns
    -------
    dict
        The section's metrics.
    """
    upper = max_components if max_components is not None else mixture.n_components + 1
    upper = max(2, int(upper))
    result = bootstrap_lrt(
        data.X_train,
        covariance_type=mixture.covariance_type,
        max_components=upper,
        n_bootstrap=n_bootstrap,
        level=LEVEL,
        random_state=seed,
        n_jobs=-1,
        **dict(settings or {}),
    )
    section = report.add_section(
        KEY,
        title,
        (
            f"The parametric-bootstrap likelihood-ratio test (McLachlan 1987; mclust's "
            f"mclustBootstrapLRT) of g against g + 1 components ({mixture.covariance_type} "
            f"covariance, the type BIC chose): the statistic 2 (log L(g+1) - log L(g)) on the "
            f"{len(data.X_train)} training rows is compared with its distribution over "
            f"{n_bootstrap} data sets simulated from the g-component fit, each refitted with g "
            f"and g + 1 components. The sequence starts at g = 1 and stops at the first test "
            f"that is not significant at level {LEVEL:g}, or at {upper} components."
        ),
    )
    agrees = result.n_components == mixture.n_components
    section.summary = (
        f"The bootstrap LRT supports {result.n_components} component"
        f"{'s' if result.n_components != 1 else ''}; BIC chose {mixture.n_components}"
        + (" (they agree)." if agrees else ".")
    )
    section.add_text(f"The sequence stopped: {result.stop_reason}.")
    section.add_table(
        result.records(),
        caption=(
            f"Each test's observed statistic and bootstrap p-value (1 + #replicates at "
            f"least as large) / ({n_bootstrap} + 1); n_clamped counts replicates whose "
            f"(g+1)-component refit did not exceed the g-component one."
        ),
        columns={
            "g": "g",
            "alternative": "vs",
            "lrts": "LRTS",
            "p_value": "p-value",
            "significant": "significant",
            "n_clamped": "n_clamped",
        },
    )
    if len(result.g):
        figure = new_figure(4.2 * len(result.g) + 1.0, 4.2)
        axes = figure.subplots(1, len(result.g), squeeze=False)[0]
        result.plot(ax=axes)
        figure.suptitle("Bootstrap distributions of the LRT statistic (line: observed)")
        section.add_figure(
            "lrt_distributions",
            figure,
            (
                "Histogram of each test's bootstrap statistics under its null hypothesis of g "
                "components, against the statistic observed on the training rows (dashed line): "
                "an observed value far in the right tail rejects g in favour of g + 1."
            ),
        )
    metrics = {
        "n_bootstrap": n_bootstrap,
        "level": LEVEL,
        "n_components": result.n_components,
        "bic_n_components": mixture.n_components,
        "covariance_type": mixture.covariance_type,
        "stop_reason": result.stop_reason,
        "tests": result.records(),
    }
    section.add_metrics(**metrics)
    return metrics
