"""The studies behind ``gmmkit tour`` and ``gmmkit report``.

Each module adds one section to a :class:`gmmkit.report.Report` with ``add_section(report,
...)`` (``clustering`` has two: the tour's sweep and one fitted mixture) and returns its metrics
or what later sections need. The five studies of the tour also expose their parts: a function
that computes the study and returns a result object (``clustering.sweep``, ``selection.sweep``,
``classification.compare``, ``generation.compare``, ``digits.project`` and
``digits.fit_models``), and figure and caption functions that take that object. The section
and the documentation's gallery call the same ones. They use gmmkit's public API, as a user
would:

- :mod:`~gmmkit.studies.clustering`: fitted mixtures, log-likelihood and silhouette;
- :mod:`~gmmkit.studies.selection`: BIC/AIC/ICL, silhouette, CV likelihood, held-out test;
- :mod:`~gmmkit.studies.classification`: P(y | x) from mixtures against baselines;
- :mod:`~gmmkit.studies.generation`: generated against held-out real rows;
- :mod:`~gmmkit.studies.digits`: the digits story (tour only);
- :mod:`~gmmkit.studies.datasets`: the data, split into training and held-out rows.
"""

from . import classification, clustering, datasets, digits, generation, selection

__all__ = ["classification", "clustering", "datasets", "digits", "generation", "selection"]
