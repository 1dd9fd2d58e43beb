"""Worked studies behind ``gmmkit tour``: the two-moons and the handwritten-digits stories.

Each study module offers ``run(quick, seed) -> StudyResult`` (pure computation: metric rows,
fitted models and the arrays the figures need) and ``figures(result) -> {name: Figure}``
(matplotlib, imported only there). Printing and saving belong to the caller.
"""

from . import digits, moons
from ._sweep import ROW_FIELDS, StudyResult, best_row, fit_and_score, sweep

STUDIES = {moons.NAME: moons, digits.NAME: digits}
"""Study modules by dataset name, in the order the tour runs them."""

__all__ = ["ROW_FIELDS", "STUDIES", "StudyResult", "best_row", "digits", "fit_and_score",
           "moons", "sweep"]
