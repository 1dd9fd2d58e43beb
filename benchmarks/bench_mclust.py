#!/usr/bin/env python
"""Time a BIC model-selection sweep: R's ``mclust::Mclust`` against ``gmmkit.select``.

Run from the repository root::

    python benchmarks/bench_mclust.py --quick      # faithful + iris only, ~1 min
    python benchmarks/bench_mclust.py              # every data set, ~10 min on 2 loaded cores
    python benchmarks/bench_mclust.py --only blobs --repeats 2 --json mclust.json

For each data set, in one run, on the same numbers, with the same models and the same range
of G = k = 1..9, the script times

* **mclust**: ``Mclust(X, G=1:9, modelNames=MODELS, verbose=FALSE)`` in R,
  run by ``Rscript`` on a small R script written to a temporary directory. The data reach R as
  a CSV written by Python with ``%.17g`` (every float64 exactly), and R times the call itself
  with ``system.time(...)["elapsed"]``, so R's start-up, the loading of mclust and the reading
  of the CSV are not counted. R prints ``key=value`` lines: the elapsed seconds, the best model
  name, its G, BIC and log-likelihood, and the whole BIC table (``NA`` where mclust has none).
  mclust's own initialisation is used (model-based hierarchical clustering, on a subset of 2000
  rows when n is larger), its own EM control and no prior;
* **gmmkit**: ``gmmkit.select(X, n_components=range(1, 10), covariance_type=MODELS,
  n_jobs=-1, random_state=0)`` in this process, at its defaults otherwise
  (``init_params='hc+kmeans'``: mclust's hierarchical start run to convergence and a k-means
  start given 10 iterations, carried on only when then ahead; ``tol=1e-4``, ``max_iter=100``,
  ``reg_covar=1e-6``, the chosen model polished to ``tol=1e-9``; its time includes the AIC,
  ICL and silhouette it computes for every configuration). Its BIC table is read in mclust's
  sign with ``SelectionResult.to_mclust()`` (``2 log L - p log n``, higher is better; gmmkit's
  own ``bic`` is the negated value; NaN where a fit is ill-posed, as mclust's NA), and its best
  is the highest of these.

MODELS are mclust's 14 names (EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV,
VVV), limited to those ``gmmkit.covariance_types()`` knows: where an mclust name is not
registered, VII, VVI, EEE and VVV fall back to gmmkit's spherical, diag, tied and full (the same
models), and the others are left out on both sides. R always gets mclust's names. The models
compared, and those left out, are printed.

Data sets: Old Faithful (the ``data`` of ``tests/fixtures/mclust/faithful_em.json``, 272 x 2);
iris's four measurements (``sklearn.datasets.load_iris``, 150 x 4); mclust's ``diabetes``
(145 x 3) and ``banknote`` (200 x 6), numeric columns, written to CSV by R once and read back
(left out when R or mclust is absent); the digits reduced by ``PCA(0.99, svd_solver='full')``
(1797 x 41); 20,000 x 8 synthetic blobs (``make_blobs``, 5 centres, ``random_state=0``).
``--quick``: faithful and iris only.

Timing: an untimed warm-up of each side first (a tiny gmmkit sweep; one R run on faithful).
Then ``--repeats`` interleaved rounds per data set (mclust, then gmmkit, per round), the minimum
kept and every time printed; an mclust run longer than ``--r-repeat-limit`` seconds (default
20) is not repeated, since one such run already sets its time to within a few percent.

Printed per data set: n, d, both times and the ratio mclust s / gmmkit s, each side's best model
(mclust name) with G and BIC, and the BIC difference gmmkit - mclust (positive: gmmkit found a
higher, better BIC), then the best BIC per model on each side. The end prints the goal:
">= 10x faster than mclust with a best BIC at least mclust's on every data set", PASS or MISS
per data set. Nothing is asserted: the timings are only as quiet as the machine, so the load
average is printed before and after. Without ``Rscript`` or mclust the R side is skipped with a
message, and gmmkit is still timed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("PYTHONWARNINGS", "ignore")

import numpy as np
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.decomposition import PCA

import _common
import gmmkit
from _common import ResultFile, add_json_option, column, load_average, table

REPO = Path(__file__).resolve().parent.parent
FAITHFUL = REPO / "tests" / "fixtures" / "mclust" / "faithful_em.json"

MCLUST_MODELS = (
    "EII",
    "VII",
    "EEI",
    "VEI",
    "EVI",
    "VVI",
    "EEE",
    "VEE",
    "EVE",
    "VVE",
    "EEV",
    "VEV",
    "EVV",
    "VVV",
)
#: The mclust models scikit-learn's four covariance types are.
SKLEARN_NAMES = {"VII": "spherical", "VVI": "diag", "EEE": "tied", "VVV": "full"}
N_COMPONENTS = range(1, 10)
SPEEDUP_GOAL = 10.0
#: gmmkit's best BIC counts as "at least mclust's" down to this relative shortfall (rounding).
BIC_RTOL = 1e-9
R_TIMEOUT_S = 900

R_SCRIPT = r"""
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
models <- strsplit(args[2], ",")[[1]]
G <- seq_len(as.integer(args[3]))
fit <- NULL
elapsed <- system.time(
    fit <- Mclust(X, G = G, modelNames = models, verbose = FALSE)
)[["elapsed"]]
cat(sprintf("elapsed=%.6f\n", elapsed))
if (is.null(fit)) {
    cat("error=Mclust returned NULL (no model could be fitted)\n")
} else {
    cat(sprintf("model=%s\nG=%d\nbic=%.10f\nloglik=%.10f\n", fit$modelName, fit$G, fit$bic,
                fit$loglik))
    B <- fit$BIC
    for (g in rownames(B)) for (m in colnames(B))
        cat(sprintf("table=%s,%s,%.10f\n", g, m, B[g, m]))
}
"""

R_EXPORT = r"""
suppressPackageStartupMessages(library(mclust))
out <- commandArgs(trailingOnly = TRUE)[1]
data(diabetes); data(banknote)
write.table(format(diabetes[, -1], digits = 17), file.path(out, "diabetes.csv"), sep = ",",
            row.names = FALSE, col.names = FALSE, quote = FALSE)
write.table(format(banknote[, -1], digits = 17), file.path(out, "banknote.csv"), sep = ",",
            row.names = FALSE, col.names = FALSE, quote = FALSE)
"""

R_VERSIONS = r"""
cat(R.version.string, "\n")
if (requireNamespace("mclust", quietly = TRUE)) cat(as.character(packageVersion("mclust")), "\n")
"""


# ---------------------------------------------------------------------------- models
def model_pairs() -> tuple[list[tuple[str, str]], list[str]]:
    """(mclust name, gmmkit name) for each mclust model gmmkit has, and the mclust names left
    out."""
    known = set(gmmkit.covariance_types())
    pairs, missing = [], []
    for name in MCLUST_MODELS:
        if name in known:
            pairs.append((name, name))
        elif SKLEARN_NAMES.get(name) in known:
            pairs.append((name, SKLEARN_NAMES[name]))
        else:
            missing.append(name)
    return pairs, missing


# ---------------------------------------------------------------------------- R
class RSide:
    """Runs mclust through ``Rscript``; ``available`` is False (and ``why`` says why) without
    it."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.rscript = shutil.which("Rscript")
        self.r_version = self.mclust_version = None
        self.why = None
        if self.rscript is None:
            self.why = "Rscript not found on PATH"
            return
        lines = (self._run_text(R_VERSIONS) or "").splitlines()
        self.r_version = lines[0].strip() if lines else None
        self.mclust_version = lines[1].strip() if len(lines) > 1 else None
        if self.mclust_version is None:
            self.why = f"the R package mclust is not installed ({self.r_version or 'R'})"
        (workdir / "mclust_sweep.R").write_text(R_SCRIPT)

    @property
    def available(self) -> bool:
        return self.why is None

    def _run_text(self, code: str, *args: str, timeout: float = 60) -> str | None:
        path = self.workdir / "snippet.R"
        path.write_text(code)
        try:
            out = subprocess.run(
                [self.rscript, str(path), *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout

    def export_datasets(self) -> dict[str, np.ndarray]:
        """mclust's diabetes and banknote (numeric columns), written by R, read back here."""
        if not self.available:
            return {}
        self._run_text(R_EXPORT, str(self.workdir))
        found = {}
        for name in ("diabetes", "banknote"):
            path = self.workdir / f"{name}.csv"
            if path.exists():
                found[name] = np.loadtxt(path, delimiter=",", ndmin=2)
        return found

    def sweep(self, csv: Path, models: list[str], max_g: int) -> dict:
        """One ``Mclust`` run: elapsed seconds (inside R), the best model and the BIC table."""
        cmd = [
            self.rscript,
            str(self.workdir / "mclust_sweep.R"),
            str(csv),
            ",".join(models),
            str(max_g),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=R_TIMEOUT_S, check=False)
        result: dict = {"table": {}}
        for line in out.stdout.splitlines():
            key, _, value = line.partition("=")
            if key == "table":
                g, model, bic = value.split(",")
                result["table"][int(g), model] = None if bic.strip() == "NA" else float(bic)
            elif key in ("elapsed", "bic", "loglik"):
                result[key] = float(value)
            elif key == "G":
                result[key] = int(value)
            elif key in ("model", "error"):
                result[key] = value.strip()
        if "elapsed" not in result:
            tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"Rscript exited with {out.returncode}: {tail[:200]}")
        return result


# ---------------------------------------------------------------------------- data sets
@dataclass
class Problem:
    name: str
    X: np.ndarray = field(repr=False)
    csv: Path | None = None


def build_problems(args, r_side: RSide, workdir: Path) -> list[Problem]:
    fixture = json.loads(FAITHFUL.read_text())
    sets = {
        "faithful": np.asarray(fixture["data"], dtype=np.float64),
        "iris": load_iris().data.astype(np.float64),
    }
    if not args.quick:
        exported = r_side.export_datasets()
        absent = [name for name in ("diabetes", "banknote") if name not in exported]
        if absent:
            print(
                f"data     : {', '.join(absent)} left out (R could not export them"
                f"{': ' + r_side.why if r_side.why else ''})"
            )
        sets.update(exported)
        sets["digits"] = PCA(0.99, svd_solver="full").fit_transform(load_digits().data)
        sets["blobs"], _ = make_blobs(n_samples=20_000, n_features=8, centers=5, random_state=0)
    if args.only:
        sets = {name: X for name, X in sets.items() if name == args.only}
    problems = []
    for name, X in sets.items():
        csv = workdir / f"{name}_data.csv"
        np.savetxt(csv, X, fmt="%.17g", delimiter=",")
        problems.append(Problem(name, np.ascontiguousarray(X, dtype=np.float64), csv))
    return problems


# ---------------------------------------------------------------------------- gmmkit
def gmmkit_sweep(X: np.ndarray, gmmkit_models: list[str]):
    return gmmkit.select(
        X, n_components=N_COMPONENTS, covariance_type=gmmkit_models, n_jobs=-1, random_state=0
    )


def gmmkit_table(selection, to_mclust_name: dict[str, str]) -> dict:
    """(G, mclust name) -> BIC in mclust's sign, None where mclust would have NA (a failed or
    ill-posed fit), from ``SelectionResult.to_mclust()`` (k rows, model columns)."""
    frame = selection.to_mclust()
    if hasattr(frame, "to_dict"):
        ks = [int(k) for k in frame.index]
        columns = {str(name): list(frame[name]) for name in frame.columns}
    else:
        ks = [int(k) for k in frame.pop("n_components")]
        columns = {str(name): values for name, values in frame.items()}
    table = {}
    for name, values in columns.items():
        name = to_mclust_name.get(name, name)
        for k, bic in zip(ks, values):
            table[k, name] = float(bic) if math.isfinite(float(bic)) else None
    return table


# ---------------------------------------------------------------------------- one data set
@dataclass
class Best:
    model: str
    G: int
    bic: float

    def label(self) -> str:
        return f"{self.model},G={self.G}"


def best_of(table: dict) -> Best | None:
    scored = [(bic, key) for key, bic in table.items() if bic is not None]
    if not scored:
        return None
    bic, (g, model) = max(scored)
    return Best(model, g, bic)


@dataclass
class Report:
    problem: Problem
    r_times: list[float] = field(default_factory=list)
    g_times: list[float] = field(default_factory=list)
    r_table: dict = field(default_factory=dict)
    g_table: dict = field(default_factory=dict)
    r_best: Best | None = None
    g_best: Best | None = None
    r_error: str | None = None
    g_error: str | None = None

    @property
    def r_seconds(self):
        return min(self.r_times) if self.r_times else None

    @property
    def g_seconds(self):
        return min(self.g_times) if self.g_times else None

    @property
    def ratio(self):
        if self.r_seconds is None or not self.g_seconds:
            return None
        return self.r_seconds / self.g_seconds

    @property
    def bic_difference(self):
        """gmmkit's best BIC minus mclust's, mclust's sign (> 0: gmmkit's is better)."""
        if self.r_best is None or self.g_best is None:
            return None
        return self.g_best.bic - self.r_best.bic

    def bic_at_least(self) -> bool | None:
        diff = self.bic_difference
        if diff is None:
            return None
        scale = max(1.0, abs(self.g_best.bic), abs(self.r_best.bic))
        return diff >= -BIC_RTOL * scale

    def to_json(self) -> dict:
        def table(t):
            return [{"G": g, "model": m, "bic": v} for (g, m), v in sorted(t.items())]

        def best(b):
            return None if b is None else {"model": b.model, "G": b.G, "bic": b.bic}

        n, d = self.problem.X.shape
        return {
            "data_set": self.problem.name,
            "n": n,
            "d": d,
            "mclust_seconds": self.r_seconds,
            "mclust_times": self.r_times,
            "gmmkit_seconds": self.g_seconds,
            "gmmkit_times": self.g_times,
            "ratio_mclust_over_gmmkit": self.ratio,
            "mclust_best": best(self.r_best),
            "gmmkit_best": best(self.g_best),
            "bic_gmmkit_minus_mclust": self.bic_difference,
            "mclust_error": self.r_error,
            "gmmkit_error": self.g_error,
            "mclust_bic_table": table(self.r_table),
            "gmmkit_bic_table": table(self.g_table),
        }


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def run_problem(problem: Problem, r_side: RSide, pairs, args) -> Report:
    report = Report(problem)
    r_models = [m for m, _ in pairs]
    g_models = [g for _, g in pairs]
    to_mclust_name = {g: m for m, g in pairs}
    for _ in range(args.repeats):
        long_r = report.r_times and max(report.r_times) > args.r_repeat_limit
        if r_side.available and not report.r_error and not long_r:
            try:
                out = r_side.sweep(problem.csv, r_models, N_COMPONENTS[-1])
                report.r_times.append(out["elapsed"])
                report.r_table = out["table"]
                if "error" in out:
                    report.r_error = out["error"]
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                report.r_error = first_line(exc)
        if not report.g_error:
            gc.collect()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    selection = gmmkit_sweep(problem.X, g_models)
                    report.g_times.append(time.perf_counter() - start)
                report.g_table = gmmkit_table(selection, to_mclust_name)
            except Exception as exc:
                report.g_error = first_line(exc)
    report.r_best = best_of(report.r_table)
    report.g_best = best_of(report.g_table)
    return report


def warm_up(r_side: RSide, problems: list[Problem], pairs) -> None:
    """Untimed: gmmkit's imports and thread start-up, and R's first read of mclust from disk."""
    X = np.asarray(json.loads(FAITHFUL.read_text())["data"], dtype=np.float64)
    # a failure here is reported by the timed runs
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        gmmkit.select(
            X, n_components=[1, 2], covariance_type=[g for _, g in pairs], n_jobs=-1, random_state=0
        )
    if r_side.available and problems:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
            r_side.sweep(problems[0].csv, [m for m, _ in pairs], 2)


# ---------------------------------------------------------------------------- output
def fmt_s(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.0f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def fmt_best(best: Best | None) -> str:
    return "-" if best is None else f"{best.label()} {best.bic:.2f}"


def print_report(report: Report, pairs) -> None:
    n, d = report.problem.X.shape
    ratio = "-" if report.ratio is None else f"{report.ratio:.2f}x"
    diff = report.bic_difference
    print(
        f"\n[{report.problem.name}] n={n} d={d}  mclust {fmt_s(report.r_seconds)}  "
        f"gmmkit {fmt_s(report.g_seconds)}  ratio {ratio}"
    )
    print(
        f"  best: mclust {fmt_best(report.r_best)} | gmmkit {fmt_best(report.g_best)} | "
        f"BIC gmmkit - mclust {'-' if diff is None else f'{diff:+.3f}'}"
    )
    print(
        f"  times: mclust {', '.join(fmt_s(t) for t in report.r_times) or '-'}; gmmkit "
        f"{', '.join(fmt_s(t) for t in report.g_times) or '-'} (minimum used)"
    )
    for side, error in (("mclust", report.r_error), ("gmmkit", report.g_error)):
        if error:
            print(f"  ! {side}: {error}")
    cells = []
    for model, _ in pairs:
        r = best_of({k: v for k, v in report.r_table.items() if k[1] == model})
        g = best_of({k: v for k, v in report.g_table.items() if k[1] == model})
        cells.append(
            f"{model} {'NA' if r is None else f'{r.bic:.1f}(G={r.G})'}"
            f" / {'NA' if g is None else f'{g.bic:.1f}(G={g.G})'}"
        )
    print("  per model, best BIC over G, mclust / gmmkit:")
    for i in range(0, len(cells), 3):
        print("    " + ";  ".join(cells[i : i + 3]))
    sys.stdout.flush()


def goal_outcomes(reports: list[Report]) -> list[dict]:
    outcomes = []
    for report in reports:
        fast = report.ratio is not None and report.ratio >= SPEEDUP_GOAL
        good = report.bic_at_least()
        status = "PASS" if fast and good else "MISS"
        if report.r_seconds is None:
            status = "NOT RUN"
        outcomes.append(
            {
                "data_set": report.problem.name,
                "status": status,
                "ratio": report.ratio,
                "bic_gmmkit_minus_mclust": report.bic_difference,
                "fast_enough": fast,
                "bic_at_least_mclust": good,
            }
        )
    return outcomes


def print_goal(outcomes: list[dict]) -> None:
    print(
        f"\ngoal: >= {SPEEDUP_GOAL:g}x faster than mclust with a best BIC at least mclust's "
        "on every data set: " + ", ".join(f"{o['data_set']} {o['status']}" for o in outcomes)
    )
    for o in outcomes:
        ratio = "-" if o["ratio"] is None else f"{o['ratio']:.2f}x"
        diff = o["bic_gmmkit_minus_mclust"]
        why = [
            text
            for text, failed in (
                ("slower than the goal", not o["fast_enough"]),
                ("lower best BIC", o["bic_at_least_mclust"] is False),
            )
            if failed and o["status"] == "MISS"
        ]
        print(
            f"  [{o['status']:^7}] {o['data_set']:<9} ratio {ratio:>8}, BIC gmmkit - mclust "
            f"{'-' if diff is None else f'{diff:+.3f}'}{': ' + ', '.join(why) if why else ''}"
        )


SUMMARY_COLUMNS = [
    column("data_set", "data set"),
    column("n"),
    column("d"),
    column("mclust_s", "mclust", "s"),
    column("gmmkit_s", "gmmkit", "s"),
    column("ratio", "mclust / gmmkit", "x"),
    column("mclust_best", "mclust best"),
    column("mclust_bic", "mclust BIC", fmt=".2f"),
    column("gmmkit_best", "gmmkit best"),
    column("gmmkit_bic", "gmmkit BIC", fmt=".2f"),
    column("bic_difference", "BIC gmmkit - mclust", fmt="+.3f"),
    column("goal", "goal"),
]
PER_MODEL_COLUMNS = [
    column("data_set", "data set"),
    column("model"),
    column("mclust_bic", "mclust BIC", fmt=".1f"),
    column("mclust_G", "mclust G"),
    column("gmmkit_bic", "gmmkit BIC", fmt=".1f"),
    column("gmmkit_G", "gmmkit G"),
]


def result_tables(reports: list[Report], outcomes: list[dict], pairs) -> list[dict]:
    """The per-data-set lines and the per-model best BICs as tables of records."""
    summary, per_model = [], []
    for report, outcome in zip(reports, outcomes, strict=True):
        n, d = report.problem.X.shape
        summary.append(
            {
                "data_set": report.problem.name,
                "n": n,
                "d": d,
                "mclust_s": report.r_seconds,
                "gmmkit_s": report.g_seconds,
                "ratio": report.ratio,
                "mclust_best": report.r_best and report.r_best.label(),
                "mclust_bic": report.r_best and report.r_best.bic,
                "gmmkit_best": report.g_best and report.g_best.label(),
                "gmmkit_bic": report.g_best and report.g_best.bic,
                "bic_difference": report.bic_difference,
                "goal": outcome["status"],
            }
        )
        for model, _ in pairs:
            r = best_of({k: v for k, v in report.r_table.items() if k[1] == model})
            g = best_of({k: v for k, v in report.g_table.items() if k[1] == model})
            per_model.append(
                {
                    "data_set": report.problem.name,
                    "model": model,
                    "mclust_bic": r and r.bic,
                    "mclust_G": r and r.G,
                    "gmmkit_bic": g and g.bic,
                    "gmmkit_G": g and g.G,
                }
            )
    return [
        table(
            "summary",
            "mclust::Mclust vs gmmkit.select, G = 1..9, best BIC in mclust's sign",
            SUMMARY_COLUMNS,
            summary,
            note=f"goal: >= {SPEEDUP_GOAL:g}x faster than mclust with a best BIC at least mclust's",
        ),
        table("per_model", "Per model, best BIC over G", PER_MODEL_COLUMNS, per_model),
    ]


def print_header(info: dict, r_side: RSide, pairs, missing, args) -> None:
    print("mclust::Mclust vs gmmkit.select: BIC model-selection sweep benchmark")
    print("=" * 60)
    print(f"CPU      : {info['cpu']}  (nproc={info['nproc']})")
    print(f"platform : {info['platform']}, Python {info['python']}")
    print(
        f"versions : {r_side.r_version or 'R absent'}, mclust {r_side.mclust_version or '-'}, "
        f"gmmkit {info['gmmkit']} (git {info['git_describe'] or 'unknown'}), numpy "
        f"{info['numpy']}, scikit-learn {info['sklearn']}"
    )
    print(f"load avg : {info['load_average_before']} (1, 5, 15 min) before the run")
    if not r_side.available:
        print(f"R side   : SKIPPED: {r_side.why}; only gmmkit is timed")
    shown = ", ".join(m if m == g else f"{m}(={g})" for m, g in pairs)
    print(f"models   : {len(pairs)} of mclust's 14 compared: {shown}")
    if missing:
        print(f"           not in gmmkit.covariance_types(), left out: {', '.join(missing)}")
    print(
        f"G = k    : {N_COMPONENTS[0]}..{N_COMPONENTS[-1]}; mode "
        f"{'quick' if args.quick else 'full'}{', only ' + args.only if args.only else ''}; "
        f"{args.repeats} interleaved rounds, minimum kept (an mclust run over "
        f"{args.r_repeat_limit:g} s is not repeated)"
    )
    print(
        "mclust   : Mclust(X, G=1:9, modelNames=...) timed inside R with system.time "
        "(no R start-up), data from a %.17g CSV"
    )
    print(
        "gmmkit   : select(X, n_components=range(1, 10), covariance_type=..., n_jobs=-1, "
        "random_state=0), defaults otherwise; BIC via to_mclust() (2 log L - p log n, higher "
        "is better)"
    )
    sys.stdout.flush()


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="faithful and iris only")
    parser.add_argument(
        "--only",
        choices=("faithful", "iris", "diabetes", "banknote", "digits", "blobs"),
        help="run one data set",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved timing rounds, minimum kept (default 3)"
    )
    parser.add_argument(
        "--r-repeat-limit",
        type=float,
        default=20.0,
        metavar="S",
        help="do not repeat an mclust run longer than S seconds (default 20)",
    )
    add_json_option(parser, "bench_mclust")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.only in ("faithful", "iris"):
        args.quick = False
    return args


def configuration_of(args) -> str:
    if args.quick:
        return "quick"
    return "default" if not args.only and args.repeats == 3 else "reduced"


def main(argv=None) -> int:
    args = parse_args(argv)
    info = _common.machine_info()
    result_file = ResultFile("bench_mclust", args, configuration_of(args))
    pairs, missing = model_pairs()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_mclust_") as tmp:
        workdir = Path(tmp)
        r_side = RSide(workdir)
        print_header(info, r_side, pairs, missing, args)
        problems = build_problems(args, r_side, workdir)
        warm_up(r_side, problems, pairs)
        reports = []
        for problem in problems:
            report = run_problem(problem, r_side, pairs, args)
            print_report(report, pairs)
            reports.append(report)
    outcomes = goal_outcomes(reports)
    print_goal(outcomes)
    elapsed = time.perf_counter() - started
    info["load_average_after"] = load_average()
    print(
        f"\nload avg : {info['load_average_after']} after the run; total benchmark time "
        f"{elapsed:.0f} s"
    )
    payload = {
        "machine": {
            **info,
            "R": r_side.r_version,
            "mclust": r_side.mclust_version,
            "r_skipped": r_side.why,
        },
        "settings": {
            "quick": args.quick,
            "only": args.only,
            "repeats": args.repeats,
            "r_repeat_limit_s": args.r_repeat_limit,
            "n_components": list(N_COMPONENTS),
            "models": [{"mclust": m, "gmmkit": g} for m, g in pairs],
            "models_left_out": missing,
        },
        "data_sets": [report.to_json() for report in reports],
        "goal": outcomes,
        "elapsed_s": elapsed,
    }
    versions = {"R": r_side.r_version, "mclust": r_side.mclust_version}
    result_file.write(result_tables(reports, outcomes, pairs), payload, versions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
