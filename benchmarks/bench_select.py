#!/usr/bin/env python
"""Time a whole model-selection sweep: ``gmmkit.select`` against the scikit-learn ways of doing it.

Run from the repository root::

    python benchmarks/bench_select.py              # full run, ~2.5 min on 2 quiet cores
    python benchmarks/bench_select.py --quick      # moons + digits k=10..50 only, ~15 s
    python benchmarks/bench_select.py --only digits --repeats 3 --json select.json

For each data set, in one process, on the same array, the script times

* ``gmmkit.select(X, n_components=ks, covariance_type=types, criterion="bic")`` with
  ``n_jobs=-1`` (gmmkit at its best setting: all cores) and with ``n_jobs=1``. Its time includes
  everything ``select`` computes by default for every configuration: BIC, AIC, ICL and the
  silhouette score (``silhouette_samples=2000``), which the scikit-learn loop does not compute;
  and ``select(..., warm_start=True)`` (n_jobs=-1), which also fits every k from the previous
  k's fit with its widest components split and keeps the better fit per row: slower, not
  comparable with the loop fit by fit, shown for the better BIC it finds;
* **the scikit-learn loop** users write: for every (n_components, covariance_type), fit
  ``sklearn.mixture.GaussianMixture`` on all the data and compute ``bic(X)``, sequentially.
  A configuration that scikit-learn refuses ("ill-defined empirical covariance") is shown as
  ``failed``, counted, and the loop goes on. The loop is timed twice, at scikit-learn's default
  BLAS/OpenMP threads and with both limited to one thread (``threadpoolctl``); the faster counts
  as scikit-learn's time (on a small or busy machine, default threads on small problems can be
  many times slower);
* "for scale", the recipe of scikit-learn's gallery example "Gaussian Mixture Model Selection":
  ``GridSearchCV(GaussianMixture(), param_grid=..., scoring=gmm_bic_score)`` with
  ``gmm_bic_score(estimator, X) = -estimator.bic(X)``, default 5-fold CV, ``n_jobs=-1``.
  It scores BIC on the *held-out folds* (a fifth of the data), so its pick is not the
  full-data-BIC optimum and its scores are not comparable with the others' BIC.

Every estimator uses the same settings: k-means init, ``n_init=1``, ``tol=1e-3``,
``max_iter=100``, ``reg_covar=1e-6`` (digits included), ``random_state=0``.

Data sets: (a) two moons (``make_moons(1000, noise=0.1, random_state=0)``), k = 1..10 x the four
covariance types; (b) digits, ``load_digits().data`` reduced by ``PCA(0.99, svd_solver='full')``
to 41 dimensions, k = 10..200 step 10 x full and diag (``--quick``: k = 10..50).

Printed per data set: a per-configuration table (BIC of the scikit-learn loop and of gmmkit, and
their difference), then the wall time of each method, the best BIC each found and at which
configuration, and the ratios sklearn_time / gmmkit_time. The end checks the issue's target on
digits: the scikit-learn loop / ``gmmkit.select(n_jobs=-1)`` >= 8x, with gmmkit's best BIC no
worse than scikit-learn's (PASS / MISS). Nothing is asserted: timings on a shared machine are
only as quiet as the machine, so the load average is printed before and after.

Before timing, a tiny untimed warm-up runs each method once (imports; select uses threads),
so no timed run pays process start-up. Each timing is the minimum over ``--repeats``
interleaved rounds (default 3 for both data sets): one run on a shared 2-core machine varies by
about 5%, and the first large sweep in a process is a few percent slower than later ones (the
memory allocator is still growing its heaps), which would otherwise fall on whichever method
runs first.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# Workers started by joblib (gmmkit n_jobs=-1 and GridSearchCV alike) inherit this: fits that
# warn (non-convergence, degenerate components, failed CV folds) would otherwise flood stderr.
os.environ.setdefault("PYTHONWARNINGS", "ignore")

import joblib
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits, make_moons
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

import _common
import gmmkit
from _common import ResultFile, add_json_option, column, load_average, table

ALL_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: Estimator settings shared by every method.
SETTINGS = dict(
    n_init=1, init_params="kmeans", tol=1e-3, max_iter=100, reg_covar=1e-6, random_state=0
)
SPEEDUP_TARGET = 8.0
#: gmmkit's best BIC counts as "no worse" up to this relative difference (rounding noise).
BIC_RTOL = 1e-9


# ---------------------------------------------------------------------------- data sets
@dataclass
class Problem:
    """A data set and the grid of configurations swept on it."""

    name: str
    X: np.ndarray = field(repr=False)
    ks: list[int]
    covariance_types: list[str]
    repeats: int

    def describe(self) -> str:
        n, d = self.X.shape
        ks = self.ks
        step = ks[1] - ks[0] if len(ks) > 1 else 1
        k_text = f"k = {ks[0]}..{ks[-1]}" + (f" step {step}" if step != 1 else "")
        return (
            f"{n} x {d}; {k_text} x {', '.join(self.covariance_types)} "
            f"({len(ks) * len(self.covariance_types)} configurations); "
            f"reg_covar={SETTINGS['reg_covar']:g}; repeats={self.repeats}"
        )


def moons_problem(repeats: int) -> Problem:
    X, _ = make_moons(n_samples=1000, noise=0.1, random_state=0)
    return Problem("moons", X, list(range(1, 11)), list(ALL_COVARIANCE_TYPES), repeats)


def digits_problem(quick: bool, repeats: int) -> Problem:
    X = PCA(0.99, svd_solver="full").fit_transform(load_digits().data)
    ks = list(range(10, 51 if quick else 201, 10))
    return Problem("digits", X, ks, ["full", "diag"], repeats)


def build_problems(args) -> list[Problem]:
    names = [args.only] if args.only else ["moons", "digits"]
    problems = []
    for name in names:
        if name == "moons":
            problems.append(moons_problem(args.repeats or 3))
        else:
            problems.append(digits_problem(args.quick, args.repeats or 3))
    return problems


# ---------------------------------------------------------------------------- the methods
@dataclass
class Best:
    bic: float
    n_components: int
    covariance_type: str

    def label(self) -> str:
        return f"k={self.n_components} {self.covariance_type}"


@dataclass
class MethodResult:
    """Wall times (one per repeat) and what one method found on one data set."""

    method: str
    times: list[float] = field(default_factory=list)
    best: Best | None = None
    n_failed: int = 0
    failed: list[str] = field(default_factory=list)
    error: str | None = None  # the whole method raised
    notes: list[str] = field(default_factory=list)
    #: (k, covariance_type) -> dict with bic, n_iter, converged, seconds, error
    configs: dict = field(default_factory=dict, repr=False)

    @property
    def seconds(self) -> float | None:
        return min(self.times) if self.times else None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:160]


def timed(function):
    """Run ``function()`` once with warnings silenced; return (seconds, its result)."""
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        out = function()
        return time.perf_counter() - start, out


@dataclass
class Method:
    """A timed method: ``run()`` does the whole sweep, ``collect(result, output)`` reads it."""

    result: MethodResult
    run: Callable[[], Any]
    collect: Callable[[MethodResult, Any], None]
    output: Any = None


def time_methods(methods: list[Method], repeats: int) -> None:
    """Time every method ``repeats`` times, interleaved (so load changes hit them alike).

    A method that raises is reported and not run again; the others go on.
    """
    for _ in range(repeats):
        for method in methods:
            if method.result.error:
                continue
            try:
                seconds, method.output = timed(method.run)
            except Exception as exc:
                method.result.error = first_line(exc)
                continue
            method.result.times.append(seconds)
    for method in methods:
        if not method.result.error:
            method.collect(method.result, method.output)
        method.output = None


# -- gmmkit
def gmmkit_method(problem: Problem, n_jobs: int, warm_start: bool = False) -> Method:
    def sweep():
        return gmmkit.select(
            problem.X,
            n_components=problem.ks,
            covariance_type=list(problem.covariance_types),
            criterion="bic",
            n_jobs=n_jobs,
            warm_start=warm_start,
            **SETTINGS,
        )

    label = f"gmmkit.select n_jobs={n_jobs}" + (" warm" if warm_start else "")
    return Method(
        MethodResult(label),
        sweep,
        lambda result, selection: collect_gmmkit(result, selection, problem.X),
    )


def is_error(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def collect_gmmkit(result: MethodResult, selection, X: np.ndarray) -> None:
    """Per-configuration rows of ``selection.table`` and the best BIC among them."""
    table: pd.DataFrame = selection.table
    for row in table.itertuples(index=False):
        key = (int(row.n_components), str(row.covariance_type))
        error = row.error if is_error(row.error) else None
        result.configs[key] = {
            "bic": None if error or not np.isfinite(row.bic) else float(row.bic),
            "n_iter": None if error else int(row.n_iter),
            "converged": None if error else bool(row.converged),
            "seconds": float(row.fit_seconds) if np.isfinite(row.fit_seconds) else None,
            "silhouette": (
                float(row.silhouette)
                if row.silhouette is not None and np.isfinite(row.silhouette)
                else None
            ),
            "error": error,
        }
        if error:
            result.n_failed += 1
            result.failed.append(f"k={key[0]} {key[1]} ({error})")
    result.best = best_of(result.configs)
    chosen = selection.best_params_
    chosen = (int(chosen["n_components"]), str(chosen["covariance_type"]))
    if result.best and chosen != (result.best.n_components, result.best.covariance_type):
        result.notes.append(
            f"best_params_ is k={chosen[0]} {chosen[1]}, "
            f"not the table's lowest BIC ({result.best.label()})"
        )
    result.notes.extend(rescore_note(selection.best_estimator_, result.best, X))


def rescore_note(model, best: Best | None, X: np.ndarray) -> list[str]:
    """Check gmmkit's best BIC independently: scikit-learn's ``bic`` on gmmkit's parameters."""
    if best is None:
        return []
    try:
        bic = sklearn_bic_of(model, X)
    except Exception as exc:
        return [f"could not rescore best_estimator_ with scikit-learn: {first_line(exc)}"]
    rel = abs(bic - best.bic) / max(1.0, abs(best.bic))
    if rel > 1e-7:
        return [
            f"scikit-learn scores gmmkit's best_estimator_ at BIC {bic:.3f} "
            f"(gmmkit's table: {best.bic:.3f})"
        ]
    return []


def sklearn_bic_of(model, X: np.ndarray) -> float:
    """BIC that scikit-learn computes for a gmmkit model's fitted parameters."""
    clone = SklearnGaussianMixture(model.n_components, covariance_type=model.covariance_type)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        setattr(clone, name, np.asarray(getattr(model, name), dtype=np.float64))
    clone.n_features_in_ = X.shape[1]
    clone.converged_, clone.n_iter_, clone.lower_bound_ = True, 0, 0.0
    return float(clone.bic(X))


def same_bic(a: float, b: float) -> bool:
    return abs(a - b) <= BIC_RTOL * max(1.0, abs(a), abs(b))


def bic_worse(gmmkit_bic: float | None, sklearn_bic: float) -> bool:
    """gmmkit's BIC is higher than scikit-learn's beyond rounding noise (or gmmkit failed)."""
    return gmmkit_bic is None or (
        gmmkit_bic > sklearn_bic and not same_bic(gmmkit_bic, sklearn_bic)
    )


def best_of(configs: dict) -> Best | None:
    scored = [(v["bic"], k) for k, v in configs.items() if v["bic"] is not None]
    if not scored:
        return None
    bic, (k, cov) = min(scored)
    return Best(bic, k, cov)


# -- the scikit-learn loop
def sklearn_loop(problem: Problem) -> dict:
    """The loop users write: fit every configuration on all the data, keep its BIC."""
    configs = {}
    for cov in problem.covariance_types:
        for k in problem.ks:
            start = time.perf_counter()
            try:
                model = SklearnGaussianMixture(k, covariance_type=cov, **SETTINGS).fit(problem.X)
                bic = float(model.bic(problem.X))
            except ValueError as exc:  # "ill-defined empirical covariance"
                configs[k, cov] = {
                    "bic": None,
                    "n_iter": None,
                    "converged": None,
                    "seconds": time.perf_counter() - start,
                    "error": first_line(exc),
                }
                continue
            configs[k, cov] = {
                "bic": bic,
                "n_iter": int(model.n_iter_),
                "converged": bool(model.converged_),
                "seconds": time.perf_counter() - start,
                "error": None,
            }
    return configs


def sklearn_loop_method(problem: Problem, one_thread: bool) -> Method:
    """The loop at scikit-learn's default threads, or with BLAS and OpenMP limited to one.

    On a small or busy machine, default multi-threaded BLAS/OpenMP on small problems can be many
    times slower than one thread, so both are timed and the faster counts as scikit-learn's time.
    """

    def run():
        if not one_thread:
            return sklearn_loop(problem)
        with threadpool_limits(limits=1):
            return sklearn_loop(problem)

    def collect(result, configs):
        result.configs = configs
        result.failed = [f"k={k} {cov}" for (k, cov), v in configs.items() if v["error"]]
        result.n_failed = len(result.failed)
        result.best = best_of(configs)

    name = "sklearn loop, 1 thread" if one_thread else "sklearn loop, default thr"
    return Method(MethodResult(name), run, collect)


# -- GridSearchCV, as in scikit-learn's gallery
def gmm_bic_score(estimator, X):
    """Callable to pass to GridSearchCV that will use the BIC score (the gallery's scorer)."""
    return -estimator.bic(X)


def grid_search(problem: Problem, n_jobs: int = -1) -> GridSearchCV:
    param_grid = {
        "n_components": list(problem.ks),
        "covariance_type": list(problem.covariance_types),
    }
    search = GridSearchCV(
        SklearnGaussianMixture(**SETTINGS),
        param_grid=param_grid,
        scoring=gmm_bic_score,
        n_jobs=n_jobs,
    )
    return search.fit(problem.X)


def grid_search_method(problem: Problem) -> Method:
    def collect(result, search):
        params = search.best_params_
        best = search.best_estimator_
        # best_estimator_ is refitted on all the data: its full-data BIC is comparable.
        result.best = Best(
            float(best.bic(problem.X)), int(params["n_components"]), str(params["covariance_type"])
        )
        splits = [
            key
            for key in search.cv_results_
            if key.startswith("split") and key.endswith("_test_score")
        ]
        scores = np.column_stack([search.cv_results_[key] for key in splits])
        result.n_failed = int(np.sum(~np.isfinite(scores)))
        result.notes.append(
            f"picks by held-out-fold BIC (mean {-search.best_score_:.1f} per fold, "
            f"{len(splits)} folds); BIC column = its refitted pick scored on all the data"
        )
        if result.n_failed:
            result.notes.append(
                f"{result.n_failed} of {scores.size} fold fits failed "
                "(scored NaN by GridSearchCV, error_score=nan)"
            )

    return Method(MethodResult("GridSearchCV n_jobs=-1"), lambda: grid_search(problem), collect)


def warm_up() -> None:
    """One tiny untimed run of each method: imports and caches (GridSearchCV's process pool)."""
    X, _ = make_moons(n_samples=200, noise=0.1, random_state=1)
    tiny = Problem("warm-up", X, [1, 2], ["full", "diag"], 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for function in (
            lambda: gmmkit.select(
                X, n_components=[1, 2], covariance_type=["full"], n_jobs=-1, **SETTINGS
            ),
            lambda: gmmkit.select(
                X, n_components=[1, 2], covariance_type=["full"], n_jobs=1, **SETTINGS
            ),
            lambda: sklearn_loop(tiny),
            lambda: grid_search(tiny),
        ):
            try:
                function()
            except Exception:
                pass


# ---------------------------------------------------------------------------- one data set
@dataclass
class ProblemReport:
    problem: Problem
    gmmkit: MethodResult
    gmmkit_serial: MethodResult
    sklearn_default: MethodResult
    sklearn_single: MethodResult
    grid: MethodResult
    gmmkit_warm: MethodResult

    @property
    def methods(self) -> list[MethodResult]:
        return [
            self.gmmkit,
            self.gmmkit_serial,
            self.gmmkit_warm,
            self.sklearn_default,
            self.sklearn_single,
            self.grid,
        ]

    @property
    def sklearn(self) -> MethodResult:
        """The scikit-learn loop at its faster thread setting."""
        timed_loops = [r for r in (self.sklearn_default, self.sklearn_single) if r.seconds]
        return min(timed_loops, key=lambda r: r.seconds, default=self.sklearn_default)

    def ratio(self, slow: MethodResult, fast: MethodResult) -> float | None:
        if slow.seconds is None or not fast.seconds:
            return None
        return slow.seconds / fast.seconds

    def bic_difference(self) -> float | None:
        """gmmkit's best BIC minus scikit-learn's (> 0: gmmkit's is worse)."""
        if self.gmmkit.best is None or self.sklearn.best is None:
            return None
        return self.gmmkit.best.bic - self.sklearn.best.bic

    def worse_configs(self) -> list[tuple]:
        """(k, cov, sklearn BIC, gmmkit BIC) where gmmkit's BIC is worse than scikit-learn's."""
        rows = []
        for key, sk in self.sklearn.configs.items():
            gm = self.gmmkit.configs.get(key)
            if sk["bic"] is None or gm is None:
                continue
            if bic_worse(gm["bic"], sk["bic"]):
                rows.append((*key, sk["bic"], gm["bic"]))
        return rows

    def to_json(self) -> dict:
        def method(result):
            out = asdict(result)
            out["seconds"] = result.seconds
            out["configs"] = [
                {"n_components": k, "covariance_type": cov, **v}
                for (k, cov), v in result.configs.items()
            ]
            return out

        return {
            "problem": self.problem.name,
            "n_samples": self.problem.X.shape[0],
            "n_features": self.problem.X.shape[1],
            "ks": self.problem.ks,
            "covariance_types": self.problem.covariance_types,
            "repeats": self.problem.repeats,
            "gmmkit": method(self.gmmkit),
            "gmmkit_n_jobs_1": method(self.gmmkit_serial),
            "sklearn_loop_default_threads": method(self.sklearn_default),
            "sklearn_loop_one_thread": method(self.sklearn_single),
            "sklearn_loop_used": self.sklearn.method,
            "grid_search": method(self.grid),
            "gmmkit_warm_start": method(self.gmmkit_warm),
            "ratio_sklearn_over_gmmkit_warm_start": self.ratio(self.sklearn, self.gmmkit_warm),
            "ratio_sklearn_over_gmmkit": self.ratio(self.sklearn, self.gmmkit),
            "ratio_sklearn_over_gmmkit_n_jobs_1": self.ratio(self.sklearn, self.gmmkit_serial),
            "ratio_grid_over_gmmkit": self.ratio(self.grid, self.gmmkit),
            "best_bic_gmmkit_minus_sklearn": self.bic_difference(),
            "configs_where_gmmkit_bic_worse": [
                {"n_components": k, "covariance_type": cov, "sklearn_bic": s, "gmmkit_bic": g}
                for k, cov, s, g in self.worse_configs()
            ],
        }


def run_problem(problem: Problem) -> ProblemReport:
    """Time every method on one data set, ``problem.repeats`` interleaved rounds."""
    methods = [
        gmmkit_method(problem, n_jobs=-1),
        gmmkit_method(problem, n_jobs=1),
        sklearn_loop_method(problem, one_thread=False),
        sklearn_loop_method(problem, one_thread=True),
        grid_search_method(problem),
        gmmkit_method(problem, n_jobs=-1, warm_start=True),
    ]
    time_methods(methods, problem.repeats)
    return ProblemReport(problem, *(method.result for method in methods))


# ---------------------------------------------------------------------------- output
def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "failed"
    return f"{seconds * 1e3:.0f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def format_bic(value: float | None) -> str:
    return "failed" if value is None else f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def print_config_table(report: ProblemReport) -> None:
    """One line per configuration: both libraries' BIC (all data), n_iter and fit time."""
    header = (
        f"{'k':>4} {'cov':<9}|{'sklearn BIC':>14} {'iter':>5} {'fit+bic':>9} |"
        f"{'gmmkit BIC':>14} {'iter':>5} {'fit':>9} |{'gmmkit-sklearn':>15}"
    )
    print(header)
    print("-" * len(header))
    for (k, cov), sk in report.sklearn.configs.items():
        gm = report.gmmkit.configs.get((k, cov), {})
        diff = (
            (gm["bic"] - sk["bic"]) if gm.get("bic") is not None and sk["bic"] is not None else None
        )
        flag = ""
        if diff is not None and bic_worse(gm["bic"], sk["bic"]):
            flag = "  gmmkit worse"
        print(
            f"{k:>4} {cov:<9}|{format_bic(sk['bic']):>14} {sk['n_iter'] or '-':>5} "
            f"{format_seconds(sk['seconds']):>9} |"
            f"{format_bic(gm.get('bic')):>14} {gm.get('n_iter') or '-':>5} "
            f"{format_seconds(gm.get('seconds')):>9} |"
            f"{'-' if diff is None else f'{diff:+.2f}':>15}{flag}"
        )
    print(
        "(sklearn fit+bic = that configuration's share of the sequential loop; gmmkit fit = its "
        "table's fit_seconds in the n_jobs=-1 run, in parallel, silhouette etc. not included)"
    )


def print_summary(report: ProblemReport) -> None:
    header = f"{'method':<28}{'wall time':>11}  {'best BIC':>14}  {'at':<14}{'failed':>7}"
    print(header)
    print("-" * len(header))
    for result in report.methods:
        best = result.best
        line = (
            f"{result.method:<28}{format_seconds(result.seconds):>11}  "
            f"{format_bic(best.bic if best else None):>14}  "
            f"{best.label() if best else '-':<14}{result.n_failed:>7}"
        )
        print(line)
        if result.error:
            print(f"{'':4}! raised {result.error}")
        if len(result.times) > 1:
            print(
                f"{'':4}times: {', '.join(format_seconds(t) for t in result.times)} (minimum shown)"
            )
        if result.failed and result.method.startswith("sklearn"):
            print(f"{'':4}failed (ill-defined covariance): {', '.join(result.failed)}")
        elif result.failed:
            print(f"{'':4}failed: {', '.join(result.failed)}")
        for note in result.notes:
            print(f"{'':4}note: {note}")
    print(f"sklearn loop = the faster of its two thread settings: {report.sklearn.method}")
    default, single = report.sklearn_default.best, report.sklearn_single.best
    if (
        default
        and single
        and (default.label() != single.label() or not same_bic(default.bic, single.bic))
    ):
        print(
            f"note: the two sklearn thread settings found different best BICs: default "
            f"{default.bic:.3f} ({default.label()}), 1 thread {single.bic:.3f} "
            f"({single.label()}); the faster one's is used"
        )
    sk = report.sklearn
    lines = ratio_lines(report)
    print("ratios (time / time, > 1: gmmkit faster):")
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"  {label:<{width}} : {format_ratio(value)}")
    diff = report.bic_difference()
    if diff is not None:
        verdict = "worse" if bic_worse(report.gmmkit.best.bic, sk.best.bic) else "no worse"
        print(f"best BIC, gmmkit minus sklearn loop: {diff:+.3f} (gmmkit {verdict})")
    worse = report.worse_configs()
    print(
        f"configurations where gmmkit's BIC is worse than sklearn's: {len(worse)} "
        f"of {len(report.sklearn.configs)}"
    )
    warm = report.gmmkit_warm.best
    if warm is not None and sk.best is not None:
        print(
            f"best BIC, gmmkit warm_start=True minus sklearn loop: {warm.bic - sk.best.bic:+.3f} "
            f"({warm.label()})"
        )


def ratio_lines(report: ProblemReport) -> list[tuple[str, float | None]]:
    """(what over what, time ratio) as printed; > 1: gmmkit faster."""
    sk = report.sklearn
    return [
        (f"{sk.method} / gmmkit n_jobs=-1", report.ratio(sk, report.gmmkit)),
        (f"{sk.method} / gmmkit n_jobs=1", report.ratio(sk, report.gmmkit_serial)),
        (
            "sklearn loop, default thr / gmmkit n_jobs=-1",
            report.ratio(report.sklearn_default, report.gmmkit),
        ),
        ("GridSearchCV n_jobs=-1 / gmmkit n_jobs=-1", report.ratio(report.grid, report.gmmkit)),
        (f"{sk.method} / gmmkit n_jobs=-1 warm", report.ratio(sk, report.gmmkit_warm)),
    ]


CONFIG_COLUMNS = [
    column("k"),
    column("covariance_type", "cov"),
    column("sklearn_bic", "sklearn BIC", fmt=".2f"),
    column("sklearn_n_iter", "sklearn iter"),
    column("sklearn_s", "sklearn fit+bic", "s"),
    column("gmmkit_bic", "gmmkit BIC", fmt=".2f"),
    column("gmmkit_n_iter", "gmmkit iter"),
    column("gmmkit_s", "gmmkit fit", "s"),
    column("bic_difference", "gmmkit - sklearn", fmt="+.2f"),
]
METHOD_COLUMNS = [
    column("method"),
    column("seconds", "wall time", "s"),
    column("best_bic", "best BIC", fmt=".2f"),
    column("at"),
    column("failed"),
    column("times", "every round"),
]
RATIO_COLUMNS = [column("comparison", "time / time"), column("ratio", "ratio", "x")]


def problem_tables(report: ProblemReport) -> list[dict]:
    """The per-configuration table, the methods' summary and the ratios of one data set."""
    name = report.problem.name
    configs = []
    for (k, cov), sk in report.sklearn.configs.items():
        gm = report.gmmkit.configs.get((k, cov), {})
        both = gm.get("bic") is not None and sk["bic"] is not None
        configs.append(
            {
                "k": k,
                "covariance_type": cov,
                "sklearn_bic": sk["bic"],
                "sklearn_n_iter": sk["n_iter"],
                "sklearn_s": sk["seconds"],
                "gmmkit_bic": gm.get("bic"),
                "gmmkit_n_iter": gm.get("n_iter"),
                "gmmkit_s": gm.get("seconds"),
                "bic_difference": gm["bic"] - sk["bic"] if both else None,
            }
        )
    methods = [
        {
            "method": result.method,
            "seconds": result.seconds,
            "best_bic": result.best.bic if result.best else None,
            "at": result.best.label() if result.best else None,
            "failed": result.n_failed,
            "times": ", ".join(format_seconds(t) for t in result.times),
        }
        for result in report.methods
    ]
    ratios = [{"comparison": label, "ratio": value} for label, value in ratio_lines(report)]
    described = report.problem.describe()
    return [
        table(f"{name}_configurations", f"{name}: every configuration", CONFIG_COLUMNS, configs),
        table(f"{name}_methods", f"{name}: {described}", METHOD_COLUMNS, methods),
        table(
            f"{name}_ratios",
            f"{name}: ratios (> 1: gmmkit faster)",
            RATIO_COLUMNS,
            ratios,
            note=f"sklearn loop = the faster of its two thread settings: {report.sklearn.method}",
        ),
    ]


def print_report(report: ProblemReport) -> None:
    print(f"\n[{report.problem.name}] {report.problem.describe()}")
    print_config_table(report)
    print()
    print_summary(report)
    sys.stdout.flush()


# ---------------------------------------------------------------------------- targets
def evaluate_targets(reports: list[ProblemReport], quick: bool) -> list[dict]:
    """The issue's target on digits: >= 8x faster, best BIC no worse than scikit-learn's."""
    digits = next((r for r in reports if r.problem.name == "digits"), None)
    scope = " (quick: k=10..50 only)" if quick else ""
    speed = {
        "target": f"digits{scope}: sklearn loop / gmmkit.select(n_jobs=-1) >= {SPEEDUP_TARGET:g}x"
    }
    quality = {"target": f"digits{scope}: gmmkit's best BIC no worse than the sklearn loop's"}
    if digits is None:
        for outcome in (speed, quality):
            outcome.update(status="NOT RUN", detail="digits not run")
        return [speed, quality]
    value = digits.ratio(digits.sklearn, digits.gmmkit)
    speed["status"] = "MISS" if value is None or value < SPEEDUP_TARGET else "PASS"
    speed["detail"] = (
        f"{format_ratio(value)} ({digits.sklearn.method} "
        f"{format_seconds(digits.sklearn.seconds)} / gmmkit "
        f"{format_seconds(digits.gmmkit.seconds)})"
    )
    diff = digits.bic_difference()
    if diff is None:
        quality.update(status="MISS", detail="no best BIC from one of the two")
    else:
        sk, gm = digits.sklearn.best, digits.gmmkit.best
        worse = bic_worse(gm.bic, sk.bic)
        quality["status"] = "MISS" if worse else "PASS"
        quality["detail"] = (
            f"gmmkit {gm.bic:.3f} ({gm.label()}) vs sklearn {sk.bic:.3f} "
            f"({sk.label()}): {diff:+.3f}"
        )
    return [speed, quality]


def print_targets(outcomes: list[dict]) -> None:
    print("\nTarget (issue)")
    print("-" * 60)
    for outcome in outcomes:
        print(f"[{outcome['status']:^7}] {outcome['target']}")
        print(f"          {outcome['detail']}")


# ---------------------------------------------------------------------------- machine
def machine_info() -> dict:
    return {**_common.machine_info(), "pandas": pd.__version__, "joblib": joblib.__version__}


def print_header(info: dict, args) -> None:
    print("gmmkit.select vs scikit-learn: model-selection sweep benchmark")
    print("=" * 60)
    print(f"CPU      : {info['cpu']}  (nproc={info['nproc']})")
    print(f"platform : {info['platform']}, Python {info['python']}")
    print(
        f"versions : numpy {info['numpy']}, scipy {info['scipy']}, scikit-learn "
        f"{info['sklearn']}, pandas {info['pandas']}, joblib {info['joblib']}, "
        f"gmmkit {info['gmmkit']} (git {info['git_describe'] or 'unknown'})"
    )
    print(f"load avg : {info['load_average_before']} (1, 5, 15 min) before the run")
    print(
        f"mode     : {'quick' if args.quick else 'full'}"
        f"{', only ' + args.only if args.only else ''}; wall time = minimum over the repeats"
    )
    settings = ", ".join(f"{k}={v}" for k, v in SETTINGS.items())
    print(f"settings : every estimator: {settings}; criterion BIC on all the data")
    print(
        "gmmkit   : select(..., n_jobs=-1) and n_jobs=1; its time includes what it computes "
        "by default for every configuration: BIC, AIC, ICL and the silhouette score "
        "(silhouette_samples=2000)"
    )
    print(
        "           'warm' = select(..., n_jobs=-1, warm_start=True): also each k from the "
        "previous k's fit, split; better of the two per row"
    )
    print(
        "sklearn  : loop = fit GaussianMixture + bic(X) per configuration, sequential; "
        "'failed' = scikit-learn raised (ill-defined covariance), counted, loop goes on;"
    )
    print(
        "           timed at default BLAS/OpenMP threads and at 1 thread, the faster is "
        "'the sklearn loop' in the ratios"
    )
    print(
        "           GridSearchCV = the gallery recipe (scoring=-bic, 5-fold CV, n_jobs=-1), "
        "for scale: it scores BIC on the HELD-OUT folds"
    )
    print(
        "warm-up  : one tiny untimed run of each method first (imports, GridSearchCV's worker pool)"
    )
    sys.stdout.flush()


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="moons, and digits with k = 10..50 only"
    )
    parser.add_argument("--only", choices=("moons", "digits"), help="run a single data set")
    parser.add_argument(
        "--repeats", type=int, default=None, help="timing repeats, minimum kept (default 3)"
    )
    add_json_option(parser, "bench_select")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    info = machine_info()
    configuration = "quick" if args.quick else "default"
    if not args.quick and (args.only or args.repeats not in (None, 3)):
        configuration = "reduced"
    result_file = ResultFile("bench_select", args, configuration)
    print_header(info, args)
    started = time.perf_counter()
    warm_up()
    reports = []
    for problem in build_problems(args):
        report = run_problem(problem)
        print_report(report)
        reports.append(report)
    outcomes = evaluate_targets(reports, args.quick)
    print_targets(outcomes)
    elapsed = time.perf_counter() - started
    info["load_average_after"] = load_average()
    print(
        f"\nload avg : {info['load_average_after']} after the run; "
        f"total benchmark time {elapsed:.0f} s"
    )
    payload = {
        "machine": info,
        "settings": {
            **SETTINGS,
            "quick": args.quick,
            "only": args.only,
            "repeats": args.repeats,
        },
        "problems": [report.to_json() for report in reports],
        "targets": outcomes,
        "elapsed_s": elapsed,
    }
    tables = [t for report in reports for t in problem_tables(report)]
    target_columns = [column("target"), column("status"), column("detail")]
    tables.append(table("targets", "Target (issue)", target_columns, outcomes))
    versions = {"pandas": pd.__version__, "joblib": joblib.__version__}
    result_file.write(tables, payload, versions)
    crashed = [f"{r.problem.name}: {m.method}" for r in reports for m in r.methods if m.error]
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
