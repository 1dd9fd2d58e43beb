r"""Latent generators: a Gaussian mixture in a PCA space, mapped back to the data.

:class:`LatentMixture` reduces the data with PCA, fits a mixture to the reduced coordinates
(or one mixture per class, for class-conditional generation) and generates by sampling the mixture
and mapping the samples back with the PCA's inverse transform, clipped to the training range.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    DensityMixin,
    TransformerMixin,
)
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._core.linalg import LOG_2PI
from ._validation import parameter_constraints, validate_data
from .classification import (
    _MIXTURE_PARAMS,
    ComponentClassifier,
    MixtureClassifier,
    _fit_mixture,
)

__all__ = ["LatentMixture"]


class LatentMixture(ClassNamePrefixFeaturesOutMixin, TransformerMixin, DensityMixin, BaseEstimator):
    r"""PCA followed by a Gaussian mixture in the reduced space: a generator for data such as
    images.

    With PCA loadings :math:`W` (``d x q``, orthonormal columns), mean :math:`\bar x` and latent
    coordinates :math:`z = W^T (x - \bar x)` (divided by the component standard deviations when
    ``whiten``), the model is

    .. math::

        p(x) = p_{\text{mix}}(z)\; \left|\det J\right|\;
        \mathcal N\!\left(x - \bar x - W W^T (x - \bar x) \,\middle|\, 0, \sigma^2 I_{d-q}\right),

    a mixture over the kept directions and isotropic Gaussian noise, with variance :math:`\sigma^2`
    the mean discarded PCA variance (``noise_variance_``), over the rest, as in
    probabilistic PCA. :math:`J` is the whitening Jacobian (identity without whitening). Samples
    are :math:`\bar x + W z` (noise-free), clipped to the range of the training data.

    Parameters
    ----------
    n_components : int or 'auto', default=10
        Mixture components (per class when ``fit`` gets ``y``); ``'auto'`` chooses them by
        ``criterion`` over ``1..max_components`` with :func:`gmmkit.select`.
    covariance_type : {'full', 'tied', 'diag', 'spherical'} or a registered name, default='full'
    n_latent : int or float, default=0.99
        PCA dimensions: an int, or a fraction in (0, 1) of the variance to keep.
    whiten : bool, default=False
        Fit the mixture to whitened (unit-variance) PCA coordinates.
    clip : bool, default=True
        Clip generated rows to the per-feature range seen in ``fit`` (``0..16`` for the digits).
    class_conditional : bool, 'per_class' or 'component_map', default=False
        How ``sample`` can generate chosen classes of the ``y`` given to ``fit``:

        - ``'per_class'`` (or True): one mixture per class, a :class:`MixtureClassifier`
          (rows labelled ``-1`` are unlabelled and make its fit semi-supervised);
        - ``'component_map'``: one mixture over all rows and a learned map from its components
          to the classes, a :class:`ComponentClassifier` (rows labelled ``-1`` are unlabelled);
          a row of class :math:`c` comes from component :math:`k` with probability
          :math:`\propto \pi_k P(c \mid k)`.

        When False, ``y`` is ignored, as by every unsupervised scikit-learn estimator (so a
        Pipeline passing ``y`` changes nothing).
    mapping : {'soft', 'majority', 'hungarian'}, default='soft'
    smoothing : float, default=1.0
        The component-to-class map of ``class_conditional='component_map'`` (see
        :class:`ComponentClassifier`). For generation, ``'majority'`` (or ``smoothing=0``)
        keeps each class to the components where its labels are, where the smoothed soft map
        lends every class a little of every component.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        Minimised when ``n_components='auto'``.
    max_components : int, default=20
        Upper end of the ``'auto'`` search.
    tol, reg_covar, max_iter, n_init, init_params : as in :class:`GaussianMixture`
    random_state : int, RandomState instance or None, default=None
        Seeds the PCA's randomised solver (used by scikit-learn on large inputs) and the mixture
        fit.

    Attributes
    ----------
    components_ : ndarray of shape (``n_latent_``, ``n_features_in_``)
        PCA loadings :math:`W^T`.
    mean_ : ndarray of shape (``n_features_in_``,)
    explained_variance_ : ndarray of shape (``n_latent_``,)
        Variance along each kept direction (scikit-learn's PCA, divided by ``n - 1``).
    noise_variance_ : float
        :math:`\sigma^2`, the mean variance of the discarded directions; densities use
        ``max(noise_variance_, reg_covar)``, so that on data lying exactly in the kept subspace
        a row off it is not scored as if it lay in it.
    mixture_ : GaussianMixture or MixtureClassifier
        The latent model: a :class:`GaussianMixture`, or the :class:`MixtureClassifier` or
        :class:`ComponentClassifier` that ``class_conditional`` asks for.
    classes_ : ndarray of shape (n_classes,)
        Only when ``class_conditional``.
    n_latent_ : int
        PCA dimensions kept.
    n_iter_ : int or ndarray of shape (n_classes,)
    converged_ : bool
        EM iterations and convergence of the latent fit(s).
    data_min_, data_max_ : ndarray of shape (``n_features_in_``,)
        Per-feature range of the training data, used by ``clip``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from gmmkit import LatentMixture
    >>> X, y = load_digits(return_X_y=True)
    >>> gen = LatentMixture(n_components=3, n_latent=0.9, class_conditional=True,
    ...                     random_state=0).fit(X, y)
    >>> images, labels = gen.sample(10, y=7, random_state=0)
    >>> images.shape, set(labels.tolist()), float(images.min()) >= 0.0
    ((10, 64), {7}, True)
    """

    _parameter_constraints: dict = parameter_constraints("LatentMixture")

    def __init__(
        self,
        n_components=10,
        *,
        covariance_type="full",
        n_latent=0.99,
        whiten=False,
        clip=True,
        class_conditional=False,
        mapping="soft",
        smoothing=1.0,
        criterion="bic",
        max_components=20,
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.n_latent = n_latent
        self.whiten = whiten
        self.clip = clip
        self.class_conditional = class_conditional
        self.mapping = mapping
        self.smoothing = smoothing
        self.criterion = criterion
        self.max_components = max_components
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        """Fit the PCA and the latent mixture (one per class when ``y`` is given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Class labels; used (and required) only when ``class_conditional`` is set.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights for the mixture fit; the PCA itself is unweighted (scikit-learn's PCA
            takes no weights), so integer weights are not the same as repeated rows.

        Returns
        -------
        self : LatentMixture
        """
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        n_samples, n_features = X.shape
        latent = self.n_latent
        if isinstance(latent, numbers.Integral) and latent > min(n_samples, n_features):
            raise ValueError(
                f"n_latent={latent} is more than min(n_samples, n_features) = "
                f"{min(n_samples, n_features)}"
            )
        rng = check_random_state(self.random_state)
        pca_seed, mixture_seed = rng.randint(np.iinfo(np.int32).max, size=2)
        # centred first, in float64: scikit-learn's covariance solver forms X^T X - n m m^T,
        # which on data offset by 1e8 cancels away every digit of the variances
        centre = X.mean(axis=0, dtype=np.float64)
        pca = PCA(n_components=latent, random_state=pca_seed).fit(
            (X - centre).astype(X.dtype, copy=False)
        )
        # kept as plain arrays (not the PCA object) so that gmmkit.save can store the model
        self.components_ = pca.components_
        self.mean_ = (centre + pca.mean_).astype(X.dtype, copy=False)
        self.explained_variance_ = pca.explained_variance_
        self.noise_variance_ = float(pca.noise_variance_)
        self.n_latent_ = int(pca.n_components_)
        Z = self._to_latent(X)
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        params = {name: getattr(self, name) for name in _MIXTURE_PARAMS}
        mode = _class_mode(self.class_conditional)
        if mode is not None and y is None:
            raise ValueError(
                f"class_conditional={self.class_conditional!r} needs the class "
                "labels: call fit(X, y)"
            )
        options = {
            "max_components": self.max_components,
            "criterion": self.criterion,
            "random_state": mixture_seed,
            **params,
        }
        if mode is None:
            self.mixture_ = _fit_mixture(
                Z,
                sample_weight,
                self.n_components,
                self.max_components,
                params,
                mixture_seed,
                criterion=self.criterion,
            )
        else:
            if mode == "per_class":
                model = MixtureClassifier(self.n_components, **options)
            else:
                model = ComponentClassifier(
                    self.n_components, mapping=self.mapping, smoothing=self.smoothing, **options
                )
            self.mixture_ = model.fit(Z, y, sample_weight=sample_weight)
            self.classes_ = self.mixture_.classes_
        self.n_iter_ = self.mixture_.n_iter_
        self.converged_ = self.mixture_.converged_
        return self

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate rows: sample the latent mixture, map back with the PCA, clip.

        Parameters
        ----------
        n_samples : int, default=1
        y : label, array-like of shape (n_samples,) or None, default=None
            Classes to generate (only when ``class_conditional``); ``None`` draws them from
            the class priors.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; ``None`` draws fresh values at every call.

        Returns
        -------
        X : ndarray of shape (n_samples, ``n_features_in_``)
        labels : ndarray of shape (n_samples,)
            The class of every row when ``class_conditional``, else the mixture component.
        """
        check_is_fitted(self)
        if isinstance(self.mixture_, (MixtureClassifier, ComponentClassifier)):
            Z, labels = self.mixture_.sample(n_samples, y=y, random_state=random_state)
        else:
            if y is not None:
                raise ValueError(
                    "y was given to sample, but the model is not class-conditional: "
                    "fit LatentMixture(class_conditional=True) with y to choose "
                    "classes"
                )
            Z, labels = self.mixture_.sample(n_samples, random_state=random_state)
        X = self._from_latent(Z)
        if self.clip:
            np.clip(X, self.data_min_, self.data_max_, out=X)
        return X, labels

    def transform(self, X):
        """Latent coordinates of ``X`` (the PCA transform), shape ``(n_samples, n_latent_)``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._to_latent(X)

    def _to_latent(self, X):
        Z = (X - self.mean_) @ self.components_.T
        if self.whiten:
            Z /= np.sqrt(self.explained_variance_)
        return Z

    def _from_latent(self, Z):
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_

    @property
    def _n_features_out(self):
        return self.n_latent_

    def score_samples(self, X):
        r"""Log-density :math:`\log p(x)` of every row under the model above."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Z = self._to_latent(X)
        log_density = self.mixture_.score_samples(Z).astype(np.float64)
        if self.whiten:
            log_density -= 0.5 * np.log(self.explained_variance_).sum()
        n_discarded = X.shape[1] - self.n_latent_
        # floored, so that off a data set lying exactly in the kept subspace (no discarded
        # variance) a row is not scored as if it lay in it
        noise = max(self.noise_variance_, self.reg_covar)
        if n_discarded > 0 and noise > 0:
            centred = X - self.mean_
            residual = centred - (centred @ self.components_.T) @ self.components_
            log_density += -0.5 * (residual**2).sum(axis=1) / noise - 0.5 * n_discarded * (
                LOG_2PI + np.log(noise)
            )
        return log_density

    def score(self, X, y=None):
        """Mean log-density per row."""
        return float(self.score_samples(X).mean())


def _class_mode(class_conditional):
    """None, 'per_class' or 'component_map' from the ``class_conditional`` option."""
    if isinstance(class_conditional, (bool, np.bool_)):
        return "per_class" if class_conditional else None
    if class_conditional in ("per_class", "component_map"):
        return class_conditional
    raise ValueError(
        f"class_conditional must be False, True, 'per_class' or 'component_map', "
        f"got {class_conditional!r}"
    )
