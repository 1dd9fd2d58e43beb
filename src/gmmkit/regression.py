r"""Gaussian mixture regression: a joint mixture over :math:`(x, y)`, predicting
:math:`E[y \mid x]`.

Fit one :class:`GaussianMixture` to the stacked columns :math:`[x, y]`; conditioning it on
:math:`x` (in closed form, :mod:`gmmkit._core.conditioning`) gives the whole predictive
distribution :math:`p(y \mid x)`, a mixture whose mean is the prediction

.. math:: E[y \mid x] = \sum_k w_k(x) \left(\mu_{k,y} + \Sigma_{k,yx}\Sigma_{k,xx}^{-1}
          (x - \mu_{k,x})\right),\qquad w_k(x) \propto \pi_k \mathcal N(x \mid \mu_{k,x},
          \Sigma_{k,xx}).

With one full-covariance component this is ordinary least squares; more components give a
smooth, locally linear regression with input-dependent noise.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import parameter_constraints, validate_data
from .mixture import GaussianMixture

__all__ = ["GaussianMixtureRegressor"]


class GaussianMixtureRegressor(RegressorMixin, BaseEstimator):
    r"""Regression by conditioning a Gaussian mixture fitted to :math:`(x, y)` jointly.

    Parameters
    ----------
    n_components : int, default=1
        Components of the joint mixture (one full component is linear regression).
    covariance_type : {'full', 'tied', 'diag', 'spherical'} or a registered name, default='full'
        Only ``full`` and ``tied`` couple :math:`y` to :math:`x` inside a component; with
        ``diag`` or ``spherical`` the prediction is a weighted average of component means.
    tol, reg_covar, max_iter, n_init, init_params, random_state : as in :class:`GaussianMixture`

    Attributes
    ----------
    mixture_ : GaussianMixture
        The joint mixture over ``n_features_in_ + n_targets_`` columns (the inputs first).
    n_targets_ : int
    target_is_1d_ : bool
        Whether ``y`` was one-dimensional (predictions then are too).
    n_iter_ : int
    converged_ : bool
        EM iterations and convergence of ``mixture_``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmkit import GaussianMixtureRegressor
    >>> x = np.linspace(-3, 3, 400)[:, None]
    >>> y = np.sin(2 * x[:, 0]) + 0.1 * np.random.RandomState(0).normal(size=400)
    >>> reg = GaussianMixtureRegressor(n_components=8, random_state=0).fit(x, y)
    >>> reg.score(x, y) > 0.9
    True
    """

    _parameter_constraints: dict = parameter_constraints("GaussianMixtureRegressor")

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the joint mixture to the columns ``[X, y]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GaussianMixtureRegressor
        """
        self._validate_params()
        X, y = validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2,
        )
        self.target_is_1d_ = y.ndim == 1
        targets = y.reshape(len(y), -1).astype(X.dtype, copy=False)
        self.n_targets_ = targets.shape[1]
        self.mixture_ = GaussianMixture(
            self.n_components,
            covariance_type=self.covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=self.random_state,
        ).fit(np.hstack([X, targets]), sample_weight=sample_weight)
        self.n_iter_ = self.mixture_.n_iter_
        self.converged_ = self.mixture_.converged_
        return self

    def _given(self):
        return list(range(self.n_features_in_))

    def _shape_targets(self, values):
        return values[:, 0] if self.n_targets_ == 1 and self.target_is_1d_ else values

    def predict(self, X, return_std=False):
        r"""The conditional mean :math:`E[y \mid x]` (and, with ``return_std``, the standard
        deviation of :math:`p(y \mid x)` per target, by the law of total variance).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
        y_std : ndarray of the same shape, only with ``return_std``
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        mean = self.mixture_.conditional_mean(X, self._given())
        if not return_std:
            return self._shape_targets(mean)
        variance = self.mixture_._conditional_variance(X, self._given())
        return self._shape_targets(mean), self._shape_targets(np.sqrt(variance))

    def sample_y(self, X, random_state=None):
        """One draw of :math:`y` from :math:`p(y \\mid x)` for every row of ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        draws, _ = self.mixture_.sample_conditional(X, self._given(), random_state=random_state)
        return self._shape_targets(draws)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
