#!/usr/bin/env python
"""How close are gmmkit's generated digits to real ones: the digits generation study.

Run from the repository root::

    python benchmarks/bench_generate.py               # full run, about 50 s on 2 shared cores
    python benchmarks/bench_generate.py --quick       # 4 configurations, 50 permutations, ~20 s
    python benchmarks/bench_generate.py --json generate.json --png digits.png

This benchmark measures **sample quality, not speed** (the fit seconds are only there to show
what each configuration costs). Every number is measured when the script runs; nothing is
asserted, and the script exits 0 unless it crashes.

Protocol
--------
Data: ``load_digits()`` (1797 x 64, integer pixels 0..16, 10 classes), split once by
``train_test_split(test_size=0.4, stratify=y, random_state=0)`` into a *training part* (1078 rows)
and a *held-out real part* (719 rows). The generators see only the training part; every metric
compares the generated rows with the held-out part, which no generator has seen.

Generators (every one fitted on the training part, ``random_state=0``):
    * ``LatentMixture(k, class_conditional="per_class")``: one mixture per class (supervised),
      k in {1, 2, 4, 8} per class (``--quick``: {1, 4});
    * ``LatentMixture(k, class_conditional="component_map")``: ONE unsupervised mixture over all
      training rows plus the learned component -> class map (default ``mapping="soft"``,
      ``smoothing=1``); ``sample(y=c)`` draws component k with probability
      ``pi_k P(c|k)``; k in {10, 20, 40, 80} in all (``--quick``: {20, 80}), the same
      totals as the per-class rows (10 classes x k).
    All with ``n_latent=30`` (fixed, so every configuration has the same latent space; 30 PCA
    dimensions keep about 95% of the training variance, between ``n_latent=0.9`` (21 dims) and
    0.99 (41 dims)), ``covariance_type="full"``, ``whiten=False``, ``clip=True`` and
    ``reg_covar=1/12``. That ``reg_covar`` was fixed before any metric was looked at: the pixels
    are integers, and rounding to an integer grid is uniform noise of variance 1/12 per pixel,
    which an orthonormal PCA rotation carries unchanged onto every latent direction; so no
    latent variance below 1/12 is meaningful. (The PCA coordinates are not whitened: their
    variances run from about 180 down to about 5 at the 30th direction, so 1/12 is small
    relative to all of them.) Nothing was tuned on the held-out metrics.

    Every generator produces, class-conditionally, exactly as many rows of each class as the
    held-out part has (``sample(719, y=y_holdout, random_state=1)``), so generated and held-out
    real are compared at the same size and class balance.

Reference rows (to calibrate the numbers):
    * ``real: training rows resampled``: for each class, as many *training* rows as the held-out
      part has, drawn without replacement. A real-vs-real comparison at full size (the best any
      generator can do on C2ST / MMD / energy / KS), but these ARE training rows, so the
      memorisation check must flag them, and their label fidelity is inflated (the fidelity
      classifier was fitted on 75% of them).
    * ``real: held-out half A vs half B``: the held-out part split in two stratified halves
      (``random_state=0``); half A plays "generated" and is compared with half B (and, for
      memorisation, with the training part, half B as the holdout). Fresh real data: not
      flagged, fidelity = the classifier's accuracy on unseen real rows. Its samples are half
      the size, so its C2ST interval is wider, its tests have less power, and its energy
      distance has a larger floor (see the legend).
    * ``baseline: per-class independent Gaussian pixels``: each pixel drawn independently from
      a normal with the class's training mean and standard deviation of that pixel, clipped to
      the training range: a deliberately poor generator (no correlations between pixels).

Metrics (``gmmkit.evaluation``, every one with ``random_state=0``; generated vs held-out real):
    * label fidelity (``label_fidelity(X_train, y_train, X_gen, y_gen)``): a default
      ``HistGradientBoostingClassifier`` fitted on 75% of the *training part* predicts the
      generated rows; the fraction recognised as their intended class. Its accuracy on the 719
      held-out real rows (and on the 25% of the training part it did not fit) is printed as the
      reference a faithful generator should reach;
    * C2ST (``classifier_two_sample_test``, default HistGradientBoosting, 5 folds): accuracy
      telling held-out real from generated, with its 95% Wilson interval;
    * MMD^2 (``mmd``, Gaussian kernel, median bandwidth) and energy distance
      (``energy_distance``), each with a permutation p-value from 200 permutations
      (``--quick``: 50);
    * memorisation (``memorisation(X_train, X_gen, X_holdout)``, defaults): median
      nearest-training-row distance of the generated rows / that of the held-out rows, the share
      of generated rows closer to a training row than the 5% quantile of the holdout distances,
      the share of exact copies, and the flag;
    * KS: features whose marginal differs (``ks_per_feature``, Holm, alpha 0.05), out of 64.

The full run also repeats the generator rows with the generated pixels rounded to the integer
grid (``np.rint``; the real pixels are integers 0..16), because C2ST and KS can detect
non-integer pixels (and PCA reconstructions that are not exactly 0) without looking at the digit.

Warnings raised while fitting or scoring are silenced but counted and printed per row. BLAS and
OpenMP are limited to one thread (``threadpoolctl``). A configuration or metric that raises is
printed as ``error`` with the message, and the run goes on.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import pdist
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from _common import ResultFile, WarningTally, add_json_option, column, load_average, machine_info
from _common import table as result_table
from gmmkit import LatentMixture, evaluation

SEED = 0
SAMPLE_SEED = 1
TEST_SIZE = 0.4
N_LATENT = 30
REG_COVAR = 1.0 / 12.0
COVARIANCE = "full"
PER_CLASS_K = (1, 2, 4, 8)
COMPONENT_MAP_K = (10, 20, 40, 80)
QUICK_PER_CLASS_K = (1, 4)
QUICK_COMPONENT_MAP_K = (20, 80)


# ---------------------------------------------------------------------------- settings
@dataclass
class Settings:
    quick: bool
    n_permutations: int
    per_class_k: tuple[int, ...]
    component_map_k: tuple[int, ...]
    rounded: bool  # the second table, generated pixels rounded to integers

    @classmethod
    def from_args(cls, args) -> Settings:
        if args.quick:
            return cls(
                True, args.permutations or 50, QUICK_PER_CLASS_K, QUICK_COMPONENT_MAP_K, False
            )
        return cls(False, args.permutations or 200, PER_CLASS_K, COMPONENT_MAP_K, True)


# ---------------------------------------------------------------------------- errors
def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


# ---------------------------------------------------------------------------- data
@dataclass
class Data:
    X_train: np.ndarray
    y_train: np.ndarray
    X_holdout: np.ndarray
    y_holdout: np.ndarray
    X_half_a: np.ndarray
    y_half_a: np.ndarray
    X_half_b: np.ndarray
    y_half_b: np.ndarray


def load_data() -> Data:
    X, y = load_digits(return_X_y=True)
    X_train, X_holdout, y_train, y_holdout = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=SEED
    )
    X_a, X_b, y_a, y_b = train_test_split(
        X_holdout, y_holdout, test_size=0.5, stratify=y_holdout, random_state=SEED
    )
    return Data(X_train, y_train, X_holdout, y_holdout, X_a, y_a, X_b, y_b)


# ---------------------------------------------------------------------------- generators
@dataclass
class Generated:
    name: str
    kind: str  # "reference", "baseline", "per_class", "component_map"
    X: np.ndarray | None = None  # the "generated" rows
    y: np.ndarray | None = None  # the class each row was generated for
    X_compare: np.ndarray | None = None  # the real rows it is compared with (held-out part)
    fit_seconds: float | None = None
    model: LatentMixture | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def resample_training(data: Data) -> Generated:
    """Per class, as many training rows as the held-out part has, without replacement."""
    rng = np.random.RandomState(SAMPLE_SEED)
    rows = []
    for label in np.unique(data.y_holdout):
        need = int(np.sum(data.y_holdout == label))
        rows.append(rng.choice(np.flatnonzero(data.y_train == label), need, replace=False))
    rows = np.concatenate(rows)
    return Generated(
        "real: training rows resampled",
        "reference",
        data.X_train[rows],
        data.y_train[rows],
        data.X_holdout,
    )


def held_out_halves(data: Data) -> Generated:
    return Generated(
        "real: held-out half A vs half B", "reference", data.X_half_a, data.y_half_a, data.X_half_b
    )


def independent_pixels(data: Data) -> Generated:
    """Each pixel ~ N(class mean, class std) independently, clipped to the training range."""
    rng = np.random.RandomState(SAMPLE_SEED)
    low, high = data.X_train.min(axis=0), data.X_train.max(axis=0)
    start = time.perf_counter()
    stats = {
        label: (
            data.X_train[data.y_train == label].mean(axis=0),
            data.X_train[data.y_train == label].std(axis=0),
        )
        for label in np.unique(data.y_train)
    }
    seconds = time.perf_counter() - start
    X = np.empty(data.X_holdout.shape)
    for label, (mean, std) in stats.items():
        rows = np.flatnonzero(data.y_holdout == label)
        X[rows] = mean + std * rng.standard_normal((rows.size, mean.size))
    np.clip(X, low, high, out=X)
    return Generated(
        "baseline: per-class independent Gaussian pixels",
        "baseline",
        X,
        data.y_holdout.copy(),
        data.X_holdout,
        fit_seconds=seconds,
    )


def latent_mixture(k: int, mode: str) -> LatentMixture:
    return LatentMixture(
        k,
        covariance_type=COVARIANCE,
        n_latent=N_LATENT,
        reg_covar=REG_COVAR,
        class_conditional=mode,
        random_state=SEED,
    )


def fit_and_sample(name: str, mode: str, k: int, data: Data, tally: WarningTally) -> Generated:
    out = Generated(name, mode, X_compare=data.X_holdout)
    model = latent_mixture(k, mode)
    try:
        with tally.record(name):
            start = time.perf_counter()
            model.fit(data.X_train, data.y_train)
            out.fit_seconds = time.perf_counter() - start
            out.X, out.y = model.sample(
                data.y_holdout.size, y=data.y_holdout, random_state=SAMPLE_SEED
            )
    except Exception as exc:
        out.error = first_line(exc)
        return out
    out.model = model
    n_iter = np.atleast_1d(model.n_iter_)
    low, high = int(n_iter.min()), int(n_iter.max())
    per = " in every class" if n_iter.size > 1 and low == high else ""
    out.notes.append(
        f"EM iterations {low}{per}"
        if low == high
        else f"EM iterations {low}-{high} over the classes"
    )
    if not np.all(model.converged_):
        out.notes.append("NOT converged")
    if mode == "component_map":
        out.notes.append(off_class_note(model))
    return out


def off_class_note(model: LatentMixture) -> str:
    r"""How much of P(k|c) falls on components whose majority class is not c (component_map).

    Computed from the fitted map: ``P(k|c) ∝ weights_[k] * component_class_proba_[k, c]``; a
    component's majority class is the argmax of its row of the map.
    """
    classifier = model.mixture_
    proba = classifier.component_class_proba_
    joint = classifier.mixture_.weights_[:, None] * proba
    given_class = joint / joint.sum(axis=0)
    majority = proba.argmax(axis=1)
    off = np.array([given_class[majority != c, c].sum() for c in range(proba.shape[1])])
    orphans = [
        classifier.classes_[c].item() for c in range(proba.shape[1]) if not np.any(majority == c)
    ]
    worst = int(off.argmax())
    text = (
        f"P(k|c) mass on components whose majority class is not c: mean "
        f"{off.mean():.3f}, worst class {classifier.classes_[worst].item()} "
        f"{off[worst]:.3f}"
    )
    if orphans:
        text += f"; classes that are no component's majority: {orphans}"
    return text


# ---------------------------------------------------------------------------- metrics
@dataclass
class Row:
    name: str
    kind: str
    n_generated: int | None = None
    n_real: int | None = None
    fit_seconds: float | None = None
    eval_seconds: float | None = None
    fidelity: float | None = None
    c2st: float | None = None
    c2st_low: float | None = None
    c2st_high: float | None = None
    mmd2: float | None = None
    mmd_p: float | None = None
    mmd_bandwidth: float | None = None
    energy: float | None = None
    energy_p: float | None = None
    nn_ratio: float | None = None
    close_fraction: float | None = None
    holdout_close_fraction: float | None = None
    copy_fraction: float | None = None
    flagged: bool | None = None
    ks_different: int | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: str = ""


def evaluate(
    generated: Generated, data: Data, settings: Settings, tally: WarningTally, context: str
) -> Row:
    """Every metric of ``generated`` against its real comparison rows; errors are recorded."""
    row = Row(
        generated.name,
        generated.kind,
        fit_seconds=generated.fit_seconds,
        notes=list(generated.notes),
    )
    if generated.error is not None:
        row.errors.append(generated.error)
        row.warnings = tally.text(generated.name)
        return row
    X_gen, y_gen, X_real = generated.X, generated.y, generated.X_compare
    row.n_generated, row.n_real = int(X_gen.shape[0]), int(X_real.shape[0])
    key = f"{context} | {generated.name}"
    perms = settings.n_permutations

    def attempt(label: str, compute: Callable[[], None]) -> None:
        try:
            with tally.record(key):
                compute()
        except Exception as exc:
            row.errors.append(f"{label}: {first_line(exc)}")

    def fidelity():
        row.fidelity = evaluation.label_fidelity(
            data.X_train, data.y_train, X_gen, y_gen, random_state=SEED
        ).generated_accuracy

    def c2st():
        result = evaluation.classifier_two_sample_test(X_real, X_gen, random_state=SEED)
        row.c2st, row.c2st_low, row.c2st_high = result.accuracy, result.ci_low, result.ci_high

    def mmd():
        result = evaluation.mmd(X_gen, X_real, n_permutations=perms, random_state=SEED)
        row.mmd2, row.mmd_p, row.mmd_bandwidth = result.statistic, result.p_value, result.bandwidth

    def energy():
        result = evaluation.energy_distance(X_gen, X_real, n_permutations=perms, random_state=SEED)
        row.energy, row.energy_p = result.statistic, result.p_value

    def memo():
        result = evaluation.memorisation(data.X_train, X_gen, X_real)
        row.nn_ratio, row.close_fraction = result.distance_ratio, result.close_fraction
        row.holdout_close_fraction = result.holdout_close_fraction
        row.copy_fraction, row.flagged = result.copy_fraction, result.flagged

    def ks():
        row.ks_different = evaluation.ks_per_feature(X_gen, X_real, method="holm").n_different

    start = time.perf_counter()
    for label, compute in (
        ("label_fidelity", fidelity),
        ("c2st", c2st),
        ("mmd", mmd),
        ("energy", energy),
        ("memorisation", memo),
        ("ks", ks),
    ):
        attempt(label, compute)
    row.eval_seconds = time.perf_counter() - start
    warned = ", ".join(t for t in (tally.text(generated.name), tally.text(key)) if t)
    row.warnings = warned
    return row


# ---------------------------------------------------------------------------- output helpers
def rule(text: str, char: str = "=") -> None:
    print()
    print(text)
    print(char * max(60, len(text)))


def table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
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


def fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def fmt_p(p: float | None) -> str:
    return "-" if p is None else f"{p:.3f}"


def cells(row: Row) -> list[str]:
    if row.n_generated is None:
        return [row.name, fmt(row.fit_seconds, ".2f")] + ["error"] + [""] * 8
    c2st = (
        "-" if row.c2st is None else (f"{row.c2st:.3f} [{row.c2st_low:.3f}, {row.c2st_high:.3f}]")
    )
    mmd2 = "-" if row.mmd2 is None else f"{row.mmd2:+.2e} ({fmt_p(row.mmd_p)})"
    energy = "-" if row.energy is None else f"{row.energy:.3f} ({fmt_p(row.energy_p)})"
    flag = "-" if row.flagged is None else ("YES" if row.flagged else "no")
    mark = "*" if row.errors else ""
    return [
        row.name + mark,
        fmt(row.fit_seconds, ".2f"),
        f"{row.n_generated}/{row.n_real}",
        fmt(row.fidelity, ".3f"),
        c2st,
        mmd2,
        energy,
        fmt(row.nn_ratio, ".3f"),
        fmt(row.close_fraction, ".1%"),
        fmt(row.copy_fraction, ".1%"),
        flag,
        fmt(row.ks_different, "d"),
    ]


HEADER = [
    "generator",
    "fit s",
    "n gen/real",
    "fidelity",
    "C2ST acc [95% CI]",
    "MMD^2 (p)",
    "energy (p)",
    "NN ratio",
    "close",
    "copies",
    "memo",
    "KS",
]


def print_rows(rows: list[Row]) -> None:
    table(HEADER, [cells(r) for r in rows])
    for r in rows:
        for error in r.errors:
            print(f"  ! {r.name}: {error}")
        if r.warnings:
            print(f"  warnings, {r.name}: {r.warnings}")


ROW_COLUMNS = [
    column("name", "generator"),
    column("fit_seconds", "fit", "s"),
    column("n_generated", "n gen"),
    column("n_real", "n real"),
    column("fidelity", fmt=".3f"),
    column("c2st", "C2ST acc", fmt=".3f"),
    column("c2st_low", "95% CI low", fmt=".3f"),
    column("c2st_high", "95% CI high", fmt=".3f"),
    column("mmd2", "MMD^2", fmt="+.2e"),
    column("mmd_p", "p", fmt=".3f"),
    column("energy", fmt=".3f"),
    column("energy_p", "p", fmt=".3f"),
    column("nn_ratio", "NN ratio", fmt=".3f"),
    column("close_fraction", "close", "%"),
    column("copy_fraction", "copies", "%"),
    column("memo"),
    column("ks_different", "KS"),
    column("errors"),
]


def row_records(rows: list[Row]) -> list[dict]:
    keys = [c["key"] for c in ROW_COLUMNS if c["key"] not in ("memo", "errors")]
    records = []
    for row in rows:
        record = {key: getattr(row, key) for key in keys}
        record["memo"] = None if row.flagged is None else ("YES" if row.flagged else "no")
        record["errors"] = "; ".join(row.errors) or None
        records.append(record)
    return records


def result_tables(rows: list[Row], rounded_rows: list[Row]) -> list[dict]:
    """The printed tables as records (the legend printed by the script explains each column)."""
    tables = [
        result_table(
            "generated",
            "Generated vs held-out real (pixels as sample() returns them, clipped to 0..16)",
            ROW_COLUMNS,
            row_records(rows),
        )
    ]
    if rounded_rows:
        tables.append(
            result_table(
                "generated_rounded",
                "The same generated rows rounded to the integer grid",
                ROW_COLUMNS,
                row_records(rows[:2] + rounded_rows),
            )
        )
    return tables


LEGEND = """
Legend (every comparison is against held-out real rows the generators never saw):
  fit s       seconds to fit the generator on the {n_train} training rows (context only, not a
              speed benchmark); '-' for the real rows
  n gen/real  rows compared: "generated" / held-out real
  fidelity    share of generated rows the fidelity classifier assigns to the class they were
              generated for. Higher is better, up to the real reference printed above; a value
              above it means unusually prototypical rows, not better ones
  C2ST        out-of-fold accuracy of a classifier telling held-out real from generated rows,
              with its 95% Wilson interval: 0.5 = indistinguishable (best), 1.0 = told apart
              every time
  MMD^2 (p)   unbiased MMD^2, Gaussian kernel, median bandwidth (~{bandwidth} here): about 0, of
              either sign, when the distributions agree; closer to 0 is better. p: permutation
              p-value, {perms} permutations (smallest possible {p_min:.3f}); small p = the
              samples differ
  energy (p)  energy distance (V-statistic) 2E|X-Y| - E|X-X'| - E|Y-Y'|; lower is better, but
              its floor is not 0: for two samples of one distribution it is about
              E|X-X'| (1/m + 1/n) = {floor_full:.3f} at {sizes_full} rows and
              {floor_half:.3f} at {sizes_half} (E|X-X'| = {delta:.1f}, the mean held-out
              distance). p as for MMD
  NN ratio    median distance from a generated row to its nearest training row / the same
              median for held-out real rows: ~1 for fresh samples, < 1 = closer to the training
              rows than new real data is, 0 = copies
  close       share of generated rows nearer a training row than the 5% quantile of the
              held-out rows' distances (held-out real rows: {holdout_close} by construction)
  copies      share of generated rows that duplicate a training row
  memo        memorisation flag: YES when close > 2 x the held-out share, or copies > 2 x the
              held-out copy share. Expected (correct) for the resampled training rows
  KS          features (of {n_features}) whose marginal distribution differs: two-sample KS,
              Holm-adjusted, alpha 0.05. Lower is better
  *           a metric raised (message under the table); 'error' = the generator failed"""


def print_legend(rows: list[Row], data: Data, settings: Settings, floor: dict) -> None:
    holdout_close = next(
        (
            r.holdout_close_fraction
            for r in rows
            if r.kind != "reference" and r.holdout_close_fraction is not None
        ),
        None,
    )
    p_min = 1.0 / (1 + settings.n_permutations)
    bandwidth = fmt(rows_bandwidth(rows), ".0f")
    print(
        LEGEND.format(
            n_train=data.X_train.shape[0],
            n_features=data.X_train.shape[1],
            bandwidth=bandwidth,
            perms=settings.n_permutations,
            p_min=p_min,
            floor_full=floor["full"],
            sizes_full=floor["sizes_full"],
            floor_half=floor["half"],
            sizes_half=floor["sizes_half"],
            delta=floor["delta"],
            holdout_close=fmt(holdout_close, ".1%"),
        )
    )


def rows_bandwidth(rows: list[Row]) -> float | None:
    values = [r.mmd_bandwidth for r in rows if r.mmd_bandwidth is not None]
    return float(np.median(values)) if values else None


def energy_floor(data: Data) -> dict:
    """E|X-X'| estimated on the held-out rows, and the V-statistic's floor at both sizes."""
    delta = float(pdist(data.X_holdout).mean())
    m = data.X_holdout.shape[0]
    a, b = data.X_half_a.shape[0], data.X_half_b.shape[0]
    return {
        "delta": delta,
        "full": delta * 2.0 / m,
        "half": delta * (1.0 / a + 1.0 / b),
        "sizes_full": f"{m}/{m}",
        "sizes_half": f"{a}/{b}",
    }


# ---------------------------------------------------------------------------- png
def save_png(path: str, generated: list[Generated], per_class: int = 3) -> str | None:
    """A grid of generated digits: one row per generator, ``per_class`` images per class.

    Returns the path written, or None when matplotlib is not installed (skipped silently).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    usable = [g for g in generated if g.X is not None]
    classes = np.unique(np.concatenate([g.y for g in usable]))
    n_cols = classes.size * per_class
    fig, axes = plt.subplots(
        len(usable), n_cols, figsize=(n_cols * 0.45, len(usable) * 0.55), squeeze=False
    )
    for i, g in enumerate(usable):
        for j, label in enumerate(classes):
            picks = np.flatnonzero(g.y == label)[:per_class]
            for s in range(per_class):
                ax = axes[i, j * per_class + s]
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if s < picks.size:
                    ax.imshow(
                        g.X[picks[s]].reshape(8, 8),
                        cmap="gray_r",
                        vmin=0,
                        vmax=16,
                        interpolation="nearest",
                    )
        axes[i, 0].set_ylabel(
            g.name.replace("LatentMixture ", ""), rotation=0, ha="right", va="center", fontsize=7
        )
    fig.suptitle(
        f"digits generated per class (columns: classes 0..9, {per_class} samples each)", fontsize=9
    )
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- machine
def print_header(info: dict, settings: Settings, data: Data) -> None:
    print("gmmkit LatentMixture on digits: generated vs held-out real")
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
        f"mode     : {'quick' if settings.quick else 'full'}: per-class k in "
        f"{list(settings.per_class_k)}, component-map k in {list(settings.component_map_k)}, "
        f"{settings.n_permutations} permutations, rounded-pixel table "
        f"{'on' if settings.rounded else 'off'}"
    )
    print(
        f"data     : load_digits {data.X_train.shape[0] + data.X_holdout.shape[0]} x "
        f"{data.X_train.shape[1]}, stratified split (random_state={SEED}): training part "
        f"{data.X_train.shape[0]} rows (the generators' only data), held-out real part "
        f"{data.X_holdout.shape[0]} rows (halves {data.X_half_a.shape[0]} + "
        f"{data.X_half_b.shape[0]})"
    )
    print(
        f"models   : LatentMixture(k, n_latent={N_LATENT}, covariance_type='{COVARIANCE}', "
        f"reg_covar=1/12, whiten=False, clip=True, random_state={SEED}); reg_covar = variance "
        "of integer rounding, fixed a priori"
    )
    print(
        f"sampling : sample({data.y_holdout.size}, y=y_holdout, random_state={SAMPLE_SEED}): "
        "the held-out part's rows per class"
    )
    print(
        f"seeds    : random_state={SEED} for every split, model and metric; BLAS and OpenMP "
        "limited to 1 thread"
    )
    sys.stdout.flush()


def fidelity_reference(data: Data, tally: WarningTally) -> dict:
    """The fidelity classifier's accuracy on real rows it did not fit (same seed, same fit)."""
    try:
        with tally.record("fidelity reference"):
            result = evaluation.label_fidelity(
                data.X_train, data.y_train, data.X_holdout, data.y_holdout, random_state=SEED
            )
    except Exception as exc:
        print(f"  ! fidelity reference: {first_line(exc)}")
        return {}
    print(
        f"fidelity : HistGradientBoostingClassifier fitted on 75% of the training part; its "
        f"accuracy on the {data.X_holdout.shape[0]} held-out real rows = "
        f"{result.generated_accuracy:.3f} (the reference), on the 25% of the training part "
        f"it did not fit = {result.real_accuracy:.3f}"
    )
    sys.stdout.flush()
    return {
        "holdout_accuracy": result.generated_accuracy,
        "training_part_accuracy": result.real_accuracy,
    }


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="per-class k in {1, 4}, component-map k in {20, 80}, 50 "
        "permutations, no rounded-pixel table",
    )
    parser.add_argument(
        "--permutations",
        type=int,
        default=None,
        help="permutations of the MMD and energy tests (default 200, or 50 with --quick)",
    )
    add_json_option(parser, "bench_generate")
    parser.add_argument(
        "--png",
        metavar="PATH",
        help="save a grid of generated digits per class (needs matplotlib; "
        "skipped if it is not installed)",
    )
    args = parser.parse_args(argv)
    if args.permutations is not None and args.permutations < 0:
        parser.error("--permutations must be >= 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = Settings.from_args(args)
    info = machine_info()
    configuration = "quick" if args.quick else "default"
    if not args.quick and args.permutations not in (None, 200):
        configuration = "reduced"
    result_file = ResultFile("bench_generate", args, configuration)
    data = load_data()
    print_header(info, settings, data)
    tally = WarningTally()
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        reference = fidelity_reference(data, tally)
        generated = [resample_training(data), held_out_halves(data), independent_pixels(data)]
        generated += [
            fit_and_sample(f"LatentMixture per_class k={k}", "per_class", k, data, tally)
            for k in settings.per_class_k
        ]
        generated += [
            fit_and_sample(f"LatentMixture component_map k={k}", "component_map", k, data, tally)
            for k in settings.component_map_k
        ]

        rule(
            "Generated vs held-out real, generated pixels as returned by sample() "
            "(continuous, clipped to 0..16)"
        )
        rows = []
        for g in generated:
            rows.append(evaluate(g, data, settings, tally, "raw"))
        print_rows(rows)
        floor = energy_floor(data)
        print_legend(rows, data, settings, floor)
        noted = [r for r in rows if r.notes]
        if noted:
            print("\nFit notes:")
            for r in noted:
                print(f"  {r.name}: " + "; ".join(r.notes))
            print(
                "  (EM stops once an iteration raises the lower bound by less than tol=1e-3; "
                "2 iterations means\n   it stopped at about the k-means start. The P(k|c) "
                "line is from the fitted map, see off_class_note)"
            )
        sys.stdout.flush()

        rounded_rows = []
        if settings.rounded:
            rule(
                "The same generated rows rounded to the integer grid (np.rint), "
                "as the real pixels are"
            )
            for g in generated:
                if g.kind == "reference" or g.X is None:
                    continue
                copy = Generated(
                    g.name + " [rint]", g.kind, np.rint(g.X), g.y, g.X_compare, g.fit_seconds
                )
                rounded_rows.append(evaluate(copy, data, settings, tally, "rounded"))
            print_rows(rows[:2] + rounded_rows)
            print(
                "(the two real rows are repeated from above: real pixels are already "
                "integers; columns as in the legend above)"
            )
    elapsed = time.perf_counter() - started

    if args.png:
        written = save_png(args.png, generated)
        if written:
            print(f"\ndigit grid written to {written}")

    rule("Warnings (silenced, counted)", "-")
    total = tally.total()
    if total:
        for category, count in total.most_common():
            print(f"  {category}: {count}")
            for message, n in tally.examples.get(category, Counter()).most_common(3):
                print(f"      x{n}: {message}")
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
            "sample_seed": SAMPLE_SEED,
            "test_size": TEST_SIZE,
            "n_latent": N_LATENT,
            "reg_covar": REG_COVAR,
            "covariance_type": COVARIANCE,
        },
        "fidelity_reference": reference,
        "energy_floor": floor,
        "rows": [r.__dict__ for r in rows],
        "rounded_rows": [r.__dict__ for r in rounded_rows],
        "warnings": dict(total),
        "elapsed_s": elapsed,
    }
    result_file.write(result_tables(rows, rounded_rows), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
