"""The model-selection criteria: each one's name, the table column that holds it, which way is
better, and the label figures and reports show.

The one definition that :func:`gmmkit.select` (ranking), the ``gmmkit select --criterion`` choices,
:mod:`gmmkit.plotting` and the report's selection study read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    """One way to score a configuration of a selection sweep.

    Attributes
    ----------
    name : str
        What users pass (``criterion='bic'``, ``--criterion bic``).
    column : str
        The key of :attr:`gmmkit.SelectionResult.rows` that holds its value.
    higher_is_better : bool
    label : str
        Its name in figures and tables (``'BIC'``).
    information : bool
        A penalised-likelihood criterion (BIC, AIC, ICL): computed from the training fit alone
        and lower is better.
    """

    name: str
    column: str
    higher_is_better: bool
    label: str
    information: bool = False


#: Criterion name -> :class:`Criterion`, in the order they are listed to users.
CRITERIA = {
    criterion.name: criterion
    for criterion in (
        Criterion("bic", "bic", higher_is_better=False, label="BIC", information=True),
        Criterion("aic", "aic", higher_is_better=False, label="AIC", information=True),
        Criterion("icl", "icl", higher_is_better=False, label="ICL", information=True),
        Criterion("cv", "cv_mean", higher_is_better=True, label="CV log-likelihood"),
        Criterion("silhouette", "silhouette", higher_is_better=True, label="silhouette"),
    )
}

#: Names of the penalised-likelihood criteria (``'bic'``, ``'aic'``, ``'icl'``).
INFORMATION_CRITERIA = tuple(name for name, criterion in CRITERIA.items() if criterion.information)
