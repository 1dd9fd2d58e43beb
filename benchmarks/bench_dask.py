#!/usr/bin/env python
"""Time gmmkit on Dask against Spark MLlib, the in-memory NumPy path and scikit-learn.

Run from the repository root::

    python benchmarks/bench_dask.py --quick          # 200,000 x 16 (k=8), 50,000 x 64: ~2 min
    python benchmarks/bench_dask.py                  # 2,000,000 x 16 (k=32), 500,000 x 64 (k=16):
                                                     # 37 min on 2 shared cores (sklearn ~10 min)
    python benchmarks/bench_dask.py --n 500000 --json dask.json   # an intermediate size
    python benchmarks/bench_dask.py --big            # larger-than-memory Parquet, see below

Data (one run, the same numbers for every engine): a mixture of ``k`` well-separated Gaussians
(means ``N(0, 10^2)`` per coordinate, covariances ``Q diag(U(0.5, 2)) Q^T`` with ``Q`` a random
rotation, weights ``U(1, 2)`` normalised), generated block by block from ``--seed`` (block
``i`` from ``numpy.random.default_rng([seed, 1, i])``), so no engine ever needs the whole set
in memory to make it. The ``d=64`` set is multiplied by ``1e5``: every row's density under every
component is then below the smallest normal float64 (``log p < -708``), so an E-step in linear
space underflows (the share of rows where it does is printed), while one in log space does not.
The ``d=16`` set is multiplied by ``0.1`` (overall variance about 1 per coordinate, as after
standardising): Spark adds ``EPSILON`` (2.2e-16) to every weighted density in its E-step, and at
scale 1 the densities at its own start (components as wide as the whole data) are all below
that, so its responsibilities come out uniform and it stops after a few iterations with a
likelihood that no longer changes; at scale 0.1 it runs every iteration and can be timed.

The blocks are written once to a temporary directory (``--data-dir``) as Parquet (one file per
block, columns ``x0..x{d-1}``) and as a zarr array (one chunk per block), and kept in memory as a
NumPy array. The engines, each in this process, one after another:

* ``numpy``: ``gmmkit.GaussianMixture`` on the NumPy array (the reference path);
* ``dask-threads/<source>``: gmmkit on a Dask collection under the threaded scheduler (2
  workers), with ``<source>`` one of ``memory`` (``da.from_array`` of the NumPy array),
  ``zarr`` (``da.from_zarr``) and ``parquet`` (``dask.dataframe.read_parquet``), with gmmkit's
  default ``dask_persist="auto"``: data this size are persisted by the fit's validation pass,
  read from their files once per fit;
* ``dask-threads/parquet (reread)``: Parquet under ``dask_persist=False``, every EM
  pass reading every file, as gmmkit does with data larger than the workers' memory; the
  NumPy path cannot run on such data, so this row is shown and not held to the goal of
  matching it;
* ``dask-cluster/<source>``: the same on a ``distributed.LocalCluster`` of 2 worker processes,
  1 thread each, every source persisted by gmmkit, its blocks spread evenly over the
  workers (``memory``: the blocks sent from this process once per fit);
* ``sklearn``: ``sklearn.mixture.GaussianMixture`` on the NumPy array (few iterations, slow);
* ``spark``: ``pyspark.ml.clustering.GaussianMixture`` in local mode (``local[2]``), on the
  Parquet files read by Spark, assembled into a vector column and cached before timing (the
  read and cache are printed, not counted). Skipped with a message without pyspark or Java.

Timing: after an untimed warm-up fit (``max_iter=1``), every engine is fitted twice with
``tol=0`` (so it runs every iteration), with ``max_iter=m1`` and ``max_iter=m2``. For Spark and
scikit-learn, per iteration = ``(t(m2) - t(m1)) / (m2 - m1)``. For gmmkit, whose fits report
every iteration as it ends (``config_context(on_iteration=...)``), per iteration = the time
from the end of the first iteration to the end of the last in the ``m2`` fit, over
``m2 - 1``: the same marginal cost of an iteration, without the difference of two fits'
fixed costs, which on a ``LocalCluster`` vary by a second or more from fit to fit (the
persist, the first tasks on each worker) and made the difference method's figure vary by
30%. Fixed cost = ``t(m1) - m1 * per iteration`` (validation, set-up, the final E-step, and
for Dask the graph building, the persist and scheduler start). ``m1 = 1`` and ``m2 = 1 +
--iterations`` (default 10) for gmmkit and Spark, ``m2 = 1 + --sklearn-iterations`` (default
2) for scikit-learn. Each time is the minimum over ``--repeats`` runs (default 1). gmmkit's
fixed-point reuse is off (``config_context(reuse_fixed_points=False)``) so an iteration does
its work.

Same start: gmmkit (every engine) and scikit-learn start from the same ``weights_init``,
``means_init`` and ``precisions_init`` (k-means on 50,000 rows, then each cluster's weight, mean
and covariance), so their log-likelihoods after the same number of iterations must agree.
Spark MLlib's estimator takes no user start (it draws its own from ``seed``): its
log-likelihood is its own, and its per-iteration trajectory (``logLikelihood@iter<i>``, logged by
Spark's ``Instrumentation`` and captured through a log4j2 file appender) is printed with whether
it ever decreased. Spark's ``summary.logLikelihood`` is the total; it is shown per row.

Log-likelihood: the mean log-likelihood per row computed in each engine's last E-step (gmmkit's
``lower_bounds_[-1]``, scikit-learn's ``lower_bound_``, Spark's ``logLikelihood / n``);
``|rel diff|`` compares it with the NumPy path's after the same number of iterations.

Memory: a background thread samples (every 50 ms, with psutil) the resident set of this process
(the client, Spark's Python driver) and the sum over its child processes (Dask worker processes
with their nannies, Spark's JVM, which in local mode is driver and executor at once); the peaks
during the ``m2`` fit are printed. Peaks include what the process held before the fit (the NumPy
array, for one): compare rows, not absolute numbers.

Goals (PASS / MISS per Dask engine, worst shown): per iteration at least 5x faster than Spark;
per iteration no slower than the in-memory NumPy path; log-likelihood equal to the NumPy
path's to 1e-12 (relative). Nothing is asserted: the script exits 0 unless it crashes.

``--big``: writes ``--big-gb`` GiB of float64 (default: 1.15 x this machine's RAM, so the data
cannot be held in memory; rows x 16, k=8) as Parquet files of 2**20 rows (128 MiB in memory
each) into ``--data-dir``/big, blockwise, then fits gmmkit on Dask from those files on a
LocalCluster of 2 workers with ``--big-worker-memory`` each (default 3GiB), ``max_iter`` 1 and
``1 + --big-iterations`` (default 2), printing time per iteration and peak memory. Resumable:
each file is written to a temporary name and renamed when complete, a manifest records the
settings, and a rerun keeps every complete file. Cost on this 2-core machine: about 30 GB of
disk (refused, with the numbers, when ``shutil.disk_usage`` shows too little free space), some
minutes per 10 GB to write, and each iteration reads every file once (minutes per iteration at
the default size). Check it first with a reduced size, e.g. ``--big --big-gb 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ResultFile, add_json_option, column, load_average, machine_info, table
from gmmkit import GaussianMixture, config_context

REG_COVAR = 1e-6
LOG_TINY = math.log(np.finfo(np.float64).tiny)
BLOCK_BYTES = 32 * 2**20
MIN_BLOCKS = 8
#: Fewer timed iterations than this (an engine that stopped early) give no per-iteration time.
MIN_TIMED_ITERATIONS = 2
START_ROWS = 50_000
SAMPLE_EVERY_S = 0.05
GOAL_SPARK_RATIO = 5.0
GOAL_NUMPY_RATIO = 1.0
#: The source read from its files on every pass (``dask_persist=False``): not held to the
#: goal of matching the in-memory path, which cannot run where this mode is needed.
REREAD = "parquet (reread)"
GOAL_LOGLIK_REL = 1e-12
BIG_FEATURES = 16
BIG_COMPONENTS = 8
BIG_BLOCK_ROWS = 2**20


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DataSpec:
    """A generated mixture, defined by its shape and seed; its blocks are made on demand."""

    name: str
    n: int
    d: int
    k: int
    scale: float
    seed: int
    block_rows: int

    @property
    def n_blocks(self) -> int:
        return -(-self.n // self.block_rows)

    def rows_of(self, i: int) -> int:
        return min(self.block_rows, self.n - i * self.block_rows)

    def truth(self):
        rng = np.random.default_rng([self.seed, 0, self.d, self.k])
        means = rng.normal(0.0, 10.0, (self.k, self.d))
        chols = np.empty((self.k, self.d, self.d))
        for c in range(self.k):
            q, _ = np.linalg.qr(rng.standard_normal((self.d, self.d)))
            cov = (q * rng.uniform(0.5, 2.0, self.d)) @ q.T
            chols[c] = np.linalg.cholesky(cov)
        weights = rng.uniform(1.0, 2.0, self.k)
        return weights / weights.sum(), means, chols

    def block(self, i: int, truth=None) -> np.ndarray:
        weights, means, chols = truth if truth is not None else self.truth()
        rows = self.rows_of(i)
        rng = np.random.default_rng([self.seed, 1, i])
        labels = rng.choice(self.k, size=rows, p=weights)
        z = rng.standard_normal((rows, self.d))
        x = np.empty_like(z)
        for c in range(self.k):
            idx = labels == c
            x[idx] = means[c] + z[idx] @ chols[c].T
        x *= self.scale
        return x

    def describe(self) -> str:
        scaled = f", scaled by {self.scale:g}" if self.scale != 1 else ""
        return (
            f"{self.n:,} x {self.d} float64, k={self.k} full, {self.n_blocks} blocks of "
            f"{self.block_rows:,} rows, seed {self.seed}{scaled}"
        )


def underflow_share(spec: DataSpec, truth) -> float:
    """Share of block 0's rows whose density under every true component is below tiny."""
    weights, means, chols = truth
    x = spec.block(0, truth)[:20_000] / spec.scale
    best = np.full(len(x), -np.inf)
    for c in range(spec.k):
        y = np.linalg.solve(chols[c], (x - means[c]).T)
        log_det = 2 * np.log(np.diag(chols[c])).sum() + 2 * spec.d * math.log(spec.scale)
        logp = -0.5 * (spec.d * math.log(2 * math.pi) + log_det + (y * y).sum(axis=0))
        best = np.maximum(best, logp + math.log(weights[c]))
    return float(np.mean(best < LOG_TINY))


def write_parquet_block(path: Path, x: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({f"x{j}": x[:, j] for j in range(x.shape[1])})
    partial = path.with_suffix(".partial")
    pq.write_table(table, partial, compression="snappy")
    os.replace(partial, path)


def materialise(spec: DataSpec, root: Path) -> dict:
    """The NumPy array, and the same blocks as Parquet files and a zarr array under root."""
    import zarr

    truth = spec.truth()
    X = np.empty((spec.n, spec.d))
    pdir = root / f"{spec.name}.parquet"
    pdir.mkdir(parents=True, exist_ok=True)
    zpath = root / f"{spec.name}.zarr"
    z = zarr.create_array(
        store=str(zpath),
        shape=(spec.n, spec.d),
        chunks=(spec.block_rows, spec.d),
        dtype="float64",
        overwrite=True,
    )
    started = time.perf_counter()
    for i in range(spec.n_blocks):
        x = spec.block(i, truth)
        lo = i * spec.block_rows
        X[lo : lo + len(x)] = x
        z[lo : lo + len(x)] = x
        write_parquet_block(pdir / f"part-{i:05d}.parquet", x)
    return {
        "X": X,
        "parquet": pdir,
        "zarr": zpath,
        "truth": truth,
        "write_s": time.perf_counter() - started,
    }


def starting_point(X: np.ndarray, k: int, seed: int) -> dict:
    """k-means on START_ROWS rows, then each cluster's weight, mean and precision."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng([seed, 2])
    sub = X[np.sort(rng.choice(len(X), size=min(START_ROWS, len(X)), replace=False))]
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(sub).labels_
    d = X.shape[1]
    weights = np.bincount(labels, minlength=k) / len(sub)
    means = np.stack([sub[labels == c].mean(axis=0) for c in range(k)])
    precisions = np.empty((k, d, d))
    for c in range(k):
        cov = np.cov(sub[labels == c].T) + REG_COVAR * np.eye(d)
        precisions[c] = np.linalg.inv(cov)
        precisions[c] = (precisions[c] + precisions[c].T) / 2
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


# ---------------------------------------------------------------------------- memory
class PeakMemory:
    """Samples this process's and its children's resident memory in a background thread."""

    def __init__(self, jvm: bool = False):
        self.jvm = jvm
        self.process = psutil.Process()
        self.own = 0
        self.children = 0
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        own = self.process.memory_info().rss
        total = 0
        for child in self.process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if (child.name() == "java") == self.jvm:
                    total += child.memory_info().rss
        self.own = max(self.own, own)
        self.children = max(self.children, total)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self):
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


def gib(nbytes: float | None) -> str:
    return "-" if not nbytes else f"{nbytes / 2**30:.2f}"


# ---------------------------------------------------------------------------- engines
@dataclass
class Result:
    """One engine on one data set."""

    engine: str
    m1: int = 1
    m2: int = 0
    #: Iterations each fit actually ran (an engine may stop early: Spark when its likelihood
    #: repeats exactly, whatever tol).
    ran1: int | None = None
    ran2: int | None = None
    t1: float | None = None
    t2: float | None = None
    #: gmmkit: the mean time between the ends of successive iterations of the m2 fit
    interval: float | None = None
    loglik: float | None = None
    trajectory: list[float] = field(default_factory=list)
    peak_own: int = 0
    peak_children: int = 0
    note: str = ""
    error: str | None = None
    reference: float | None = None  # the NumPy path's log-likelihood after m2 iterations

    @property
    def per_iteration(self) -> float | None:
        if self.t1 is None or self.t2 is None or self.iterations < MIN_TIMED_ITERATIONS:
            return None
        if self.interval is not None:
            return self.interval
        return (self.t2 - self.t1) / self.iterations

    @property
    def iterations(self) -> int:
        return (self.ran2 or self.m2) - (self.ran1 or self.m1)

    @property
    def fixed(self) -> float | None:
        per = self.per_iteration
        return None if per is None else self.t1 - (self.ran1 or self.m1) * per

    @property
    def rel_diff(self) -> float | None:
        if self.loglik is None or self.reference is None:
            return None
        return abs(self.loglik - self.reference) / abs(self.reference)

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(per_iteration=self.per_iteration, fixed=self.fixed, rel_diff=self.rel_diff)
        return out


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:100] if text else ''}"


def timed(result: Result, fit, repeats: int, jvm: bool = False, warm_up: bool = True) -> None:
    """Time fit(m1) and fit(m2), minimum over repeats; memory and answer from an m2 fit.

    fit(max_iter) returns (log-likelihood per row, per-iteration trajectory, iterations run)
    and, for gmmkit, a fourth item: the mean time between the ends of its iterations.
    Children's memory counts only Java processes for Spark (jvm=True) and only the others
    for every other engine, since Spark's JVM outlives its session.
    """
    try:
        if warm_up:  # untimed: imports on fresh workers, JIT, caches
            fit(result.m1)
        for m, slot in ((result.m1, "1"), (result.m2, "2")):
            best = None
            for _ in range(repeats):
                gc.collect()
                with PeakMemory(jvm) as peak:
                    start = time.perf_counter()
                    loglik, trajectory, ran, *interval = fit(m)
                    seconds = time.perf_counter() - start
                best = seconds if best is None else min(best, seconds)
                if slot == "2" and interval and interval[0] is not None:
                    result.interval = min(interval[0], result.interval or np.inf)
                setattr(result, f"ran{slot}", ran)
                if slot == "2":
                    result.peak_own = max(result.peak_own, peak.own)
                    result.peak_children = max(result.peak_children, peak.children)
                    result.loglik, result.trajectory = loglik, trajectory
            setattr(result, f"t{slot}", best)
    except Exception as exc:
        result.error = first_line(exc)


def gmmkit_fit(X, spec: DataSpec, start: dict, persist: bool | str = "auto"):
    def fit(max_iter):
        model = GaussianMixture(
            n_components=spec.k,
            covariance_type="full",
            tol=0.0,
            reg_covar=REG_COVAR,
            max_iter=max_iter,
            **start,
        )
        ends: list[float] = []
        with (
            config_context(
                reuse_fixed_points=False,
                dask_persist=persist,
                on_iteration=lambda *_: ends.append(time.perf_counter()),
            ),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            model.fit(X)
        bounds = [float(b) for b in model.lower_bounds_]
        interval = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else None
        return bounds[-1], bounds, int(model.n_iter_), interval

    return fit


def sklearn_fit(X, spec: DataSpec, start: dict):
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

    def fit(max_iter):
        model = SklearnGaussianMixture(
            n_components=spec.k,
            covariance_type="full",
            tol=0.0,
            reg_covar=REG_COVAR,
            max_iter=max_iter,
            **start,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
        return float(model.lower_bound_), [], int(model.n_iter_)

    return fit


def run_local_engines(spec, data, start, args) -> list[Result]:
    """The NumPy path first (the reference), then scikit-learn."""
    numpy = Result("numpy (in memory)", m2=1 + args.iterations)
    timed(numpy, gmmkit_fit(data["X"], spec, start), args.repeats)
    sk = Result("sklearn (in memory)", m2=1 + args.sklearn_iterations)
    if args.sklearn_iterations > 0:
        timed(sk, sklearn_fit(data["X"], spec, start), args.repeats)
        if numpy.trajectory and len(numpy.trajectory) >= sk.m2:
            sk.reference = numpy.trajectory[sk.m2 - 1]
    else:
        sk.error = "skipped (--sklearn-iterations 0)"
    numpy.reference = numpy.loglik
    return [numpy, sk]


def dask_sources(data: dict, spec: DataSpec) -> dict:
    import dask.array as da
    import dask.dataframe as dd

    # On a cluster too: gmmkit's persist sends the blocks to the workers once per fit (it
    # counts in the fixed cost), spread over them.
    memory = da.from_array(data["X"], chunks=(spec.block_rows, spec.d))
    return {
        "memory": (memory, "auto"),
        "zarr": (da.from_zarr(str(data["zarr"])), "auto"),
        "parquet": (dd.read_parquet(str(data["parquet"])), "auto"),
        REREAD: (dd.read_parquet(str(data["parquet"])), False),
    }


def run_dask_engines(spec, data, start, args, reference: float | None) -> list[Result]:
    import dask

    results = []
    if "threads" in args.schedulers:
        with dask.config.set(scheduler="threads", num_workers=args.workers):
            for source, (collection, persist) in dask_sources(data, spec).items():
                result = Result(
                    f"dask-threads/{source}", m2=1 + args.iterations, reference=reference
                )
                timed(result, gmmkit_fit(collection, spec, start, persist), args.repeats)
                results.append(result)
                print(f"  {result.engine}: {format_brief(result)}", flush=True)
    if "cluster" in args.schedulers:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=args.worker_memory,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster),
        ):
            for source, (collection, persist) in dask_sources(data, spec).items():
                result = Result(
                    f"dask-cluster/{source}", m2=1 + args.iterations, reference=reference
                )
                timed(result, gmmkit_fit(collection, spec, start, persist), args.repeats)
                results.append(result)
                print(f"  {result.engine}: {format_brief(result)}", flush=True)
    return results


# ---------------------------------------------------------------------------- Spark
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %m%n
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %m%n
logger.instr.name = org.apache.spark.ml.util.Instrumentation
logger.instr.level = info
logger.instr.appenderRef.file.ref = file
logger.instr.additivity = false
"""
#: Spark adds this to every weighted density in its (linear-space) E-step.
SPARK_EPSILON = float(np.finfo(np.float64).eps)
TRAJECTORY = re.compile(r'"logLikelihood@iter(\d+)"\s*:\s*(-?[0-9.eE+-]+|NaN|-?Infinity)')


def spark_unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install pyspark to run the Spark MLlib side)"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    return None


class SparkSide:
    """A local[2] SparkSession whose Instrumentation log (per-iteration likelihood) goes to a
    file."""

    def __init__(self, root: Path, driver_memory: str, cores: int):
        from pyspark.sql import SparkSession

        self.log = root / "spark-instrumentation.log"
        config = root / "log4j2-bench.properties"
        config.write_text(LOG4J2.format(log=self.log))
        self.spark = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("gmmkit-bench-dask")
            .config("spark.driver.memory", driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(cores))
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{config}")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.version = self.spark.version

    def load(self, parquet_dir: Path, d: int):
        from pyspark.ml.feature import VectorAssembler

        started = time.perf_counter()
        frame = self.spark.read.parquet(str(parquet_dir))
        frame = (
            VectorAssembler(inputCols=[f"x{j}" for j in range(d)], outputCol="features")
            .transform(frame)
            .select("features")
            .cache()
        )
        frame.count()
        return frame, time.perf_counter() - started

    def fitter(self, frame, spec: DataSpec, seed: int):
        from pyspark.ml.clustering import GaussianMixture as SparkGaussianMixture

        def fit(max_iter):
            offset = self.log.stat().st_size if self.log.exists() else 0
            model = SparkGaussianMixture(
                k=spec.k, maxIter=max_iter, tol=0.0, seed=seed, featuresCol="features"
            ).fit(frame)
            total = model.summary.logLikelihood
            text = self.log.read_text()[offset:] if self.log.exists() else ""
            points = sorted((int(i), float(v)) for i, v in TRAJECTORY.findall(text))
            return total / spec.n, [v / spec.n for _, v in points], model.summary.numIter

        return fit

    def stop(self):
        self.spark.stop()


def run_spark(spec, data, args, side: SparkSide | None, unavailable: str | None) -> Result:
    result = Result("spark MLlib local[2] (parquet)", m2=1 + args.spark_iterations)
    if side is None:
        result.error = f"skipped: {unavailable}"
        return result
    try:
        frame, load_s = side.load(data["parquet"], spec.d)
    except Exception as exc:
        result.error = first_line(exc)
        return result
    result.note = f"read+assemble+cache {load_s:.1f} s, not counted; own start (seed {args.seed})"
    timed(result, side.fitter(frame, spec, args.seed), args.repeats, jvm=True)
    if result.ran2 is not None and result.ran2 < result.m2:
        result.note += (
            f"; STOPPED EARLY: {result.ran2} of {result.m2} iterations (its "
            "likelihood repeated exactly), per iteration over those it ran"
        )
        if result.iterations < MIN_TIMED_ITERATIONS:
            result.note += f" (fewer than {MIN_TIMED_ITERATIONS}: no per-iteration time)"
    if result.loglik is not None and abs(result.loglik - math.log(spec.k * SPARK_EPSILON)) < 1e-6:
        result.note += (
            f"; its log-likelihood is log(k * EPSILON) = "
            f"{math.log(spec.k * SPARK_EPSILON):.4f}: every density underflowed to 0"
        )
    frame.unpersist()
    return result


# ---------------------------------------------------------------------------- report
def fmt(value, spec=".3f", missing="-") -> str:
    return missing if value is None else format(value, spec)


def format_brief(r: Result) -> str:
    if r.error:
        return r.error
    return (
        f"fixed {fmt(r.fixed, '.2f')} s, per iteration {fmt(r.per_iteration, '.3f')} s, "
        f"loglik {fmt(r.loglik, '.12g')}"
    )


HEADER = (
    f"{'engine':<32} {'iters':>5} {'fixed s':>8} {'s/iter':>8} {'spark/x':>8} "
    f"{'numpy/x':>8} {'client GiB':>10} {'children GiB':>12} {'loglik/row':>20} "
    f"{'|rel diff|':>10}"
)


def speed_ratios(r: Result, spark: Result | None, numpy: Result) -> tuple:
    """Spark's and the NumPy path's seconds per iteration over this row's (None: not timed)."""
    per = r.per_iteration
    spark_ratio = (
        spark.per_iteration / per if spark and spark.per_iteration and per and per > 0 else None
    )
    numpy_ratio = numpy.per_iteration / per if numpy.per_iteration and per and per > 0 else None
    return spark_ratio, numpy_ratio


def format_row(r: Result, spark: Result | None, numpy: Result) -> str:
    if r.error:
        return f"{r.engine:<32} {'':>5} {r.error}"
    per = r.per_iteration
    spark_ratio, numpy_ratio = speed_ratios(r, spark, numpy)
    diff = fmt(r.rel_diff, ".1e", "own start" if r.engine.startswith("spark") else "-")
    return (
        f"{r.engine:<32} {r.iterations:>5} {fmt(r.fixed, '.2f'):>8} {fmt(per, '.3f'):>8} "
        f"{fmt(spark_ratio, '.2f'):>8} {fmt(numpy_ratio, '.2f'):>8} "
        f"{gib(r.peak_own):>10} {gib(r.peak_children):>12} "
        f"{fmt(r.loglik, '.12g'):>20} {diff:>10}"
    )


def print_table(spec: DataSpec, results: list[Result], extra: str) -> None:
    numpy = results[0]
    spark = next((r for r in results if r.engine.startswith("spark")), None)
    print(f"\n[{spec.name}] {spec.describe()}")
    print(extra)
    print(
        "iters = timed iterations (m2 - m1; fewer where an engine stopped early); spark/x and "
        "numpy/x: that engine's seconds per "
        "iteration over this row's (> 1: this row faster)"
    )
    print(HEADER)
    print("-" * len(HEADER))
    for r in results:
        print(format_row(r, spark, numpy))
    for r in results:
        if r.note:
            print(f"note: {r.engine}: {r.note}")
    if spark and spark.trajectory:
        traj = spark.trajectory
        drops = [(i, traj[i - 1] - traj[i]) for i in range(1, len(traj)) if traj[i] < traj[i - 1]]
        shown = ", ".join(f"{v:.10g}" for v in traj)
        print(f"spark log-likelihood per row after each E-step (logLikelihood@iter0..): {shown}")
        print(
            "spark trajectory: "
            + (
                "DECREASED at " + ", ".join(f"iter{i} (by {drop:.3g} per row)" for i, drop in drops)
                if drops
                else "never decreased"
            )
        )
    sys.stdout.flush()


def evaluate_goals(name: str, results: list[Result]) -> list[dict]:
    numpy = results[0]
    spark = next((r for r in results if r.engine.startswith("spark")), None)
    dasks = [r for r in results if r.engine.startswith("dask")]
    goals = []

    def goal(description, values):
        if not dasks:
            goals.append(
                {
                    "data": name,
                    "goal": description,
                    "status": "NOT RUN",
                    "detail": "no Dask engine ran",
                }
            )
            return
        failed = [f"{r.engine} ({v})" for r, v, good in values if not good]
        status = "MISS" if failed else "PASS"
        detail = "; ".join(f"{r.engine} {v}" for r, v, _ in values)
        goals.append({"data": name, "goal": description, "status": status, "detail": detail})

    if spark is None or spark.per_iteration is None:
        goals.append(
            {
                "data": name,
                "goal": f"per iteration >= {GOAL_SPARK_RATIO:g}x faster than Spark MLlib",
                "status": "NOT RUN",
                "detail": (spark.error or spark.note) if spark else "no Spark",
            }
        )
    else:
        values = []
        for r in dasks:
            ratio = spark.per_iteration / r.per_iteration if r.per_iteration else None
            values.append(
                (
                    r,
                    "failed" if ratio is None else f"{ratio:.2f}x",
                    ratio is not None and ratio >= GOAL_SPARK_RATIO,
                )
            )
        goal(f"per iteration >= {GOAL_SPARK_RATIO:g}x faster than Spark MLlib", values)
    values = []
    for r in dasks:
        if r.engine.endswith(REREAD):
            continue
        ratio = (
            numpy.per_iteration / r.per_iteration
            if r.per_iteration and numpy.per_iteration
            else None
        )
        values.append(
            (
                r,
                "failed" if ratio is None else f"{ratio:.2f}x",
                ratio is not None and ratio >= GOAL_NUMPY_RATIO,
            )
        )
    goal(
        "per iteration no slower than the in-memory NumPy path (numpy/x >= 1; "
        "engines that persist, as gmmkit does data that fit)",
        values,
    )
    values = [
        (
            r,
            "failed" if r.rel_diff is None else f"{r.rel_diff:.1e}",
            r.rel_diff is not None and r.rel_diff <= GOAL_LOGLIK_REL,
        )
        for r in dasks
    ]
    goal(f"log-likelihood equal to the NumPy path's to {GOAL_LOGLIK_REL:g} (relative)", values)
    return goals


RESULT_COLUMNS = [
    column("engine"),
    column("iterations", "iters"),
    column("fixed_s", "fixed", "s"),
    column("per_iteration_s", "per iteration", "s"),
    column("spark_ratio", "Spark / this", "x"),
    column("numpy_ratio", "NumPy / this", "x"),
    column("client_gib", "client peak", "GiB"),
    column("children_gib", "workers peak", "GiB"),
    column("loglik", "loglik/row", fmt=".12g"),
    column("rel_diff", "|rel diff|", fmt=".1e"),
    column("error"),
]


def result_table(spec: DataSpec, results: list[Result], extra: str) -> dict:
    """The printed per-set table as records."""
    numpy = results[0]
    spark = next((r for r in results if r.engine.startswith("spark")), None)
    records = []
    for r in results:
        spark_ratio, numpy_ratio = speed_ratios(r, spark, numpy)
        records.append(
            {
                "engine": r.engine,
                "iterations": None if r.error else r.iterations,
                "fixed_s": r.fixed,
                "per_iteration_s": r.per_iteration,
                "spark_ratio": spark_ratio,
                "numpy_ratio": numpy_ratio,
                "client_gib": r.peak_own / 2**30 if r.peak_own else None,
                "children_gib": r.peak_children / 2**30 if r.peak_children else None,
                "loglik": r.loglik,
                "rel_diff": r.rel_diff,
                "error": r.error,
            }
        )
    notes = [f"{r.engine}: {r.note}" for r in results if r.note]
    return table(
        spec.name,
        f"{spec.describe()}",
        RESULT_COLUMNS,
        records,
        note="; ".join([extra, *notes]),
    )


def goals_table(goals: list[dict]) -> dict:
    columns = [column("data"), column("goal"), column("status"), column("detail")]
    return table("goals", "Goals (every Dask engine must meet each)", columns, goals)


def java_version() -> str | None:
    """The first line ``java -version`` prints (on standard error)."""
    try:
        out = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (out.stderr or out.stdout).strip().splitlines()
    return lines[0] if lines else None


def dask_versions(spark_version: str | None) -> dict:
    import dask
    import distributed
    import pyarrow
    import zarr

    return {
        "dask": dask.__version__,
        "distributed": distributed.__version__,
        "zarr": zarr.__version__,
        "pyarrow": pyarrow.__version__,
        "pyspark": spark_version,
        "java": java_version() if spark_version else None,
    }


# ---------------------------------------------------------------------------- the main run
def block_rows(n: int, d: int) -> int:
    """Rows per block: at most BLOCK_BYTES of float64, and at least MIN_BLOCKS blocks, so
    that two workers always have blocks to share."""
    return max(1, min(BLOCK_BYTES // (8 * d), -(-n // MIN_BLOCKS)))


def specs_for(args) -> list[DataSpec]:
    if args.quick:
        n16, k16, n64, k64 = 200_000, 8, 50_000, 8
    else:
        n16, k16, n64, k64 = 2_000_000, 32, 500_000, 16
    n16 = args.n or n16
    n64 = args.n64 or n64
    specs = []
    if "16" in args.sets:
        specs.append(DataSpec("d16", n16, 16, k16, 0.1, args.seed, block_rows(n16, 16)))
    if "64" in args.sets:
        specs.append(DataSpec("d64", n64, 64, k64, 1e5, args.seed, block_rows(n64, 64)))
    return specs


def run_set(spec: DataSpec, root: Path, args, side, unavailable) -> tuple[list[Result], dict]:
    print(f"\n== {spec.name}: generating {spec.describe()} ...", flush=True)
    data = materialise(spec, root)
    share = underflow_share(spec, data["truth"])
    start = starting_point(data["X"], spec.k, args.seed)
    extra = (
        f"written once as Parquet + zarr in {data['write_s']:.1f} s; rows whose every "
        f"component density underflows float64 in linear space: {100 * share:.1f}% "
        f"(block 0); start: k-means on {min(START_ROWS, spec.n):,} rows"
    )
    print(f"  {extra}", flush=True)
    local = run_local_engines(spec, data, start, args)
    for r in local:
        print(f"  {r.engine}: {format_brief(r)}", flush=True)
    dask_results = run_dask_engines(spec, data, start, args, local[0].loglik)
    spark = run_spark(spec, data, args, side, unavailable)
    print(f"  {spark.engine}: {format_brief(spark)}", flush=True)
    results = [local[0], *dask_results, local[1], spark]
    print_table(spec, results, extra)
    del data
    gc.collect()
    return results, {"underflow_share": share, "extra": extra}


# ---------------------------------------------------------------------------- --big
def big_spec(args) -> DataSpec:
    rows = int(args.big_gb * 2**30 // (8 * BIG_FEATURES))
    return DataSpec("big", rows, BIG_FEATURES, BIG_COMPONENTS, 1.0, args.seed, BIG_BLOCK_ROWS)


def parquet_rows(path: Path) -> int | None:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:
        return None


def write_big(spec: DataSpec, root: Path) -> Path:
    """Write (or complete) the big Parquet set; every file atomically, a manifest first."""
    bdir = root / "big"
    bdir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "n": spec.n,
        "d": spec.d,
        "k": spec.k,
        "seed": spec.seed,
        "block_rows": spec.block_rows,
        "format": 1,
    }
    mpath = bdir / "manifest.json"
    if mpath.exists() and json.loads(mpath.read_text()) != manifest:
        print(f"  {bdir} holds another big set ({mpath.read_text().strip()}): removing it")
        shutil.rmtree(bdir)
        bdir.mkdir(parents=True)
    mpath.write_text(json.dumps(manifest))
    for stale in bdir.glob("part-*.parquet"):
        if int(stale.stem.split("-")[1]) >= spec.n_blocks:
            stale.unlink()
    todo = [
        i
        for i in range(spec.n_blocks)
        if parquet_rows(bdir / f"part-{i:05d}.parquet") != spec.rows_of(i)
    ]
    need = sum(spec.rows_of(i) for i in todo) * spec.d * 8 * 1.02
    free = shutil.disk_usage(bdir).free
    print(
        f"  big set: {spec.n:,} x {spec.d} float64 = {spec.n * spec.d * 8 / 2**30:.1f} GiB in "
        f"memory, {spec.n_blocks} files; {spec.n_blocks - len(todo)} complete, "
        f"{len(todo)} to write (~{need / 2**30:.1f} GiB); free disk {free / 2**30:.1f} GiB",
        flush=True,
    )
    if need + 2 * 2**30 > free:
        raise SystemExit(
            f"--big refused: {need / 2**30:.1f} GiB to write plus a 2 GiB margin, "
            f"but only {free / 2**30:.1f} GiB free under {bdir}; lower --big-gb or "
            "point --data-dir at a larger disk"
        )
    truth = spec.truth()
    started = time.perf_counter()
    for done, i in enumerate(todo, 1):
        write_parquet_block(bdir / f"part-{i:05d}.parquet", spec.block(i, truth))
        if done % 10 == 0 or done == len(todo):
            rate = done / (time.perf_counter() - started)
            print(
                f"  wrote {done}/{len(todo)} files, {(len(todo) - done) / rate:.0f} s left",
                flush=True,
            )
    return bdir


def big_table(big: dict) -> dict:
    result, spec = big["result"], big["spec"]
    columns = [
        column("engine"),
        column("n"),
        column("d"),
        column("k"),
        column("write_s", "written in", "s"),
        column("fixed_s", "fixed", "s"),
        column("per_iteration_s", "per iteration", "s"),
        column("client_gib", "client peak", "GiB"),
        column("children_gib", "workers peak", "GiB"),
        column("loglik", "loglik/row", fmt=".12g"),
        column("error"),
    ]
    record = {
        "engine": result["engine"],
        "n": spec["n"],
        "d": spec["d"],
        "k": spec["k"],
        "write_s": big["write_s"],
        "fixed_s": result["fixed"],
        "per_iteration_s": result["per_iteration"],
        "client_gib": result["peak_own"] / 2**30 if result["peak_own"] else None,
        "children_gib": result["peak_children"] / 2**30 if result["peak_children"] else None,
        "loglik": result["loglik"],
        "error": result["error"],
    }
    return table("big", "Larger than memory: gmmkit on Dask from Parquet", columns, [record])


def run_big(args, root: Path) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    spec = big_spec(args)
    ram = psutil.virtual_memory().total
    print(
        f"\n== --big: {args.big_gb:g} GiB in memory vs {ram / 2**30:.1f} GiB RAM "
        f"({'larger' if spec.n * spec.d * 8 > ram else 'NOT larger'} than memory)",
        flush=True,
    )
    started = time.perf_counter()
    bdir = write_big(spec, root)
    write_s = time.perf_counter() - started
    import pyarrow.parquet as pq

    first = pq.read_table(bdir / "part-00000.parquet").to_pandas().to_numpy(dtype=np.float64)
    start = starting_point(first, spec.k, args.seed)
    del first
    result = Result("dask-cluster/parquet (big)", m2=1 + args.big_iterations)
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.big_worker_memory,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster),
    ):
        frame = dd.read_parquet(str(bdir / "part-*.parquet"))
        # No warm-up: at this size it would cost a whole pass over the files.
        timed(result, gmmkit_fit(frame, spec, start), 1, warm_up=False)
    print(f"\n[big] {spec.describe()}; Parquet in {bdir}; written/checked in {write_s:.0f} s")
    print(
        f"LocalCluster: {args.workers} workers x 1 thread, memory_limit {args.big_worker_memory}"
        " each"
    )
    if result.error:
        print(f"gmmkit on Dask failed: {result.error}")
    else:
        print(
            f"fixed cost {result.fixed:.1f} s, per iteration {result.per_iteration:.1f} s over "
            f"{result.m2 - result.m1} iterations; peak RSS client {gib(result.peak_own)} GiB, "
            f"workers {gib(result.peak_children)} GiB; loglik/row {result.loglik:.12g}"
        )
    return {"spec": asdict(spec), "write_s": write_s, "result": result.to_json()}


# ---------------------------------------------------------------------------- CLI
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="200,000 x 16 (k=8) and 50,000 x 64 (k=8)"
    )
    parser.add_argument("--n", type=int, help="rows of the d=16 set (default 2,000,000)")
    parser.add_argument("--n64", type=int, help="rows of the d=64 set (default 500,000)")
    parser.add_argument("--sets", nargs="+", choices=("16", "64"), default=["16", "64"])
    parser.add_argument(
        "--iterations",
        type=int,
        default=10,
        help="timed EM iterations for gmmkit (m2 - m1); default 10",
    )
    parser.add_argument(
        "--spark-iterations",
        type=int,
        default=None,
        help="timed iterations for Spark (default: --iterations)",
    )
    parser.add_argument(
        "--sklearn-iterations",
        type=int,
        default=2,
        help="timed iterations for scikit-learn (0 skips it); default 2",
    )
    parser.add_argument(
        "--schedulers", nargs="+", choices=("threads", "cluster"), default=["threads", "cluster"]
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="Dask threads / worker processes, Spark local[N]; default 2",
    )
    parser.add_argument(
        "--worker-memory",
        default="4GiB",
        help="memory_limit of each LocalCluster worker; default 4GiB",
    )
    parser.add_argument("--spark-driver-memory", default="4g")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="timing repeats, minimum kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the Parquet/zarr files go (default: a fresh temporary "
        "directory, removed at the end; --big: <tmp>/gmmkit-bench-dask, "
        "kept so a rerun resumes)",
    )
    parser.add_argument(
        "--big",
        action="store_true",
        help="only the larger-than-memory Parquet run (see the docstring)",
    )
    parser.add_argument(
        "--big-gb", type=float, default=None, help="GiB of float64 in memory (default 1.15 x RAM)"
    )
    parser.add_argument("--big-iterations", type=int, default=2)
    parser.add_argument("--big-worker-memory", default="3GiB")
    add_json_option(parser, "bench_dask")
    args = parser.parse_args(argv)
    if args.big and args.json == parser.get_default("json"):
        args.json = args.json.with_name("bench_dask_big.json")
    if args.spark_iterations is None:
        args.spark_iterations = args.iterations
    if args.big_gb is None:
        args.big_gb = round(1.15 * psutil.virtual_memory().total / 2**30, 1)
    if min(args.iterations, args.spark_iterations, args.repeats, args.workers) < 1:
        parser.error("--iterations, --spark-iterations, --repeats and --workers must be >= 1")
    return args


def print_header(info: dict, args, spark_version: str | None, unavailable: str | None) -> None:
    import dask
    import distributed
    import pyarrow
    import zarr

    print("gmmkit on Dask vs Spark MLlib, in-memory gmmkit and scikit-learn: EM benchmark")
    print("=" * 78)
    print(
        f"CPU      : {info['cpu']}  (nproc={info['nproc']}), RAM "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    )
    print(f"platform : {info['platform']}, Python {info['python']}")
    print(
        f"versions : gmmkit {info['gmmkit']} ({info['git_describe']}), numpy {info['numpy']}, "
        f"scikit-learn {info['sklearn']}, dask {dask.__version__}, distributed "
        f"{distributed.__version__}, zarr {zarr.__version__}, pyarrow {pyarrow.__version__}"
    )
    print(f"spark    : {spark_version or unavailable}")
    print(f"load     : {info['load_average_before']} (1, 5, 15 min) before the run")
    print(
        f"timing   : tol=0, max_iter m1=1 vs m2=1+N (N: gmmkit {args.iterations}, spark "
        f"{args.spark_iterations}, sklearn {args.sklearn_iterations}), per iteration = "
        f"(t(m2)-t(m1))/N, minimum of {args.repeats}; gmmkit reuse_fixed_points=False"
    )
    print(
        f"dask     : threaded scheduler num_workers={args.workers}; LocalCluster "
        f"{args.workers} processes x 1 thread, memory_limit {args.worker_memory}"
    )
    sys.stdout.flush()


def quiet_libraries() -> None:
    """Silence what would bury the tables: pyspark's pandas-version notice, Dask's large-graph
    and distributed's scheduler chatter (a re-gathered key is recomputed, not wrong)."""
    import logging

    import distributed  # noqa: F401 - configures its loggers on import; override after

    warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", message=".*Sending large graph.*")
    for name in (
        "distributed.scheduler",
        "distributed.client",
        "distributed.worker",
        "distributed.nanny",
        "distributed.core",
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet_libraries()
    info = machine_info()
    configuration = "default" if not (args.quick or args.n or args.n64) else "reduced"
    result_file = ResultFile("bench_dask", args, "quick" if args.quick else configuration)
    started = time.perf_counter()
    spark_version = None
    if args.big:
        print_header(info, args, None, "not used by --big")
        root = args.data_dir or Path(tempfile.gettempdir()) / "gmmkit-bench-dask"
        big = run_big(args, root)
        payload = {"machine": info, "big": big}
        tables = [big_table(big)]
    else:
        unavailable = "skipped (--no-spark)" if args.no_spark else spark_unavailable()
        temporary = args.data_dir is None
        root = args.data_dir or Path(tempfile.mkdtemp(prefix="gmmkit-bench-dask-"))
        root.mkdir(parents=True, exist_ok=True)
        side = None
        if unavailable is None:
            try:
                side = SparkSide(root, args.spark_driver_memory, args.workers)
                spark_version = side.version
            except Exception as exc:
                unavailable = f"Spark failed to start: {first_line(exc)}"
        print_header(
            info,
            args,
            f"pyspark {side.version}, local[{args.workers}], driver "
            f"memory {args.spark_driver_memory}"
            if side
            else None,
            unavailable,
        )
        sets, goals, tables = {}, [], []
        try:
            for spec in specs_for(args):
                results, extra = run_set(spec, root, args, side, unavailable)
                tables.append(result_table(spec, results, extra["extra"]))
                sets[spec.name] = {
                    "spec": asdict(spec),
                    **extra,
                    "results": [r.to_json() for r in results],
                }
                goals += evaluate_goals(spec.name, results)
        finally:
            if side is not None:
                side.stop()
            if temporary:
                shutil.rmtree(root, ignore_errors=True)
        print("\nGoals (gmmkit on Dask; every Dask engine must meet each)")
        print("-" * 60)
        for g in goals:
            print(f"[{g['status']:^7}] {g['data']}: {g['goal']}")
            print(f"          {g['detail']}")
        payload = {
            "machine": info,
            "settings": {k: str(v) for k, v in vars(args).items()},
            "sets": sets,
            "goals": goals,
        }
        tables.append(goals_table(goals))
    elapsed = time.perf_counter() - started
    print(f"\nload after: {load_average()}; total benchmark time: {elapsed:.0f} s")
    payload["elapsed_s"] = elapsed
    result_file.write(tables, payload, dask_versions(spark_version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
