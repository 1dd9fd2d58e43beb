"""Shared by the benchmark scripts: the machine and software they ran on, and a tally of the
warnings they silence while fitting."""

from __future__ import annotations

import os
import platform
import subprocess
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy
import sklearn

import gmmkit


def command_output(args: list[str], cwd: Path | None = None) -> str | None:
    """A command's stripped standard output, or None when it cannot run or prints nothing."""
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=cwd, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def lscpu_model() -> str | None:
    for line in (command_output(["lscpu"]) or "").splitlines():
        if line.strip().lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info() -> dict:
    """CPU, core counts, platform, library versions, gmmkit's git revision and the load."""
    package_dir = Path(gmmkit.__file__).resolve().parent
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": lscpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "nproc": command_output(["nproc"]) or str(os.cpu_count()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "gmmkit": gmmkit.__version__,
        "git_describe": command_output(["git", "describe", "--always", "--dirty"], package_dir),
        "load_average_before": load_average(),
    }


class WarningTally:
    """Silences warnings and counts them by (context, category), with example messages."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: dict[str, Counter] = {}

    @contextmanager
    def record(self, context: str):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for item in caught:
            category = item.category.__name__
            self.counts[context, category] += 1
            message = str(item.message).strip().splitlines()
            self.examples.setdefault(category, Counter())[message[0][:120] if message else ""] += 1

    def of(self, context: str) -> Counter:
        return Counter({cat: n for (ctx, cat), n in self.counts.items() if ctx == context})

    def text(self, context: str) -> str:
        return ", ".join(f"{cat} x{n}" for cat, n in sorted(self.of(context).items()))

    def total(self) -> Counter:
        total: Counter = Counter()
        for (_, cat), n in self.counts.items():
            total[cat] += n
        return total
