#!/usr/bin/env python
"""Few labels: semi-supervised ``MixtureClassifier`` against the supervised fit on the labelled
rows and the ``ComponentClassifier`` route.

Run from the repository root::

    python benchmarks/bench_semisupervised.py            # 5 seeds, about 10 s on 2 busy cores
    python benchmarks/bench_semisupervised.py --seeds 1  # one seed
    python benchmarks/bench_semisupervised.py --json semisupervised.json  # not in results/

This benchmark measures **accuracy, not speed** (the seconds are the mean fit time of a row).
Nothing is asserted; the script exits 0 unless it crashes.

Protocol
--------
For every seed ``s`` the data are split ``train_test_split(test_size=0.3, stratify=y,
random_state=s)``; in the training rows each class keeps ``max(2, round(f * n_c))`` labels
(``--labels``: a fixed number per class instead), drawn with ``numpy.random.RandomState(s)``,
the others are set to ``-1``. A mixture classifier needs two labelled rows per class to start
(its supervised fit), hence the floor of 2. Two accuracies are printed, mean +- std over the
seeds: on the *unlabelled training rows* (transductive: the rows whose labels were hidden) and
on the *held-out* rows (inductive). BLAS is limited to one thread.

Data sets
    * moons: ``make_moons(1000, noise=0.1, random_state=0)``, raw 2-D, 10 labels per class (20
      labels).
    * digits: ``load_digits()`` reduced by ``PCA(40, random_state=0)`` fitted on all training rows
      (unsupervised, so every method may use it; as in ``bench_classify.py`` section 2), with
      f = 1% (2 labels per class) and 10% of the labels.

Methods (settings fixed in advance, the same as ``bench_classify.py`` where it has them)
    * ``semi-supervised``: ``MixtureClassifier`` fitted on all training rows with the hidden
      labels marked ``-1`` (EM over every row from the supervised start).
    * ``supervised``: the same ``MixtureClassifier`` fitted on the labelled rows alone.
    * ``ComponentClassifier``: one mixture on all training rows, then the labelled rows map
      components to classes (``mapping="soft"``); moons 10 full components, digits 50 diag
      (``reg_covar=1e-3``), as ``bench_classify.py``.
    * moons: ``MixtureClassifier`` with 1 and 4 full components per class; digits: 1 and 2
      full components per class with ``reg_covar=1e-3`` (2 is ``bench_classify.py``'s; with
      2 labels per class it starts from one component per labelled row).

Warnings are silenced while fitting and counted per row.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from _common import (
    ResultFile,
    WarningTally,
    add_json_option,
    column,
    load_average,
    machine_info,
    table,
)
from gmmkit import ComponentClassifier, MixtureClassifier

DIGITS_PCA = 40


def _moons():
    X, y = make_moons(1000, noise=0.1, random_state=0)
    return X, y


def _digits():
    data = load_digits()
    return data.data, data.target


def _methods(dataset):
    """``(name, make_estimator, semi)``: ``semi`` says whether it sees the unlabelled rows."""
    if dataset == "moons":
        mixtures = [(f"MixtureClassifier k={k}", {"n_components": k}) for k in (1, 4)]
        component = {"n_components": 10}
    else:
        mixtures = [
            ("MixtureClassifier k=1 reg=1e-3", {"n_components": 1, "reg_covar": 1e-3}),
            ("MixtureClassifier k=2 reg=1e-3", {"n_components": 2, "reg_covar": 1e-3}),
        ]
        component = {"n_components": 50, "covariance_type": "diag", "reg_covar": 1e-3}
    methods = []
    for name, options in mixtures:
        methods.append(
            (
                f"{name} semi-supervised",
                lambda s, o=options: MixtureClassifier(random_state=s, **o),
                True,
            )
        )
        methods.append(
            (
                f"{name} supervised",
                lambda s, o=options: MixtureClassifier(random_state=s, **o),
                False,
            )
        )
    methods.append(
        (
            f"ComponentClassifier k={component['n_components']}",
            lambda s: ComponentClassifier(random_state=s, **component),
            True,
        )
    )
    return methods


def _hide(y, fraction, per_class, rng):
    partial = np.full_like(y, -1)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        keep = per_class if per_class is not None else max(2, round(fraction * rows.size))
        chosen = rng.choice(rows, keep, replace=False)
        partial[chosen] = label
    return partial


def run_setting(dataset, X, y, fraction, per_class, seeds, tally):
    rows = []
    methods = _methods(dataset)
    results = {name: {"unlabelled": [], "held_out": [], "seconds": []} for name, _, _ in methods}
    n_labels = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        if dataset == "digits":
            pca = PCA(DIGITS_PCA, random_state=0).fit(X_train)
            X_train, X_test = pca.transform(X_train), pca.transform(X_test)
        y_partial = _hide(y_train, fraction, per_class, np.random.RandomState(seed))
        labelled = y_partial != -1
        n_labels.append(int(labelled.sum()))
        for name, make, semi in methods:
            started = time.perf_counter()
            try:
                with tally.record(f"{dataset} {fraction} {name}"):
                    if semi:
                        model = make(seed).fit(X_train, y_partial)
                    else:
                        model = make(seed).fit(X_train[labelled], y_partial[labelled])
            except Exception as exc:
                results[name].setdefault("errors", []).append(f"{type(exc).__name__}: {exc}")
                continue
            results[name]["seconds"].append(time.perf_counter() - started)
            results[name]["unlabelled"].append(
                float(model.score(X_train[~labelled], y_train[~labelled]))
            )
            results[name]["held_out"].append(float(model.score(X_test, y_test)))
    for name, _, _ in methods:
        record = results[name]
        rows.append(
            {
                "dataset": dataset,
                "labels": fraction if per_class is None else per_class,
                "n_labels": float(np.mean(n_labels)),
                "method": name,
                **record,
                "warnings": tally.text(f"{dataset} {fraction} {name}"),
            }
        )
    return rows


def _cell(values):
    if not values:
        return "error"
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def print_table(rows):
    header = (
        f"{'data':<7} {'labels':>10} {'method':<48} {'unlabelled train':>17} "
        f"{'held out':>17} {'s/fit':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        labels = f"{row['n_labels']:.0f}"
        print(
            f"{row['dataset']:<7} {labels:>10} {row['method']:<48} "
            f"{_cell(row['unlabelled']):>17} {_cell(row['held_out']):>17} "
            f"{np.mean(row['seconds']) if row['seconds'] else float('nan'):>6.2f}"
        )
        for error in row.get("errors", [])[:1]:
            print(f"{'':<19}error: {error[:100]}")
    print()
    for row in rows:
        if row["warnings"]:
            print(
                f"  warnings, {row['dataset']} {row['n_labels']:.0f} labels, {row['method']}: "
                f"{row['warnings']}"
            )


def _mean_std(values) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return float(np.mean(values)), float(np.std(values))


RESULT_COLUMNS = [
    column("dataset", "data"),
    column("labels", "labels"),
    column("method"),
    column("unlabelled", "unlabelled train", fmt=".3f"),
    column("unlabelled_std", "± std", fmt=".3f"),
    column("held_out", "held out", fmt=".3f"),
    column("held_out_std", "± std", fmt=".3f"),
    column("seconds_per_fit", "per fit", "s"),
    column("error"),
]


def result_table(rows, name: str = "semi_supervised") -> dict:
    """The printed table as records: accuracies as mean and std over the seeds."""
    records = []
    for row in rows:
        unlabelled, unlabelled_std = _mean_std(row["unlabelled"])
        held_out, held_out_std = _mean_std(row["held_out"])
        records.append(
            {
                "dataset": row["dataset"],
                "labels": round(row["n_labels"]),
                "method": row["method"],
                "unlabelled": unlabelled,
                "unlabelled_std": unlabelled_std,
                "held_out": held_out,
                "held_out_std": held_out_std,
                "seconds_per_fit": float(np.mean(row["seconds"])) if row["seconds"] else None,
                "error": (row.get("errors") or [None])[0],
            }
        )
    title = "Accuracy with few labels (mean ± std over the seeds; labels: labelled training rows)"
    return table(name, title, RESULT_COLUMNS, records)


def run_all(seeds, tally):
    """Every setting of the protocol (moons with 20 labels, digits with 1% and 10%), the rows
    of the table; prints the seeds line that heads it."""
    rows = []
    X, y = _moons()
    rows += run_setting("moons", X, y, None, 10, seeds, tally)
    X, y = _digits()
    for fraction in (0.01, 0.10):
        rows += run_setting("digits", X, y, fraction, None, seeds, tally)
    print(
        f"\nseeds {seeds}; accuracy mean +- std over the seeds; labels: labelled training "
        f"rows (mean over seeds)\n"
    )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    add_json_option(parser, "bench_semisupervised")
    args = parser.parse_args(argv)
    result_file = ResultFile(
        "bench_semisupervised", args, "default" if args.seeds == 5 else "reduced"
    )
    info = machine_info()
    print("Semi-supervised MixtureClassifier: accuracy with few labels")
    for key, value in info.items():
        print(f"  {key}: {value}")
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    with threadpool_limits(1):
        rows = run_all(seeds, WarningTally())
    print_table(rows)
    print(f"\ntotal {time.perf_counter() - started:.1f} s; load average after: {load_average()}")
    result_file.write([result_table(rows)], {"machine": info, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
