r"""Classifiers built from Gaussian mixtures.

:class:`MixtureClassifier` (supervised, or semi-supervised with unlabelled rows)
    One mixture per class models :math:`p(x \mid y)`; Bayes' rule gives

    .. math:: \log P(y = c \mid x) = \log \pi_c + \log p(x \mid c)
              - \operatorname{logsumexp}_{c'} \left[\log \pi_{c'} + \log p(x \mid c')\right].

    Each class's mixture is fitted on its own rows (mclust's MclustDA), or, with
    ``mode='edda'``, one Gaussian per class with the parts of the covariances that a covariance
    model's letters make equal shared by all classes (mclust's EDDA, :mod:`gmmkit.discriminant`).

:class:`ComponentClassifier` (unsupervised or semi-supervised)
    One mixture is fitted to all rows without their labels; the labelled rows then give a map
    :math:`M_{kc} = P(y = c \mid k)` from components to classes, and

    .. math:: P(y = c \mid x) = \sum_k P(k \mid x)\, M_{kc}.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._core.covariances import swept_covariance_types
from ._dask_input import is_dask_collection
from ._data import plural
from ._validation import (
    InvalidParameterError,
    check_n_samples,
    parameter_constraints,
    validate_data,
)
from .discriminant import check_class_settings, class_setting, fit_edda
from .mixture import (
    GaussianMixture,
    _check_sample_weight,
    _draw_categories,
    draw_components,
    mixture_rows,
)
from .standardizing import standardization, to_original_units

__all__ = ["ComponentClassifier", "IllPosedWarning", "MixtureClassifier", "SmallClassWarning"]

#: Parameters passed unchanged to every :class:`GaussianMixture` a classifier fits.
_MIXTURE_PARAMS = ("covariance_type", "tol", "reg_covar", "max_iter", "n_init", "init_params")
#: A component whose labelled responsibility mass is below this (in rows) has seen no label.
_NO_LABELLED_MASS = 1e-8


class IllPosedWarning(UserWarning):
    """A class's mixture is ill-posed (see :attr:`GaussianMixture.ill_posed_`): every mixture
    ``n_components='auto'`` could choose was (one component was fitted instead), or a
    semi-supervised fit drove a class's component onto too few rows."""


class SmallClassWarning(UserWarning):
    """A class had fewer samples than the components asked for; it got fewer components."""


def _fit_mixture(X, weight, n_components, max_components, params, seed, criterion="bic"):
    """A fitted :class:`GaussianMixture` with ``n_components`` components, or, for
    ``"auto"``, the best by ``criterion`` (lowest BIC, AIC or ICL) over
    ``1..min(max_components, n_samples)``.

    :func:`gmmkit.select` chooses whenever there is a choice: ``"auto"``, a ``covariance_type``
    that names several models (``'all'``, ``'sklearn'`` or a list; the best model for the
    given number of components) or ``init_params='hc+kmeans'`` (the better of both starts).
    """
    from .selection.fitting import BOTH_STARTS, start_methods

    swept = swept_covariance_types(params["covariance_type"])
    if n_components == "auto" or len(swept) > 1 or params["init_params"] == BOTH_STARTS:
        from .selection import select
        from .selection.result import AllIllPosedError

        candidates = (
            range(1, min(max_components, X.shape[0]) + 1)
            if n_components == "auto"
            else [n_components]
        )
        try:
            result = select(
                X,
                n_components=candidates,
                covariance_type=params["covariance_type"],
                criterion=criterion,
                random_state=seed,
                sample_weight=weight,
                silhouette_samples=None,
                **{name: value for name, value in params.items() if name != "covariance_type"},
            )
        except AllIllPosedError as exc:
            fallback = 1 if n_components == "auto" else n_components
            warnings.warn(
                f"n_components={n_components!r}, covariance_type="
                f"{params['covariance_type']!r}: {exc}; "
                f"{plural(fallback, 'component')} of {swept[0]} fitted instead, "
                f"held only by reg_covar",
                IllPosedWarning,
                stacklevel=3,
            )
            single = {
                **params,
                "covariance_type": swept[0],
                "init_params": start_methods(params["init_params"])[-1],
            }
            return GaussianMixture(fallback, random_state=seed, **single).fit(
                X, sample_weight=weight
            )
        if result.best_estimator_ is None:
            raise ValueError(
                f"n_components={n_components!r}: every candidate mixture failed to fit"
            )
        return result.best_estimator_
    mixture = GaussianMixture(
        n_components, random_state=seed, **{**params, "covariance_type": swept[0]}
    )
    return mixture.fit(X, sample_weight=weight)


def _check_components_dict(n_components):
    """Each value of a ``{class: n_components}`` dict is an int >= 1 (the dict itself passed
    the estimator's parameter constraints)."""
    for label, value in n_components.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise InvalidParameterError(
                f"each value of n_components must be an int, got {value!r} for class {label!r}"
            )
        if value < 1:
            raise InvalidParameterError(
                f"each value of n_components must be >= 1, got {value!r} for class {label!r}"
            )


def _seeds(random_state, count):
    """One int seed per fit, drawn from ``random_state`` (so an int makes every fit repeatable)."""
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=count)


class MixtureClassifier(ClassifierMixin, BaseEstimator):
    r"""Bayes classifier with one Gaussian mixture per class.

    For every class :math:`c` a :class:`GaussianMixture` models :math:`p(x \mid c)`, and

    .. math:: P(c \mid x) = \frac{\pi_c\, p(x \mid c)}{\sum_{c'} \pi_{c'}\, p(x \mid c')},

    computed in log space. With one component per class and ``covariance_type='full'`` this is
    quadratic discriminant analysis; more components model classes that are not Gaussian.

    Parameters
    ----------
    n_components : int, dict or 'auto', default=1
        Components per class: one int for every class, a dict ``{class: int}`` naming every
        class, or ``'auto'`` to choose each class's number by ``criterion`` over
        ``1..min(max_components, n_samples_in_class)`` with :func:`gmmkit.select`.
        A class with fewer samples than its number of components is fitted with one component per
        sample, with a :class:`SmallClassWarning`; a class with a single sample is an error.
    covariance_type : str, list of str or dict, default='full'
        The structure of every class's mixture: a registered name (``'full'``, ``'tied'``,
        ``'diag'``, ``'spherical'``, mclust's ``'EII'`` ... ``'VVV'``), or several for
        :func:`gmmkit.select` to choose from by ``criterion``, class by class: a list of
        names, ``'sklearn'`` (the four above) or ``'all'`` (mclust's 14 models). With
        ``n_components='auto'`` and ``'all'`` this is mclust's ``MclustDA``: each class gets
        its own number of components and model, never an ill-posed fit. A dict ``{class:
        setting}`` names every class's own. The chosen structures are in
        ``covariance_types_``.
    mode : {'mixture', 'edda'}, default='mixture'
        ``'mixture'``: every class's mixture is fitted on its own rows alone (mclust's
        ``MclustDA``). ``'edda'``: eigenvalue-decomposition discriminant analysis (Bensmail
        & Celeux 1996, mclust's ``EDDA``): one Gaussian per class (``n_components`` must
        be 1) and one covariance model for all classes, whose letters say what the classes
        share, :math:`\Sigma_c = \lambda_c D_c A_c D_c^T` (EEE: one covariance, linear
        discriminant analysis; VVV: quadratic), fitted by maximum likelihood on the
        labelled rows and chosen among ``covariance_type``'s candidates by ``criterion``
        (see :func:`gmmkit.discriminant.fit_edda`); ``model_table_`` lists them.
    priors : 'empirical', 'uniform', array-like of shape (n_classes,) or dict, default='empirical'
        Class priors :math:`\pi_c`: the (weighted) class frequencies, equal priors, or given
        values (in the order of ``classes_``, or a dict ``{class: prior}``) that sum to one.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        What ``'auto'`` minimises.
    max_components : int, default=10
        Upper end of the ``'auto'`` search.
    tol, reg_covar, max_iter, n_init : as in :class:`GaussianMixture`
    init_params : str, default='kmeans'
        As in :class:`GaussianMixture`, or ``'hc+kmeans'``: every class's mixture fitted
        from mclust's hierarchical start and from ``n_init`` k-means starts, keeping the
        better (what :func:`gmmkit.select` does by default, and close to ``MclustDA``, which
        starts from the hierarchical partition).
    random_state : int, RandomState instance or None, default=None
        Seeds every per-class fit (each class gets its own seed drawn from this one).
    standardize : bool, default=False
        Fit every class's mixture on the features standardized with the mean and standard
        deviation of all the (weighted) rows, then map each back to the original units
        (:func:`gmmkit.standardizing.to_original_units`): the classes share one change of
        units, so the posteriors are those of the standardized fits, and ``mixtures_``
        answer on raw rows. Spherical mixtures come back diagonal;
        ``n_parameters_`` counts the structure fitted.
    prior : None, 'default' or ConjugatePrior, default=None
        mclust's conjugate prior for every class's mixture (see :class:`GaussianMixture`),
        resolved from that class's rows: maximum a posteriori fits, whose covariances stay
        well conditioned with many components per class. In a semi-supervised fit it is
        resolved from all rows, as mclust's ``MclustSSC`` does.
    unlabeled : label, default=-1
        The value of ``y`` that marks a row without a label (scikit-learn's semi-supervised
        convention; compared as :class:`ComponentClassifier` compares it, so ``-1`` marks
        numeric labels and ``-1`` entries of an object array, never a string). With such rows
        the fit is semi-supervised (see :meth:`fit`); ``n_components='auto'`` then raises a
        ValueError. Set it to a value outside your labels to use ``-1`` as a class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    mixtures_ : list of GaussianMixture
        ``mixtures_[j]`` models :math:`p(x \mid \text{classes\_}[j])`.
    class_prior_ : ndarray of shape (n_classes,)
    n_components_ : ndarray of shape (n_classes,)
        Components used for each class.
    covariance_types_ : list of str
        The covariance model of each class's mixture as fitted (before ``standardize``
        maps it back to the original units, where a structure may become ``'full'``).
    covariance_type_ : str
        ``mode='edda'`` only: the model chosen for all classes.
    model_table_ : list of dict
        ``mode='edda'`` only: one row per candidate model, in the order swept, with
        ``covariance_type``, ``log_likelihood`` (of ``X`` alone, :math:`\sum_i w_i \log
        \sum_c \pi_c\, \mathcal N(x_i \mid \mu_c, \Sigma_c)`), ``n_parameters``,
        ``bic``, ``aic``, ``icl`` and ``ill_posed`` (why, or None); the BIC of the chosen
        row is :meth:`bic` on the training data.
    n_iter_ : ndarray of shape (n_classes,)
        EM iterations of each class's kept fit (in a semi-supervised fit, those of the one
        joint EM, for every class).
    converged_ : bool
        Whether every class's fit converged.
    lower_bounds_ : ndarray of shape (n_iter,)
        Semi-supervised fits only: the observed-data log-likelihood per unit of weight at
        every iteration (see :mod:`gmmkit.semisupervised`); never decreasing.
    n_parameters_ : int
        Free parameters of the joint model: every mixture's, plus ``n_classes - 1`` for the
        priors when they are estimated (``priors='empirical'``); fixed priors are not fitted.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from gmmkit import MixtureClassifier
    >>> X, y = make_moons(400, noise=0.1, random_state=0)
    >>> clf = MixtureClassifier(n_components=4, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = parameter_constraints("MixtureClassifier")

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        mode="mixture",
        priors="empirical",
        criterion="bic",
        max_components=10,
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
        standardize=False,
        prior=None,
        unlabeled=-1,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.mode = mode
        self.priors = priors
        self.criterion = criterion
        self.max_components = max_components
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.standardize = standardize
        self.prior = prior
        self.unlabeled = unlabeled

    def fit(self, X, y, sample_weight=None):
        """Fit one mixture per class and the class priors.

        When some rows are marked ``unlabeled``, the fit is semi-supervised (mclust's
        ``MclustSSC``, :mod:`gmmkit.semisupervised`): the supervised fit on the labelled rows
        starts EM over all rows, in which a labelled row belongs to its class's components and
        an unlabelled row is shared by every class's; the class priors (when
        ``priors='empirical'``) are then every class's share of all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a Dask array or DataFrame
            Dask input fits every class's mixture on its rows, selected lazily, through the
            Dask engine, and makes every prediction a lazy Dask array (see
            :mod:`gmmkit._classification_dask`; supervised ``mode='mixture'`` fits only).
        y : array-like of shape (n_samples,)
            Class labels of any hashable type numpy can sort (ints, strings), with
            ``unlabeled`` (default ``-1``) for the rows without one; a Dask array with Dask
            ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights every per-class fit and the empirical priors.

        Returns
        -------
        self : MixtureClassifier
        """
        self._validate_params()
        if is_dask_collection(X) or is_dask_collection(y):
            from ._classification_dask import fit_on_dask

            return fit_on_dask(self, X, y, sample_weight)
        if isinstance(self.n_components, dict):
            _check_components_dict(self.n_components)
        if isinstance(self.covariance_type, dict):
            check_class_settings(self.covariance_type, "covariance_type")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2)
        weight = _check_sample_weight(sample_weight, X.shape[0])
        labelled = self._labelled_rows(y)
        X_all, weight_all = X, weight
        if not labelled.all():
            X, y = X[labelled], y[labelled]
            weight = None if weight is None else weight[labelled]
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"MixtureClassifier needs at least 2 classes in y, got 1 class "
                f"({_label(self.classes_[0])!r})"
            )
        class_weight = np.bincount(y_index, weights=weight, minlength=n_classes)
        empty = np.flatnonzero(class_weight <= 0)
        if empty.size:
            raise ValueError(
                f"class {_label(self.classes_[empty[0]])!r} has zero total "
                "sample_weight: drop its rows or give them a positive weight"
            )
        self.class_prior_ = self._class_priors(class_weight)
        if isinstance(self.n_components, dict):
            extra = [c for c in self.n_components if c not in set(self.classes_.tolist())]
            if extra:
                raise ValueError(
                    f"n_components names label(s) {extra} that are not classes in y "
                    f"({self.classes_.tolist()}; a class needs labelled rows)"
                )
        params = {name: getattr(self, name) for name in (*_MIXTURE_PARAMS, "prior")}
        seeds = _seeds(self.random_state, n_classes)
        standardized = standardization(X_all, weight_all) if self.standardize else None
        if standardized is not None:
            X = standardized.transform(X)
            X_all = X if labelled.all() else standardized.transform(X_all)
        estimated_priors = n_classes - 1 if _is_str(self.priors, "empirical") else 0
        vars(self).pop("lower_bounds_", None)  # a supervised refit has no joint EM
        if self.mode == "edda":
            if not labelled.all():
                raise ValueError(
                    f"mode='edda' is supervised: y has {int((~labelled).sum())} "
                    f"rows marked unlabeled ({self.unlabeled!r}); drop them or "
                    "use mode='mixture'"
                )
            return self._fit_edda(X, y_index, weight, standardized, estimated_priors)
        for name in ("covariance_type_", "model_table_"):  # EDDA's, from an earlier fit
            vars(self).pop(name, None)
        self.mixtures_ = []
        for j, label in enumerate(self.classes_):
            rows = np.flatnonzero(y_index == j)
            k = self._class_components(label, rows.size)
            w = None if weight is None else weight[rows]
            class_params = {
                **params,
                "covariance_type": class_setting(
                    self.covariance_type, _label(label), "covariance_type", self.classes_
                ),
            }
            self.mixtures_.append(
                _fit_mixture(
                    X[rows], w, k, self.max_components, class_params, seeds[j], self.criterion
                )
            )
        self.covariance_types_ = [m.covariance_type for m in self.mixtures_]
        if not labelled.all():
            self._fit_unlabelled(X_all, weight_all, labelled, y_index)
        self.n_components_ = np.array([m.n_components for m in self.mixtures_])
        self.n_iter_ = np.array([m.n_iter_ for m in self.mixtures_])
        self.converged_ = bool(all(m.converged_ for m in self.mixtures_))
        self.n_parameters_ = int(sum(m.n_parameters_ for m in self.mixtures_) + estimated_priors)
        if standardized is not None:
            self.mixtures_ = [to_original_units(m, standardized) for m in self.mixtures_]
        return self

    def _fit_edda(self, X, y_index, weight, standardized, estimated_priors):
        """``mode='edda'``: one model for all classes, chosen by ``criterion`` (see
        :func:`gmmkit.discriminant.fit_edda`)."""
        if isinstance(self.covariance_type, dict):
            raise InvalidParameterError(
                "mode='edda' fits one covariance model for all classes: covariance_type must "
                f"be a name or a list of names, not a dict ({self.covariance_type!r})"
            )
        if not (isinstance(self.n_components, numbers.Integral) and self.n_components == 1):
            raise ValueError(
                "mode='edda' fits one component per class: n_components must be "
                f"1, got {self.n_components!r}"
            )
        for j, label in enumerate(self.classes_):
            if np.count_nonzero(y_index == j) < 2:
                raise ValueError(
                    f"class {_label(label)!r} has 1 sample: mode='edda' needs at "
                    "least 2 samples per class"
                )
        edda = fit_edda(
            X,
            y_index,
            len(self.classes_),
            self.covariance_type,
            class_prior=self.class_prior_,
            sample_weight=weight,
            estimated_priors=estimated_priors,
            criterion=self.criterion,
            reg_covar=self.reg_covar,
            prior=self.prior,
            standardized=standardized,
            mixture_params=self._edda_mixture_params(),
        )
        if edda.ill_posed is not None:
            warnings.warn(
                f"mode='edda': every candidate model is ill-posed; "
                f"{edda.covariance_type} has the lowest {self.criterion} and is kept, "
                f"held by reg_covar ({edda.ill_posed})",
                IllPosedWarning,
                stacklevel=3,
            )
        self.mixtures_ = edda.mixtures
        self.covariance_type_ = edda.covariance_type
        self.covariance_types_ = [edda.covariance_type] * len(self.classes_)
        self.model_table_ = edda.table
        self.n_components_ = np.ones(len(self.classes_), dtype=int)
        self.n_iter_ = np.full(len(self.classes_), edda.n_iter)
        self.converged_ = edda.converged
        self.n_parameters_ = edda.n_parameters
        return self

    def _edda_mixture_params(self):
        """The hyperparameters of the per-class mixtures ``mode='edda'`` builds."""
        from .selection.fitting import start_methods

        return {
            "tol": self.tol,
            "reg_covar": self.reg_covar,
            "max_iter": self.max_iter,
            "n_init": self.n_init,
            "init_params": start_methods(self.init_params)[-1],
            "prior": self.prior,
        }

    def _labelled_rows(self, y) -> np.ndarray:
        """The rows whose label is not the ``unlabeled`` marker; an error if there are none,
        or if unlabelled rows meet ``n_components='auto'``."""
        labelled = ~_marks(y, self.unlabeled)
        if not labelled.any():
            raise ValueError(
                f"y has no labelled rows: every label is the unlabeled marker "
                f"{self.unlabeled!r}; label at least two rows of each class"
            )
        if not labelled.all() and _is_str(self.n_components, "auto"):
            raise ValueError(
                f"n_components='auto' is not supported with unlabelled rows (y has "
                f"{int((~labelled).sum())} marked {self.unlabeled!r}): it would choose each "
                "class's number of components from its labelled rows alone; give an int or a "
                "dict {class: int}"
            )
        return labelled

    def _fit_unlabelled(self, X, weight, labelled, y_index) -> None:
        """Semi-supervised EM over all rows from the supervised fit on the labelled ones
        (:func:`gmmkit.semisupervised.semisupervised_em`)."""
        from .semisupervised import semisupervised_em

        row_class = np.full(X.shape[0], -1, dtype=np.intp)
        row_class[labelled] = y_index
        result = semisupervised_em(
            X,
            row_class,
            self.mixtures_,
            self.class_prior_,
            sample_weight=weight,
            fit_priors=_is_str(self.priors, "empirical"),
            tol=self.tol,
            max_iter=self.max_iter,
            reg_covar=self.reg_covar,
            prior=self.prior,
        )
        self.mixtures_ = result.mixtures
        self.class_prior_ = result.class_prior
        self.lower_bounds_ = np.asarray(result.lower_bounds)
        ill_posed = [
            (label, m.ill_posed_)
            for label, m in zip(self.classes_, self.mixtures_)
            if m.ill_posed_ is not None
        ]
        if ill_posed:
            described = "; ".join(
                f"class {_label(label)!r}: {reason}" for label, reason in ill_posed
            )
            warnings.warn(
                f"the semi-supervised fit is ill-posed ({described}): EM drove a class onto "
                "too few rows, so its likelihood measures reg_covar, not the data, and its "
                "predictions are unreliable. Label more rows of that class, use a simpler "
                "covariance_type (e.g. 'diag' or 'spherical') or prior='default'",
                IllPosedWarning,
                stacklevel=3,
            )

    def _class_priors(self, class_weight):
        n_classes = len(self.classes_)
        if _is_str(self.priors, "empirical"):
            return class_weight / class_weight.sum()
        if _is_str(self.priors, "uniform"):
            return np.full(n_classes, 1.0 / n_classes)
        if isinstance(self.priors, dict):
            missing = [c for c in self.classes_.tolist() if c not in self.priors]
            if missing:
                raise ValueError(f"priors has no entry for class(es) {missing}")
            extra = [c for c in self.priors if c not in set(self.classes_.tolist())]
            if extra:
                raise ValueError(
                    f"priors names label(s) {extra} that are not classes in y "
                    f"({self.classes_.tolist()}; a class needs labelled rows)"
                )
            given = [self.priors[c] for c in self.classes_.tolist()]
        else:
            given = self.priors
        try:
            priors = np.asarray(given, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"priors must be numeric, got {self.priors!r}") from None
        if priors.shape != (n_classes,):
            raise ValueError(
                f"priors must have one entry per class ({n_classes}: "
                f"{self.classes_.tolist()}), got shape {priors.shape}"
            )
        if not np.isfinite(priors).all() or (priors < 0).any():
            raise ValueError(f"priors must be finite and non-negative, got {priors.tolist()}")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError(f"priors must sum to 1, but they sum to {priors.sum():.6g}")
        return priors / priors.sum()

    def _class_components(self, label, n_rows):
        label = _label(label)
        if n_rows < 2:
            raise ValueError(
                f"class {label!r} has {n_rows} sample: a mixture needs at least 2 samples per class"
            )
        if self.n_components == "auto":
            return "auto"
        if isinstance(self.n_components, dict):
            if label not in self.n_components:
                raise ValueError(
                    f"n_components has no entry for class {label!r}; it must name "
                    f"every class: {self.classes_.tolist()}"
                )
            k = self.n_components[label]
        else:
            k = self.n_components
        if k > n_rows:
            warnings.warn(
                f"class {label!r} has {n_rows} samples, fewer than n_components={k}: "
                f"fitting it with {plural(n_rows, 'component')}",
                SmallClassWarning,
                stacklevel=3,
            )
            return n_rows
        return k

    # ------------------------------------------------------------------ prediction
    def _joint_log_likelihood(self, X):
        r""":math:`\log \pi_c + \log p(x_i \mid c)`, shape ``(n_samples, n_classes)`` (lazy for
        Dask input, see :mod:`gmmkit._classification_dask`)."""
        check_is_fitted(self)
        if is_dask_collection(X):
            from ._classification_dask import joint_log_likelihood

            return joint_log_likelihood(self, X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        columns = [mixture_rows(m, X, "log_prob_norm") for m in self.mixtures_]
        return np.column_stack(columns) + log_prior

    def predict_log_proba(self, X):
        r""":math:`\log P(c \mid x)`, shape ``(n_samples, n_classes)``."""
        joint = self._joint_log_likelihood(X)
        return joint - _logsumexp_rows(joint, keepdims=True)

    def predict_proba(self, X):
        r""":math:`P(c \mid x)`, shape ``(n_samples, n_classes)``; rows sum to one."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of every row."""
        joint = self._joint_log_likelihood(X)
        if is_dask_collection(joint):
            from ._classification_dask import predicted_classes

            return predicted_classes(self, joint)
        return self.classes_[joint.argmax(axis=1)]

    def score_samples(self, X):
        r"""Log-density :math:`\log p(x) = \log \sum_c \pi_c\, p(x \mid c)` of every row."""
        return _logsumexp_rows(self._joint_log_likelihood(X))

    def score(self, X, y, sample_weight=None):
        """Mean (weighted) accuracy of :meth:`predict` on ``X`` against ``y`` (Dask input:
        one compute, nothing held but the counts)."""
        if is_dask_collection(X) or is_dask_collection(y):
            from ._classification_dask import accuracy

            check_is_fitted(self)
            return accuracy(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def _log_likelihood(self, X, y, sample_weight):
        joint = self._joint_log_likelihood(X)
        weight = _check_sample_weight(sample_weight, joint.shape[0])
        if y is None:
            per_row = logsumexp(joint, axis=1)
        else:
            y = np.asarray(y)
            if y.shape != (joint.shape[0],):
                raise ValueError(f"y must have shape ({joint.shape[0]},) to match X, got {y.shape}")
            index = _class_index(self.classes_, y)
            per_row = joint[np.arange(joint.shape[0]), index]
        total = float(joint.shape[0] if weight is None else weight.sum())
        return float(per_row.sum() if weight is None else per_row @ weight), total

    def bic(self, X, y=None, sample_weight=None):
        r"""Bayesian information criterion :math:`-2 \log L + p \log n` (lower is better).

        With ``y=None``, :math:`L` is the likelihood of ``X`` alone,
        :math:`\prod_i \sum_c \pi_c\, p(x_i \mid c)`, comparable with the BIC of one unsupervised
        mixture on the same ``X``; with ``y``, the joint likelihood
        :math:`\prod_i \pi_{y_i}\, p(x_i \mid y_i)`. :math:`p` is ``n_parameters_``.
        """
        log_likelihood, total = self._log_likelihood(X, y, sample_weight)
        return -2.0 * log_likelihood + self.n_parameters_ * np.log(total)

    def aic(self, X, y=None, sample_weight=None):
        r"""Akaike information criterion :math:`-2 \log L + 2p`; see :meth:`bic`."""
        log_likelihood, _ = self._log_likelihood(X, y, sample_weight)
        return -2.0 * log_likelihood + 2.0 * self.n_parameters_

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw rows from the fitted model, in random order.

        Parameters
        ----------
        n_samples : int, default=1
        y : label, array-like of shape (n_samples,) or None, default=None
            ``None`` draws each row's class from ``class_prior_``; a single label draws every
            row from that class; an array gives each row's class.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; ``None`` draws fresh values at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The class of every row.
        """
        check_is_fitted(self)
        check_n_samples(n_samples, f"{type(self).__name__}.sample")
        rng = check_random_state(random_state)
        n_classes = len(self.classes_)
        if y is None:
            index = rng.choice(n_classes, size=n_samples, p=self.class_prior_)
        else:
            labels = np.asarray(y)
            if labels.ndim == 0:
                # repeated in its own dtype: casting to classes_.dtype could truncate a string
                labels = np.repeat(labels, n_samples)
            if labels.shape != (n_samples,):
                raise ValueError(
                    f"y must be one label or have shape ({n_samples},), got shape {labels.shape}"
                )
            index = _class_index(self.classes_, labels)
        X = np.empty((n_samples, self.n_features_in_), dtype=self.mixtures_[0].means_.dtype)
        for j in np.unique(index):
            rows = np.flatnonzero(index == j)
            X[rows] = self.mixtures_[j].sample(rows.size, random_state=rng)[0]
        return X, self.classes_[index]


class ComponentClassifier(ClassifierMixin, BaseEstimator):
    r"""Classifier from one unsupervised mixture and a learned component-to-class map.

    A :class:`GaussianMixture` is fitted to all rows of ``X`` without their labels; the labelled
    rows then estimate :math:`M_{kc} = P(y = c \mid k)`, and

    .. math:: P(y = c \mid x) = \sum_k P(k \mid x)\, M_{kc}.

    Rows labelled ``unlabeled`` (scikit-learn's ``-1`` by default) take part in the mixture fit
    but not in the map, so a few labels can classify a whole data set (semi-supervised).

    Parameters
    ----------
    n_components : int or 'auto', default=10
        Components of the mixture; ``'auto'`` picks the number by ``criterion`` over
        ``1..max_components`` with :func:`gmmkit.select`.
    covariance_type : {'full', 'tied', 'diag', 'spherical'} or a registered name, default='full'
    mapping : {'soft', 'majority', 'hungarian'}, default='soft'
        How :math:`M` is learned from the labelled rows, with :math:`n_{kc} = \sum_{i: y_i = c}
        w_i\, P(k \mid x_i)` and :math:`N_k = \sum_c n_{kc}`:

        - ``'soft'``: :math:`M_{kc} = (n_{kc} + \alpha \hat\pi_c) / (N_k + \alpha)`, additive
          smoothing of strength :math:`\alpha` = ``smoothing`` towards the labelled class
          frequencies :math:`\hat\pi`;
        - ``'majority'``: each component maps to its most frequent class (ties to the first);
        - ``'hungarian'``: a one-to-one map maximising :math:`\sum_k n_{k, c(k)}` (needs
          ``n_components`` equal to the number of classes).

        Under every mapping a component with no labelled mass (:math:`N_k` below 1e-8 rows)
        maps to :math:`\hat\pi`.
    smoothing : float, default=1.0
        :math:`\alpha` of the soft map, in pseudo-rows.
    unlabeled : label, default=-1
        The value of ``y`` that marks an unlabelled row.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        What ``'auto'`` minimises.
    max_components : int, default=10
        Upper end of the ``'auto'`` search.
    tol, reg_covar, max_iter, n_init, init_params, random_state : as in :class:`GaussianMixture`

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in the labelled rows.
    mixture_ : GaussianMixture
        The mixture fitted to all rows.
    component_class_proba_ : ndarray of shape (n_components, n_classes)
        The learned map :math:`M`; every row sums to one.
    component_labelled_mass_ : ndarray of shape (n_components,)
        :math:`N_k`, the labelled (weighted) responsibility mass of every component.
    n_iter_ : int
    converged_ : bool
        EM iterations and convergence of ``mixture_``.
    class_prior_ : ndarray of shape (n_classes,)
        :math:`\hat\pi`, the (weighted) class frequencies among the labelled rows.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)

    Notes
    -----
    scikit-learn's estimator checks pass except ``check_classifiers_classes``, which trains on
    the labels ``[-1, 1]``: its ``-1`` rows are unlabelled here, by the semi-supervised
    convention. Set ``unlabeled`` to a value outside your labels to use ``-1`` as a class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from gmmkit import ComponentClassifier
    >>> X, y = make_blobs(300, centers=3, random_state=0)
    >>> y_few = np.full_like(y, -1)
    >>> y_few[:15] = y[:15]                      # 5% of the labels
    >>> clf = ComponentClassifier(n_components=3, random_state=0).fit(X, y_few)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = parameter_constraints("ComponentClassifier")

    def __init__(
        self,
        n_components=10,
        *,
        covariance_type="full",
        mapping="soft",
        smoothing=1.0,
        unlabeled=-1,
        criterion="bic",
        max_components=10,
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.mapping = mapping
        self.smoothing = smoothing
        self.unlabeled = unlabeled
        self.criterion = criterion
        self.max_components = max_components
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the mixture on every row of ``X`` and the map on the labelled ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, with ``unlabeled`` (default ``-1``) for rows without one.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : ComponentClassifier
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2)
        weight = _check_sample_weight(sample_weight, X.shape[0])
        labelled = ~_marks(y, self.unlabeled)
        if not labelled.any():
            raise ValueError(
                f"y has no labelled rows: every label is the unlabeled marker "
                f"{self.unlabeled!r}; label at least one row of each class"
            )
        y_labelled = y[labelled]
        check_classification_targets(y_labelled)
        self.classes_, y_index = np.unique(y_labelled, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"ComponentClassifier needs labelled rows of at least 2 classes, "
                f"got 1 class ({_label(self.classes_[0])!r})"
            )
        if self.mapping == "hungarian" and self.n_components != n_classes:
            raise ValueError(
                f"mapping='hungarian' is one-to-one: n_components must equal the "
                f"number of classes ({n_classes}), got {self.n_components!r}"
            )
        params = {name: getattr(self, name) for name in _MIXTURE_PARAMS}
        seed = _seeds(self.random_state, 1)[0]
        self.mixture_ = _fit_mixture(
            X, weight, self.n_components, self.max_components, params, seed, self.criterion
        )
        resp = mixture_rows(self.mixture_, X[labelled], "resp")
        w = np.ones(y_index.size) if weight is None else weight[labelled]
        one_hot = np.zeros((y_index.size, n_classes))
        one_hot[np.arange(y_index.size), y_index] = w
        counts = resp.T @ one_hot
        class_weight = one_hot.sum(axis=0)
        empty = np.flatnonzero(class_weight <= 0)
        if empty.size:
            raise ValueError(
                f"class {_label(self.classes_[empty[0]])!r} has zero total "
                "sample_weight among the labelled rows: drop its rows or give "
                "them a positive weight"
            )
        self.class_prior_ = class_weight / class_weight.sum()
        self.component_labelled_mass_ = counts.sum(axis=1)
        self.n_iter_ = self.mixture_.n_iter_
        self.converged_ = self.mixture_.converged_
        self.component_class_proba_ = self._map(counts)
        return self

    def _map(self, counts):
        prior = self.class_prior_
        mass = counts.sum(axis=1)
        if self.mapping == "soft":
            denominator = mass + self.smoothing
            with np.errstate(invalid="ignore", divide="ignore"):
                proba = (counts + self.smoothing * prior) / denominator[:, None]
        else:
            if self.mapping == "majority":
                chosen = counts.argmax(axis=1)
            else:
                components, chosen = linear_sum_assignment(counts, maximize=True)
                chosen = chosen[np.argsort(components)]
            proba = np.zeros_like(counts)
            proba[np.arange(len(chosen)), chosen] = 1.0
        proba[mass < _NO_LABELLED_MASS] = prior
        return proba

    def predict_proba(self, X):
        r""":math:`P(c \mid x) = \sum_k P(k \mid x) M_{kc}`, shape ``(n_samples, n_classes)``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        proba = mixture_rows(self.mixture_, X, "resp") @ self.component_class_proba_
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict_log_proba(self, X):
        r""":math:`\log P(c \mid x)`; ``-inf`` where a class has probability zero."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of every row."""
        best = self.predict_proba(X).argmax(axis=1)
        return self.classes_[best]

    def score(self, X, y, sample_weight=None):
        """Accuracy on the labelled rows of ``(X, y)``; rows marked ``unlabeled`` are skipped."""
        check_is_fitted(self)
        y = np.asarray(y)
        labelled = ~_marks(y, self.unlabeled)
        if not labelled.any():
            raise ValueError("y has no labelled rows to score")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[labelled]
        X = X.iloc[labelled] if hasattr(X, "iloc") else np.asarray(X)[labelled]
        return super().score(X, y[labelled], sample_weight=sample_weight)

    def sample(self, n_samples=1, y=None, random_state=None):
        r"""Draw rows from the mixture with classes, or rows of chosen classes.

        With ``y=None`` each row comes from component :math:`k \sim \pi` and gets a class
        drawn from :math:`M_{k\cdot}`. With ``y``, the row of class :math:`c` comes from
        component :math:`k` with probability :math:`P(k \mid c) \propto \pi_k M_{kc}`:
        class-conditional generation from one unsupervised mixture.

        Parameters
        ----------
        n_samples : int, default=1
        y : label, array-like of shape (n_samples,) or None, default=None
        random_state : int, RandomState instance or None, default=None
            Seed for this call; ``None`` draws fresh values at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        check_n_samples(n_samples, f"{type(self).__name__}.sample")
        rng = check_random_state(random_state)
        if y is None:
            X, components = self.mixture_.sample(n_samples, random_state=rng)
            index = _draw_categories(self.component_class_proba_[components], rng)
            return X, self.classes_[index]
        labels = np.asarray(y)
        if labels.ndim == 0:
            labels = np.repeat(labels, n_samples)
        if labels.shape != (n_samples,):
            raise ValueError(
                f"y must be one label or have shape ({n_samples},), got shape {labels.shape}"
            )
        index = _class_index(self.classes_, labels)
        # P(k | c) for every class, one column per class
        joint = self.mixture_.weights_[:, None] * self.component_class_proba_
        components = _draw_categories((joint / joint.sum(axis=0)).T[index], rng)
        return draw_components(self.mixture_, components, rng), self.classes_[index]

    def score_samples(self, X):
        r"""Log-density :math:`\log p(x)` of every row under the mixture."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return mixture_rows(self.mixture_, X, "log_prob_norm")


def _class_index(classes, labels) -> np.ndarray:
    """Position of every label in the sorted ``classes``; a ValueError names unknown labels."""
    try:
        index = np.minimum(np.searchsorted(classes, labels), len(classes) - 1)
        unknown = classes[index] != labels
    except (TypeError, ValueError, np.exceptions.DTypePromotionError):
        unknown = np.ones(labels.shape, dtype=bool)
        index = None
    if np.any(unknown):
        bad = list(dict.fromkeys(np.asarray(labels)[unknown].tolist()))[:5]
        raise ValueError(
            f"y contains labels the classifier does not know: {bad}; known "
            f"classes: {classes.tolist()}"
        )
    return index


def _label(value):
    """A label as plain Python, for messages (``1`` rather than ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _marks(y, marker) -> np.ndarray:
    """Boolean mask of the entries of ``y`` equal to ``marker`` (None compares by identity)."""
    y = np.asarray(y)
    if marker is None:
        # numpy's stubs refuse None, which an object array compares element by element
        return np.equal(y, None) if y.dtype == object else np.zeros(y.shape, dtype=bool)  # type: ignore[call-overload]
    if y.dtype.kind in "iufb" and not isinstance(marker, (numbers.Number, np.generic)):
        return np.zeros(y.shape, dtype=bool)
    if y.dtype.kind in "USO" and isinstance(marker, numbers.Number) and y.dtype != object:
        return np.zeros(y.shape, dtype=bool)
    return np.asarray(y == marker, dtype=bool)


def _logsumexp_rows(joint, keepdims=False):
    r""":math:`\operatorname{logsumexp}` over the classes of each row, block by block for a
    lazy Dask ``joint``."""
    if is_dask_collection(joint):
        from ._classification_dask import log_normalizer

        normalizer = log_normalizer(joint)
        return normalizer if keepdims else normalizer[:, 0]
    return logsumexp(joint, axis=1, keepdims=keepdims)


def _is_str(value, text) -> bool:
    return isinstance(value, str) and value == text
