"""What the benchmark scripts print about the machine and the software they ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import scipy
import sklearn

import gmmkit


def command_output(args: list[str], cwd: Path | None = None) -> str | None:
    """A command's stripped standard output, or None when it cannot run or prints nothing."""
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=cwd,
                             check=False)
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
        "cpu_count": os.cpu_count(), "usable_cpus": affinity,
        "nproc": command_output(["nproc"]) or str(os.cpu_count()),
        "platform": platform.platform(), "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
        "gmmkit": gmmkit.__version__,
        "git_describe": command_output(["git", "describe", "--always", "--dirty"], package_dir),
        "load_average_before": load_average(),
    }
