"""The last step of a sweep: the chosen configuration refitted from its own parameters to a
tight tolerance, so its criteria are those of the optimum its start led to, not of where the
sweep's looser tolerance stopped EM (mclust's ``Mclust`` tolerance leaves about 0.02 of BIC
on Old Faithful's best model; the sweep's default ``tol=1e-4`` per row can leave more)."""

from __future__ import annotations

from ..mixture import GaussianMixture
from .fitting import fit_configuration
from .planning import Plan, SweepSettings
from .result import fit_columns

#: The polish stops when the mean log-likelihood per row changes by less than this...
POLISH_TOL = 1e-9
#: ... or after this many EM iterations.
POLISH_MAX_ITER = 2000


def polish(
    plan: Plan, settings: SweepSettings, row: dict, model: GaussianMixture
) -> GaussianMixture:
    """``model`` (the best fit, whose table row is ``row``) refitted from its own parameters
    to :data:`POLISH_TOL`; ``row`` takes the polished likelihood criteria, its iterations are
    added to ``n_iter``. The polished fit is kept only when it is well posed and its
    likelihood is no lower (EM from a fixed point cannot lower it; a component that collapses
    on the way makes it ill-posed), else ``model`` and ``row`` are returned as they were.

    The polished estimator's parameters say how it was fitted: from ``model``'s parameters
    (``weights_init``, ``means_init``, ``precisions_init``) with ``tol=POLISH_TOL``, so a
    refit of it repeats the polish."""
    if settings.tol <= POLISH_TOL and settings.max_iter >= POLISH_MAX_ITER:
        return model
    polished = GaussianMixture(
        model.n_components,
        covariance_type=model.covariance_type,
        tol=POLISH_TOL,
        reg_covar=settings.reg_covar,
        max_iter=POLISH_MAX_ITER,
        weights_init=model.weights_,
        means_init=model.means_,
        precisions_init=model.precisions_,
        random_state=plan.seed,
        accelerate=bool(settings.accelerate),
        prior=settings.prior,
    )
    try:
        _, criteria = fit_configuration(
            polished, plan.X, plan.weight, None, None, plan.options, scores=True
        )
    except (ValueError, ArithmeticError):
        return model
    if polished.ill_posed_ is not None or not criteria["log_likelihood"] >= row["log_likelihood"]:
        return model
    iterations = row["n_iter"] + polished.n_iter_
    row.update(criteria)
    row.update(fit_columns(polished), n_iter=iterations)
    return polished
