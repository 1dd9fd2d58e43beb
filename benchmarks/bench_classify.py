#!/usr/bin/env python
"""Classification accuracy of gmmkit's mixture classifiers next to standard scikit-learn ones.

Run from the repository root::

    python benchmarks/bench_classify.py              # full run, 4-5 min on 2 busy cores
    python benchmarks/bench_classify.py --quick      # moons n=400, 3 folds, no grids, 20-35 s
    python benchmarks/bench_classify.py --json classify.json
    python benchmarks/bench_classify.py --section discriminant   # section 4 alone

This benchmark measures **accuracy, not speed** (the seconds printed next to the accuracies are
only there to show what each row costs). Every number is measured when the script runs; nothing
is asserted, and the script exits 0 unless it crashes.

Protocol
--------
Every accuracy is a cross-validated test-fold accuracy: ``StratifiedKFold(n_splits, shuffle=True,
random_state=0)`` (5 folds; 3 with ``--quick``), the *same* splits for every method of a data set,
printed as mean +- std over the folds. Every estimator has ``random_state=0``; BLAS and OpenMP are
limited to one thread (``threadpoolctl``) so that the run is polite on a shared 2-core machine and
repeatable.

Data sets
    * two moons: ``make_moons(1000, noise=s, random_state=0)`` for s in 0.05, 0.1, 0.2, 0.3
      (``--quick``: 400 rows); raw 2-D features.
    * digits: ``load_digits()`` (1797 x 64, 10 classes). Every method, baselines included, runs as
      ``Pipeline([("pca", PCA(40, random_state=0)), ("clf", ...)])``, so the PCA is fitted inside
      each training fold and nothing leaks from the test fold. (40 dimensions keep about 99% of
      the variance; a fixed number keeps the dimension equal in every fold.)

1. Accuracy (100% of the training labels)
    * ``MixtureClassifier``: moons ``n_components=4``, full covariance, default ``reg_covar``;
      digits ``n_components=2``, full, ``reg_covar=1e-3``; and the ``n_components=1`` (QDA-like)
      and ``n_components="auto"`` variants (per-class BIC over 1..``max_components``; moons 1..10,
      digits 1..4, full).
    * ``ComponentClassifier`` (every training label given, ``mapping="soft"``): moons
      ``n_components=10``, full; digits ``n_components=50``, diag, ``reg_covar=1e-3``; moons also
      ``n_components="auto"`` (1..10).
    * scikit-learn: ``GaussianNB()``, ``LogisticRegression(max_iter=5000)``,
      ``HistGradientBoostingClassifier(random_state=0)``, default settings otherwise.
    * nested CV (full run only): ``GridSearchCV`` with an inner ``StratifiedKFold(3, shuffle=True,
      random_state=0)`` *on the training fold only* picks each mixture classifier's settings from a
      small grid fixed in advance (printed); the picks per outer fold are printed too.
    The fixed settings above were chosen a priori (from the size of the classes and the
    dimension), not by looking at test folds. The full run also prints a digits sensitivity grid
    (n_components x reg_covar x covariance type, every cell shown, none picked) because the
    mixture classifiers' accuracy on 40-D digits depends strongly on ``reg_covar``.

2. Few labels (semi-supervised), moons (noise 0.1) and digits
    In every training fold, each class c keeps ``max(1, round(f * n_c))`` of its labels, chosen
    uniformly at random with ``numpy.random.RandomState(1000 * seed + fold)`` (the same rows for
    every method); the other labels are set to ``-1`` (unlabelled). The "at least one label per
    class" rule matters at f = 1% on digits (about 144 training rows per class -> 1 label each).
    The test fold keeps all its labels. Rows: ``ComponentClassifier`` (the section-1 settings,
    ``mapping="soft"`` and ``"majority"``), fitted on all training rows with the masked labels,
    and as a reference ``LogisticRegression`` and ``GaussianNB`` fitted on the labelled rows only
    (on digits the PCA still sees every training row, labelled or not, as the mixture does).

3. BIC: one unsupervised mixture against the per-class mixtures (in-sample, all the data)
    On moons (noise 0.1, all rows) and on digits reduced by ``PCA(40)`` fitted on all rows:
    * unsupervised: ``gmmkit.select(X, n_components=1..20, covariance_type="full",
      criterion="bic")`` (same ``reg_covar`` as the classifiers), and ``gmmkit.GaussianMixture``
      with as many components as the fixed-k ``MixtureClassifier`` has in total;
    * supervised: ``MixtureClassifier`` (fixed k and ``"auto"``): ``bic(X)``, the marginal
      likelihood of X alone (comparable with the unsupervised BIC: both are mixtures of Gaussians
      on X), and ``bic(X, y)``, the joint likelihood with the labels;
    * for ``bic(X, y)`` the comparable unsupervised model is ``ComponentClassifier`` with the
      BIC-chosen k: p(x, y) = p(x) * sum_k P(k|x) M_ky, with k * (n_classes - 1) extra free
      parameters for its component-to-class map M (computed here from its public
      ``score_samples`` and ``predict_proba``).
    Lower BIC is better; the script prints the winner and the BIC difference.

4. mclust's discriminant analyses, iris and banknote (full run: also wine and breast cancer)
    ``MixtureClassifier("auto", covariance_type="all", max_components=5,
    init_params="hc+kmeans")`` (mclust's ``MclustDA``: every class its own number of
    components and model by BIC) and ``MixtureClassifier(mode="edda", covariance_type="all")``
    (mclust's ``EDDA``) next to scikit-learn's ``LinearDiscriminantAnalysis()``,
    ``QuadraticDiscriminantAnalysis()``, ``GaussianNB()`` and
    ``HistGradientBoostingClassifier(random_state=0)``, on the raw features, with the time
    each row takes per data set. banknote is mclust's (200 x 6, class = Status), read from
    ``tests/fixtures/mclust/banknote_da.json``. Section 4 takes about 3 minutes of the full
    run, most of it on breast cancer (30 features), where EDDA's EVE and VVE M-steps need
    hundreds of calls to reach their fixed point and MclustDA fits 14 x 5 mixtures per class.

5. Few labels: the semi-supervised ``MixtureClassifier`` (mclust's ``MclustSSC``)
    ``bench_semisupervised.py``'s protocol (moons with 20 labels, digits with 1% and 10%):
    the semi-supervised fit, the supervised fit on the labelled rows alone and the
    ``ComponentClassifier`` route, over 5 seeds (2 with ``--quick``).

Warnings (scikit-learn's ``ConvergenceWarning``, gmmkit's ``DegenerateComponentWarning`` and
``SmallClassWarning``, ...) are silenced while fitting but counted, and the counts are printed per
section and row. A method that raises is printed as ``error`` with the message, and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_moons,
)
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import gmmkit
from _common import ResultFile, WarningTally, add_json_option, column, load_average, machine_info
from _common import table as result_table
from gmmkit import ComponentClassifier, MixtureClassifier

SEED = 0
UNLABELED = -1
DIGITS_PCA = 40
DIGITS_REG_COVAR = 1e-3
MOONS_NOISES = (0.05, 0.1, 0.2, 0.3)
SEMI_NOISE = 0.1
LABEL_FRACTIONS = (0.01, 0.10, 1.0)
BIC_MAX_K = 20
INNER_FOLDS = 3


# ---------------------------------------------------------------------------- settings
@dataclass
class Settings:
    quick: bool
    n_splits: int
    moons_n: int
    nested: bool  # nested-CV rows
    sensitivity: bool  # the digits sensitivity grid

    @classmethod
    def from_args(cls, args) -> Settings:
        if args.quick:
            return cls(True, args.folds or 3, 400, False, False)
        return cls(False, args.folds or 5, 1000, True, True)


# ---------------------------------------------------------------------------- estimators
def moons_methods(nested: bool) -> list[tuple[str, Callable[[], BaseEstimator]]]:
    """(row name, factory) of every section-1 method on moons (raw 2-D features)."""
    methods = [
        (
            "MixtureClassifier k=4 full",
            lambda: MixtureClassifier(4, covariance_type="full", random_state=SEED),
        ),
        (
            "MixtureClassifier k=1 full (QDA)",
            lambda: MixtureClassifier(1, covariance_type="full", random_state=SEED),
        ),
        (
            "MixtureClassifier k=auto(1..10) full",
            lambda: MixtureClassifier(
                "auto", covariance_type="full", max_components=10, random_state=SEED
            ),
        ),
        (
            "ComponentClassifier k=10 full soft",
            lambda: ComponentClassifier(10, covariance_type="full", random_state=SEED),
        ),
        (
            "ComponentClassifier k=auto(1..10) full",
            lambda: ComponentClassifier(
                "auto", covariance_type="full", max_components=10, random_state=SEED
            ),
        ),
    ]
    if nested:
        methods += [
            (
                "MixtureClassifier nested CV",
                lambda: nested_search(
                    MixtureClassifier(covariance_type="full", random_state=SEED),
                    MOONS_GRID_MC,
                    prefix="",
                ),
            ),
            (
                "ComponentClassifier nested CV",
                lambda: nested_search(
                    ComponentClassifier(covariance_type="full", random_state=SEED),
                    MOONS_GRID_CC,
                    prefix="",
                ),
            ),
        ]
    return methods + baseline_methods()


def baseline_methods() -> list[tuple[str, Callable[[], BaseEstimator]]]:
    return [
        ("GaussianNB", lambda: GaussianNB()),
        ("LogisticRegression", lambda: LogisticRegression(max_iter=5000)),
        ("HistGradientBoosting", lambda: HistGradientBoostingClassifier(random_state=SEED)),
    ]


def with_pca(estimator: BaseEstimator) -> Pipeline:
    """``PCA(40)`` fitted inside every training fold, then the classifier."""
    return Pipeline([("pca", PCA(DIGITS_PCA, random_state=SEED)), ("clf", estimator)])


def digits_mc(k, **kw) -> MixtureClassifier:
    return MixtureClassifier(
        k,
        covariance_type=kw.pop("covariance_type", "full"),
        reg_covar=kw.pop("reg_covar", DIGITS_REG_COVAR),
        random_state=SEED,
        **kw,
    )


def digits_cc(k=50, **kw) -> ComponentClassifier:
    return ComponentClassifier(
        k,
        covariance_type=kw.pop("covariance_type", "diag"),
        reg_covar=kw.pop("reg_covar", DIGITS_REG_COVAR),
        random_state=SEED,
        **kw,
    )


def digits_methods(nested: bool) -> list[tuple[str, Callable[[], BaseEstimator]]]:
    methods = [
        ("MixtureClassifier k=2 full", lambda: with_pca(digits_mc(2))),
        ("MixtureClassifier k=1 full (QDA)", lambda: with_pca(digits_mc(1))),
        (
            "MixtureClassifier k=auto(1..4) full",
            lambda: with_pca(digits_mc("auto", max_components=4)),
        ),
        ("ComponentClassifier k=50 diag soft", lambda: with_pca(digits_cc(50))),
    ]
    if nested:
        methods += [
            (
                "MixtureClassifier nested CV",
                lambda: nested_search(with_pca(digits_mc(2)), DIGITS_GRID_MC, prefix="clf__"),
            ),
            (
                "ComponentClassifier nested CV",
                lambda: nested_search(with_pca(digits_cc(50)), DIGITS_GRID_CC, prefix="clf__"),
            ),
        ]
    return methods + [
        (name, lambda make=make: with_pca(make())) for name, make in baseline_methods()
    ]


#: Grids for the nested-CV rows, fixed in advance; searched on the training fold only.
MOONS_GRID_MC = {"n_components": [2, 4, 8]}
MOONS_GRID_CC = {"n_components": [6, 10, 20]}
DIGITS_GRID_MC = {"n_components": [1, 2, 4], "reg_covar": [1e-3, 1e-1, 1.0]}
DIGITS_GRID_CC = {"covariance_type": ["diag", "full"], "reg_covar": [1e-3, 1e-1, 1.0]}


def nested_search(estimator, grid: dict, prefix: str) -> GridSearchCV:
    inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=SEED)
    return GridSearchCV(
        estimator,
        {prefix + k: v for k, v in grid.items()},
        cv=inner,
        scoring="accuracy",
        n_jobs=1,
        error_score=np.nan,
    )


def describe_pick(search: GridSearchCV) -> str:
    parts = []
    for key, value in sorted(search.best_params_.items()):
        name = key.split("__")[-1]
        name = {"n_components": "k", "reg_covar": "reg", "covariance_type": "cov"}.get(name, name)
        parts.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    return " ".join(parts)


class OnLabelledRows(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the rows whose label is not ``UNLABELED`` (a supervised reference)."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        keep = np.asarray(y) != UNLABELED
        self.estimator_ = clone(self.estimator).fit(np.asarray(X)[keep], np.asarray(y)[keep])
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        return self.estimator_.predict(X)


# ---------------------------------------------------------------------------- evaluation
@dataclass
class CVResult:
    name: str
    scores: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    picks: list[str] = field(default_factory=list)  # nested CV: the choice per outer fold
    labels_kept: list[int] = field(default_factory=list)
    train_sizes: list[int] = field(default_factory=list)
    warnings: str = ""

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.scores)) if self.scores else None

    @property
    def std(self) -> float | None:
        return float(np.std(self.scores)) if self.scores else None

    def cell(self) -> str:
        if self.errors and not self.scores:
            return "error"
        text = f"{self.mean:.3f} +- {self.std:.3f}"
        return text + ("*" if self.errors else "")

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "mean": self.mean,
            "std": self.std,
            "scores": self.scores,
            "seconds": self.seconds,
            "errors": self.errors,
            "picks": self.picks,
            "labels_kept": self.labels_kept,
            "train_sizes": self.train_sizes,
            "warnings": self.warnings,
        }


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def mask_labels(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Keep ``max(1, round(fraction * n_c))`` random labels of every class c; the rest -1."""
    if fraction >= 1.0:
        return y.copy()
    rng = np.random.RandomState(seed)
    out = np.full_like(y, UNLABELED)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        keep = max(1, round(fraction * rows.size))
        out[rng.choice(rows, size=keep, replace=False)] = label
    return out


def splits_of(X, y, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=SEED)
    return list(cv.split(X, y))


def cross_validate(
    name: str,
    make: Callable[[], BaseEstimator],
    X,
    y,
    splits,
    tally: WarningTally,
    context: str,
    fraction: float = 1.0,
) -> CVResult:
    """Test-fold accuracy of ``make()`` fitted on each training fold (labels masked to
    ``fraction``); a fold that raises is recorded and skipped."""
    result = CVResult(name)
    key = f"{context} | {name}"
    start = time.perf_counter()
    for fold, (train, test) in enumerate(splits):
        y_train = mask_labels(y[train], fraction, 1000 * SEED + fold)
        result.labels_kept.append(int(np.sum(y_train != UNLABELED)))
        result.train_sizes.append(int(train.size))
        estimator = make()
        try:
            with tally.record(key):
                estimator.fit(X[train], y_train)
                predicted = estimator.predict(X[test])
        except Exception as exc:
            result.errors.append(f"fold {fold}: {first_line(exc)}")
            continue
        result.scores.append(float(accuracy_score(y[test], predicted)))
        if isinstance(estimator, GridSearchCV):
            result.picks.append(describe_pick(estimator))
    result.seconds = time.perf_counter() - start
    result.warnings = tally.text(key)
    return result


# ---------------------------------------------------------------------------- output helpers
def rule(text: str, char: str = "=") -> None:
    print()
    print(text)
    print(char * max(60, len(text)))


def print_notes(results: list[CVResult]) -> None:
    for result in results:
        for error in result.errors[:3]:
            print(f"  ! {result.name}: {error}")
        if len(result.errors) > 3:
            print(f"  ! {result.name}: ... {len(result.errors) - 3} more failed folds")
        if result.picks:
            picks = Counter(result.picks)
            print(
                f"  {result.name} picked (per outer fold): "
                + "; ".join(f"{p} x{n}" for p, n in picks.most_common())
            )
        if result.warnings:
            print(f"  warnings, {result.name}: {result.warnings}")


def table(header: list[str], rows: list[list[str]], first_width: int | None = None) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    if first_width:
        widths[0] = max(widths[0], first_width)
    line = "  ".join(
        f"{h:<{widths[0]}}" if i == 0 else f"{h:>{widths[i]}}" for i, h in enumerate(header)
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                f"{c:<{widths[0]}}" if i == 0 else f"{c:>{widths[i]}}" for i, c in enumerate(row)
            )
        )


def best_marker(results: list[CVResult]) -> set[str]:
    means = [r.mean for r in results if r.mean is not None]
    if not means:
        return set()
    top = max(means)
    return {r.name for r in results if r.mean is not None and r.mean >= top - 1e-12}


# ---------------------------------------------------------------------------- section 1
def section_accuracy(settings: Settings, tally: WarningTally) -> dict:
    rule(
        "1. Cross-validated accuracy, 100% of the training labels "
        f"({settings.n_splits}-fold stratified CV, mean +- std over folds)"
    )
    out: dict = {"moons": {}, "digits": None}

    # -- moons: one column per noise level
    print(
        f"\n[moons] make_moons({settings.moons_n}, noise=s, random_state={SEED}), raw 2-D features"
    )
    per_noise: dict[float, list[CVResult]] = {}
    for noise in MOONS_NOISES:
        X, y = make_moons(settings.moons_n, noise=noise, random_state=SEED)
        splits = splits_of(X, y, settings.n_splits)
        per_noise[noise] = [
            cross_validate(name, make, X, y, splits, tally, f"acc moons {noise}")
            for name, make in moons_methods(settings.nested)
        ]
        out["moons"][str(noise)] = [r.to_json() for r in per_noise[noise]]
    names = [r.name for r in per_noise[MOONS_NOISES[0]]]
    tops = {noise: best_marker(results) for noise, results in per_noise.items()}
    rows = []
    for i, name in enumerate(names):
        cells = []
        for noise in MOONS_NOISES:
            r = per_noise[noise][i]
            cells.append(r.cell() + (" <" if r.name in tops[noise] else "  "))
        total = sum(per_noise[noise][i].seconds for noise in MOONS_NOISES)
        rows.append([name, *cells, f"{total:.1f}"])
    table(["method", *[f"noise={s:g}   " for s in MOONS_NOISES], "CV s"], rows)
    print(
        "(< = best mean in that column; CV s = total fit+predict seconds over all folds and "
        "noise levels)"
    )
    for noise in MOONS_NOISES:
        print_notes([_tag(r, f"noise={noise:g}") for r in per_noise[noise]])
    if settings.nested:
        print(
            f"  nested-CV grids (inner {INNER_FOLDS}-fold on the training fold): "
            f"MixtureClassifier full {MOONS_GRID_MC}; ComponentClassifier full "
            f"{MOONS_GRID_CC}"
        )
    sys.stdout.flush()

    # -- digits
    X, y = load_digits(return_X_y=True)
    print(
        f"\n[digits] load_digits() {X.shape[0]} x {X.shape[1]}, 10 classes; every row is "
        f"Pipeline(PCA({DIGITS_PCA}) fitted on the training fold, classifier); mixture "
        f"reg_covar={DIGITS_REG_COVAR:g} unless stated"
    )
    splits = splits_of(X, y, settings.n_splits)
    results = [
        cross_validate(name, make, X, y, splits, tally, "acc digits")
        for name, make in digits_methods(settings.nested)
    ]
    out["digits"] = [r.to_json() for r in results]
    tops = best_marker(results)
    table(
        ["method", "accuracy          ", "CV s"],
        [
            [r.name, r.cell() + (" <" if r.name in tops else "  "), f"{r.seconds:.1f}"]
            for r in results
        ],
    )
    print("(< = best mean; CV s = total fit+predict seconds over the folds)")
    print_notes(results)
    if settings.nested:
        print(
            f"  nested-CV grids (inner {INNER_FOLDS}-fold on the training fold): "
            f"MixtureClassifier full {DIGITS_GRID_MC}; ComponentClassifier k=50 "
            f"{DIGITS_GRID_CC}"
        )
    sys.stdout.flush()

    if settings.sensitivity:
        out["digits_sensitivity"] = digits_sensitivity(X, y, splits, tally)
    return out


def _tag(result: CVResult, tag: str) -> CVResult:
    copy = CVResult(
        f"{result.name} [{tag}]",
        result.scores,
        result.seconds,
        result.errors,
        result.picks,
        warnings=result.warnings,
    )
    return copy


def digits_sensitivity(X, y, splits, tally: WarningTally) -> list[dict]:
    """Every cell of a small grid on the same outer folds: shown, never used to pick a row above."""
    print(
        "\n[digits] sensitivity (same folds; every cell shown, none used to choose the settings "
        "above): mean test-fold accuracy"
    )
    reg_values = (1e-3, 1e-1, 1.0)
    configs = [
        (f"MixtureClassifier k={k} full", lambda k=k, reg=None: digits_mc(k, reg_covar=reg))
        for k in (1, 2, 4)
    ]
    configs += [
        (
            f"ComponentClassifier k=50 {cov}",
            lambda cov=cov, reg=None: digits_cc(50, covariance_type=cov, reg_covar=reg),
        )
        for cov in ("diag", "full")
    ]
    rows, out = [], []
    for name, make in configs:
        cells = []
        for reg in reg_values:
            r = cross_validate(
                f"{name} reg={reg:g}",
                lambda make=make, reg=reg: with_pca(make(reg=reg)),
                X,
                y,
                splits,
                tally,
                "sensitivity digits",
            )
            cells.append(r.cell())
            out.append(r.to_json())
            if r.errors:
                print(f"  ! {r.name}: {r.errors[0]}")
        rows.append([name, *cells])
    table(["model", *[f"reg_covar={reg:g}" for reg in reg_values]], rows)
    found = tally.text("sensitivity digits")
    if found:
        print(f"  warnings over the whole grid: {found}")
    sys.stdout.flush()
    return out


# ---------------------------------------------------------------------------- section 2
def semi_methods(dataset: str) -> list[tuple[str, Callable[[], BaseEstimator]]]:
    if dataset == "moons":

        def wrap(est):
            return est

        def cc(mapping):
            return ComponentClassifier(
                10, covariance_type="full", mapping=mapping, random_state=SEED
            )

        cc_name = "ComponentClassifier k=10 full"
    else:
        wrap = with_pca

        def cc(mapping):
            return digits_cc(50, mapping=mapping)

        cc_name = "ComponentClassifier k=50 diag"
    return [
        (f"{cc_name} soft", lambda: wrap(cc("soft"))),
        (f"{cc_name} majority", lambda: wrap(cc("majority"))),
        (
            "LogisticRegression, labelled rows only",
            lambda: wrap(OnLabelledRows(LogisticRegression(max_iter=5000))),
        ),
        ("GaussianNB, labelled rows only", lambda: wrap(OnLabelledRows(GaussianNB()))),
    ]


def section_semi(settings: Settings, tally: WarningTally) -> dict:
    rule(
        "2. Few labels: ComponentClassifier trained with 1% / 10% / 100% of the training-fold "
        "labels (rest = -1)"
    )
    print(
        f"each class keeps max(1, round(f * n_c)) labels of its training-fold rows, random "
        f"(RandomState(1000*{SEED} + fold)), same rows for every method; test folds fully "
        "labelled"
    )
    out = {}
    moons_X, moons_y = make_moons(settings.moons_n, noise=SEMI_NOISE, random_state=SEED)
    digits_X, digits_y = load_digits(return_X_y=True)
    for dataset, X, y, text in (
        (
            "moons",
            moons_X,
            moons_y,
            f"make_moons({settings.moons_n}, noise={SEMI_NOISE:g}), raw features",
        ),
        (
            "digits",
            digits_X,
            digits_y,
            f"load_digits(), Pipeline(PCA({DIGITS_PCA}) on all training rows, classifier)",
        ),
    ):
        print(f"\n[{dataset}] {text}")
        splits = splits_of(X, y, settings.n_splits)
        per_fraction = {
            f: [
                cross_validate(name, make, X, y, splits, tally, f"semi {dataset} {f:g}", fraction=f)
                for name, make in semi_methods(dataset)
            ]
            for f in LABEL_FRACTIONS
        }
        names = [r.name for r in per_fraction[LABEL_FRACTIONS[0]]]
        rows = [
            [name, *[per_fraction[f][i].cell() for f in LABEL_FRACTIONS]]
            for i, name in enumerate(names)
        ]
        table(["method", *[f"{f:.0%} labels" for f in LABEL_FRACTIONS]], rows)
        kept = []
        for f in LABEL_FRACTIONS:
            r = per_fraction[f][0]
            kept.append(
                f"{f:.0%}: {min(r.labels_kept)}-{max(r.labels_kept)} labels of "
                f"{min(r.train_sizes)}-{max(r.train_sizes)} training rows"
            )
        print("labels kept per training fold: " + "; ".join(kept))
        for f in LABEL_FRACTIONS:
            print_notes([_tag(r, f"{f:.0%}") for r in per_fraction[f] if r.errors or r.warnings])
        out[dataset] = {f"{f:g}": [r.to_json() for r in per_fraction[f]] for f in LABEL_FRACTIONS}
        sys.stdout.flush()
    return out


# ---------------------------------------------------------------------------- section 3
@dataclass
class BicRow:
    model: str
    components: str
    n_parameters: int
    bic_x: float | None
    bic_xy: float | None
    note: str = ""


def component_classifier_joint_bic(cc: ComponentClassifier, X, y) -> tuple[float, int]:
    """BIC of p(x, y) = p(x) * sum_k P(k | x) M_ky, and its number of free parameters."""
    index = np.searchsorted(cc.classes_, y)
    proba = cc.predict_proba(X)[np.arange(len(y)), index]
    with np.errstate(divide="ignore"):
        log_joint = cc.score_samples(X) + np.log(proba)
    # _n_parameters() is the mixture's free-parameter count (the one its bic() uses).
    n_params = int(cc.mixture_._n_parameters() + cc.mixture_.n_components * (len(cc.classes_) - 1))
    return float(-2.0 * log_joint.sum() + n_params * np.log(len(y))), n_params


def bic_problem(
    name: str, X, y, k_fixed: int, auto_max: int, reg_covar: float, tally: WarningTally
) -> dict:
    context = f"bic {name}"
    rows: list[BicRow] = []
    errors: list[str] = []
    n_classes = len(np.unique(y))
    with tally.record(context):
        start = time.perf_counter()
        selection = gmmkit.select(
            X,
            n_components=range(1, BIC_MAX_K + 1),
            covariance_type="full",
            criterion="bic",
            random_state=SEED,
            reg_covar=reg_covar,
        )
        unsup = selection.best_estimator_
        k_bic = int(unsup.n_components)
        rows.append(
            BicRow(
                f"GaussianMixture, k by BIC over 1..{BIC_MAX_K} (select)",
                f"{k_bic}",
                int(unsup._n_parameters()),
                float(unsup.bic(X)),
                None,
            )
        )
        k_total = k_fixed * n_classes
        same = gmmkit.GaussianMixture(
            k_total, covariance_type="full", reg_covar=reg_covar, random_state=SEED
        ).fit(X)
        rows.append(
            BicRow(
                f"GaussianMixture, k={k_total} (= MixtureClassifier's total)",
                f"{k_total}",
                int(same._n_parameters()),
                float(same.bic(X)),
                None,
            )
        )
        try:
            cc = ComponentClassifier(
                k_bic, covariance_type="full", reg_covar=reg_covar, random_state=SEED
            ).fit(X, y)
            joint, n_params = component_classifier_joint_bic(cc, X, y)
            rows.append(
                BicRow(
                    f"ComponentClassifier k={k_bic} (mixture + soft map)",
                    f"{k_bic}",
                    n_params,
                    float(cc.mixture_.bic(X)),
                    joint,
                    "params incl. k*(C-1) for the map in BIC(X,y)",
                )
            )
        except Exception as exc:
            errors.append(f"ComponentClassifier: {first_line(exc)}")
        for label, k in (
            (f"MixtureClassifier k={k_fixed}", k_fixed),
            (f"MixtureClassifier k=auto(1..{auto_max})", "auto"),
        ):
            try:
                mc = MixtureClassifier(
                    k,
                    covariance_type="full",
                    max_components=auto_max,
                    reg_covar=reg_covar,
                    random_state=SEED,
                ).fit(X, y)
            except Exception as exc:
                errors.append(f"{label}: {first_line(exc)}")
                continue
            per_class = "+".join(str(int(c)) for c in mc.n_components_)
            components = (
                f"{int(mc.n_components_.sum())}"
                if k != "auto"
                else f"{int(mc.n_components_.sum())} ({per_class})"
            )
            rows.append(
                BicRow(
                    label, components, int(mc.n_parameters_), float(mc.bic(X)), float(mc.bic(X, y))
                )
            )
        seconds = time.perf_counter() - start

    n, d = X.shape
    header = ["model", "components", "params", "BIC(X)", "BIC(X,y)"]
    table(
        header,
        [
            [
                r.model,
                r.components,
                str(r.n_parameters),
                "-" if r.bic_x is None else f"{r.bic_x:.1f}",
                "-" if r.bic_xy is None else f"{r.bic_xy:.1f}",
            ]
            for r in rows
        ],
    )
    for error in errors:
        print(f"  ! {error}")
    found = tally.text(context)
    if found:
        print(f"  warnings: {found}")

    verdicts = {}
    unsup_rows = [r for r in rows if r.model.startswith("GaussianMixture")]
    sup_rows = [r for r in rows if r.model.startswith("MixtureClassifier")]
    best_unsup = min(unsup_rows, key=lambda r: r.bic_x)
    if sup_rows:
        best_sup = min(sup_rows, key=lambda r: r.bic_x)
        diff = best_sup.bic_x - best_unsup.bic_x
        winner = best_sup if diff < 0 else best_unsup
        print(
            f"BIC(X), marginal likelihood of X (comparable): best supervised "
            f"{best_sup.model} {best_sup.bic_x:.1f} vs best unsupervised "
            f"{best_unsup.model.split(',')[0]} k={best_unsup.components} "
            f"{best_unsup.bic_x:.1f}"
        )
        print(
            f"  -> {winner.model.split(',')[0]} wins by {abs(diff):.1f} "
            f"({abs(diff) / n:.3f} per row; supervised - unsupervised = {diff:+.1f})"
        )
        verdicts["marginal"] = {
            "supervised": best_sup.model,
            "supervised_bic": best_sup.bic_x,
            "unsupervised": best_unsup.model,
            "unsupervised_bic": best_unsup.bic_x,
            "supervised_minus_unsupervised": diff,
        }
    joint_rows = [r for r in rows if r.bic_xy is not None]
    cc_rows = [r for r in joint_rows if r.model.startswith("ComponentClassifier")]
    mc_rows = [r for r in joint_rows if r.model.startswith("MixtureClassifier")]
    if cc_rows and mc_rows:
        best_mc = min(mc_rows, key=lambda r: r.bic_xy)
        cc_row = cc_rows[0]
        diff = best_mc.bic_xy - cc_row.bic_xy
        winner = best_mc if diff < 0 else cc_row
        print(
            f"BIC(X,y), joint likelihood with the labels: best {best_mc.model} "
            f"{best_mc.bic_xy:.1f} vs {cc_row.model.split(' (')[0]} {cc_row.bic_xy:.1f}"
        )
        print(
            f"  -> {winner.model.split(' (')[0]} wins by {abs(diff):.1f} "
            f"({abs(diff) / n:.3f} per row; MixtureClassifier - ComponentClassifier = "
            f"{diff:+.1f})"
        )
        verdicts["joint"] = {
            "mixture_classifier": best_mc.model,
            "mixture_classifier_bic": best_mc.bic_xy,
            "component_classifier": cc_row.model,
            "component_classifier_bic": cc_row.bic_xy,
            "mixture_minus_component": diff,
        }
    for r in mc_rows:
        print(
            f"  {r.model}: BIC(X,y) - BIC(X) = {r.bic_xy - r.bic_x:.1f} "
            "(= -2 sum log P(y|x), its in-sample log-loss x 2)"
        )
    print(f"  ({n} rows x {d} dims, all in-sample; {seconds:.1f} s)")
    sys.stdout.flush()
    return {
        "n_samples": n,
        "n_features": d,
        "k_bic": k_bic,
        "seconds": seconds,
        "rows": [r.__dict__ for r in rows],
        "verdicts": verdicts,
        "errors": errors,
    }


def section_bic(settings: Settings, tally: WarningTally) -> dict:
    rule(
        "3. BIC on all the data: one unsupervised mixture vs the per-class mixtures "
        "(full covariance, lower is better)"
    )
    print(
        "BIC(X) = -2 log p(X) + p log n, marginal over the classes (MixtureClassifier.bic(X)); "
        "BIC(X,y) = joint with the labels (MixtureClassifier.bic(X, y))"
    )
    print(
        "the unsupervised GaussianMixture models X only, so it has no BIC(X,y); the "
        "ComponentClassifier row is its joint counterpart"
    )
    out = {}
    X, y = make_moons(settings.moons_n, noise=SEMI_NOISE, random_state=SEED)
    print(f"\n[moons] make_moons({settings.moons_n}, noise={SEMI_NOISE:g}), reg_covar=1e-6")
    out["moons"] = bic_problem("moons", X, y, k_fixed=4, auto_max=10, reg_covar=1e-6, tally=tally)
    X, y = load_digits(return_X_y=True)
    Z = PCA(DIGITS_PCA, random_state=SEED).fit_transform(X)
    print(
        f"\n[digits] PCA({DIGITS_PCA}) fitted on all {X.shape[0]} rows, "
        f"reg_covar={DIGITS_REG_COVAR:g}"
    )
    out["digits"] = bic_problem(
        "digits", Z, y, k_fixed=2, auto_max=4, reg_covar=DIGITS_REG_COVAR, tally=tally
    )
    return out


# ---------------------------------------------------------------------------- section 4
#: mclust's data sets (MclustDA and EDDA are its discriminant analyses); banknote is read from
#: the fixture reference/mclust/discriminant.R writes.
BANKNOTE = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mclust" / "banknote_da.json"
)
MCLUSTDA_MAX_K = 5


def discriminant_methods() -> list[tuple[str, Callable[[], BaseEstimator]]]:
    """(row name, factory) of section 4: mclust's two discriminant analyses on the 14 models
    next to scikit-learn's discriminant analyses and two other baselines."""
    return [
        (
            f"MclustDA: MixtureClassifier all, k=1..{MCLUSTDA_MAX_K}",
            lambda: MixtureClassifier(
                "auto",
                covariance_type="all",
                max_components=MCLUSTDA_MAX_K,
                init_params="hc+kmeans",
                random_state=SEED,
            ),
        ),
        (
            "EDDA: MixtureClassifier mode=edda, all",
            lambda: MixtureClassifier(mode="edda", covariance_type="all"),
        ),
        ("LinearDiscriminantAnalysis", lambda: LinearDiscriminantAnalysis()),
        ("QuadraticDiscriminantAnalysis", lambda: QuadraticDiscriminantAnalysis()),
        ("GaussianNB", lambda: GaussianNB()),
        ("HistGradientBoosting", lambda: HistGradientBoostingClassifier(random_state=SEED)),
    ]


def discriminant_data(settings: Settings) -> list[tuple[str, np.ndarray, np.ndarray]]:
    data = [("iris", *load_iris(return_X_y=True))]
    if BANKNOTE.exists():
        banknote = json.loads(BANKNOTE.read_text())
        data.append(("banknote", np.array(banknote["data"]), np.array(banknote["class"])))
    if not settings.quick:
        data.append(("wine", *load_wine(return_X_y=True)))
        data.append(("breast_cancer", *load_breast_cancer(return_X_y=True)))
    return data


def section_discriminant(settings: Settings, tally: WarningTally) -> dict:
    rule(
        "4. mclust's discriminant analyses (MclustDA, EDDA) vs scikit-learn "
        f"({settings.n_splits}-fold stratified CV, mean +- std over folds)"
    )
    print(
        "MclustDA: every class its own number of components and covariance model, by BIC "
        "over mclust's 14 models; EDDA: one Gaussian per class, one model for all classes "
        "by BIC (EEE = LDA, VVV = QDA); raw features"
    )
    data = discriminant_data(settings)
    per_set: dict[str, list[CVResult]] = {}
    for name, X, y in data:
        splits = splits_of(X, y, settings.n_splits)
        per_set[name] = [
            cross_validate(method, make, X, y, splits, tally, f"da {name}")
            for method, make in discriminant_methods()
        ]
    names = [method for method, _ in discriminant_methods()]
    tops = {name: best_marker(results) for name, results in per_set.items()}
    rows = []
    for i, method in enumerate(names):
        cells = []
        for name, _, _ in data:
            r = per_set[name][i]
            cells += [r.cell() + (" <" if r.name in tops[name] else "  "), f"{r.seconds:.1f}"]
        rows.append([method, *cells])
    header = ["method"]
    for name, X, _ in data:
        header += [f"{name} ({X.shape[0]}x{X.shape[1]})", "s"]
    table(header, rows)
    print("(< = best mean in that column; s = total fit+predict seconds over the folds)")
    for name, _, _ in data:
        print_notes([_tag(r, name) for r in per_set[name]])
    sys.stdout.flush()
    return {name: [r.to_json() for r in results] for name, results in per_set.items()}


# ---------------------------------------------------------------------------- machine
def print_header(info: dict, settings: Settings) -> None:
    print("gmmkit mixture classifiers vs scikit-learn classifiers: accuracy benchmark")
    print("=" * 74)
    print(
        f"CPU      : {info['cpu']}  (os.cpu_count()={info['cpu_count']}, usable="
        f"{info['usable_cpus']})"
    )
    print(f"platform : {info['platform']}, Python {info['python']}")
    print(
        f"versions : numpy {info['numpy']}, scipy {info['scipy']}, scikit-learn "
        f"{info['sklearn']}, gmmkit {info['gmmkit']} (git {info['git_describe'] or 'unknown'})"
    )
    print(f"load avg : {info['load_average_before']} (1, 5, 15 min) before the run")
    print(
        f"mode     : {'quick' if settings.quick else 'full'}: {settings.n_splits}-fold "
        f"StratifiedKFold(shuffle=True, random_state={SEED}), moons n={settings.moons_n}, "
        f"nested CV {'on' if settings.nested else 'off'}, digits sensitivity grid "
        f"{'on' if settings.sensitivity else 'off'}"
    )
    print(
        f"seeds    : random_state={SEED} for every estimator, split and label mask; BLAS and "
        "OpenMP limited to 1 thread"
    )
    print(
        "metric   : test-fold accuracy (mean +- std over folds); '*' = some folds raised, "
        "'error' = every fold raised"
    )
    sys.stdout.flush()


# ---------------------------------------------------------------------------- main
# ---------------------------------------------------------------------------- section 5
def section_semi_mixture(settings: Settings, tally: WarningTally) -> list:
    """The semi-supervised MixtureClassifier (mclust's MclustSSC) against the supervised fit on
    the labelled rows and ComponentClassifier: ``bench_semisupervised.py``'s protocol, 2 seeds
    in quick mode, 5 otherwise."""
    import bench_semisupervised

    rule(
        "5. Few labels: semi-supervised MixtureClassifier against the supervised fit on the "
        "labelled rows and ComponentClassifier (protocol of bench_semisupervised.py)"
    )
    rows = bench_semisupervised.run_all(list(range(2 if settings.quick else 5)), tally)
    bench_semisupervised.print_table(rows)
    return rows


# ---------------------------------------------------------------------------- result file
def accuracy_columns(key: str, label: str) -> list[dict]:
    return [column(key, label, fmt=".3f"), column(f"{key}_std", "± std", fmt=".3f")]


def accuracy_cells(result: dict, key: str) -> dict:
    return {key: result["mean"], f"{key}_std": result["std"]}


def failures(results: dict[str, dict]) -> str | None:
    """'<column>: n of the folds raised' for the cells where some did, as printed with '*'."""
    notes = [
        f"{label}: {len(r['errors'])} folds raised ({r['errors'][0][:80]})"
        for label, r in results.items()
        if r["errors"]
    ]
    return "; ".join(notes) or None


def wide_table(name: str, title: str, per_column: dict[str, list[dict]], seconds: bool) -> dict:
    """One row per method, mean and std of the accuracy per column (noise, label share, data
    set), optionally the fit+predict seconds of each."""
    columns, keys = [column("method")], {}
    for label in per_column:
        keys[label] = "c" + "".join(ch if ch.isalnum() else "_" for ch in label)
        columns += accuracy_columns(keys[label], label)
        if seconds:
            columns.append(column(f"{keys[label]}_s", "CV", "s"))
    columns.append(column("notes"))
    first = next(iter(per_column.values()))
    records = []
    for i, method in enumerate(r["name"] for r in first):
        record = {"method": method}
        for label, results in per_column.items():
            record.update(accuracy_cells(results[i], keys[label]))
            if seconds:
                record[f"{keys[label]}_s"] = results[i]["seconds"]
        record["notes"] = failures({label: results[i] for label, results in per_column.items()})
        records.append(record)
    return result_table(name, title, columns, records)


def long_table(name: str, title: str, results: list[dict]) -> dict:
    columns = [
        column("method"),
        *accuracy_columns("accuracy", "accuracy"),
        column("seconds", "CV", "s"),
        column("notes"),
    ]
    records = [
        {
            "method": r["name"],
            **accuracy_cells(r, "accuracy"),
            "seconds": r["seconds"],
            "notes": failures({"accuracy": r}),
        }
        for r in results
    ]
    return result_table(name, title, columns, records)


BIC_COLUMNS = [
    column("model"),
    column("components"),
    column("n_parameters", "params"),
    column("bic_x", "BIC(X)", fmt=".1f"),
    column("bic_xy", "BIC(X,y)", fmt=".1f"),
    column("note"),
]


def result_tables(sections: dict) -> list[dict]:
    """The printed tables of every section that ran, as records (accuracy: test-fold mean and
    std over the folds)."""
    import bench_semisupervised

    tables = []
    accuracy = sections.get("accuracy")
    if accuracy:
        moons = {f"noise={float(noise):g}": rs for noise, rs in accuracy["moons"].items()}
        tables.append(wide_table("accuracy_moons", "1. Two moons: accuracy", moons, True))
        tables.append(long_table("accuracy_digits", "1. Digits: accuracy", accuracy["digits"]))
        if accuracy.get("digits_sensitivity"):
            tables.append(
                long_table(
                    "digits_sensitivity",
                    "1. Digits: sensitivity grid (every cell shown, none used to choose)",
                    accuracy["digits_sensitivity"],
                )
            )
    for dataset, per_fraction in (sections.get("semi_supervised") or {}).items():
        shares = {f"{float(f):.0%} labels": rs for f, rs in per_fraction.items()}
        title = f"2. {dataset}: ComponentClassifier with few labels"
        tables.append(wide_table(f"few_labels_{dataset}", title, shares, False))
    for dataset, problem in (sections.get("bic") or {}).items():
        title = f"3. {dataset}: BIC, unsupervised vs per-class mixtures (lower is better)"
        tables.append(result_table(f"bic_{dataset}", title, BIC_COLUMNS, problem["rows"]))
    if sections.get("discriminant"):
        title = "4. mclust's discriminant analyses vs scikit-learn: accuracy"
        tables.append(wide_table("discriminant", title, sections["discriminant"], True))
    if sections.get("semi_supervised_mixture"):
        rows = sections["semi_supervised_mixture"]
        tables.append(bench_semisupervised.result_table(rows, "semi_supervised_mixture"))
    return tables


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 folds, moons n=400, no nested CV and no sensitivity grid",
    )
    parser.add_argument(
        "--folds", type=int, default=None, help="outer CV folds (default 5, or 3 with --quick)"
    )
    add_json_option(parser, "bench_classify")
    parser.add_argument(
        "--section",
        choices=("accuracy", "semi_supervised", "bic", "discriminant", "semi_supervised_mixture"),
        help="run only this section",
    )
    args = parser.parse_args(argv)
    if args.folds is not None and args.folds < 2:
        parser.error("--folds must be >= 2")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = Settings.from_args(args)
    info = machine_info()
    configuration = "quick" if args.quick else "default"
    if not args.quick and (args.section or args.folds not in (None, 5)):
        configuration = "reduced"
    result_file = ResultFile("bench_classify", args, configuration)
    print_header(info, settings)
    tally = WarningTally()
    started = time.perf_counter()
    sections = {}
    with threadpool_limits(limits=1):
        for key, section in (
            ("accuracy", section_accuracy),
            ("semi_supervised", section_semi),
            ("bic", section_bic),
            ("discriminant", section_discriminant),
            ("semi_supervised_mixture", section_semi_mixture),
        ):
            if args.section and key != args.section:
                continue
            section_start = time.perf_counter()
            sections[key] = section(settings, tally)
            print(f"(section time {time.perf_counter() - section_start:.1f} s)")
    elapsed = time.perf_counter() - started

    rule("Warnings (silenced while fitting, counted)", "-")
    total = tally.total()
    if total:
        for category, count in total.most_common():
            print(f"  {category}: {count}")
        print("  (per-row counts are printed under each table)")
    else:
        print("  none")
    info["load_average_after"] = load_average()
    print(
        f"\nload avg : {info['load_average_after']} after the run; total benchmark time "
        f"{elapsed:.0f} s"
    )
    payload = {
        "machine": info,
        "settings": {
            **settings.__dict__,
            "seed": SEED,
            "digits_pca": DIGITS_PCA,
            "digits_reg_covar": DIGITS_REG_COVAR,
            "label_fractions": LABEL_FRACTIONS,
        },
        "sections": sections,
        "warnings": dict(total),
        "elapsed_s": elapsed,
    }
    result_file.write(result_tables(sections), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
