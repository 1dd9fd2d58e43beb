#!/usr/bin/env python
"""Time gmmkit.GaussianMixture against sklearn.mixture.GaussianMixture, side by side.

Run from the repository root::

    python benchmarks/bench_em.py              # full run, about 7 minutes on 2 cores
    python benchmarks/bench_em.py --quick      # smoke run, under a minute
    python benchmarks/bench_em.py --only digits --repeats 5 --json digits.json

Both libraries run in the same process, on the same arrays, interleaved. For every configuration
(data set, ``n_components``, covariance type, dtype) the script prints

* **per EM iteration**: sklearn time, gmmkit time and their ratio (sklearn / gmmkit). Initial
  parameters are built once per configuration (a scikit-learn ``max_iter=0`` fit with k-means
  init, cast to the data's dtype); each library is then fitted from those
  ``weights_init``/``means_init``/``precisions_init`` with ``tol=0``, once with ``max_iter=m1`` and
  once with ``max_iter=m2``, and per iteration = ``(t(m2) - t(m1)) / (m2 - m1)`` with each ``t`` the
  minimum over ``--repeats`` runs. The difference removes the set-up cost (validation, the final
  E-step); neither library runs k-means when all three inits are given. ``m2 - m1`` is sized from a
  one-iteration probe so the extra iterations take a measurable time (0.3 s of sklearn work, at
  most 300 iterations); the big configurations (digits k >= 200, the 200k set) use 1 vs 3 and at
  most 2 repeats. gmmkit's per-iteration runs have its fixed-point reuse turned off (see
  ``every_step_computed``), so that an iteration is timed doing its work.
* **whole fit**: both libraries with identical settings (k-means init, ``n_init=1``,
  ``random_state=0``, ``tol=1e-3``, ``max_iter=100``; capped by ``--max-iter``, default 20, for the
  big configurations), with both ``n_iter_`` and both final ``lower_bound_`` values, so the reader
  can check that they reach comparable likelihoods.

Each library runs at its own best BLAS thread setting: per-iteration timings are taken with BLAS
limited to 1 and to 2 threads (``threadpoolctl``) and the setting with the faster ``t(m2)`` wins;
the winning count is printed (``thr``, sklearn/gmmkit) and reused for that library's whole fit.
(gmmkit also drops to one BLAS thread by itself on small problems.) OpenMP, which scikit-learn's
k-means uses in both libraries' whole fits, is left at its default.

Digits rows use ``reg_covar=1e-3`` in both libraries (scikit-learn's float32 fit otherwise fails
with "ill-defined empirical covariance" at large k); a library that still raises is shown as
``failed`` instead of stopping the run.

The end of the output checks the performance targets (PASS / MISS). Nothing is asserted: the
script exits 0 unless it crashes. Every number also goes to ``benchmarks/results/bench_em.json``
(``--json PATH`` elsewhere). Timings on a busy machine are noisy: use ``--repeats`` to take the
minimum over more runs.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import load_digits, make_blobs, make_moons
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

import gmmkit
from _common import ResultFile, add_json_option, column, table
from gmmkit import GaussianMixture as GmmkitGaussianMixture

LIBRARIES = {"sklearn": SklearnGaussianMixture, "gmmkit": GmmkitGaussianMixture}
THREAD_SETTINGS = (1, 2)
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
DIGITS_REG_COVAR = 1e-3
FULL_FIT_MAX_ITER = 100
#: A whole fit faster than this is repeated ``--repeats`` times (minimum kept); slower ones run
#: once.
REPEAT_FIT_BELOW_S = 1.0
NOISY = "too noisy"
#: A thread setting this many times slower than the best, and by at least PRUNE_MIN_S seconds,
#: is not timed again (cheap runs are never dropped, so one noisy sample cannot decide).
PRUNE_FACTOR = 2.0
PRUNE_MIN_S = 0.05


# ---------------------------------------------------------------------------- configurations
@dataclass
class Config:
    """One row of the tables: a data set and the estimator settings to time on it."""

    group: str
    X: np.ndarray = field(repr=False)
    k: int
    covariance_type: str
    reg_covar: float
    fit_max_iter: int
    #: One sklearn iteration takes about a second: fixed max_iter 1 vs 3, at most BIG_REPEATS.
    big: bool = False

    @property
    def dtype(self) -> str:
        return self.X.dtype.name

    def label(self) -> str:
        return f"{self.group} k={self.k} {self.covariance_type} {self.dtype}"


@dataclass
class Group:
    name: str
    description: str
    configs: list[Config]


#: (m1, m2) and the most timing repeats for the big configurations, where one sklearn
#: iteration takes about a second (each measurement is long, so noise matters less).
BIG_ITERATIONS = (1, 3)
BIG_REPEATS = 2


def moons_data() -> np.ndarray:
    X, _ = make_moons(n_samples=1000, noise=0.1, random_state=0)
    return X


def digits_data() -> np.ndarray:
    X = load_digits().data
    return PCA(0.99, svd_solver="full").fit_transform(X)


def large_data() -> np.ndarray:
    X, _ = make_blobs(n_samples=200_000, n_features=32, centers=64, random_state=0)
    return X


def moons_group(quick: bool) -> Group:
    X = moons_data()
    ks = (2, 10) if quick else range(2, 11)
    configs = [
        Config("moons", X, k, cov, 1e-6, FULL_FIT_MAX_ITER) for k in ks for cov in COVARIANCE_TYPES
    ]
    description = f"two moons (n=1000, noise=0.1): {X.shape[0]} x {X.shape[1]}, reg_covar=1e-6"
    return Group("moons", description, configs)


def digits_group(quick: bool, max_iter: int) -> Group:
    X64 = digits_data()
    ks = (10, 100) if quick else (10, 50, 100, 200, 400, 600)
    configs = []
    for dtype in (np.float64, np.float32):
        X = np.ascontiguousarray(X64, dtype=dtype)
        for cov in ("full", "diag"):
            for k in ks:
                big = k >= 200
                capped = big or quick
                configs.append(
                    Config(
                        "digits",
                        X,
                        k,
                        cov,
                        DIGITS_REG_COVAR,
                        fit_max_iter=max_iter if capped else FULL_FIT_MAX_ITER,
                        big=big,
                    )
                )
    cap = "every k (--quick)" if quick else "k >= 200, whose per-iteration max_iter is 1 vs 3"
    description = (
        f"digits, PCA to 99% variance: {X64.shape[0]} x {X64.shape[1]}; "
        f"reg_covar={DIGITS_REG_COVAR:g} in BOTH libraries for every row; "
        f"whole fit max_iter capped at {max_iter} for {cap}"
    )
    return Group("digits", description, configs)


def large_group(max_iter: int) -> Group:
    X = large_data()
    configs = [Config("large", X, 64, "full", 1e-6, fit_max_iter=max_iter, big=True)]
    description = (
        f"make_blobs {X.shape[0]} x {X.shape[1]}, 64 centers, random_state=0, reg_covar=1e-6; "
        f"per-iteration max_iter 1 vs 3; whole fit max_iter capped at {max_iter}"
    )
    return Group("large", description, configs)


def build_groups(args) -> list[Group]:
    wanted = [args.only] if args.only else ["moons", "digits", "large"]
    if args.quick and not args.only:
        wanted.remove("large")
    builders = {
        "moons": lambda: moons_group(args.quick),
        "digits": lambda: digits_group(args.quick, args.max_iter),
        "large": lambda: large_group(args.max_iter),
    }
    return [builders[name]() for name in wanted]


# ---------------------------------------------------------------------------- timing
class FitFailed(Exception):
    """A library raised while fitting; the message is kept for the report."""


def timed_fit(library: str, X: np.ndarray, threads: int, **params):
    """Fit one library under a BLAS thread limit; return (seconds, fitted model)."""
    model = LIBRARIES[library](**params)
    with threadpool_limits(limits=threads, user_api="blas"):
        gc.collect()
        start = time.perf_counter()
        try:
            model.fit(X)
        except Exception as exc:
            raise FitFailed(first_line(exc)) from None
        elapsed = time.perf_counter() - start
    return elapsed, model


def every_step_computed():
    """gmmkit with its fixed-point reuse off (``gmmkit.config_context(reuse_fixed_points=False)``).

    Where EM's statistics repeat exactly (hard assignments: the digits rows from k=100 start at
    such a fixed point), gmmkit skips the product and the factorisations of an iteration, which
    then costs next to nothing; per-iteration times are meant to measure an iteration that does
    the work, as scikit-learn's always does. Whole fits keep the reuse, as users get it.
    """
    return gmmkit.config_context(reuse_fixed_points=False)


def first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"raised {type(exc).__name__}: {text[0] if text else ''}"[:160]


def initial_params(config: Config) -> tuple[dict, str | None]:
    """weights/means/precisions from a k-means initialisation (a ``max_iter=0`` fit), and a note.

    scikit-learn builds them; should it raise, gmmkit does (and the note says so). They are built
    from float64 data and cast to the data's dtype, so that with float32 data scikit-learn stays
    in float32 exactly as after its own initialisation. Raises FitFailed if both libraries fail.
    """
    X64 = config.X.astype(np.float64)
    errors = []
    for lib in LIBRARIES:
        start = LIBRARIES[lib](
            config.k,
            covariance_type=config.covariance_type,
            reg_covar=config.reg_covar,
            max_iter=0,
            init_params="kmeans",
            random_state=0,
        )
        try:
            start.fit(X64)
        except Exception as exc:
            errors.append(f"{lib} {first_line(exc)}")
            continue
        dtype = config.X.dtype
        weights = start.weights_ / start.weights_.sum()
        init = {
            "weights_init": weights.astype(dtype),
            "means_init": start.means_.astype(dtype),
            "precisions_init": start.precisions_.astype(dtype),
        }
        note = f"initial parameters built by {lib}: {'; '.join(errors)}" if errors else None
        return init, note
    raise FitFailed("; ".join(errors))


def iteration_counts(config: Config, init: dict, target_span: float, max_extra: int):
    """(m1, m2) with m2 - m1 sized so that sklearn's extra iterations take about ``target_span``.

    The estimate comes from one single-thread sklearn fit with ``max_iter=1``, which costs about
    two E-steps and one M-step, i.e. roughly two iterations (gmmkit is used if sklearn fails).
    """
    if config.big:
        return BIG_ITERATIONS
    for lib in LIBRARIES:
        try:
            seconds, _ = timed_fit(
                lib, config.X, THREAD_SETTINGS[0], max_iter=1, **fixed_start_params(config, init)
            )
        except FitFailed:
            continue
        extra = math.ceil(target_span / max(seconds / 2, 1e-9))
        return 1, 1 + min(max(extra, 2), max_extra)
    return BIG_ITERATIONS


def fixed_start_params(config: Config, init: dict) -> dict:
    """Estimator parameters of the per-iteration runs (all but ``max_iter``)."""
    return dict(
        n_components=config.k,
        covariance_type=config.covariance_type,
        reg_covar=config.reg_covar,
        tol=0.0,
        random_state=0,
        **init,
    )


@dataclass
class IterationResult:
    seconds: float | None = None  # per EM iteration, at the best thread setting
    threads: int | None = None
    by_threads: dict = field(default_factory=dict)  # threads -> seconds per iteration (or None)
    error: str | None = None


def per_iteration(
    config: Config, init: dict, iterations: tuple[int, int], repeats: int
) -> dict[str, IterationResult]:
    """Per-iteration time of each library at each thread setting; keep each library's best.

    Within each repeat, every library at every thread setting runs ``max_iter=m1``, then all run
    ``max_iter=m2``, so machine noise hits them alike. A thread setting more than
    ``PRUNE_FACTOR`` times (and ``PRUNE_MIN_S``) slower than the library's fastest on the same
    ``max_iter`` is dropped: oversubscribed BLAS threads on a busy machine can be 10-20x slower
    and would otherwise dominate the run time.
    """
    m1, m2 = iterations
    results = {lib: IterationResult() for lib in LIBRARIES}
    best = {}  # (lib, threads, max_iter) -> minimum seconds
    params = fixed_start_params(config, init)

    def hopeless(lib, threads):
        m = m2 if (lib, threads, m2) in best else m1
        if (lib, threads, m) not in best:
            return False
        mine = best[lib, threads, m]
        fastest = min(best.get((lib, t, m), math.inf) for t in THREAD_SETTINGS)
        return mine > PRUNE_FACTOR * fastest and mine - fastest > PRUNE_MIN_S

    for _ in range(repeats):
        for m in (m1, m2):
            for threads in THREAD_SETTINGS:
                for lib in LIBRARIES:
                    if results[lib].error or hopeless(lib, threads):
                        continue
                    try:
                        with every_step_computed():
                            seconds, _ = timed_fit(lib, config.X, threads, max_iter=m, **params)
                    except FitFailed as exc:
                        results[lib].error = str(exc)
                        continue
                    key = (lib, threads, m)
                    best[key] = min(best.get(key, math.inf), seconds)
    for lib, result in results.items():
        if not result.error:
            pick_thread_setting(result, best, lib, m1, m2)
    return results


def pick_thread_setting(result: IterationResult, best: dict, lib: str, m1: int, m2: int) -> None:
    """Fill ``result`` from the minimum times of one library.

    The winning thread setting is the one with the fastest ``t(m2)`` (a whole measurement, more
    robust than a difference of two); its per-iteration time is the difference quotient.
    """
    timed = [t for t in THREAD_SETTINGS if (lib, t, m2) in best]
    for threads in THREAD_SETTINGS:
        span = best[lib, threads, m2] - best[lib, threads, m1] if threads in timed else 0.0
        result.by_threads[threads] = span / (m2 - m1) if span > 0 else None
    result.threads = min(timed, key=lambda t: best[lib, t, m2])
    result.seconds = result.by_threads[result.threads]
    if result.seconds is None:  # noise swamped the extra iterations
        result.error = f"{NOISY}: t(m2) <= t(m1) (try more --repeats)"


@dataclass
class FitResult:
    seconds: float | None = None
    threads: int | None = None
    n_iter: int | None = None
    converged: bool | None = None
    lower_bound: float | None = None
    error: str | None = None


def whole_fits(config: Config, threads: dict[str, int], repeats: int) -> dict[str, FitResult]:
    """Default fits (k-means init, n_init=1, tol=1e-3) of both libraries, interleaved.

    Each library runs at its own thread count. The round is repeated ``repeats`` times (minimum
    kept) only when every fit of the first round took under ``REPEAT_FIT_BELOW_S``.
    """
    params = dict(
        n_components=config.k,
        covariance_type=config.covariance_type,
        reg_covar=config.reg_covar,
        tol=1e-3,
        max_iter=config.fit_max_iter,
        n_init=1,
        init_params="kmeans",
        random_state=0,
    )
    results = {lib: FitResult(threads=threads[lib]) for lib in LIBRARIES}
    rounds = 0
    while rounds < repeats:
        for lib, result in results.items():
            if result.error:
                continue
            try:
                seconds, model = timed_fit(lib, config.X, result.threads, **params)
            except FitFailed as exc:
                result.error = str(exc)
                continue
            result.seconds = min(result.seconds or math.inf, seconds)
            result.n_iter = int(model.n_iter_)
            result.converged = bool(model.converged_)
            result.lower_bound = float(model.lower_bound_)
        rounds += 1
        slowest = max((r.seconds for r in results.values() if r.seconds), default=math.inf)
        if slowest >= REPEAT_FIT_BELOW_S:
            break
    return results


@dataclass
class Row:
    config: Config
    iteration: dict[str, IterationResult]
    fit: dict[str, FitResult]
    iterations: tuple[int, int] | None = None  # (m1, m2) of the per-iteration timing
    note: str | None = None

    def iteration_ratio(self) -> float | None:
        return ratio(self.iteration["sklearn"].seconds, self.iteration["gmmkit"].seconds)

    def fit_ratio(self) -> float | None:
        return ratio(self.fit["sklearn"].seconds, self.fit["gmmkit"].seconds)

    def to_json(self) -> dict:
        c = self.config
        return {
            "group": c.group,
            "k": c.k,
            "covariance_type": c.covariance_type,
            "dtype": c.dtype,
            "n_samples": c.X.shape[0],
            "n_features": c.X.shape[1],
            "reg_covar": c.reg_covar,
            "per_iteration_max_iter": self.iterations,
            "fit_max_iter": c.fit_max_iter,
            "note": self.note,
            "per_iteration": {lib: asdict(r) for lib, r in self.iteration.items()},
            "per_iteration_ratio": self.iteration_ratio(),
            "fit": {lib: asdict(r) for lib, r in self.fit.items()},
            "fit_ratio": self.fit_ratio(),
        }


def ratio(sklearn_seconds, gmmkit_seconds) -> float | None:
    if sklearn_seconds is None or gmmkit_seconds is None or gmmkit_seconds <= 0:
        return None
    return sklearn_seconds / gmmkit_seconds


def run_config(config: Config, args) -> Row:
    """Per-iteration timings (when initial parameters can be built), then the whole fits."""
    try:
        init, note = initial_params(config)
    except FitFailed as exc:
        message = f"no initial parameters: {exc}"
        iteration = {lib: IterationResult(error=message) for lib in LIBRARIES}
        iterations, note = None, None
    else:
        iterations = iteration_counts(config, init, args.target_span, args.max_extra)
        repeats = min(args.repeats, BIG_REPEATS) if config.big else args.repeats
        iteration = per_iteration(config, init, iterations, repeats)
    threads = {lib: iteration[lib].threads or THREAD_SETTINGS[0] for lib in LIBRARIES}
    fit = whole_fits(config, threads, args.repeats)
    return Row(config, iteration, fit, iterations, note)


# ---------------------------------------------------------------------------- output
def format_time(seconds: float | None, error: str | None = None) -> str:
    if seconds is None:
        return "noisy" if error and error.startswith(NOISY) else "failed"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_bound(value: float | None) -> str:
    return "failed" if value is None else f"{value:.5f}"


def format_threads(a, b) -> str:
    return f"{a or '-'}/{b or '-'}"


TABLE_HEADER = (
    f"{'k':>4} {'cov':<9} {'dtype':<7}|"
    f"{'sklearn':>10} {'gmmkit':>10} {'ratio':>7} {'thr':>4} {'m1-m2':>6} |"
    f"{'sklearn':>10} {'gmmkit':>10} {'ratio':>7} {'iters':>7} "
    f"{'lower_bound sklearn':>20} {'gmmkit':>11}"
)
TABLE_SUPER = f"{'':22}|{'--- per EM iteration ---':^41}|{'--- whole fit ---':^71}"


def format_row(row: Row) -> str:
    c, it, fit = row.config, row.iteration, row.fit
    iters = format_threads(fit["sklearn"].n_iter, fit["gmmkit"].n_iter)
    line = (
        f"{c.k:>4} {c.covariance_type:<9} {c.dtype:<7}|"
        f"{format_time(it['sklearn'].seconds, it['sklearn'].error):>10} "
        f"{format_time(it['gmmkit'].seconds, it['gmmkit'].error):>10} "
        f"{format_ratio(row.iteration_ratio()):>7} "
        f"{format_threads(it['sklearn'].threads, it['gmmkit'].threads):>4} "
        f"{'-'.join(map(str, row.iterations or ())) or '-':>6} |"
        f"{format_time(fit['sklearn'].seconds):>10} {format_time(fit['gmmkit'].seconds):>10} "
        f"{format_ratio(row.fit_ratio()):>7} {iters:>7} "
        f"{format_bound(fit['sklearn'].lower_bound):>20} "
        f"{format_bound(fit['gmmkit'].lower_bound):>11}"
    )
    notes = [row.note] if row.note else []
    for lib in LIBRARIES:
        for what, err in (("per-iteration", it[lib].error), ("whole fit", fit[lib].error)):
            if err:
                notes.append(f"{lib} {what}: {err}")
    return "\n".join([line] + [f"{'':22}! {note}" for note in notes])


ROW_COLUMNS = [
    column("k"),
    column("covariance_type", "cov"),
    column("dtype"),
    column("iteration_sklearn_s", "sklearn / iteration", "s"),
    column("iteration_gmmkit_s", "gmmkit / iteration", "s"),
    column("iteration_ratio", "ratio / iteration", "x"),
    column("threads", "thr"),
    column("m1_m2", "m1-m2"),
    column("fit_sklearn_s", "sklearn fit", "s"),
    column("fit_gmmkit_s", "gmmkit fit", "s"),
    column("fit_ratio", "ratio fit", "x"),
    column("n_iter", "iters"),
    column("lower_bound_sklearn", "lower_bound sklearn", fmt=".5f"),
    column("lower_bound_gmmkit", "lower_bound gmmkit", fmt=".5f"),
    column("notes"),
]


def row_record(row: Row) -> dict:
    """One printed row as a record; a failed or noisy time is None, with the reason in notes."""
    c, it, fit = row.config, row.iteration, row.fit
    notes = [row.note] if row.note else []
    for lib in LIBRARIES:
        for what, err in (("per-iteration", it[lib].error), ("whole fit", fit[lib].error)):
            if err:
                notes.append(f"{lib} {what}: {err}")
    return {
        "k": c.k,
        "covariance_type": c.covariance_type,
        "dtype": c.dtype,
        "iteration_sklearn_s": it["sklearn"].seconds,
        "iteration_gmmkit_s": it["gmmkit"].seconds,
        "iteration_ratio": row.iteration_ratio(),
        "threads": format_threads(it["sklearn"].threads, it["gmmkit"].threads),
        "m1_m2": "-".join(map(str, row.iterations or ())) or None,
        "fit_sklearn_s": fit["sklearn"].seconds,
        "fit_gmmkit_s": fit["gmmkit"].seconds,
        "fit_ratio": row.fit_ratio(),
        "n_iter": format_threads(fit["sklearn"].n_iter, fit["gmmkit"].n_iter),
        "lower_bound_sklearn": fit["sklearn"].lower_bound,
        "lower_bound_gmmkit": fit["gmmkit"].lower_bound,
        "notes": "; ".join(notes) or None,
    }


def result_tables(groups: list[Group], rows: list[Row], outcomes: list[dict]) -> list[dict]:
    """One table per data set (ratio = sklearn / gmmkit) and the targets."""
    tables = []
    for group in groups:
        records = [row_record(row) for row in rows if row.config.group == group.name]
        tables.append(table(group.name, group.description, ROW_COLUMNS, records))
    target_columns = [column("target"), column("status"), column("detail")]
    tables.append(table("targets", "Targets (per-iteration ratio)", target_columns, outcomes))
    return tables


def lscpu_model() -> str | None:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.strip().lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def gmmkit_revision() -> str | None:
    """``git describe --dirty`` of the checkout gmmkit is imported from, when there is one."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(gmmkit.__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> dict:
    blas = [
        f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')}, "
        f"{lib.get('threading_layer')}, {lib.get('num_threads')} threads) "
        f"{Path(lib['filepath']).name}"
        for lib in threadpool_info()
        if lib.get("user_api") == "blas"
    ]
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": lscpu_model() or platform.processor() or platform.machine(),
        "nproc": affinity or os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "gmmkit": f"{gmmkit.__version__} ({gmmkit_revision() or 'no git revision'})",
        "blas": blas,
    }


def print_header(info: dict, args) -> None:
    print("gmmkit vs scikit-learn GaussianMixture: EM benchmark")
    print("=" * 60)
    print(f"CPU      : {info['cpu']}  (nproc={info['nproc']})")
    print(f"platform : {info['platform']}, Python {info['python']}")
    print(
        f"versions : numpy {info['numpy']}, scipy {info['scipy']}, "
        f"scikit-learn {info['sklearn']}, gmmkit {info['gmmkit']}"
    )
    for i, blas in enumerate(info["blas"]):
        print(f"{'BLAS' if i == 0 else '':<9}: {blas}")
    print(f"mode     : {'quick' if args.quick else 'full'}, repeats={args.repeats} (minimum kept)")
    print(
        f"threads  : BLAS limited to each of {THREAD_SETTINGS} per library, best kept; "
        "thr = winning count sklearn/gmmkit (OpenMP, used by k-means, left alone)"
    )
    print(
        "per EM iteration: (t(m2) - t(m1)) / (m2 - m1), both libraries from the same initial "
        "weights/means/precisions, tol=0;"
    )
    print(
        "          gmmkit with its fixed-point reuse off "
        "(config_context(reuse_fixed_points=False)): every "
        "iteration computes its products and factorisations, as scikit-learn's does"
    )
    print(
        f"          m2 - m1 sized for ~{args.target_span:g} s of extra sklearn iterations "
        f"(at most {args.max_extra}); big configurations: {BIG_ITERATIONS[0]}-{BIG_ITERATIONS[1]}, "
        f"at most {BIG_REPEATS} repeats"
    )
    print(
        f"whole fit: kmeans init, n_init=1, random_state=0, tol=1e-3, max_iter={FULL_FIT_MAX_ITER} "
        f"(capped at --max-iter={args.max_iter} where noted), each library at its winning "
        "thread count; iters = n_iter_ sklearn/gmmkit"
    )
    print(
        "          both include scikit-learn's k-means (OpenMP threads); gmmkit limits it to one "
        "thread on small problems, which on a busy machine dominates small whole fits"
    )
    print(
        f"digits rows: reg_covar={DIGITS_REG_COVAR:g} in BOTH libraries. ratio = sklearn / gmmkit "
        "(> 1: gmmkit faster); 'failed' = that library raised; 'noisy' = no usable estimate"
    )
    sys.stdout.flush()


# ---------------------------------------------------------------------------- targets
@dataclass
class Target:
    description: str
    threshold: float
    matches: callable

    def evaluate(self, rows: list[Row]) -> dict:
        selected = [row for row in rows if self.matches(row.config)]
        if not selected:
            return {"target": self.description, "status": "NOT RUN", "detail": "no such rows"}
        misses, without_ratio, worst = [], [], None
        for row in selected:
            value = row.iteration_ratio()
            if value is None:
                why = no_ratio_reason(row)
                if why == "gmmkit failed":
                    misses.append(f"{row.config.label()} ({why})")
                else:
                    without_ratio.append(f"{row.config.label()} ({why})")
                continue
            if worst is None or value < worst[0]:
                worst = (value, row.config.label())
            if value < self.threshold:
                misses.append(f"{row.config.label()} ({value:.2f}x)")
        status = "MISS" if misses else ("PASS" if worst else "NOT RUN")
        parts = []
        if worst:
            parts.append(
                f"worst {worst[0]:.2f}x ({worst[1]})" if len(selected) > 1 else f"{worst[0]:.2f}x"
            )
        if without_ratio:
            parts.append(f"no ratio: {', '.join(without_ratio)}")
        if misses:
            parts.append(f"below target: {', '.join(misses)}")
        return {"target": self.description, "status": status, "detail": "; ".join(parts)}


def no_ratio_reason(row: Row) -> str:
    """Why a row has no per-iteration ratio: 'gmmkit failed', 'sklearn failed' or 'too noisy'."""
    if all((r.error or "").startswith("no initial parameters") for r in row.iteration.values()):
        return "no initial parameters"
    for lib in ("gmmkit", "sklearn"):
        error = row.iteration[lib].error
        if error and not error.startswith(NOISY):
            return f"{lib} failed"
    return NOISY


TARGETS = [
    Target(
        "digits k=600 full float64: per-iteration >= 6x",
        6.0,
        lambda c: (
            c.group == "digits"
            and c.k == 600
            and c.covariance_type == "full"
            and c.dtype == "float64"
        ),
    ),
    Target(
        "digits k=600 full float32: per-iteration >= 10x",
        10.0,
        lambda c: (
            c.group == "digits"
            and c.k == 600
            and c.covariance_type == "full"
            and c.dtype == "float32"
        ),
    ),
    Target("200k x 32 k=64 full: per-iteration >= 8x", 8.0, lambda c: c.group == "large"),
    Target("every moons row: per-iteration >= 2x", 2.0, lambda c: c.group == "moons"),
    Target("every row: per-iteration >= 1x (never slower)", 1.0, lambda c: True),
]


def print_summary(rows: list[Row]) -> list[dict]:
    print("\nTargets (per-iteration ratio sklearn/gmmkit)")
    print("-" * 60)
    outcomes = [target.evaluate(rows) for target in TARGETS]
    for outcome in outcomes:
        print(f"[{outcome['status']:^7}] {outcome['target']}")
        if outcome["detail"]:
            print(f"          {outcome['detail']}")
    slower_fits = [
        f"{row.config.label()} ({row.fit_ratio():.2f}x)"
        for row in rows
        if row.fit_ratio() is not None and row.fit_ratio() < 1.0
    ]
    if slower_fits:
        print(f"note: whole fit slower with gmmkit for: {', '.join(slower_fits)}")
    return outcomes


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: moons k in {2,10}, digits k in {10,100}, no 200k set",
    )
    parser.add_argument(
        "--only", choices=("moons", "digits", "large"), help="run a single data set"
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=20,
        help="whole-fit max_iter for the big configurations (digits k >= 200, "
        "all digits with --quick, the 200k set); default 20",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timing repeats, minimum kept (default 3, 2 with --quick)",
    )
    add_json_option(parser, "bench_em")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    # Seconds of extra sklearn iterations to aim for in a per-iteration measurement, and a cap.
    args.target_span, args.max_extra = (0.1, 100) if args.quick else (0.3, 300)
    if args.repeats < 1 or args.max_iter < 1:
        parser.error("--repeats and --max-iter must be >= 1")
    return args


def configuration_of(args) -> str:
    if args.quick:
        return "quick"
    return "default" if not args.only and args.repeats == 3 and args.max_iter == 20 else "reduced"


def main(argv=None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    info = machine_info()
    result_file = ResultFile("bench_em", args, configuration_of(args))
    print_header(info, args)
    started = time.perf_counter()
    rows = []
    groups = build_groups(args)
    for group in groups:
        print(f"\n[{group.name}] {group.description}")
        print(TABLE_SUPER)
        print(TABLE_HEADER)
        print("-" * len(TABLE_HEADER))
        sys.stdout.flush()
        for config in group.configs:
            row = run_config(config, args)
            rows.append(row)
            print(format_row(row), flush=True)
    outcomes = print_summary(rows)
    elapsed = time.perf_counter() - started
    print(f"\ntotal benchmark time: {elapsed:.0f} s")
    payload = {
        "machine": info,
        "settings": {
            "quick": args.quick,
            "only": args.only,
            "repeats": args.repeats,
            "max_iter_cap": args.max_iter,
            "thread_settings": THREAD_SETTINGS,
            "target_span_s": args.target_span,
            "max_extra_iterations": args.max_extra,
            "digits_reg_covar": DIGITS_REG_COVAR,
        },
        "rows": [row.to_json() for row in rows],
        "targets": outcomes,
        "elapsed_s": elapsed,
    }
    result_file.write(result_tables(groups, rows, outcomes), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
